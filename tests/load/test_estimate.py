"""Fitting a token bucket to a timeline: exact buckets are recovered to within a fraction of a percent."""

from __future__ import annotations

import pytest

from gatecrash.load.estimate import estimate_bucket
from gatecrash.load.phases import arrival_times
from gatecrash.load.records import QUOTA_TYPE, THROTTLED_TYPE, LoadRecord


def simulate(rate: float, burst: int, schedule: list[float], start_level: float | None = None) -> list[LoadRecord]:
    """A request stream through an exact token bucket (the emulator's: take one token, or 429)."""
    level, stamp, records = float(burst if start_level is None else start_level), 0.0, []
    for index, moment in enumerate(schedule):
        level = min(float(burst), level + (moment - stamp) * rate)
        stamp = moment
        passed = level >= 1.0
        level -= 1.0 if passed else 0.0
        status, error_type = (200, None) if passed else (429, THROTTLED_TYPE)
        records.append(LoadRecord(index, 0, moment, moment, moment + 0.001, status, f"r{index}", error_type, None, 0))
    return records


@pytest.mark.parametrize("rate, burst, offered", [(50.0, 100, 100.0), (10.0, 5, 15.0), (200.0, 50, 1000.0)])
def test_a_constant_overload_recovers_rate_and_burst(rate: float, burst: int, offered: float) -> None:
    schedule = arrival_times([(offered, offered, 10.0)], 100_000, 60.0)
    estimate = estimate_bucket(simulate(rate, burst, schedule))
    assert estimate.rate is not None and estimate.burst is not None
    assert estimate.rate.value == pytest.approx(rate, rel=0.01)
    assert estimate.burst.value == pytest.approx(burst, rel=0.02, abs=0.6)
    assert estimate.rate.contains(rate) and estimate.burst.contains(burst)


def test_a_ramp_that_rests_the_bucket_first_still_finds_the_burst() -> None:
    schedule = arrival_times([(20.0, 20.0, 4.0), (60.0, 60.0, 4.0), (90.0, 90.0, 6.0)], 100_000, 60.0)
    estimate = estimate_bucket(simulate(50.0, 100, schedule))
    assert estimate.rate is not None and estimate.burst is not None
    assert estimate.rate.value == pytest.approx(50.0, rel=0.01)
    assert estimate.burst.value == pytest.approx(100.0, rel=0.02)


def test_below_the_limit_there_is_nothing_to_fit() -> None:
    estimate = estimate_bucket(simulate(50.0, 100, arrival_times([(20.0, 20.0, 5.0)], 1000, 60.0)))
    assert estimate.rate is None and estimate.throttled == 0
    assert "offer more than the limit" in estimate.note


def test_quota_refusals_are_not_throttles() -> None:
    records = simulate(50.0, 100, arrival_times([(100.0, 100.0, 5.0)], 1000, 60.0))
    quota = [LoadRecord(r.arrival, 0, r.intended, r.sent, r.received, 429, None, QUOTA_TYPE, None, 0) for r in records]
    assert estimate_bucket(quota).throttled == 0
