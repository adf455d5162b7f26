"""Diagnosing errors real traffic already produced: classify every failing request in the logs.

From a stage's log groups over a time window, or from exported log lines (`aws logs
filter-log-events` output or plain lines): the same parsing and classification as a run's
correlation, for requests gatecrash did not send. The triage people do by hand with
`aws logs filter-log-events` and a checklist, as one command.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

from gatecrash.catalogue import Catalogue
from gatecrash.correlate.classify import classify
from gatecrash.correlate.fetch import LogLocation, events_in_window, logs_client
from gatecrash.correlate.model import AccessRecord, RequestLogs
from gatecrash.correlate.parse import (
    group_by_request,
    group_pasted,
    parse_access_record,
    parse_execution_events,
    parse_text,
)


@dataclass(frozen=True, slots=True)
class Finding:
    request_id: str
    status: int | None
    cause: str | None
    evidence: tuple[str, ...]
    fix: str | None


@dataclass(frozen=True, slots=True)
class Diagnosis:
    findings: tuple[Finding, ...]
    requests_seen: int

    def counts(self) -> list[tuple[str, int]]:
        """Findings per cause, most frequent first (unclassified ones as "unknown")."""
        counter = Counter(finding.cause or "unknown" for finding in self.findings)
        return sorted(counter.items(), key=lambda item: (-item[1], item[0]))


def _failing(logs: RequestLogs, cause: str | None) -> bool:
    """A 4xx/5xx, a cause other than ok, or lines that show neither a status nor a cause (a pasted
    excerpt cut before `Method completed`): those are reported as unknown, never taken for a success."""
    status = logs.final_status
    if status is not None:
        return status >= 400 or cause not in (None, "ok")
    return cause != "ok"


def diagnose(groups: Mapping[str, RequestLogs], catalogue: Catalogue) -> Diagnosis:
    findings = []
    for request_id in sorted(groups):
        logs = groups[request_id]
        found = classify(logs, catalogue)
        if not _failing(logs, found.cause):
            continue
        fix = catalogue.get(found.cause).fix if found.cause is not None and found.cause in catalogue else None
        findings.append(Finding(request_id, logs.final_status, found.cause, found.evidence, fix))
    return Diagnosis(tuple(findings), len(groups))


def diagnose_text(text: str, source: str, catalogue: Catalogue) -> Diagnosis:
    """Exported or pasted lines: an excerpt that names no request id is one request."""
    lines, records = parse_text(text, source)
    return diagnose(group_pasted(lines, records), catalogue)


def diagnose_cloudwatch(location: LogLocation, start_ms: int, end_ms: int, catalogue: Catalogue) -> Diagnosis:
    client = logs_client(location)
    lines = parse_execution_events(events_in_window(client, location.execution_log_group, start_ms, end_ms, location))
    records: list[AccessRecord] = []
    if location.access_log_group is not None:
        for event in events_in_window(client, location.access_log_group, start_ms, end_ms, location):
            record = parse_access_record(event.message)
            if record is not None:
                records.append(record)
    return diagnose(group_by_request(lines, records), catalogue)
