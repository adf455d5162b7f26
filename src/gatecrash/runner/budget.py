"""The caps on what a run may send, held in one place that every sender draws from.

One `Budget` covers a whole run: its probes and bursts (`fire.Runner`), its load phases (capped to
what is left, then charged what they sent) and, for a canary, every retry of the run and the
hourly ceiling of its schedule. Nothing is sent once the requests are spent, the time is up, or
the budget is closed (a canary run that timed out or was abandoned). Thread-safe: a canary runs
in a worker thread while its loop may close the budget.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from gatecrash.scenario.model import Limits

Clock = Callable[[], float]
SCENARIO_REQUESTS = "the scenario's max-requests"
SCENARIO_DURATION = "the scenario's max-duration"


class Budget:
    def __init__(
        self,
        max_requests: int,
        max_duration_s: float,
        clock: Clock = time.monotonic,
        requests_cap: str = SCENARIO_REQUESTS,
    ) -> None:
        self.max_requests = max_requests
        self.max_duration_s = max_duration_s
        self.requests_cap = requests_cap  # what a refusal names: whose cap on requests it is
        self._clock = clock
        self._deadline = clock() + max_duration_s
        self._spent = 0
        self._closed: str | None = None
        self._lock = threading.Lock()

    @classmethod
    def of(cls, limits: Limits, clock: Clock = time.monotonic) -> Budget:
        return cls(limits.max_requests, limits.max_duration_s, clock)

    @property
    def spent(self) -> int:
        with self._lock:
            return self._spent

    @property
    def remaining(self) -> int:
        with self._lock:
            return 0 if self._closed else max(0, self.max_requests - self._spent)

    def time_left(self) -> float:
        if self._closed:
            return 0.0
        return max(0.0, self._deadline - self._clock())

    def refusal(self, count: int = 1) -> str | None:
        """Why `count` more requests may not be sent now, or None when they may."""
        with self._lock:
            return self._refusal(count)

    def _refusal(self, count: int) -> str | None:
        if self._closed is not None:
            return f"not sent: {self._closed}"
        if self._clock() > self._deadline:
            return f"not sent: {SCENARIO_DURATION} was reached"
        if count > self.max_requests - self._spent:
            return f"not sent: {self.requests_cap} was reached"
        return None

    def take(self, count: int = 1) -> str | None:
        """Spend `count` requests, all or none: None when they may be sent, else why not."""
        with self._lock:
            refusal = self._refusal(count)
            if refusal is None:
                self._spent += count
            return refusal

    def charge(self, count: int) -> None:
        """Requests sent by a sender that was capped beforehand (a load phase's locust processes)."""
        with self._lock:
            self._spent += count

    def close(self, reason: str) -> None:
        """Nothing more is sent, for `reason` (e.g. "the canary run timed out")."""
        with self._lock:
            if self._closed is None:
                self._closed = reason
