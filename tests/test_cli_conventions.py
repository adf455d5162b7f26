"""The CLI as AWS users expect it: error lines, profiles and regions, names, configuration, output.

Every test runs the CLI as a user does: a subprocess (on a pseudo-terminal where the terminal matters).
"""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import DEMO, ROOT

GATECRASH = [sys.executable, "-m", "gatecrash"]
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def run(
    *args: str, env: dict[str, str] | None = None, cwd: Path = ROOT, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*GATECRASH, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
        env={**os.environ, **(env or {})},
    )


def run_on_terminal(*args: str) -> tuple[int, str]:
    """Run with stdout and stderr on a pseudo-terminal, as in an interactive shell; (exit code, output)."""
    controller, terminal = pty.openpty()
    environ = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR", "TTY_COMPATIBLE")}
    process = subprocess.Popen(
        [*GATECRASH, *args],
        stdin=subprocess.DEVNULL,
        stdout=terminal,
        stderr=terminal,
        cwd=ROOT,
        env={**environ, "TERM": "xterm-256color", "COLUMNS": "200"},
    )
    os.close(terminal)
    chunks = []
    while True:
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # EIO: the child closed its side
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(controller)
    return process.wait(timeout=60), b"".join(chunks).decode(errors="replace")


def scenario_file(tmp_path: Path, target: str, credentials: str = "", name: str = "scenario.yaml") -> Path:
    path = tmp_path / name
    path.write_text(
        f"target: {target}\n{credentials}"
        "limits: {max-requests: 2, max-duration: 30s}\n"
        "probes:\n  - {name: p, mode: ok, request: {method: GET, path: /pets}}\n"
    )
    return path


EMULATOR = f"{{emulator: {{definition: {DEMO}/api.yaml, side-file: {DEMO}/stage.yaml}}}}"


def aws_target(profile: str | None = None, url: str = "https://127.0.0.1:9/prod") -> str:
    extra = f", profile: {profile}" if profile else ""
    return f"{{aws: {{invoke-url: '{url}', region: us-east-1, rest-api-id: a1b2c3d4e5, stage: prod{extra}}}}}"


# --- error lines -------------------------------------------------------------------------------------------


def test_an_error_line_is_plain_text_when_piped() -> None:
    result = run("diagnose", "--rest-api-id", "a1b2c3d4e5", "--stage", "prod", "--profile", "nosuch")
    assert result.returncode == 3, result.stderr
    assert result.stderr.startswith("error: AWS profile 'nosuch' is not configured"), result.stderr
    assert "[red]" not in result.stderr and "\x1b[" not in result.stderr


def test_an_error_line_is_styled_not_marked_up_on_a_terminal() -> None:
    code, output = run_on_terminal("diagnose", "--rest-api-id", "a1b2c3d4e5", "--stage", "prod", "--profile", "nosuch")
    assert code == 3, output
    assert "[red]" not in output and "[/red]" not in output
    assert "\x1b[" in output, "a terminal gets the prefix in colour"
    assert ANSI.sub("", output).replace("\r\n", "\n").startswith("error: AWS profile 'nosuch' is not configured")


def test_a_usage_error_with_brackets_in_its_message_prints_them_as_written() -> None:
    code, output = run_on_terminal("emulator", "--definition", "scenarios/demo/api.yaml", "--stage-variable", "[x]")
    assert code == 2
    assert "error: --stage-variable '[x]': expected NAME=VALUE" in ANSI.sub("", output)


# --- an unknown profile: one line, exit 3, on every command that takes one -----------------------------------

UNKNOWN = "AWS profile 'nosuch' is not configured in ~/.aws/config or ~/.aws/credentials"


@pytest.mark.parametrize(
    "arguments",
    [
        ("diagnose", "--rest-api-id", "a1b2c3d4e5", "--stage", "prod", "--profile", "nosuch", "--region", "eu-west-1"),
        ("generate", "--rest-api-id", "a1b2c3d4e5", "--stage", "prod", "--profile", "nosuch", "--region", "eu-west-1"),
    ],
    ids=["diagnose", "generate"],
)
def test_an_unknown_profile_flag_is_one_line_and_exit_3(arguments: tuple[str, ...]) -> None:
    result = run(*arguments)
    assert result.returncode == 3, result.stderr
    assert "Traceback" not in result.stderr and "ProfileNotFound" not in result.stderr
    [line] = result.stderr.splitlines()
    assert line.startswith(f"error: {UNKNOWN}")


def test_an_unknown_profile_in_a_scenarios_aws_target_stops_the_run_before_sending(tmp_path: Path) -> None:
    scenario = scenario_file(tmp_path, aws_target(profile="nosuch"))
    for command in (("run", str(scenario), "--reports", str(tmp_path)), ("canary", str(scenario), "--once")):
        result = run(*command)
        assert result.returncode == 3, result.stderr
        assert "Traceback" not in result.stderr
        assert result.stderr.splitlines() == [
            f"error: {UNKNOWN}: check the name (`aws configure list-profiles`) "
            "or create it (`aws configure --profile nosuch`)"
        ]
    assert not list(tmp_path.glob("*/results.json")), "nothing was sent, so no run was written"


def test_an_unknown_profile_in_aws_profile_is_named_as_coming_from_the_environment() -> None:
    result = run("diagnose", "--rest-api-id", "a1b2c3d4e5", "--stage", "prod", env={"AWS_PROFILE": "nosuch"})
    assert result.returncode == 3, result.stderr
    assert "Traceback" not in result.stderr
    assert "AWS profile 'nosuch' (from AWS_PROFILE or AWS_DEFAULT_PROFILE) is not configured" in result.stderr


def test_an_unknown_profile_credential_is_named_with_its_place(tmp_path: Path) -> None:
    scenario = scenario_file(tmp_path, EMULATOR, "credentials: {caller: {profile: nosuch}}\n")
    result = run("run", str(scenario), "--reports", str(tmp_path))
    assert result.returncode == 3, result.stderr
    assert f"{scenario}: $.credentials.caller: {UNKNOWN}" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_unknown_profile_in_the_environment_does_not_stop_the_emulator(tmp_path: Path) -> None:
    # The emulator's own logs are read with dummy credentials: AWS_PROFILE has nothing to do with them.
    scenario = scenario_file(tmp_path, EMULATOR)
    result = run("run", str(scenario), "--reports", str(tmp_path), env={"AWS_PROFILE": "nosuch"})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 probes: 1 CONFIRMED." in result.stdout


# --- regions -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "arguments",
    [
        ("diagnose", "--rest-api-id", "a1b2c3d4e5", "--stage", "prod"),
        ("generate", "--rest-api-id", "a1b2c3d4e5", "--stage", "prod"),
    ],
    ids=["diagnose", "generate"],
)
def test_no_region_names_what_boto3_reads(arguments: tuple[str, ...]) -> None:
    result = run(*arguments, env={"AWS_REGION": "eu-west-1"})  # botocore does not read AWS_REGION
    assert result.returncode == 3, result.stderr
    assert "pass --region or set AWS_DEFAULT_REGION" in result.stderr
    assert "AWS_REGION" not in result.stderr.replace("AWS_DEFAULT_REGION", "")
