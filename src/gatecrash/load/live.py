"""A load phase second by second while it runs: what was offered, accepted and throttled. Pure.

The locust process that collects the records (the master, or the only process) appends them to the
records file a few times a second; gatecrash follows that file (`engine.py`) and feeds the new records
here. A second is reported once `LAG_S` has passed after its end, long enough for its answers to reach
the file (a worker sends its records every 0.5 s, the master appends every 0.25 s). Answers are counted
in the second they came back, so a slow answer counts when it arrives; one later than `LAG_S` is left
out of the live figures (the report, counted after the phase, has every request).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from gatecrash.load.records import LoadRecord

LAG_S = 1.0


@dataclass(frozen=True, slots=True)
class LiveSecond:
    second: int  # 0-based, from the phase's first due arrival
    seconds: int  # the phase's planned length in whole seconds
    offered: int  # arrivals the schedule made due in this second
    accepted: int  # 2xx answers that came back in it
    throttled: int  # 429 THROTTLED answers (a quota's 429 is `other`)
    other: int  # every other answer, and requests that got none


class LiveCounter:
    """Counts records into seconds as they stream in, and says which seconds are complete."""

    def __init__(self, schedule: Sequence[float]) -> None:
        self._schedule = schedule
        self._offered: dict[int, int] = {}
        for due in schedule:
            second = int(due)
            self._offered[second] = self._offered.get(second, 0) + 1
        self._seconds = max(1, math.ceil(schedule[-1])) if schedule else 1
        self._answers: dict[int, list[int]] = {}
        self._start: float | None = None  # epoch of the first due arrival, known from the first record
        self._next = 0  # the first second not reported yet

    @property
    def start(self) -> float | None:
        return self._start

    def add(self, records: Iterable[LoadRecord]) -> None:
        for record in records:
            if self._start is None and 0 <= record.arrival < len(self._schedule):
                # Every process shares one start: a record's due time less its offset in the schedule.
                self._start = record.intended - self._schedule[record.arrival]
            moment = record.received if record.received is not None else record.sent
            second = max(0, int(moment - (self._start if self._start is not None else record.intended)))
            row = self._answers.setdefault(second, [0, 0, 0])
            row[0 if record.accepted else 1 if record.throttled else 2] += 1

    def complete(self, now: float) -> list[LiveSecond]:
        """The seconds that ended at least `LAG_S` before `now` and were not reported yet."""
        if self._start is None:
            return []
        done = int(math.floor(now - LAG_S - self._start))  # seconds 0..done-1 have ended LAG_S ago
        return self._report(done)

    def rest(self) -> list[LiveSecond]:
        """At the phase's end: every second not reported yet, through the last answer or due arrival."""
        last = max([*self._answers, *self._offered, -1])
        return self._report(last + 1)

    def _report(self, until: int) -> list[LiveSecond]:
        reported = []
        for second in range(self._next, until):
            accepted, throttled, other = self._answers.get(second, (0, 0, 0))
            offered = self._offered.get(second, 0)
            reported.append(LiveSecond(second, self._seconds, offered, accepted, throttled, other))
        self._next = max(self._next, until)
        return reported


def live_text(phase: str, second: LiveSecond) -> str:
    """One line for a progress display: `phase: offered 100/s, accepted 50/s, throttled 50/s`."""
    text = f"{phase}: offered {second.offered}/s, accepted {second.accepted}/s, throttled {second.throttled}/s"
    return text + (f", other {second.other}/s" if second.other else "")
