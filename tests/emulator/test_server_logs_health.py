"""Losing logs is visible at once: a wrong logs endpoint, or the log server or the shipper dying, is said
on stderr when it happens and in `logs_trouble()`, and `gatecrash run` still reports, every probe that
needed the logs UNCONFIRMED with the reason."""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from gatecrash.catalogue import load_catalogue
from gatecrash.emulator import server as server_module
from gatecrash.emulator.cloudwatch import LocalLogsServer
from gatecrash.emulator.definition import load_definition
from gatecrash.emulator.model import StageConfig
from gatecrash.emulator.server import EmulatorServer
from gatecrash.errors import LogsError
from gatecrash.report.files import write_reports
from gatecrash.run import RunOptions, run_scenario
from gatecrash.runner.verdict import Verdict
from gatecrash.scenario import load_scenario
from tests.emulator.test_configured import MOCK, definition

WAIT_S = 20.0
DOCUMENT = definition(
    {"/pets": {"get": {"x-amazon-apigateway-integration": MOCK}, "post": {"x-amazon-apigateway-integration": MOCK}}}
)
SCENARIO = """\
name: lost-logs
target:
  emulator:
    definition: api.json
limits: {max-requests: 20, max-duration: 60s}
concurrency: 1
probes:
  - {name: first, mode: ok, request: {method: GET, path: /pets}}
  - {name: second, mode: unknown-route, request: {method: GET, path: /nowhere}}
  - {name: third, mode: ok, request: {method: GET, path: /pets}}
  - {name: an 11 MB body, mode: request-too-large, request: {method: POST, path: /pets, body-size: 10485761}}
"""


def _wait_for(read: Callable[[], str | None], what: str) -> str:
    deadline = time.monotonic() + WAIT_S
    while (value := read()) is None:
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} within {WAIT_S} s")
        time.sleep(0.05)
    return value


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _reported(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "gatecrash.emulator" and r.levelno >= logging.ERROR]


@pytest.fixture
def api(tmp_path: Path) -> Any:
    (tmp_path / "api.json").write_text(json.dumps(DOCUMENT))
    return load_definition(tmp_path / "api.json")


@pytest.fixture
def local_emulator(api: Any) -> Iterator[EmulatorServer]:
    """An emulator with its own moto server, for tests that kill it."""
    server = EmulatorServer(api, StageConfig())
    try:
        yield server.start()
    finally:
        server.close()


def test_an_unreachable_logs_endpoint_is_reported_before_any_request(
    api: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, "gatecrash.emulator")
    endpoint = f"http://127.0.0.1:{_free_port()}"  # nothing listens there
    with EmulatorServer(api, StageConfig(), logs_endpoint=endpoint) as server:
        trouble = _wait_for(server.logs_trouble, "no trouble was reported")
        assert endpoint in trouble
        assert any(endpoint in message for message in _reported(caplog))


def test_a_logs_endpoint_that_is_no_url_is_reported(api: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR, "gatecrash.emulator")
    with EmulatorServer(api, StageConfig(), logs_endpoint="not a url") as server:
        trouble = _wait_for(server.logs_trouble, "no trouble was reported")
        assert "cannot make a CloudWatch Logs client" in trouble
        assert "not a url" in trouble


def test_a_dead_log_server_is_reported_at_once_and_flushing_fails_at_once(
    local_emulator: EmulatorServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, "gatecrash.emulator")
    assert local_emulator.logs_trouble() is None
    logs_server = local_emulator._logs_server
    assert logs_server is not None
    os.kill(logs_server.pid, signal.SIGKILL)
    trouble = _wait_for(local_emulator.logs_trouble, "the dead log server was not noticed")
    assert f"pid {logs_server.pid}" in trouble and "every log event it held is gone" in trouble
    # Said on stderr by the watcher, without any request or flush asking.
    _wait_for(lambda: next((m for m in _reported(caplog) if "exited with code" in m), None), "nothing was said")
    with pytest.raises(LogsError, match="every log event it held is gone"):
        local_emulator.flush_logs(timeout=WAIT_S)


def test_a_dead_shipper_is_reported(local_emulator: EmulatorServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR, "gatecrash.emulator")
    sink = local_emulator.sink
    assert sink is not None
    os.kill(sink.shipper_pid, signal.SIGKILL)
    trouble = _wait_for(local_emulator.logs_trouble, "the dead shipper was not noticed")
    assert "log shipper" in trouble and "exited" in trouble
    assert any("log shipper" in message for message in _reported(caplog))


def test_a_run_whose_log_server_dies_mid_run_still_reports_with_every_probe_unconfirmed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, "gatecrash.emulator")
    (tmp_path / "api.json").write_text(json.dumps(DOCUMENT))
    (tmp_path / "scenario.yaml").write_text(SCENARIO)
    catalogue = load_catalogue()
    scenario = load_scenario(tmp_path / "scenario.yaml", catalogue.ids)
    started: list[LocalLogsServer] = []

    class Watched(LocalLogsServer):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            started.append(self)

    monkeypatch.setattr(server_module, "LocalLogsServer", Watched)

    def kill_the_log_server_after_the_first_probe(step: Any, sent: int) -> None:
        if started and started[0].trouble is None:
            os.kill(started[0].pid, signal.SIGKILL)
            started[0]._proc.wait()

    result = run_scenario(scenario, catalogue, RunOptions(progress=kill_the_log_server_after_the_first_probe))

    verdicts = {r.record.step.name: (r.verdict, r.reason) for r in result.results}
    for name in ("first", "second", "third"):
        verdict, reason = verdicts[name]
        assert verdict is Verdict.UNCONFIRMED, (name, verdict, reason)
        assert "logs were lost" in reason and "every log event it held is gone" in reason
    # The front door's answer proves itself without a log.
    assert verdicts["an 11 MB body"][0] is Verdict.CONFIRMED
    assert any("exited with code" in message for message in _reported(caplog))
    written = write_reports(tmp_path / "reports", result)
    results_json = next(path for path in written if path.name == "results.json")
    assert "logs were lost" in results_json.read_text()
