"""The schedule's own caps: an hourly ceiling over every run and retry, and no interval under a second."""

from __future__ import annotations

import pytest

from gatecrash.canary.schedule import HOUR_S, HourlyCeiling, check_every


def test_the_allowance_is_the_ceiling_less_what_ended_within_the_hour() -> None:
    ceiling = HourlyCeiling(10, [(0.0, 4)])
    ceiling.record(100.0, 3)
    ceiling.record(200.0, 0)  # a run that sent nothing changes nothing
    assert ceiling.allowance(150.0) == 3
    assert ceiling.allowance(HOUR_S + 50.0) == 7  # the first run has aged out
    assert ceiling.allowance(HOUR_S + 150.0) == 10


def test_a_run_waits_until_enough_requests_have_aged_out() -> None:
    ceiling = HourlyCeiling(8, [(10.0, 4), (20.0, 4)])
    assert ceiling.wait_for(4, 30.0) == pytest.approx(10.0 + HOUR_S - 30.0)
    assert ceiling.wait_for(8, 30.0) == pytest.approx(20.0 + HOUR_S - 30.0)
    assert ceiling.wait_for(4, 10.0 + HOUR_S) == 0.0
    with pytest.raises(ValueError, match="more than the hourly ceiling of 8"):
        ceiling.wait_for(9, 30.0)


def test_every_must_be_at_least_a_second() -> None:
    assert check_every(1.0) == 1.0
    with pytest.raises(ValueError, match="0.5s is too often: at least 1s between runs"):
        check_every(0.5)
