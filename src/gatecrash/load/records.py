"""What every request of a load phase did, as collected from every locust process, and its per-second series. Pure."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

# x-amzn-ErrorType of the two 429s (probes/throttled.yaml, probes/quota-exceeded.yaml).
THROTTLED_TYPE = "TooManyRequestsException"
QUOTA_TYPE = "LimitExceededException"


@dataclass(frozen=True, slots=True)
class LoadRecord:
    arrival: int  # the arrival's number in the phase's schedule
    entry: int  # which request of the mix
    intended: float  # epoch seconds the schedule asked for
    sent: float
    received: float | None
    status: int | None
    request_id: str | None
    error_type: str | None
    error: str | None
    worker: int

    @property
    def accepted(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def throttled(self) -> bool:
        return self.status == 429 and self.error_type != QUOTA_TYPE

    @property
    def quota_exceeded(self) -> bool:
        return self.status == 429 and self.error_type == QUOTA_TYPE


def read_records(path: Path) -> tuple[LoadRecord, ...]:
    """The JSON-lines file the locust master (or single process) wrote, in schedule order."""
    records = []
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                records.append(LoadRecord(*json.loads(line)))
    return tuple(sorted(records, key=lambda r: r.arrival))


@dataclass(frozen=True, slots=True)
class Second:
    """One second of a phase, counted by when requests were due (offered) or left (the rest)."""

    second: int
    offered: int  # due by the schedule
    sent: int
    accepted: int  # 2xx
    throttled: int  # 429 other than quota
    quota: int  # 429 LimitExceededException
    other_4xx: int
    server_5xx: int
    errors: int  # no answer


def per_second(records: Sequence[LoadRecord], start: float, schedule: Iterable[float] = ()) -> tuple[Second, ...]:
    """The phase second by second from `start`; `schedule` gives the offered arrivals (seconds from start)."""
    due = [t for t in schedule]
    last = max([*(r.sent - start for r in records), *due, 0.0])
    count = int(math.floor(last)) + 1
    rows = [[0] * 8 for _ in range(count)]
    for moment in due:
        rows[min(count - 1, max(0, int(moment)))][0] += 1
    for record in records:
        row = rows[min(count - 1, max(0, int(record.sent - start)))]
        row[1] += 1
        row[_column(record)] += 1
    return tuple(Second(index, *row) for index, row in enumerate(rows))


def _column(record: LoadRecord) -> int:
    if record.status is None:
        return 7
    if record.accepted:
        return 2
    if record.throttled:
        return 3
    if record.quota_exceeded:
        return 4
    if record.status >= 500:
        return 6
    return 5


def status_mix(records: Iterable[LoadRecord]) -> dict[str, int]:
    """Answers counted by status (transport failures as "error"), in status order."""
    counts: dict[str, int] = {}
    for record in records:
        key = str(record.status) if record.status is not None else "error"
        counts[key] = counts.get(key, 0) + 1
    return dict(sorted(counts.items()))
