"""Latency histograms in the manner of HdrHistogram: log-linear buckets, a bounded relative error. Pure.

Values are microseconds. Each power of two is split into 128 linear sub-buckets, so a recorded value
is off by under 1% (two significant digits, as HdrHistogram's default), whatever its size, and a
histogram costs a few hundred counters however many values it holds.

Coordinated omission (Gil Tene, "How NOT to measure latency"): a closed-loop client that waits for a
slow answer before sending the next request never records the requests it did not send. In an open-
loop phase every request has a due time, so latency is measured from when it was due, not from when
it left: `corrected_ms` below. A request that left late because every user was busy keeps that delay.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from gatecrash.load.records import LoadRecord

SUB_BUCKETS = 128
PERCENTILES = (50.0, 90.0, 99.0)


def bucket_of(micros: int) -> int:
    if micros < SUB_BUCKETS:
        return micros  # exact below 128 us
    exponent = micros.bit_length() - 8  # so that micros >> exponent is in [128, 256)
    return exponent * SUB_BUCKETS + (micros >> exponent)


def value_of(bucket: int) -> int:
    """The highest value a bucket holds (HdrHistogram reports the bucket's equivalent value)."""
    if bucket < 2 * SUB_BUCKETS:
        return bucket
    exponent, mantissa = divmod(bucket, SUB_BUCKETS)
    exponent -= 1
    mantissa += SUB_BUCKETS
    return ((mantissa + 1) << exponent) - 1


class Histogram:
    """Counts of values (microseconds) by bucket; percentiles from the counts."""

    def __init__(self) -> None:
        self._counts: Counter[int] = Counter()
        self.total = 0
        self.maximum = 0

    def record(self, micros: int) -> None:
        micros = max(0, micros)
        self._counts[bucket_of(micros)] += 1
        self.total += 1
        self.maximum = max(self.maximum, micros)

    def percentile(self, percent: float) -> int:
        if self.total == 0:
            return 0
        rank = max(1, math.ceil(percent / 100.0 * self.total))
        seen = 0
        for bucket in sorted(self._counts):
            seen += self._counts[bucket]
            if seen >= rank:
                return min(value_of(bucket), self.maximum)
        return self.maximum


@dataclass(frozen=True, slots=True)
class LatencyPoint:
    """One second's latency percentiles (ms), corrected for coordinated omission, and the raw p99."""

    second: int
    count: int
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    raw_p99_ms: float  # from when the request left, as a closed-loop tool would report


def corrected_ms(record: LoadRecord) -> float | None:
    return None if record.received is None else (record.received - record.intended) * 1000


def raw_ms(record: LoadRecord) -> float | None:
    return None if record.received is None else (record.received - record.sent) * 1000


def latency_over_time(records: Sequence[LoadRecord], start: float) -> tuple[LatencyPoint, ...]:
    """Per second of due time: percentiles of corrected latency (and the raw p99 beside them)."""
    seconds: dict[int, tuple[Histogram, Histogram]] = {}
    for record in records:
        corrected, raw = corrected_ms(record), raw_ms(record)
        if corrected is None or raw is None:
            continue
        pair = seconds.setdefault(max(0, int(record.intended - start)), (Histogram(), Histogram()))
        pair[0].record(round(corrected * 1000))
        pair[1].record(round(raw * 1000))
    return tuple(_point(second, *seconds[second]) for second in sorted(seconds))


def _point(second: int, corrected: Histogram, raw: Histogram) -> LatencyPoint:
    p50, p90, p99 = (corrected.percentile(p) / 1000 for p in PERCENTILES)
    return LatencyPoint(second, corrected.total, p50, p90, p99, corrected.maximum / 1000, raw.percentile(99) / 1000)


def overall(records: Iterable[LoadRecord]) -> dict[str, float]:
    """The phase's corrected percentiles in ms."""
    histogram = Histogram()
    for record in records:
        value = corrected_ms(record)
        if value is not None:
            histogram.record(round(value * 1000))
    result = {f"p{p:g}": histogram.percentile(p) / 1000 for p in (*PERCENTILES, 99.9)}
    result["max"] = histogram.maximum / 1000
    return result
