"""Arrival schedules and mixes: the offered rate is the scenario's, to within one request."""

from __future__ import annotations

from collections import Counter

import pytest

from gatecrash.load.phases import arrival_times, mix_order, users_for, worker_share


def test_a_constant_rate_is_evenly_spaced_from_zero() -> None:
    times = arrival_times([(100.0, 100.0, 10.0)], 10_000, 60.0)
    assert len(times) == 1000
    assert times[0] == 0.0 and times[1] == pytest.approx(0.01) and times[-1] == pytest.approx(9.99)


@pytest.mark.parametrize("start, end", [(10.0, 30.0), (30.0, 10.0), (0.0, 50.0)])
def test_a_linear_ramp_offers_its_integral_each_second(start: float, end: float) -> None:
    times = arrival_times([(start, end, 10.0)], 10_000, 60.0)
    assert len(times) == round((start + end) / 2 * 10)
    per_second = Counter(int(t) for t in times)
    for second in range(10):
        expected = start + (end - start) * (second + 0.5) / 10
        assert abs(per_second[second] - expected) <= 1.0


def test_steps_follow_each_other_and_the_caps_hold() -> None:
    steps = [(5.0, 5.0, 2.0), (20.0, 20.0, 3.0)]
    times = arrival_times(steps, 10_000, 60.0)
    assert len(times) == 70 and sum(t < 2.0 for t in times) == 10
    assert len(arrival_times(steps, 25, 60.0)) == 25
    assert max(arrival_times(steps, 10_000, 2.5)) < 2.5


def test_a_mix_cycle_interleaves_by_weight() -> None:
    assert Counter(mix_order([3, 1])) == {0: 3, 1: 1}
    assert mix_order([1, 1]) == [0, 1]
    order = mix_order([2, 1])
    assert order.count(0) == 2 and order[0] == 0


def test_workers_share_the_arrivals_without_overlap() -> None:
    shares = [set(worker_share(10, worker, 3)) for worker in range(3)]
    assert set().union(*shares) == set(range(10)) and sum(len(s) for s in shares) == 10


def test_users_grow_with_the_rate() -> None:
    assert users_for(10, 1) == 4
    assert users_for(1000, 1) == 200 and users_for(1000, 2) == 100
