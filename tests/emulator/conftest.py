"""Emulators of the demo API on loopback, and reading their logs back from moto with boto3."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from gatecrash.emulator.cloudwatch import LocalLogsServer
from gatecrash.emulator.definition import load_definition
from gatecrash.emulator.server import EmulatorServer
from gatecrash.emulator.sidefile import load_side_file
from tests.conftest import DEMO

DEMO_KEY = "gatecrash-demo-key-0123456789abcdef"
RETIRED_KEY = "gatecrash-retired-key-0123456789abc"


def running_demo(logs_server: LocalLogsServer, backend: str) -> Iterator[EmulatorServer]:
    api = load_definition(DEMO / "api.yaml")
    stage = load_side_file(DEMO / "stage.yaml")
    server = EmulatorServer(api, stage, logs_endpoint=logs_server.endpoint_url, stage_variables={"backend": backend})
    try:
        yield server.start()
    finally:
        server.close()


@pytest.fixture(scope="module")
def demo(logs_server: LocalLogsServer, demo_backend: str) -> Iterator[EmulatorServer]:
    yield from running_demo(logs_server, demo_backend)


@pytest.fixture
def fresh_demo(logs_server: LocalLogsServer, demo_backend: str) -> Iterator[EmulatorServer]:
    """A demo emulator of its own, for tests that use up throttles and quotas."""
    yield from running_demo(logs_server, demo_backend)


@pytest.fixture
def client(demo: EmulatorServer) -> Iterator[httpx.Client]:
    assert demo.endpoints is not None
    with httpx.Client(base_url=demo.endpoints.base_url, timeout=10) as http:
        yield http


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
