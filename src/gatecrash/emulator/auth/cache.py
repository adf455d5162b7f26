"""The authorizer result cache: `authorizerResultTtlInSeconds`, keyed on the identity source values.

AWS docs ("Use API Gateway Lambda authorizers"): with caching on, API Gateway reuses the policy the
authorizer returned for the same identity until the TTL passes, and evaluates it against each new
method ARN, so a cached Deny keeps denying and a policy naming one method leaves the others denied.
Only answers with a policy are kept here: a 401 or a configuration error invokes the function again
(that AWS caches neither is not documented; it is the behaviour that provokes each cause afresh).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

Value = TypeVar("Value")
Clock = Callable[[], float]


class TtlCache(Generic[Value]):
    def __init__(self, clock: Clock = time.monotonic) -> None:
        self._clock = clock
        self._entries: dict[Hashable, tuple[float, Value]] = {}

    def get(self, key: Hashable) -> Value | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        expires, value = entry
        if self._clock() >= expires:
            del self._entries[key]
            return None
        return value

    def put(self, key: Hashable, value: Value, ttl_seconds: float) -> None:
        if ttl_seconds > 0:
            self._entries[key] = (self._clock() + ttl_seconds, value)
