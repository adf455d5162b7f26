"""Shared fixtures: a real moto CloudWatch Logs server, the demo backend and emulators on loopback."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from gatecrash import demo
from gatecrash.emulator.cloudwatch import LocalLogsServer

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
    with demo.demo_backend(DEMO) as address:
        yield address
