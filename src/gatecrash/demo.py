"""The demo run: one request of each failure mode the emulator supports, against the demo API.

A stand-in for scenario files (a later issue): the requests are data here, sent with httpx to an
emulator on loopback, and each answer is checked twice: its status and `x-amzn-ErrorType`, and
the `error.responseType` of its access-log record read back from CloudWatch Logs through boto3.
"""

from __future__ import annotations

import importlib.util
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import httpx
import uvicorn

from gatecrash.emulator.definition import load_definition
from gatecrash.emulator.server import EmulatorServer, bind_loopback
from gatecrash.emulator.sidefile import load_side_file
from gatecrash.errors import EnvironmentProblem

DEMO_KEY = "gatecrash-demo-key-0123456789abcdef"
_OVERSIZED = b"x" * (10 * 1024 * 1024 + 1)


@dataclass(frozen=True, slots=True)
class DemoProbe:
    mode: str
    method: str
    path: str
    status: int
    error_type: str | None
    response_type: str | None  # None: AWS writes no log for it (the front door answers)
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    repeat: int = 1  # the last of `repeat` requests is the one judged (quotas and bursts)


PROBES = (
    DemoProbe("ok", "GET", "/pets", 200, None, "-"),
    DemoProbe("ok", "GET", "/pets/1", 200, None, "-"),
    DemoProbe(
        "unknown-route", "GET", "/nowhere", 403, "MissingAuthenticationTokenException", "MISSING_AUTHENTICATION_TOKEN"
    ),
    DemoProbe("missing-required-param", "GET", "/search", 400, "BadRequestException", "BAD_REQUEST_PARAMETERS"),
    DemoProbe(
        "invalid-body",
        "POST",
        "/pets",
        400,
        "BadRequestException",
        "BAD_REQUEST_BODY",
        headers={"content-type": "application/json"},
        body=b'{"name": ""}',
    ),
    DemoProbe("request-too-large", "POST", "/pets", 413, None, None, body=_OVERSIZED),
    DemoProbe("missing-api-key", "GET", "/keyed", 403, "ForbiddenException", "INVALID_API_KEY"),
    DemoProbe(
        "invalid-api-key",
        "GET",
        "/keyed",
        403,
        "ForbiddenException",
        "INVALID_API_KEY",
        headers={"x-api-key": "not-a-real-key-000000"},
    ),
    DemoProbe(
        "quota-exceeded",
        "GET",
        "/keyed",
        429,
        "LimitExceededException",
        "QUOTA_EXCEEDED",
        headers={"x-api-key": DEMO_KEY},
        repeat=6,
    ),
    DemoProbe("throttled", "GET", "/limited", 429, "TooManyRequestsException", "THROTTLED", repeat=3),
    DemoProbe("integration-timeout", "GET", "/slow", 504, "InternalServerErrorException", "INTEGRATION_TIMEOUT"),
    DemoProbe(
        "integration-timeout", "GET", "/backend/sleep/2000", 504, "InternalServerErrorException", "INTEGRATION_TIMEOUT"
    ),
    DemoProbe("lambda-error", "GET", "/failing", 502, "InternalServerErrorException", "INTEGRATION_FAILURE"),
    DemoProbe("lambda-error", "GET", "/overrun", 502, "InternalServerErrorException", "INTEGRATION_FAILURE"),
    DemoProbe(
        "malformed-lambda-response", "GET", "/malformed", 502, "InternalServerErrorException", "API_CONFIGURATION_ERROR"
    ),
    DemoProbe("lambda-permission", "GET", "/locked", 500, "InternalServerErrorException", "INTEGRATION_FAILURE"),
    DemoProbe("lambda-throttled", "GET", "/busy", 500, "InternalServerErrorException", "INTEGRATION_FAILURE"),
    DemoProbe("backend-5xx", "GET", "/backend/status/503", 503, None, "-"),
    DemoProbe(
        "integration-misconfigured", "GET", "/misrouted", 500, "InternalServerErrorException", "API_CONFIGURATION_ERROR"
    ),
)


@dataclass(frozen=True, slots=True)
class DemoOutcome:
    probe: DemoProbe
    status: int
    error_type: str | None
    request_id: str | None
    response_type: str | None

    @property
    def as_expected(self) -> bool:
        return (self.status, self.error_type, self.response_type) == (
            self.probe.status,
            self.probe.error_type,
            self.probe.response_type,
        )


@contextmanager
def demo_backend(demo_dir: Path) -> Iterator[str]:
    """Serve the demo's HTTP backend (`backend.py`, an ASGI app) on a free loopback port."""
    spec = importlib.util.spec_from_file_location("gatecrash_demo_backend", demo_dir / "backend.py")
    if spec is None or spec.loader is None:
        raise EnvironmentProblem(f"{demo_dir / 'backend.py'}: cannot be loaded as a Python module")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sock = bind_loopback()
    server = uvicorn.Server(uvicorn.Config(module.app, log_level="warning", access_log=False, lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started and thread.is_alive():
        time.sleep(0.01)
    try:
        yield f"127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def _send(http: httpx.Client, probe: DemoProbe) -> httpx.Response:
    response = None
    for _ in range(probe.repeat):
        response = http.request(probe.method, probe.path, headers=probe.headers, content=probe.body)
    assert response is not None
    return response


def _access_records(server: EmulatorServer) -> dict[str, dict[str, Any]]:
    endpoints = server.endpoints
    assert endpoints is not None
    server.flush_logs()
    client = boto3.client(
        "logs",
        endpoint_url=endpoints.logs_endpoint,
        region_name=server.stage.region,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    records: dict[str, dict[str, Any]] = {}
    for page in client.get_paginator("filter_log_events").paginate(logGroupName=endpoints.access_log_group):
        for event in page["events"]:
            record = json.loads(event["message"])
            records[record["requestId"]] = record
    return records


def run_demo(demo_dir: Path) -> list[DemoOutcome]:
    """Start the demo backend and an emulator of the demo API; send every probe; read the logs."""
    api = load_definition(demo_dir / "api.yaml")
    stage = load_side_file(demo_dir / "stage.yaml")
    with demo_backend(demo_dir) as backend, EmulatorServer(api, stage, stage_variables={"backend": backend}) as server:
        assert server.endpoints is not None
        with httpx.Client(base_url=server.endpoints.base_url, timeout=10) as http:
            answers = [(probe, _send(http, probe)) for probe in PROBES]
        records = _access_records(server)
    outcomes = []
    for probe, response in answers:
        request_id = response.headers.get("x-amzn-requestid")
        record = records.get(request_id) if request_id else None
        outcomes.append(
            DemoOutcome(
                probe,
                response.status_code,
                response.headers.get("x-amzn-errortype"),
                request_id,
                record.get("error.responseType") if record else None,
            )
        )
    return outcomes
