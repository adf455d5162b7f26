"""When the next run starts, and how many requests the schedule still allows. Pure: the caller passes
the clock and the random draw."""

from __future__ import annotations

import re


def parse_jitter(text: str) -> float:
    """`10%` or `0.1`: the fraction of the interval a start may move either way."""
    match = re.fullmatch(r"(\d+(?:\.\d+)?)(%?)", text.strip())
    if match is None:
        raise ValueError(f"{text!r}: write a fraction of the interval such as 10%")
    value = float(match.group(1)) / (100.0 if match.group(2) else 1.0)
    if value > 0.5:
        raise ValueError(f"{text!r}: at most 50%, or runs could start back to back")
    return value


def next_start(previous_start: float, every_s: float, jitter: float, draw: float, now: float) -> float:
    """`previous_start + every_s`, moved by up to ±jitter of the interval (`draw` in [0, 1)) so
    that many canaries on one schedule do not hit the API in the same second; never in the past,
    so a run that overran its interval is followed at once rather than by a burst of catch-ups."""
    offset = every_s * jitter * (2.0 * draw - 1.0)
    return max(now, previous_start + every_s + offset)


# Below this, runs would follow each other faster than a request's answer comes back; a schedule is
# for minutes, not milliseconds.
MIN_EVERY_S = 1.0
HOUR_S = 3600.0
# The schedule's own cap: every run and retry of a canary together send at most this many requests
# in any hour, whatever --every and the scenario's max-requests allow (1 a second on average).
DEFAULT_HOURLY_CEILING = 3600


def check_every(every_s: float) -> float:
    if every_s < MIN_EVERY_S:
        raise ValueError(f"{every_s:g}s is too often: at least {MIN_EVERY_S:g}s between runs")
    return every_s


class HourlyCeiling:
    """How many requests a schedule may still send in the hour ending now. Pure: the caller passes
    the clock (epoch seconds) and records each run's requests at the time it ended, so that every
    request of a run counts until an hour after its last one could have been sent."""

    def __init__(self, limit: int, sent: list[tuple[float, int]] | None = None) -> None:
        self.limit = limit
        self._sent = sorted(sent or [])

    def record(self, ended_at: float, count: int) -> None:
        if count > 0:
            self._sent.append((ended_at, count))
            self._sent.sort()

    def allowance(self, now: float) -> int:
        recent = sum(count for at, count in self._sent if at > now - HOUR_S)
        return max(0, self.limit - recent)

    def wait_for(self, needed: int, now: float) -> float:
        """Seconds until `needed` requests fit (0 when they fit now); `needed` must be at most `limit`."""
        if needed > self.limit:
            raise ValueError(f"a run needs {needed} requests, more than the hourly ceiling of {self.limit}")
        if self.allowance(now) >= needed:
            return 0.0
        recent = [(at, count) for at, count in self._sent if at > now - HOUR_S]
        freed = self.allowance(now)
        for at, count in recent:
            freed += count
            if freed >= needed:
                return at + HOUR_S - now
        return HOUR_S  # unreachable: once every recent run has aged out, `limit` >= needed fit
