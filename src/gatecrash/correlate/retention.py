"""Telling "no logs" apart from "logs expired" (pure).

CloudWatch Logs deletes the events of a log group older than its retention, and a read of their
window then returns no events at all, not an error (PutRetentionPolicy and FilterLogEvents in the
CloudWatch Logs API Reference). So an UNCONFIRMED probe whose request left no events looks the same
whether its events never came or came and expired. When the reader knows the retention (the
emulator's local logs server: `gatecrash emulator --logs-retention`), a request sent longer ago
than it gets a reason that says its events have expired.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from gatecrash.correlate.model import RequestLogs
from gatecrash.runner.verdict import StepResult, Verdict


def window_text(seconds: float) -> str:
    """A window as `--logs-retention` takes it: 90s, 15m, 2h, 1h30m."""
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{hours}h" if hours else "", f"{minutes}m" if minutes else "", f"{secs}s" if secs else ""]
    return "".join(parts) or f"{seconds:g}s"


def expired_reason(request_id: str, age_s: float, retention_s: float) -> str:
    return (
        f"no log events for request {request_id}: it was sent {window_text(age_s)} ago, past the emulator's "
        f"log retention of {window_text(retention_s)} (--logs-retention), so its events have expired "
        "(CloudWatch Logs returns nothing for events past a log group's retention)"
    )


def past_retention(
    result: StepResult, logs: Mapping[str, RequestLogs], retention_s: float, read_at: float
) -> StepResult:
    """`result`, its reason saying its events expired when it is UNCONFIRMED for want of the logs of a
    request sent more than `retention_s` before `read_at` (epoch seconds)."""
    if result.verdict is not Verdict.UNCONFIRMED:
        return result
    for observation in result.record.observations:
        request_id = observation.request_id
        age_s = read_at - observation.sent_at
        if request_id is not None and request_id not in logs and age_s > retention_s:
            return replace(result, reason=expired_reason(request_id, age_s, retention_s))
    return result
