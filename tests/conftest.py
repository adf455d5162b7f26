"""Shared fixtures: a real moto CloudWatch Logs server, the demo backend and emulators on loopback."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from gatecrash.emulator.backends import serve_asgi_file
from gatecrash.emulator.cloudwatch import LocalLogsServer
from gatecrash.emulator.server import EmulatorServer

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "scenarios" / "demo"


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test may reach real AWS: drop every AWS_* variable and point config files nowhere."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    # pytest imports readline, which exports COLUMNS=80 and LINES into the C environment that subprocesses
    # inherit (os.environ does not show them), and piped CLI output honours COLUMNS: tests set it when they mean it.
    for name in ("COLUMNS", "LINES"):
        monkeypatch.delenv(name, raising=False)
        os.unsetenv(name)


@pytest.fixture(scope="session")
def logs_server() -> Iterator[LocalLogsServer]:
    server = LocalLogsServer()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture(scope="session")
def logs_client(logs_server: LocalLogsServer) -> Any:
    return boto3.client(
        "logs",
        endpoint_url=logs_server.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@pytest.fixture(scope="session")
def demo_backend() -> Iterator[str]:
    with serve_asgi_file(DEMO / "backend.py", "app") as address:
        yield address


LogReader = Callable[[EmulatorServer, str], list[str]]


def _messages(logs_client: Any, group: str, request_id: str) -> list[str]:
    messages: list[str] = []
    paginator = logs_client.get_paginator("filter_log_events")
    try:
        for page in paginator.paginate(logGroupName=group):
            messages.extend(event["message"] for event in page["events"] if request_id in event["message"])
    except logs_client.exceptions.ResourceNotFoundException:
        return []  # nothing was ever written to the group
    return messages


@pytest.fixture
def execution_log(logs_client: Any) -> LogReader:
    """The execution log lines of one request, read back from CloudWatch Logs (moto)."""

    def read(server: EmulatorServer, request_id: str) -> list[str]:
        server.flush_logs()
        assert server.endpoints is not None
        return _messages(logs_client, server.endpoints.execution_log_group, request_id)

    return read


@pytest.fixture
def access_log(logs_client: Any) -> Callable[[EmulatorServer, str], dict[str, str]]:
    """The access log record of one request, parsed from its JSON."""

    def read(server: EmulatorServer, request_id: str) -> dict[str, str]:
        server.flush_logs()
        assert server.endpoints is not None
        records = _messages(logs_client, server.endpoints.access_log_group, request_id)
        assert len(records) == 1, records
        parsed: dict[str, str] = json.loads(records[0])
        return parsed

    return read
