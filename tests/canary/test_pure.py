"""Schedule, totals and MetricData: pure functions, no network."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from gatecrash.canary.metrics import alarm_request, metric_data, parse_dimensions
from gatecrash.canary.model import CanaryRun, ProbeOutcome, RunStatus
from gatecrash.canary.page import render
from gatecrash.canary.schedule import next_start, parse_jitter

STARTED = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
CONFIRMED_403 = ProbeOutcome("no key", "missing-api-key", "CONFIRMED", "proven", statuses=(403,))
FAILED = ProbeOutcome("a pet", "ok", "WRONG_STATUS", "expected 200, got 502", ("<script>x</script>",), 3, (502,))
PENDING = ProbeOutcome("route", "unknown-route", "UNCONFIRMED", "awaiting logs", statuses=(403,))


def _run(*probes: ProbeOutcome, status: RunStatus = RunStatus.COMPLETED) -> CanaryRun:
    return CanaryRun(7, "demo", STARTED, 1.5, status, probes)


def test_jitter_moves_the_start_either_way_within_bounds() -> None:
    assert parse_jitter("10%") == pytest.approx(0.1)
    assert next_start(100.0, 60.0, 0.1, 0.0, 0.0) == pytest.approx(154.0)
    assert next_start(100.0, 60.0, 0.1, 0.5, 0.0) == pytest.approx(160.0)
    assert next_start(100.0, 60.0, 0.0, 0.9, 0.0) == pytest.approx(160.0)
    assert next_start(100.0, 60.0, 0.1, 0.5, 200.0) == 200.0  # overran: next at once, no catch-up burst
    with pytest.raises(ValueError):
        parse_jitter("80%")


def test_an_intended_403_succeeds_and_an_unconfirmed_probe_is_not_a_success() -> None:
    run = _run(CONFIRMED_403, FAILED, PENDING)
    assert (run.succeeded, run.failed, run.unconfirmed) == (1, 1, 1)
    assert run.success_percent == pytest.approx(100 / 3)  # UNCONFIRMED proved nothing: not a success
    # Nine probes whose logs never came and one confirmed: 10%, not 100% (issue 16).
    assert _run(CONFIRMED_403, *[PENDING] * 9).success_percent == pytest.approx(10.0)
    assert _run(PENDING).success_percent == 0.0
    assert _run().success_percent is None
    assert _run(CONFIRMED_403, PENDING).ok and not _run(CONFIRMED_403, PENDING).proven
    assert _run(CONFIRMED_403).proven
    assert _run(status=RunStatus.TIMED_OUT).success_percent == 0.0
    assert _run(status=RunStatus.ABANDONED).success_percent is None
    assert run.status_classes() == {"2xx": 0, "4xx": 2, "5xx": 1}


def test_metric_data_per_scenario_and_per_probe() -> None:
    data = metric_data(_run(CONFIRMED_403, FAILED, PENDING), parse_dimensions("probe,mode"), every_s=1.0)
    scenario_level = {d["MetricName"]: d["Value"] for d in data if len(d["Dimensions"]) == 1}
    assert scenario_level == {
        "SuccessPercent": pytest.approx(100 / 3),
        "Duration": 1500.0,
        "Failed": 1.0,
        "Unconfirmed": 1.0,
        "2xx": 0.0,
        "4xx": 2.0,
        "5xx": 1.0,
    }
    assert all(d["StorageResolution"] == 1 and d["Timestamp"] == STARTED for d in data)
    per_probe = [d for d in data if d["MetricName"] == "SuccessPercent" and len(d["Dimensions"]) == 3]
    assert [(d["Dimensions"][1]["Value"], d["Value"]) for d in per_probe] == [
        ("no key", 100.0),
        ("a pet", 0.0),
        (PENDING.name, 0.0),
    ]
    assert all(d["StorageResolution"] == 60 for d in metric_data(_run(FAILED), (), every_s=300.0))
    with pytest.raises(ValueError):
        parse_dimensions("probe,region")


def test_the_alarm_treats_missing_data_as_breaching() -> None:
    request = alarm_request("Gatecrash", "demo", 300.0)
    assert request["TreatMissingData"] == "breaching"
    assert (request["MetricName"], request["Period"], request["Threshold"]) == ("SuccessPercent", 300, 100.0)
    assert alarm_request("Gatecrash", "demo", 1.0)["Period"] == 10


def test_the_page_escapes_what_the_target_sent() -> None:
    page = render([_run(CONFIRMED_403, FAILED, PENDING)])
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert page.count("<svg") == 2
