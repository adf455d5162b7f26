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
from gatecrash.correlate.decisive import LINE_LIMIT, notable_fields, one_line, shortened
from gatecrash.correlate.fetch import LogLocation, events_in_window, logs_client
from gatecrash.correlate.model import AccessRecord, Classification, DecisiveEvidence, RequestLogs
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
    # Why this cause and not another (the classifier's notes: runner-up, traps applied), and what
    # the logs could not show; for an unknown cause, the nearest modes and what made them near.
    notes: tuple[str, ...] = ()
    candidates: tuple[str, ...] = ()
    # What decided the cause (the classifier's); for an unknown cause, the access record's error fields.
    decisive: tuple[DecisiveEvidence, ...] = ()

    def evidence_line(self) -> str:
        """The evidence in one line: what decided (`access log error.responseType=...`, or the execution
        line quoted), else the first line the finding rests on, shortened; "-" for none."""
        decided = one_line(self.decisive)
        if decided:
            return decided
        return shortened(self.evidence[0], LINE_LIMIT) if self.evidence else "-"


@dataclass(frozen=True, slots=True)
class Diagnosis:
    findings: tuple[Finding, ...]
    requests_seen: int
    access_log_read: bool = True  # False when only execution logs were read (no --access-log-group)

    @property
    def nothing_read(self) -> bool:
        """No line of the input is an API Gateway execution line or access record."""
        return self.requests_seen == 0

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


# apigw-reference.md "Throttling" and apigw-http-reference.md (last section): a 429 comes from a
# usage plan's throttle or quota, the stage's or method's throttle, or the account's regional limit;
# only usage plans (and, in a 2019 capture, method throttles) are known to write an execution line.
_LIMITS_429 = (
    "a 429 with no execution line naming its limit: a stage or method throttle, the account's regional "
    "throttle, or a usage plan's throttle or quota can each produce it; the access log's "
    "error.responseType decides (THROTTLED for a throttle, QUOTA_EXCEEDED for a quota)"
)


NEAREST_MODES = "nearest modes: "  # how the note naming an unknown cause's nearest modes starts


def _edge_notes(logs: RequestLogs, found: Classification, catalogue: Catalogue, access_log_read: bool) -> list[str]:
    notes: list[str] = []
    status = logs.final_status
    if status == 429 and not any("limit" in line.message for line in logs.execution):
        notes.append(_LIMITS_429)
        if logs.access is None:
            notes.append(
                "no access-log record was read for this request"
                + ("" if access_log_read else " (no --access-log-group given)")
                + ": which limit refused it cannot be seen"
            )
    near = _nearest(logs, found, catalogue)
    if near:
        basis = "the lines and record fit them in part" if found.candidates else f"status {status} only"
        notes.append(f"{NEAREST_MODES}{', '.join(near)} ({basis})")
    return notes


def _nearest(logs: RequestLogs, found: Classification, catalogue: Catalogue) -> tuple[str, ...]:
    """For an unknown cause, the modes nearest to it: those the lines fit in part, else those of its
    status (at most four); none for a known cause."""
    if found.cause is not None:
        return ()
    near = [mode for mode in found.candidates if mode in catalogue]
    if not near and logs.final_status is not None:
        near = [mode.id for mode in catalogue if mode.status_matches(logs.final_status)]
    return tuple(near[:4])


def diagnose(groups: Mapping[str, RequestLogs], catalogue: Catalogue, access_log_read: bool = True) -> Diagnosis:
    findings = []
    for request_id in sorted(groups):
        logs = groups[request_id]
        found = classify(logs, catalogue)
        if not _failing(logs, found.cause):
            continue
        fix = catalogue.get(found.cause).fix if found.cause is not None and found.cause in catalogue else None
        notes = (*found.notes, *_edge_notes(logs, found, catalogue, access_log_read))
        evidence = found.evidence or tuple(line.raw for line in logs.execution[-3:])
        candidates = found.candidates if found.cause is not None else _nearest(logs, found, catalogue)
        decisive = found.decisive or notable_fields(logs)
        findings.append(Finding(request_id, logs.final_status, found.cause, evidence, fix, notes, candidates, decisive))
    return Diagnosis(tuple(findings), len(groups), access_log_read)


def nothing_read_message(source: str) -> str:
    """What to say when `source` holds no API Gateway line (the CLI exits 2 with it)."""
    return (
        f"{source}: no API Gateway execution line or access-log record found; give execution-log lines "
        "(`(request-id) message`, a test-invoke log, `aws logs tail`/`filter-log-events` output) or "
        "access-log records (JSON, CLF, CSV, key=value)"
    )


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
    return diagnose(group_by_request(lines, records), catalogue, location.access_log_group is not None)
