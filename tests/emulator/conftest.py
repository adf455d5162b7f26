"""Emulators of the demo API on loopback, and reading their logs back from moto with boto3."""

from __future__ import annotations

from collections.abc import Iterator

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


# `emulator` (start an emulator from a definition and side file text) serves other modules too.
from tests.emulator.test_configured import emulator  # noqa: E402, F401
