"""The HDR-style histogram: bounded relative error, and latency counted from the due time."""

from __future__ import annotations

import random

from gatecrash.load.histogram import Histogram, bucket_of, latency_over_time, overall, value_of
from gatecrash.load.records import LoadRecord


def test_every_value_is_kept_within_one_percent() -> None:
    generator = random.Random(7)
    for value in [0, 1, 127, 128, 255, 256, 1000, *(generator.randrange(10**9) for _ in range(5000))]:
        kept = value_of(bucket_of(value))
        assert value <= kept <= value + max(1, value // 100)


def test_percentiles_of_a_known_distribution() -> None:
    histogram = Histogram()
    for value in range(1, 10_001):
        histogram.record(value)
    assert abs(histogram.percentile(50) - 5000) <= 50
    assert abs(histogram.percentile(99) - 9900) <= 99
    assert histogram.percentile(100) == 10_000


def record(due: float, sent: float, received: float) -> LoadRecord:
    return LoadRecord(0, 0, due, sent, received, 200, None, None, None, 0)


def test_a_request_that_left_late_keeps_its_wait_in_the_latency() -> None:
    # Coordinated omission: due at 0, left at 0.5 s (every user busy), answered 2 ms later.
    records = [record(0.0, 0.5, 0.502)] + [record(0.01 * i, 0.01 * i, 0.01 * i + 0.002) for i in range(1, 99)]
    [point] = latency_over_time(records, 0.0)
    assert point.max_ms >= 500 and point.raw_p99_ms < 3
    assert overall(records)["max"] >= 500
