"""When the next run starts. Pure: the caller passes the clock and the random draw."""

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
