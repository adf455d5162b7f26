"""Token buckets, and the set of buckets a request must draw from.

AWS docs ("Throttle requests to your REST APIs for better throughput"): a bucket refills at
`rate` tokens per second up to `burst` tokens; an empty bucket answers 429. Limits apply in
this order: a usage plan's per-method limit, its per-client limit, the stage's per-method limit
(or the stage default), the account's per-Region limit. Whether every applicable bucket is
debited is not documented; here a request takes one token from each applicable bucket or from
none (see `take_all`), so a 429 from one level does not drain the others.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from gatecrash.emulator.model import STAGE_DEFAULT_METHOD, StageConfig, ThrottleLimit

Clock = Callable[[], float]


class TokenBucket:
    __slots__ = ("_clock", "_stamp", "_tokens", "limit")

    def __init__(self, limit: ThrottleLimit, clock: Clock = time.monotonic) -> None:
        self.limit = limit
        self._clock = clock
        # A new bucket starts full: the burst is available at once.
        self._tokens = float(limit.burst_limit)
        self._stamp = clock()

    def _refill(self) -> None:
        now = self._clock()
        elapsed = now - self._stamp
        self._stamp = now
        if elapsed > 0:
            self._tokens = min(float(self.limit.burst_limit), self._tokens + elapsed * self.limit.rate_limit)

    def available(self) -> bool:
        self._refill()
        return self._tokens >= 1.0

    def take(self) -> None:
        self._tokens -= 1.0


@dataclass(frozen=True, slots=True)
class ThrottleVerdict:
    """Which bucket refused the request, or None when every bucket had a token."""

    refused_by: str | None


def take_all(buckets: Sequence[tuple[str, TokenBucket]]) -> ThrottleVerdict:
    """Take one token from every bucket, or from none if any is empty (the first empty one is named)."""
    for name, bucket in buckets:
        if not bucket.available():
            return ThrottleVerdict(refused_by=name)
    for _, bucket in buckets:
        bucket.take()
    return ThrottleVerdict(refused_by=None)


class StageThrottle:
    """The stage's per-method buckets (or the stage default's) and the account's bucket."""

    def __init__(self, stage: StageConfig, clock: Clock = time.monotonic) -> None:
        self._clock = clock
        self._account = TokenBucket(stage.account_throttle, clock)
        self._stage = stage
        self._method_buckets: dict[tuple[str, str], TokenBucket] = {}

    def _method_bucket(self, resource_path: str, http_method: str) -> TokenBucket | None:
        key = (resource_path, http_method)
        bucket = self._method_buckets.get(key)
        if bucket is None:
            # "Default per-method limits and individual per-method limits that you set in API stage
            # settings" (AWS docs, as above): the stage default is a per-method limit, so each
            # method gets a bucket of its own at the default's rate, unless overridden.
            throttle = self._stage.method_setting(resource_path, http_method).throttle
            if throttle is None:
                specific = self._stage.method_settings.get(STAGE_DEFAULT_METHOD)
                throttle = specific.throttle if specific is not None else None
            if throttle is None:
                return None
            bucket = self._method_buckets[key] = TokenBucket(throttle, self._clock)
        return bucket

    def account_available(self) -> bool:
        """Whether the account bucket holds a token (none is taken)."""
        return self._account.available()

    def method_limit(self, resource_path: str, http_method: str) -> ThrottleLimit | None:
        bucket = self._method_bucket(resource_path, http_method)
        return None if bucket is None else bucket.limit

    def buckets(self, resource_path: str, http_method: str) -> list[tuple[str, TokenBucket]]:
        levels: list[tuple[str, TokenBucket]] = []
        method = self._method_bucket(resource_path, http_method)
        if method is not None:
            levels.append(("stage", method))
        levels.append(("account", self._account))
        return levels
