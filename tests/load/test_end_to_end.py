"""Load phases end to end on loopback against the emulator: locust in child processes, logs from moto.

Bounded: every phase is capped in requests and seconds (about 40 s of load for the whole module).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from gatecrash.catalogue import load_catalogue
from gatecrash.load.phase import LoadOptions, LoadOutcome
from gatecrash.report import html as html_report, json as json_report, junit as junit_report
from gatecrash.run import RunOptions, RunResult, run_scenario
from gatecrash.runner.verdict import Verdict
from gatecrash.scenario import load_scenario
from tests.conftest import ROOT

LOAD = ROOT / "scenarios" / "load"


def run(path: Path, options: RunOptions | None = None) -> RunResult:
    with pytest.MonkeyPatch.context() as patch:
        for name in [name for name in os.environ if name.startswith("AWS_")]:
            patch.delenv(name)
        patch.setenv("AWS_CONFIG_FILE", os.devnull)
        patch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
        catalogue = load_catalogue()
        return run_scenario(load_scenario(path, catalogue.ids), catalogue, options or RunOptions())


def only_load(result: RunResult) -> LoadOutcome:
    [load] = result.loads
    return load


@pytest.fixture(scope="module")
def stage_run() -> Iterator[RunResult]:
    yield run(LOAD / "stage-limit.yaml")


def test_a_stage_limit_of_50_rps_burst_100_under_100_rps_is_estimated_within_5_percent(stage_run: RunResult) -> None:
    load = only_load(stage_run)
    [fit] = load.fits
    assert fit.configured is not None and (fit.configured.rate, fit.configured.burst) == (50.0, 100)
    assert fit.estimate.rate is not None and fit.estimate.burst is not None
    assert abs(fit.estimate.rate.value - 50.0) <= 2.5
    assert abs(fit.estimate.burst.value - 100.0) <= 5.0
    assert fit.estimate.rate.low < fit.estimate.rate.value < fit.estimate.rate.high
    assert all(check.passed for check in load.checks), load.checks
    [result] = stage_run.results
    assert result.verdict is Verdict.CONFIRMED, result.reason


def test_the_offered_rate_is_the_scenarios_and_every_request_is_recorded(stage_run: RunResult) -> None:
    load = only_load(stage_run)
    assert load.planned == load.sent == 1000 and load.complete
    assert load.offered_rps == pytest.approx(100.0)
    assert load.achieved_rps == pytest.approx(100.0, rel=0.02)
    assert [second.offered for second in load.seconds] == [100] * 10
    assert sum(second.accepted for second in load.seconds) == load.mix["200"]


def test_the_access_log_confirms_the_429s_are_the_stage_throttle(stage_run: RunResult) -> None:
    logs = only_load(stage_run).logs
    assert logs is not None and logs.found == logs.wanted == 1000
    [throttled] = [count for count in logs.counts if count.status == "429"]
    assert throttled.response_type == "THROTTLED"
    assert throttled.limit.startswith("stage load throttle for GET /limited")
    assert "THROTTLED" in (stage_run.results[0].observed_cause or "")


def test_reports_carry_series_a_testcase_per_expectation_and_inline_charts(stage_run: RunResult) -> None:
    document = json.loads(json_report.render(stage_run))
    [probe] = document["probes"]
    assert probe["kind"] == "rate"
    series = probe["load"]["series"]
    assert len(series["per_second"]) == 10 and len(series["latency_per_second"]) == 10
    assert {"offered", "sent", "accepted", "throttled"} <= set(series["per_second"][0])
    suite = ET.fromstring(junit_report.render(stage_run)).find("testsuite")
    assert suite is not None
    names = [case.get("name") for case in suite.iter("testcase")]
    assert suite.get("tests") == str(len(names)) == str(len(only_load(stage_run).checks))
    assert "stage limit at twice its rate: throttle rate of GET /limited" in names
    page = html_report.render(stage_run)
    assert page.count("<svg") == 3 and "<img" not in page and "src=" not in page


def test_each_usage_plan_key_gets_its_own_limit() -> None:
    load = only_load(run(LOAD / "per-key.yaml"))
    fits = {fit.group: fit for fit in load.fits}
    assert set(fits) == {"key gold-key", "key bronze-key"}
    for fit, rate, burst in ((fits["key gold-key"], 40.0, 40), (fits["key bronze-key"], 15.0, 15)):
        assert fit.configured is not None and (fit.configured.rate, fit.configured.burst) == (rate, burst)
        assert fit.estimate.rate is not None and abs(fit.estimate.rate.value - rate) <= 0.05 * rate
        assert fit.estimate.burst is not None and abs(fit.estimate.burst.value - burst) <= max(0.05 * burst, 1.0)
    assert load.logs is not None
    assert {c.limit for c in load.logs.counts if c.status == "429"} == {
        "usage plan gold throttle, key goldkey1",
        "usage plan bronze throttle, key bronzekey1",
    }


def test_a_quota_exhausted_mid_phase_is_named_quota_not_throttle() -> None:
    result = run(LOAD / "quota.yaml")
    load = only_load(result)
    assert load.mix == {"200": 30, "429": 30}
    assert load.logs is not None
    [quota] = [count for count in load.logs.counts if count.status == "429"]
    assert (quota.response_type, quota.limit, quota.count) == (
        "QUOTA_EXCEEDED",
        "usage plan trial quota, key trialkey1",
        30,
    )
    # The first 30 pass, every later one is refused: the quota ran out mid-phase, not at random.
    assert [second.quota for second in load.seconds] == [0, 10, 20]
    assert result.results[0].verdict is Verdict.CONFIRMED


def test_a_backend_failing_past_the_stop_share_ends_the_phase_early(tmp_path: Path) -> None:
    scenario = tmp_path / "broken.yaml"
    scenario.write_text(
        textwrap.dedent(
            f"""\
            target: {{emulator: {{definition: {LOAD}/api.yaml, side-file: {LOAD}/stage.yaml}}}}
            limits: {{max-requests: 500, max-duration: 30s}}
            probes:
              - name: failing backend
                mode: backend-5xx
                rate: {{rps: 50, duration: 6s}}
                request: {{method: GET, path: /broken}}
                stop: {{backend-5xx-share: 0.05}}
            """
        )
    )
    result = run(scenario)
    load = only_load(result)
    assert load.stopped and "answers were 5xx" in load.stopped[0]
    assert load.sent < 60 < load.planned
    [health] = [check for check in load.checks if check.kind == "health"]
    assert not health.passed
    assert result.results[0].verdict is Verdict.WRONG_STATUS
    failures = ET.fromstring(junit_report.render(result)).iter("failure")
    assert [failure.get("type") for failure in failures] == ["health"]


def test_two_local_workers_share_the_phase_through_the_cli(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "gatecrash", "run", str(LOAD / "quota.yaml"), "--workers", "2"]
    result = subprocess.run(
        [*command, "--reports", str(tmp_path)], capture_output=True, text=True, timeout=120, cwd=ROOT
    )
    assert result.returncode == 0, result.stdout + result.stderr
    [results] = list(tmp_path.glob("*/results.json"))
    load = json.loads(results.read_text())["probes"][0]["load"]
    assert load["processes"] == 2 and load["complete"]
    assert load["records_per_process"] == {"0": 30, "1": 30}
    assert load["status_mix"] == {"200": 30, "429": 30}


def test_signed_requests_go_through_aws4auth_and_no_secret_is_written(tmp_path: Path) -> None:
    result = run(LOAD / "signed-mix.yaml", RunOptions(load=LoadOptions(work_dir=tmp_path)))
    load = only_load(result)
    assert load.mix == {"200": 60, "403": 20}
    assert result.results[0].verdict is Verdict.CONFIRMED, result.results[0].reason
    written = "".join(path.read_text() for path in tmp_path.rglob("*") if path.is_file())
    assert "locustfile" in " ".join(path.name for path in tmp_path.rglob("*"))
    # The secret reaches locust through its environment only: neither the locustfile nor the records hold it.
    assert "gatecrash-load-secret-signer" not in written
    assert "gatecrash-load-secret-signer" not in json_report.render(result)
