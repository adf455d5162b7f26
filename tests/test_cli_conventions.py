"""The CLI as AWS users expect it: error lines, profiles and regions, names, configuration, output.

Every test runs the CLI as a user does: a subprocess (on a pseudo-terminal where the terminal matters).
"""

from __future__ import annotations

import json
import os
import pty
import re
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import httpx
import pytest

from gatecrash import settings
from gatecrash.catalogue import load_catalogue
from gatecrash.emulator.cloudwatch import LocalLogsServer
from gatecrash.scenario import load_scenario
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
    history = str(tmp_path / "canary")  # metrics go to the emulator's moto server
    canary = run("canary", str(scenario), "--once", "--history", history, env={"AWS_PROFILE": "nosuch"})
    assert canary.returncode == 0, canary.stdout + canary.stderr
    assert "1 confirmed, 0 failed" in canary.stdout


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


# --- --region and --profile on run and canary --------------------------------------------------------------


def test_run_and_canary_profile_override_the_scenarios(tmp_path: Path) -> None:
    scenario = scenario_file(tmp_path, aws_target())  # the scenario names no profile
    for command in ("run", "canary"):
        extra = ("--reports", str(tmp_path)) if command == "run" else ("--once", "--history", str(tmp_path / "c"))
        result = run(command, str(scenario), "--profile", "nosuch", *extra)
        assert result.returncode == 3, result.stderr
        assert f"error: {UNKNOWN}" in result.stderr


def test_run_region_overrides_the_scenarios(tmp_path: Path) -> None:
    scenario = scenario_file(tmp_path, aws_target())
    env = {"AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "example"}  # nothing is read: unreachable
    result = run("run", str(scenario), "--region", "eu-west-1", "--json", "--reports", str(tmp_path), env=env)
    assert result.returncode == 3, result.stderr
    [summary] = json.loads(result.stdout)["runs"]
    assert summary["target"] == "AWS a1b2c3d4e5/prod (eu-west-1)"


def test_region_and_profile_on_an_emulator_target_are_ignored_with_a_note(tmp_path: Path) -> None:
    scenario = scenario_file(tmp_path, EMULATOR)
    result = run("run", str(scenario), "--region", "eu-west-1", "--profile", "nosuch", "--reports", str(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"note: {scenario}: --region and --profile apply to an aws target; the emulator ignores them" in (
        result.stderr
    )


# --- --endpoint-url, the AWS CLI's name, on every command that talks to an AWS API ---------------------------


def start_emulator(*options: str) -> tuple[subprocess.Popen[str], str, str]:
    """The emulator on the demo API; (process, its base URL, its 'Logs:' line)."""
    process = subprocess.Popen(
        [
            *GATECRASH,
            "emulator",
            "--definition",
            "scenarios/demo/api.yaml",
            "--side-file",
            "scenarios/demo/stage.yaml",
            *options,
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "COLUMNS": "300"},
    )
    assert process.stdout is not None
    serving, logs = process.stdout.readline(), process.stdout.readline()
    match = re.search(r"at (http://127\.0\.0\.1:\d+/demo)", serving)
    assert match, serving
    deadline = time.monotonic() + 10
    while True:  # serving: uvicorn now owns Ctrl-C
        try:
            assert httpx.get(match.group(1) + "/pets", timeout=5).status_code == 200
            break
        except httpx.TransportError:
            assert time.monotonic() < deadline
            time.sleep(0.05)
    return process, match.group(1), logs


def stop(process: subprocess.Popen[str]) -> str:
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    return err


def test_emulator_logs_to_the_endpoint_url(logs_server: LocalLogsServer) -> None:
    process, _, logs = start_emulator("--endpoint-url", logs_server.endpoint_url)
    err = stop(process)
    assert logs.startswith(f"Logs: {logs_server.endpoint_url} "), logs
    assert "deprecated" not in err


def test_logs_endpoint_is_a_deprecated_alias_with_a_note(logs_server: LocalLogsServer) -> None:
    process, _, logs = start_emulator("--logs-endpoint", logs_server.endpoint_url)
    err = stop(process)
    assert logs.startswith(f"Logs: {logs_server.endpoint_url} "), logs
    assert "note: --logs-endpoint is deprecated and will go: use --endpoint-url, the AWS CLI's name" in err
    assert "--logs-endpoint" not in run("emulator", "--help").stdout, "hidden from --help"
    assert "--logs-endpoint" not in run("diagnose", "--help").stdout


def test_diagnose_takes_endpoint_url_and_the_deprecated_name(logs_server: LocalLogsServer) -> None:
    where = ("diagnose", "--rest-api-id", "nosuchapi2", "--stage", "prod", "--region", "us-east-1")
    missing = "log group API-Gateway-Execution-Logs_nosuchapi2/prod does not exist"
    current = run(*where, "--endpoint-url", logs_server.endpoint_url)
    assert current.returncode == 3 and missing in current.stderr, current.stderr
    old = run(*where, "--logs-endpoint", logs_server.endpoint_url)
    assert old.returncode == 3 and missing in old.stderr and "--logs-endpoint is deprecated" in old.stderr
    both = run(*where, "--logs-endpoint", logs_server.endpoint_url, "--endpoint-url", "http://127.0.0.1:9")
    assert both.returncode == 2
    assert "--endpoint-url and its old name --logs-endpoint name different URLs" in both.stderr


def test_every_command_that_takes_an_endpoint_calls_it_endpoint_url() -> None:
    for command in ("emulator", "diagnose", "generate"):
        assert "--endpoint-url URL" in run(command, "--help", env={"COLUMNS": "200"}).stdout, command


# --- http:// invoke URLs -------------------------------------------------------------------------------------


def test_an_http_invoke_url_is_valid_with_one_warning(tmp_path: Path) -> None:
    scenario = scenario_file(tmp_path, aws_target(url="http://127.0.0.1:9/prod"))
    loaded = load_scenario(scenario, load_catalogue().ids)
    [warning] = loaded.warnings
    assert (warning.line, warning.pointer) == (1, "$.target.aws.invoke-url")
    result = run("validate", str(scenario))
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == [f"warning: {warning}"]
    assert "plain http://: requests and their credentials travel unencrypted" in result.stderr
    ran = run("run", str(scenario), "--reports", str(tmp_path))
    assert ran.returncode == 3  # nothing listens on port 9: the run went ahead
    assert ran.stderr.count("warning:") == 1
    assert "no request reached http://127.0.0.1:9/prod" in ran.stderr


def test_an_invoke_url_of_another_scheme_is_still_an_error(tmp_path: Path) -> None:
    scenario = scenario_file(tmp_path, aws_target(url="ftp://127.0.0.1/prod"))
    result = run("validate", str(scenario))
    assert result.returncode == 2
    assert "$.target.aws.invoke-url: an invoke URL starts with https:// (or http:// for LocalStack" in result.stderr


# --- configuration by environment ----------------------------------------------------------------------------


def test_settings_read_each_variable_for_its_commands_and_skip_empty_ones() -> None:
    environ = {
        "GATECRASH_REPORTS": "out",
        "GATECRASH_NO_LOGS": "yes",
        "GATECRASH_LOGS_DEADLINE": "2m",
        "GATECRASH_WORKERS": "3",
        "GATECRASH_HISTORY": "",
    }
    assert settings.defaults_for("run", environ) == {
        "reports": Path("out"),
        "no_logs": True,
        "logs_deadline": 120.0,
        "workers": 3,
    }
    assert settings.defaults_for("canary", environ) == {"logs_deadline": 120.0}
    assert settings.defaults_for("modes", environ) == {}


def test_settings_name_every_bad_variable_at_once() -> None:
    with pytest.raises(settings.SettingsError) as raised:
        settings.defaults_for("run", {"GATECRASH_WORKERS": "two", "GATECRASH_NO_LOGS": "maybe"})
    assert raised.value.problems == (
        "GATECRASH_NO_LOGS='maybe': write 1 or 0 (also true/false, yes/no, on/off) "
        "(the variable sets --no-logs: fix it or unset it)",
        "GATECRASH_WORKERS='two': write a whole number, e.g. 2 (the variable sets --workers: fix it or unset it)",
    )


def test_no_setting_takes_a_name_of_the_load_or_key_families() -> None:
    for setting in settings.SETTINGS:
        assert setting.variable.startswith(settings.PREFIX)
        assert not setting.variable.startswith(settings.RESERVED_PREFIXES), setting.variable


def test_the_readme_configuration_table_lists_every_variable() -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    named = {re.match(r"\| `([A-Z_<>*]+)`", row).group(1) for row in rows}  # type: ignore[union-attr]
    assert {setting.variable for setting in settings.SETTINGS} <= named
    assert {"GATECRASH_LOAD_*", "GATECRASH_KEY_<ID>", "AWS_PROFILE", "AWS_DEFAULT_REGION"} <= named
    for setting in settings.SETTINGS:
        row = next(row for row in rows if row.startswith(f"| `{setting.variable}`"))
        assert f"`{setting.option}`" in row


def test_a_variable_sets_a_default_and_a_flag_overrides_it(tmp_path: Path) -> None:
    scenario = scenario_file(tmp_path, EMULATOR)
    from_env = run("run", str(scenario), env={"GATECRASH_REPORTS": str(tmp_path / "env")}, cwd=tmp_path)
    assert from_env.returncode == 0, from_env.stderr
    assert len(list((tmp_path / "env").glob("*/results.json"))) == 1
    from_flag = run(
        "run", str(scenario), "--reports", str(tmp_path / "flag"), env={"GATECRASH_REPORTS": str(tmp_path / "env")}
    )
    assert from_flag.returncode == 0, from_flag.stderr
    assert len(list((tmp_path / "flag").glob("*/results.json"))) == 1
    assert len(list((tmp_path / "env").glob("*/results.json"))) == 1


def test_gatecrash_no_logs_skips_the_logs(tmp_path: Path) -> None:
    scenario = scenario_file(tmp_path, EMULATOR)
    result = run("run", str(scenario), "--json", "--reports", str(tmp_path), env={"GATECRASH_NO_LOGS": "1"})
    assert result.returncode == 0, result.stderr
    [probe] = json.loads(result.stdout)["runs"][0]["probes"]
    assert probe["reason"] == "status and x-amzn-ErrorType as expected; logs not read (--no-logs)"


def test_a_bad_variable_exits_2_naming_it_but_only_for_the_commands_it_sets(tmp_path: Path) -> None:
    result = run("run", "scenarios/demo", env={"GATECRASH_WORKERS": "two"})
    assert result.returncode == 2
    assert result.stderr.startswith("error: GATECRASH_WORKERS='two': write a whole number"), result.stderr
    canary = run("canary", "scenarios/demo/scenario.yaml", "--once", env={"GATECRASH_LOGS_DEADLINE": "soon"})
    assert canary.returncode == 2 and "GATECRASH_LOGS_DEADLINE='soon'" in canary.stderr
    assert run("modes", env={"GATECRASH_WORKERS": "two"}).returncode == 0


# --- --json: machine-readable stdout, human text on stderr ---------------------------------------------------


def test_run_json_prints_a_summary_and_keeps_the_table_on_stderr(tmp_path: Path) -> None:
    scenario = tmp_path / "mixed.yaml"
    scenario.write_text(
        f"target: {EMULATOR}\n"
        "limits: {max-requests: 5, max-duration: 30s}\n"
        "probes:\n"
        "  - {name: list pets, mode: ok, request: {method: GET, path: /pets}}\n"
        "  - {name: expects a throttle, mode: throttled, request: {method: GET, path: /pets}}\n"
    )
    result = run("run", str(scenario), "--json", "--reports", str(tmp_path))
    assert result.returncode == 1, result.stderr
    document = json.loads(result.stdout)
    assert document["as_expected"] is False
    [summary] = document["runs"]
    assert summary["counts"] == {"CONFIRMED": 1, "WRONG_CAUSE": 0, "WRONG_STATUS": 1, "UNCONFIRMED": 0, "ERROR": 0}
    assert [(p["name"], p["mode"], p["verdict"], p["status"]) for p in summary["probes"]] == [
        ("list pets", "ok", "CONFIRMED", 200),
        ("expects a throttle", "throttled", "WRONG_STATUS", 200),
    ]
    assert summary["probes"][1]["reason"].startswith("expected 429")
    assert set(summary["reports"]) == {"json", "junit", "html"}
    assert all(Path(path).is_file() for path in summary["reports"].values())
    assert "WRONG_STATUS" in result.stderr and "2 probes: 1 CONFIRMED, 1 WRONG_STATUS." in result.stderr


def test_validate_json_lists_scenarios_or_problems(tmp_path: Path) -> None:
    good = run("validate", "scenarios/demo", "--json")
    assert good.returncode == 0, good.stderr
    document = json.loads(good.stdout)
    assert document["valid"] is True and document["problems"] == []
    [demo] = document["scenarios"]
    assert demo["name"] == "demo" and demo["probes"] == 42 and demo["warnings"] == []
    assert "valid:" in good.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "target: {emulator: {definition: nope.yaml}}\nlimits: {max-requests: 1, max-duration: 1s}\n"
        "probes:\n  - {name: x, mode: unknown-rout, request: {method: GET, path: /}}\n"
    )
    wrong = run("validate", str(bad), "--json")
    assert wrong.returncode == 2
    problems = json.loads(wrong.stdout)["problems"]
    assert [(p["line"], p["pointer"]) for p in problems] == [
        (1, "$.target.emulator.definition"),
        (4, "$.probes[0].mode"),
    ]
    assert problems[1]["hint"].startswith("did you mean 'unknown-route'?")
    assert "error: 2 problem(s):" in wrong.stderr


def test_modes_json_lists_the_catalogue() -> None:
    result = run("modes", "--json")
    assert result.returncode == 0, result.stderr
    modes = json.loads(result.stdout)["modes"]
    catalogue = list(load_catalogue())
    assert [mode["id"] for mode in modes] == [mode.id for mode in catalogue]
    throttled = next(mode for mode in modes if mode["id"] == "throttled")
    assert throttled["statuses"] == ["429"] and throttled["error_type"] == "TooManyRequestsException"


# --- output width, the last line, run folders ---------------------------------------------------------------


def widest_line(text: str) -> int:
    return max(len(line) for line in text.splitlines())


def test_piped_output_honours_columns() -> None:
    narrow = run("modes", env={"COLUMNS": "100"})
    assert narrow.returncode == 0
    assert widest_line(narrow.stdout) <= 100
    wide = run("modes", env={"COLUMNS": ""})  # unset: piped output is 160 wide
    assert 100 < widest_line(wide.stdout) <= 160


def test_the_last_line_names_every_report_and_the_folder_has_no_spaces(tmp_path: Path) -> None:
    scenario = scenario_file(tmp_path, EMULATOR)
    scenario.write_text("name: my demo API\n" + scenario.read_text())
    result = run("run", str(scenario), "--reports", str(tmp_path / "reports"), env={"COLUMNS": "80"})
    assert result.returncode == 0, result.stdout + result.stderr
    [folder] = (tmp_path / "reports").iterdir()
    assert re.fullmatch(r"\d{8}T\d{6}Z-my-demo-API-[0-9a-f]+", folder.name), folder.name
    last = result.stdout.splitlines()[-1]
    assert last == (
        f"1 probes: 1 CONFIRMED. Report: {folder / 'report.html'}  Results: {folder / 'results.json'}  "
        f"JUnit: {folder / 'junit.xml'}"
    ), "one line, whole paths, even at 80 columns"


# --- the demo ships in the package ---------------------------------------------------------------------------


def test_run_with_no_argument_outside_the_repository_runs_the_shipped_demo(tmp_path: Path) -> None:
    result = run("run", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "42 probes: 42 CONFIRMED." in result.stdout
    assert len(list((tmp_path / "reports").glob("*-demo-*/report.html"))) == 1


def test_run_prefers_a_local_scenarios_demo_and_demo_always_runs_the_shipped_one(tmp_path: Path) -> None:
    local = tmp_path / "scenarios" / "demo"
    local.mkdir(parents=True)
    scenario_file(local, EMULATOR, name="scenario.yaml")
    result = run("run", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    [summary] = json.loads(result.stdout)["runs"]
    assert summary["source"] == "scenarios/demo/scenario.yaml" and len(summary["probes"]) == 1
    shipped = run("demo", "--json", "--no-logs", cwd=tmp_path)
    assert shipped.returncode == 0, shipped.stderr
    [demo] = json.loads(shipped.stdout)["runs"]
    assert demo["source"] == str(DEMO / "scenario.yaml") and len(demo["probes"]) == 42


def test_the_wheel_ships_the_demo(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    [wheel] = tmp_path.glob("gatecrash-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {f"gatecrash/demo/{path.name}" for path in DEMO.iterdir() if path.is_file()}
    assert shipped and shipped <= names, sorted(shipped - names)
    assert "gatecrash/demo_scenario.py" in names


# --- Ctrl-C twice on the emulator ----------------------------------------------------------------------------


def test_ctrl_c_twice_stops_the_emulator_quietly() -> None:
    process, base, _ = start_emulator()
    for _ in range(20):  # log events still to ship when the signals arrive
        httpx.get(base + "/nope", timeout=5)
    process.send_signal(signal.SIGINT)
    time.sleep(0.02)  # the second Ctrl-C lands while uvicorn is shutting down
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert "Traceback" not in err and "Exception in 'lifespan' protocol" not in err, err
