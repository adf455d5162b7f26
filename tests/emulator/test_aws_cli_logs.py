"""The emulator's logs through the AWS CLI: `--logs-port`, the startup lines, and every command of README's
"Reading the emulator's logs with the AWS CLI", run as written (ports aside) against a real emulator.

The AWS CLI is the `awscli` package of the dev extras (v1). `aws logs tail` exists in v2 only; its
FilterLogEvents calls are made here through boto3 as v2 makes them (aws/aws-cli, v2 branch,
awscli/customizations/logs/tail.py: the filter_log_events paginator with logGroupName, interleaved=True,
startTime = now - --since, filterPattern when given).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from mypy_boto3_logs.type_defs import FilteredLogEventTypeDef

from gatecrash.emulator.cloudwatch import LocalLogsServer
from gatecrash.errors import LogsError
from tests.conftest import ROOT

BIN = Path(sys.executable).parent
SECTION = "### Reading the emulator's logs with the AWS CLI"
README_LOGS_PORT, README_PORT = "4566", "8080"
_SINCE = re.compile(r"(\d+)([smhdw])$")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def readme_commands() -> list[str]:
    """The shell commands of the README section, continuation lines joined."""
    text = (ROOT / "README.md").read_text()
    section = text[text.index(SECTION) :]
    section = section[: section.index("\n### ", len(SECTION))]
    commands: list[str] = []
    for block in re.findall(r"```sh\n(.*?)```", section, re.S):
        commands += [line.strip() for line in block.replace("\\\n", " ").splitlines() if line.strip()]
    return commands


# -- --logs-port and the library beneath it ---------------------------------------------------------


def test_the_local_logs_server_listens_on_the_port_asked_for() -> None:
    port = free_port()
    with LocalLogsServer(port=port) as server:
        assert (server.port, server.endpoint_url) == (port, f"http://127.0.0.1:{port}")
        logs = boto3.client(
            "logs",
            endpoint_url=f"http://127.0.0.1:{port}",
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        logs.create_log_group(logGroupName="asked-for")
        assert [group["logGroupName"] for group in logs.describe_log_groups()["logGroups"]] == ["asked-for"]
        logs.close()


def test_a_taken_logs_port_is_a_logs_error_naming_the_port() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(LogsError, match=rf"cannot listen on 127\.0\.0\.1:{port}: .*choose another --logs-port"):
            LocalLogsServer(port=port)


def _gatecrash(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "gatecrash"), *args], capture_output=True, text=True, timeout=60, cwd=ROOT, check=False
    )


DEMO_ARGS = ("emulator", "--definition", "scenarios/demo/api.yaml", "--side-file", "scenarios/demo/stage.yaml")


def test_the_cli_answers_a_taken_logs_port_with_exit_3() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = _gatecrash(*DEMO_ARGS, "--logs-port", str(port))
    assert result.returncode == 3
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (("--logs-port", "70000"), "is not a port number"),
        # --logs-endpoint: the old name of --endpoint-url, still taken
        (("--logs-port", "4566", "--logs-endpoint", "http://127.0.0.1:1"), "give one"),
    ],
)
def test_the_cli_refuses_a_bad_logs_port_with_exit_2(extra: tuple[str, ...], message: str) -> None:
    result = _gatecrash(*DEMO_ARGS, *extra)
    assert result.returncode == 2
    assert message in result.stderr


# -- the README section, end to end ------------------------------------------------------------------


def _ported(command: str, port: int, logs_port: int) -> str:
    return re.sub(rf"\b{README_LOGS_PORT}\b", str(logs_port), re.sub(rf"\b{README_PORT}\b", str(port), command))


@pytest.fixture(scope="module")
def readme_emulator() -> Iterator[tuple[list[str], int, int]]:
    """The section's `gatecrash emulator` command, running; yields its startup lines and ports."""
    commands = readme_commands()
    port, logs_port = free_port(), free_port()
    (start,) = [command for command in commands if command.startswith(".venv/bin/gatecrash emulator")]
    argv = shlex.split(_ported(start, port, logs_port))
    argv[0] = str(BIN / "gatecrash")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert process.stdout is not None
        lines: list[str] = []
        while not lines or lines[-1] != "Press Ctrl-C to stop.":
            line = process.stdout.readline()
            assert line, f"the emulator exited: {process.wait()} {process.stderr.read() if process.stderr else ''}"
            lines.append(line.rstrip("\n"))
        yield lines, port, logs_port
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


def test_the_emulator_prints_the_aws_cli_settings_for_its_logs(readme_emulator: tuple[list[str], int, int]) -> None:
    lines, _, logs_port = readme_emulator
    endpoint = f"http://127.0.0.1:{logs_port}"
    assert f"Logs: {endpoint}" in "\n".join(lines)
    assert "  export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION=us-east-1" in lines
    assert f"  aws logs tail gatecrash-demo-access --since 5m --endpoint-url {endpoint}" in lines
    assert (
        f"  aws logs filter-log-events --endpoint-url {endpoint} --log-group-name gatecrash-demo-access "
        "--filter-pattern '{ $.status = 429 }'"
    ) in lines


def _environment(commands: list[str]) -> dict[str, str]:
    (export,) = [command for command in commands if command.startswith("export ")]
    settings = dict(item.split("=", 1) for item in shlex.split(export)[1:])
    isolated = {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}
    return {**isolated, **settings, "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull}


def _aws(argv: list[str], env: dict[str, str]) -> Any:
    result = subprocess.run(
        [str(BIN / "aws"), *argv[1:], "--output", "json"], capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _tail(argv: list[str], env: dict[str, str]) -> list[FilteredLogEventTypeDef]:
    """`aws logs tail GROUP --since N[smhdw] [--filter-pattern P] --endpoint-url URL`, as v2 calls the API."""
    group = argv[3]
    options = dict(zip(argv[4::2], argv[5::2], strict=True))
    amount, unit = _SINCE.match(options["--since"]).groups()  # type: ignore[union-attr]
    kwargs: dict[str, Any] = {
        "logGroupName": group,
        "interleaved": True,
        "startTime": int((time.time() - int(amount) * _SECONDS[unit]) * 1000),
    }
    if "--filter-pattern" in options:
        kwargs["filterPattern"] = options["--filter-pattern"]
    logs = boto3.client(
        "logs",
        endpoint_url=options["--endpoint-url"],
        region_name=env["AWS_DEFAULT_REGION"],
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
    )
    events = [event for page in logs.get_paginator("filter_log_events").paginate(**kwargs) for event in page["events"]]
    logs.close()
    return events


def _wait_for_logs(env: dict[str, str], logs_port: int) -> None:
    """Until the throttled request's access record and the 502's execution line are stored (polling, no timing)."""
    logs = boto3.client(
        "logs",
        endpoint_url=f"http://127.0.0.1:{logs_port}",
        region_name=env["AWS_DEFAULT_REGION"],
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    wanted = {
        "gatecrash-demo-access": '"status":"429"',
        "API-Gateway-Execution-Logs_demo4pi0x1/demo": "Method completed with status: 502",
    }
    deadline = time.monotonic() + 30
    try:
        while wanted and time.monotonic() < deadline:
            for group, text in list(wanted.items()):
                try:
                    pages = logs.get_paginator("filter_log_events").paginate(logGroupName=group)
                    if any(text in event["message"] for page in pages for event in page["events"]):
                        del wanted[group]
                except logs.exceptions.ResourceNotFoundException:
                    pass
            time.sleep(0.2)
    finally:
        logs.close()
    assert not wanted, f"never stored: {wanted}"


def test_every_command_of_the_readme_section_reads_the_logs(readme_emulator: tuple[list[str], int, int]) -> None:
    _, port, logs_port = readme_emulator
    with httpx.Client(base_url=f"http://127.0.0.1:{port}/demo", timeout=10) as http:
        statuses = [http.get("/limited").status_code for _ in range(3)] + [http.get("/failing").status_code]
    assert statuses[-1] == 502 and 429 in statuses[:3]
    commands = readme_commands()
    env = _environment(commands)
    _wait_for_logs(env, logs_port)

    ran = []
    for command in commands:
        if not command.startswith("aws "):
            continue
        argv = shlex.split(_ported(command, port, logs_port))
        ran.append(" ".join(argv[:3]))
        if argv[1:3] == ["logs", "tail"]:
            events = _tail(argv, env)
            records = [json.loads(event["message"]) for event in events]
            assert {record["status"] for record in records} >= {"429", "502"}
        elif argv[1:3] == ["logs", "describe-log-groups"]:
            assert set(_aws(argv, env)) >= {"gatecrash-demo-access", "API-Gateway-Execution-Logs_demo4pi0x1/demo"}
        elif argv[1:3] == ["logs", "filter-log-events"]:
            pattern = argv[argv.index("--filter-pattern") + 1]
            messages = [event["message"] for event in _aws(argv, env)["events"]]
            assert messages, command
            if pattern == "{ $.status = 429 }":
                assert {json.loads(message)["status"] for message in messages} == {"429"}
            else:
                assert all("Method completed with status: 502" in message for message in messages), messages
        else:
            pytest.fail(f"a README command this test does not know: {command}")
    assert ran == [
        "aws logs describe-log-groups",
        "aws logs filter-log-events",
        "aws logs filter-log-events",
        "aws logs tail",
    ]
