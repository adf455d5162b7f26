"""The effective token bucket behind a phase's 429s: rate and burst fitted to the timeline, with a band. Pure.

A bucket refills at `rate` up to `burst` tokens; a request passes when a token is there, else 429
(AWS docs, "Throttle requests to your REST APIs"; apigw-reference.md "Throttling"). Let A(t) be the
requests that passed before t. At a throttled instant t_k the bucket holds less than one token, so

    A(t_k) = burst_at(s) + rate * (t_k - s) - e_k,   e_k in [0, 1)

for any s the bucket was full and not capped since. Hence, over every run of throttled instants
(split where throttling paused long enough for the bucket to refill):

- rate: the common slope of A(t_k) against t_k (a least-squares fit with one intercept per run);
- burst: the first run's mean offset A(t_k) - rate * t_k, less the lowest A(s) - rate * s before it
  (the moment the bucket was last full: the phase's first request when it starts on a rested bucket),
  plus the mean token left at a refusal. With evenly spaced arrivals of which a share p passes, the
  level seen by arrivals climbs by p per arrival and drops by 1 per pass, so at refusals it is spread
  evenly over [p, 1): the mean is (1 + p) / 2 (0.75 at twice the limit).

Times are when each answer arrived: the client's closest view of the gateway's decision (the first
request's send precedes the decision by connection setup, which would shift the whole line).

The band is 1.96 standard errors of the fit (residuals are the sub-token remainders and the client
to gateway timing jitter), plus the counts' quantisation: one request over the saturated span on the
rate, half a token on the burst. Fitting at each
request rather than per second uses every 429, so ten seconds suffice for estimates within 1%.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from gatecrash.load.records import LoadRecord

# Throttled instants further apart than this start a new run: the bucket may have refilled between.
RUN_GAP_S = 1.0
Z95 = 1.96


@dataclass(frozen=True, slots=True)
class Band:
    value: float
    low: float
    high: float

    def contains(self, value: float) -> bool:
        return self.low <= value <= self.high


@dataclass(frozen=True, slots=True)
class BucketEstimate:
    """The fitted bucket, or why there is none (`rate`/`burst` None)."""

    rate: Band | None
    burst: Band | None
    passed: int  # requests not throttled
    throttled: int
    saturated_s: float  # seconds spanned by throttled runs: what the rate rests on
    note: str = ""


def estimate_bucket(records: Sequence[LoadRecord]) -> BucketEstimate:
    """Fit a token bucket to the records that drew from one bucket (one method, or one API key)."""
    answered = sorted((r for r in records if r.status is not None), key=_moment)
    passed = [r for r in answered if not r.throttled]
    throttled = [r for r in answered if r.throttled]
    if not answered:
        return BucketEstimate(None, None, 0, 0, 0.0, "no answers")
    if len(throttled) < 3:
        return BucketEstimate(
            None,
            None,
            len(passed),
            len(throttled),
            0.0,
            "too few requests throttled to fit a bucket: offer more than the limit",
        )
    start = _moment(answered[0])
    times, counts = _passed_before_throttles(answered, start)
    runs = _runs(times)
    rate, rate_se, sigma = _common_slope(times, counts, runs)
    saturated = sum(times[run[-1]] - times[run[0]] for run in runs)
    if rate is None or saturated < 0.5:
        return BucketEstimate(
            None, None, len(passed), len(throttled), saturated, "throttling lasted too briefly to fit a rate"
        )
    first = runs[0]
    offset = sum(counts[i] - rate * times[i] for i in first) / len(first)
    lowest = _lowest_before(answered, start, times[first[0]], rate)
    burst = offset - lowest + (1 + _passing_share(answered, start, times[first[0]], times[first[-1]])) / 2
    lever = sum(times[i] for i in first) / len(first)
    burst_se = math.sqrt((rate_se * lever) ** 2 + sigma**2 / len(first))
    rate_half = Z95 * rate_se + 1.0 / saturated
    return BucketEstimate(
        Band(rate, rate - rate_half, rate + rate_half),
        Band(burst, burst - Z95 * burst_se - 0.5, burst + Z95 * burst_se + 0.5),
        len(passed),
        len(throttled),
        saturated,
    )


def _passed_before_throttles(answered: Sequence[LoadRecord], start: float) -> tuple[list[float], list[int]]:
    """Each throttled request's time (from `start`) and how many had passed before it."""
    times: list[float] = []
    counts: list[int] = []
    passed = 0
    for record in answered:
        if record.throttled:
            times.append(_moment(record) - start)
            counts.append(passed)
        else:
            passed += 1
    return times, counts


def _runs(times: Sequence[float]) -> list[list[int]]:
    runs: list[list[int]] = [[0]]
    for index in range(1, len(times)):
        if times[index] - times[index - 1] > RUN_GAP_S:
            runs.append([])
        runs[-1].append(index)
    return [run for run in runs if len(run) >= 2] or runs[:1]


def _common_slope(
    times: Sequence[float], counts: Sequence[int], runs: Sequence[Sequence[int]]
) -> tuple[float | None, float, float]:
    """Least-squares slope shared by every run (each its own intercept); its standard error; residual sd."""
    sxx = sxy = 0.0
    centred: list[tuple[float, float]] = []
    for run in runs:
        mean_t = sum(times[i] for i in run) / len(run)
        mean_a = sum(counts[i] for i in run) / len(run)
        for i in run:
            dt, da = times[i] - mean_t, counts[i] - mean_a
            sxx += dt * dt
            sxy += dt * da
            centred.append((dt, da))
    if sxx <= 0:
        return None, 0.0, 0.0
    slope = sxy / sxx
    freedom = max(len(centred) - len(runs) - 1, 1)
    residual = sum((da - slope * dt) ** 2 for dt, da in centred) / freedom
    # Sub-token remainders are uniform on [0, 1): never claim less spread than that.
    sigma = math.sqrt(max(residual, 1 / 12))
    return slope, sigma / math.sqrt(sxx), sigma


def _lowest_before(answered: Sequence[LoadRecord], start: float, until: float, rate: float) -> float:
    """min over instants s before `until` of A(s) - rate * s: where the bucket was last full."""
    lowest = 0.0
    passed = 0
    for record in answered:
        moment = _moment(record) - start
        if moment >= until:
            break
        lowest = min(lowest, passed - rate * moment)
        if not record.throttled:
            passed += 1
    return lowest


def _passing_share(answered: Sequence[LoadRecord], start: float, begin: float, end: float) -> float:
    """The share of requests from `begin` to `end` (seconds from `start`) that passed."""
    window = [r for r in answered if begin <= _moment(r) - start <= end]
    return sum(not r.throttled for r in window) / len(window) if window else 0.5


def _moment(record: LoadRecord) -> float:
    return record.received if record.received is not None else record.sent
