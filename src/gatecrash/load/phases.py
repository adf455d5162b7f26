"""Arrival schedules of load phases: when each request is due, and which request of the mix it is. Pure.

This module is also copied into every generated locustfile (workers on other machines need not have
gatecrash installed), so it imports only the standard library and stays self-contained.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

# One segment as plain numbers (start rps, end rps, duration s): the locustfile gets JSON, not dataclasses.
Segment = tuple[float, float, float]


def _time_of(count: float, start: float, end: float, duration: float) -> float:
    """The moment within a segment at which `count` arrivals have been due (rate linear from start to end)."""
    slope = (end - start) / duration
    if abs(slope) < 1e-12:
        return count / start
    # count = start*t + slope*t^2/2; the root in [0, duration].
    root = start * start + 2.0 * slope * count
    return (-start + math.sqrt(max(root, 0.0))) / slope


def arrival_times(segments: Sequence[Segment], max_requests: int, max_duration_s: float) -> list[float]:
    """Due times (seconds from the phase's start) of every arrival, within both caps.

    Arrival n is due when the integral of the rate reaches n, so the first is due at 0 and the
    count in any window equals the rate's integral over it to within one request.
    """
    times: list[float] = []
    offset = 0.0  # when the current segment starts
    carried = 0.0  # arrivals due before this segment (fractional)
    for start, end, duration in segments:
        total = (start + end) / 2.0 * duration
        n = math.ceil(carried - 1e-9)
        while n - carried < total - 1e-9 and len(times) < max_requests:
            moment = offset + _time_of(n - carried, start, end, duration)
            if moment >= max_duration_s:
                return times
            times.append(moment)
            n += 1
        carried += total
        offset += duration
    return times


def mix_order(weights: Sequence[int]) -> list[int]:
    """One cycle of entry indices, each entry `weight` times, spread evenly (smooth weighted round robin)."""
    current = [0] * len(weights)
    total = sum(weights)
    order: list[int] = []
    for _ in range(total):
        for index, weight in enumerate(weights):
            current[index] += weight
        chosen = max(range(len(weights)), key=lambda i: current[i])
        current[chosen] -= total
        order.append(chosen)
    return order


def worker_share(count: int, worker: int, workers: int) -> range:
    """The arrival numbers one worker sends: every `workers`-th, starting at its index."""
    return range(worker, count, workers)


def users_for(peak_rps: float, workers: int, latency_budget_s: float = 0.1) -> int:
    """Concurrent users per worker: enough to keep the schedule while answers take `latency_budget_s`."""
    per_worker = peak_rps / max(workers, 1)
    return max(4, min(2_000, math.ceil(per_worker * latency_budget_s * 2)))
