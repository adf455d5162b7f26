"""The runner against the demo emulator on loopback: what it sends, records, refuses and releases."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from gatecrash.credentials import Secrets, resolve
from gatecrash.emulator.cloudwatch import LocalLogsServer
from gatecrash.emulator.server import EmulatorServer
from gatecrash.runner.build import PROBE_HEADER
from gatecrash.runner.fire import Runner, StepRecord
from gatecrash.scenario.model import (
    Auth,
    AuthKind,
    Burst,
    CredentialKind,
    CredentialRef,
    EmulatorTarget,
    Limits,
    Probe,
    RequestSpec,
    Scenario,
    Step,
)
from gatecrash.target import LiveTarget
from tests.conftest import DEMO, LogReader
from tests.emulator.conftest import DEMO_KEY, running_demo


def live(server: EmulatorServer) -> LiveTarget:
    assert server.endpoints is not None
    return LiveTarget(
        "demo",
        server.endpoints.base_url,
        "us-east-1",
        "demo4pi0x1",
        "demo",
        server.endpoints.logs_endpoint,
        server.endpoints.execution_log_group,
        server.endpoints.access_log_group,
        server.stage,
    )


@pytest.fixture(scope="module")
def server(logs_server: LocalLogsServer, demo_backend: str) -> Iterator[EmulatorServer]:
    yield from running_demo(logs_server, demo_backend)


@pytest.fixture
def target(server: EmulatorServer) -> LiveTarget:
    return live(server)


DEFAULT_LIMITS = Limits(100, 60.0)


def scenario(*steps: Step, limits: Limits = DEFAULT_LIMITS, concurrency: int = 4) -> Scenario:
    return Scenario(
        DEMO / "scenario.yaml",
        "test",
        EmulatorTarget(DEMO / "api.yaml"),
        limits,
        steps,
        {"demo-key": CredentialRef("demo-key", CredentialKind.EMULATOR_API_KEY, "demokey1")},
        concurrency=concurrency,
    )


def fire(plan: Scenario, target: LiveTarget) -> list[StepRecord]:
    secrets = resolve(plan.credentials, "test", stage=target.emulated)
    return asyncio.run(Runner(plan, target, secrets, run_id="run1").run())


def test_probes_record_status_ids_and_a_redacted_request(target: LiveTarget) -> None:
    keyed = Probe("keyed", "ok", RequestSpec("GET", "/keyed", auth=Auth(AuthKind.API_KEY, "demo-key")))
    missing = Probe("nowhere", "unknown-route", RequestSpec("GET", "/nowhere", query=(("a", "1"),)))
    records = fire(scenario(keyed, missing), target)
    assert [record.step.name for record in records] == ["keyed", "nowhere"]
    ok, gone = (record.observations[0] for record in records)
    assert ok.status == 200 and ok.error is None and ok.request_id and ok.extended_request_id
    assert dict(ok.request.headers)["x-api-key"] == "<redacted>"
    assert DEMO_KEY not in str(ok)
    assert dict(ok.request.headers)[PROBE_HEADER] == "run1/keyed/0"
    assert gone.status == 403 and gone.error_type == "MissingAuthenticationTokenException"
    assert gone.request.url.endswith("/demo/nowhere?a=1")
    assert gone.received_at is not None and gone.received_at >= gone.sent_at


def test_the_probe_tag_reaches_the_gateways_execution_log(
    server: EmulatorServer, target: LiveTarget, execution_log: LogReader
) -> None:
    observation = fire(scenario(Probe("tagged", "ok", RequestSpec("GET", "/pets/3"))), target)[0].observations[0]
    assert observation.request_id is not None
    lines = [line for line in execution_log(server, observation.request_id) if "Method request headers" in line]
    assert len(lines) == 1 and f"{PROBE_HEADER.lower()}=run1/tagged/0" in lines[0]


def test_the_request_cap_holds_back_what_exceeds_it(target: LiveTarget) -> None:
    probe = Probe("many", "ok", RequestSpec("GET", "/pets"), repeat=5)
    records = fire(scenario(probe, limits=Limits(3, 60.0)), target)
    errors = [o.error for o in records[0].observations]
    assert errors[:3] == [None, None, None]
    assert errors[3:] == ["not sent: the scenario's max-requests was reached"] * 2


def test_the_duration_cap_holds_back_what_comes_after_it(target: LiveTarget) -> None:
    slow = Probe("slow", "integration-timeout", RequestSpec("GET", "/slow"))
    later = Probe("later", "ok", RequestSpec("GET", "/pets"), repeat=2)
    records = fire(scenario(slow, later, limits=Limits(10, 0.3), concurrency=1), target)
    assert records[0].observations[0].status == 504
    assert [o.error for o in records[1].observations] == ["not sent: the scenario's max-duration was reached"] * 2


def test_a_burst_is_released_at_once_and_meets_the_bucket(logs_server: LocalLogsServer, demo_backend: str) -> None:
    # /limited allows 1 rps with a burst of 2: twenty requests released together get exactly two 200s.
    for fresh in running_demo(logs_server, demo_backend):
        burst = Burst("burst", "throttled", RequestSpec("GET", "/limited"), 20)
        record = fire(scenario(burst), live(fresh))[0]
    statuses = sorted(o.status or 0 for o in record.observations)
    assert statuses == [200, 200] + [429] * 18
    assert record.release_spread_ms is not None and record.release_spread_ms < 1000
    throttled = [o for o in record.observations if o.status == 429]
    assert all(o.error_type == "TooManyRequestsException" and o.request_id for o in throttled)


def test_a_refused_connection_is_a_value_not_a_traceback() -> None:
    dead = LiveTarget("dead", "http://127.0.0.1:9/stage", "us-east-1", "x", "stage", None, "-", None)
    plan = scenario(Probe("p", "ok", RequestSpec("GET", "/x")), Burst("b", "throttled", RequestSpec("GET", "/x"), 3))
    records = asyncio.run(Runner(replace(plan, credentials={}), dead, Secrets()).run())
    assert records[0].observations[0].error is not None
    assert records[0].observations[0].error.startswith("connection failed")
    assert all(o.error is not None and o.error.startswith("could not connect") for o in records[1].observations)


def test_unresolvable_credentials_are_reported_together(tmp_path: Path) -> None:
    from gatecrash.errors import CredentialError

    references = {
        "a": CredentialRef("a", CredentialKind.ENV, "GATECRASH_UNSET_VARIABLE"),
        "b": CredentialRef("b", CredentialKind.EMULATOR_API_KEY, "nokey"),
    }
    with pytest.raises(CredentialError) as caught:
        resolve(references, "s.yaml", environ={})
    messages = [str(problem) for problem in caught.value.problems]
    assert messages == [
        "s.yaml: $.credentials.a: environment variable GATECRASH_UNSET_VARIABLE is not set "
        "(export GATECRASH_UNSET_VARIABLE=... before the run)",
        "s.yaml: $.credentials.b: the emulator side file has no API key with id 'nokey' "
        "(known key ids: (no emulator target))",
    ]
