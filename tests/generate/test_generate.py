"""`gatecrash generate` on the demo API and a PetStore-like API: the scenarios load, and the demo's runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gatecrash.catalogue import Catalogue, load_catalogue
from gatecrash.emulator.cloudwatch import CloudWatchLogSink
from gatecrash.generate import Options, generate
from gatecrash.run import run_scenario
from gatecrash.runner.verdict import Verdict
from gatecrash.scenario import Burst, Probe, load_scenario
from tests.conftest import DEMO
from tests.fixtures.apis import DEFINITIONS

PET_SHOP = DEFINITIONS / "pet-shop.json"
# Demo methods built to fail (a slow, crashing or unreachable integration): their `ok` probe reports it.
BROKEN = {
    "/slow",
    "/overrun",
    "/malformed",
    "/failing",
    "/locked",
    "/busy",
    "/backend/example",
    "/misrouted",
}


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue()


def write(catalogue: Catalogue, tmp_path: Path, definition: Path, side: Path | None, options: Options) -> Path:
    out = tmp_path / "generated.yaml"
    out.write_text(generate(definition, catalogue, options, side, out).text)
    return out


def test_the_demo_scenario_loads_and_is_stable(catalogue: Catalogue, tmp_path: Path) -> None:
    out = write(catalogue, tmp_path, DEMO / "api.yaml", DEMO / "stage.yaml", Options())
    scenario = load_scenario(out, catalogue.ids)
    modes = {step.mode for step in scenario.steps}
    assert modes >= {"ok", "missing-required-param", "invalid-body", "missing-api-key", "invalid-api-key"}
    assert modes >= {
        "unsigned-iam",
        "invalid-signature",
        "expired-signature",
        "authorizer-unauthorized",
        "unknown-route",
    }
    # Safe by default: nothing but ok on safe methods reaches an integration, and no burst is sent.
    assert all(s.request.method in ("GET", "HEAD", "OPTIONS") for s in scenario.steps if s.mode == "ok")
    assert not any(isinstance(s, Burst) for s in scenario.steps)
    assert '# - name: "POST /pets: ok"' in out.read_text()
    assert scenario.limits.max_requests >= scenario.planned_requests
    again = generate(DEMO / "api.yaml", catalogue, Options(), DEMO / "stage.yaml", out).text
    assert again == out.read_text()


def test_included_backend_and_load_probes_are_enabled(catalogue: Catalogue, tmp_path: Path) -> None:
    options = Options(include_backend=True, include_load=True)
    scenario = load_scenario(write(catalogue, tmp_path, DEMO / "api.yaml", DEMO / "stage.yaml", options), catalogue.ids)
    bursts = [s for s in scenario.steps if isinstance(s, Burst)]
    assert [(b.request.path, b.requests) for b in bursts] == [("/limited", 5)]  # rate 1/s, burst 2
    assert any(s.mode == "ok" and s.request.method == "POST" for s in scenario.steps)


def test_filters_keep_only_what_is_asked(catalogue: Catalogue, tmp_path: Path) -> None:
    options = Options(paths=("/pets*",), methods=("POST",), modes=("invalid-body",))
    scenario = load_scenario(write(catalogue, tmp_path, DEMO / "api.yaml", DEMO / "stage.yaml", options), catalogue.ids)
    assert {(s.mode, s.request.method, s.request.path) for s in scenario.steps} == {("invalid-body", "POST", "/pets")}
    assert len(scenario.steps) == 3  # missing required, wrong type, extra property


def test_the_pet_shop_scenario_loads(catalogue: Catalogue, tmp_path: Path) -> None:
    scenario = load_scenario(write(catalogue, tmp_path, PET_SHOP, None, Options()), catalogue.ids)
    assert {s.mode for s in scenario.steps} == {"ok", "unknown-route"}
    assert all(s.request.method in ("GET", "HEAD", "OPTIONS") for s in scenario.steps if s.mode == "ok")


def test_the_demo_scenario_runs_confirmed_without_touching_integrations(
    catalogue: Catalogue, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    access: dict[str, dict[str, str]] = {}
    original = CloudWatchLogSink.emit

    def keep(self: CloudWatchLogSink, group: str, stream: str, timestamp_ms: int, message: str) -> None:
        if message.startswith("{"):
            record = json.loads(message)
            access[record.get("requestId", "")] = record
        original(self, group, stream, timestamp_ms, message)

    monkeypatch.setattr(CloudWatchLogSink, "emit", keep)
    scenario = load_scenario(
        write(catalogue, tmp_path, DEMO / "api.yaml", DEMO / "stage.yaml", Options()), catalogue.ids
    )
    result = run_scenario(scenario, catalogue)
    failed = {r.name: r.reason for r in result.results if r.verdict is not Verdict.CONFIRMED}
    expected_failures = {s.name for s in scenario.steps if s.mode == "ok" and s.request.path in BROKEN}
    assert set(failed) == expected_failures, failed
    for step_result in result.results:
        if step_result.record.step.mode in ("ok", "mapping-error"):  # the latter: GET /report's MOCK, no backend
            continue
        for observation in step_result.record.observations:
            record = access[observation.request_id or ""]
            assert record["integration.status"] == "-", (step_result.name, record)
    assert all(isinstance(s, Probe) for s in scenario.steps)
