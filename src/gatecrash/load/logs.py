"""Correlation at load scale: the gateway's own logs, counted by status and `error.responseType`.

Per request the access record gives the status and `error.responseType`: THROTTLED and QUOTA_EXCEEDED
are both 429, told apart only here (and by x-amzn-ErrorType). The limit behind a 429 is named from the
execution log where the gateway names it ("Key throttle limit exceeded for Usage Plan ID ...", "Key
quota exhausted for Usage Plan ID ..."); a THROTTLED request with no such line was refused by the
stage's (or the account's) limit for its method, which the access record names.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from gatecrash.correlate.model import RequestLogs
from gatecrash.load.records import LoadRecord

_PLAN_THROTTLE = re.compile(r"Key throttle limit exceeded for Usage Plan ID (?P<plan>\S+?),")
_PLAN_QUOTA = re.compile(r"Key quota exhausted for Usage Plan ID (?P<plan>\S+?)\.")
EVIDENCE_PER_CAUSE = 2


@dataclass(frozen=True, slots=True)
class LogCount:
    status: str
    response_type: str  # `-` when the gateway set none
    limit: str  # for 429s: the limit the logs name; else ""
    count: int


@dataclass(frozen=True, slots=True)
class LogSummary:
    counts: tuple[LogCount, ...]
    wanted: int  # requests with an id
    found: int  # of them, with an access record
    evidence: tuple[str, ...]  # a few lines per (response type, limit)
    mismatched: int  # access status differs from the answer's status

    def count_of(self, response_type: str) -> int:
        return sum(c.count for c in self.counts if c.response_type == response_type)


def summarise(records: Sequence[LoadRecord], logs: Mapping[str, RequestLogs], stage: str) -> LogSummary:
    counter: Counter[tuple[str, str, str]] = Counter()
    evidence: dict[tuple[str, str], list[str]] = {}
    mismatched = found = wanted = 0
    for record in records:
        if record.request_id is None:
            continue
        wanted += 1
        entry = logs.get(record.request_id)
        if entry is None or entry.access is None:
            continue
        found += 1
        fields = entry.access.fields
        status = fields.get("status", "-")
        response_type = fields.get("error.responseType", "-") or "-"
        limit = limit_of(entry, stage) if status == "429" else ""
        counter[(status, response_type, limit)] += 1
        if status != str(record.status):
            mismatched += 1
        lines = evidence.setdefault((response_type, limit), [])
        if status != "200" and len(lines) < EVIDENCE_PER_CAUSE:
            lines.append(entry.access.raw)
            lines.extend(line.raw for line in entry.execution if "Usage Plan ID" in line.message)
    counts = tuple(LogCount(s, t, limit, n) for (s, t, limit), n in sorted(counter.items()))
    flat = tuple(line for lines in evidence.values() for line in lines)
    return LogSummary(counts, wanted, found, flat, mismatched)


def limit_of(entry: RequestLogs, stage: str) -> str:
    """The limit a 429 hit, in words, as far as the logs tell."""
    assert entry.access is not None
    fields = entry.access.fields
    key = fields.get("identity.apiKeyId", "-")
    for line in entry.execution:
        quota = _PLAN_QUOTA.search(line.message)
        if quota is not None:
            return f"usage plan {quota.group('plan')} quota, key {key}"
        throttle = _PLAN_THROTTLE.search(line.message)
        if throttle is not None:
            return f"usage plan {throttle.group('plan')} throttle, key {key}"
    if fields.get("error.responseType") == "QUOTA_EXCEEDED":
        return f"usage plan quota, key {key}"
    method, resource = fields.get("httpMethod", "-"), fields.get("resourcePath", "-")
    return f"stage {stage} throttle for {method} {resource} (or the account's)"
