"""Shared fixtures: a real moto CloudWatch Logs server, the demo backend and emulators on loopback."""

from __future__ import annotations

import importlib.util
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import uvicorn

from gatecrash.emulator.cloudwatch import LocalLogsServer
from gatecrash.emulator.server import bind_loopback

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


class ThreadedApp:
    """Any ASGI app served by uvicorn on a free loopback port, in a thread."""

    def __init__(self, app: Any) -> None:
        self._socket = bind_loopback()
        self.port = self._socket.getsockname()[1]
        self._server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off"))
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True)

    def __enter__(self) -> ThreadedApp:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started and time.monotonic() < deadline:
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(10)
        self._socket.close()


@pytest.fixture(scope="session")
def demo_backend() -> Iterator[str]:
    spec = importlib.util.spec_from_file_location("gatecrash_demo_backend", DEMO / "backend.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with ThreadedApp(module.app) as served:
        yield f"127.0.0.1:{served.port}"
