"""What decided a cause, and how it reads in one line of a reason. Pure.

The classifier ranks modes by the access-log fields and execution-log lines that support them
(classify.py); for the mode it chooses, those fields and lines are the decisive evidence. A reason
quotes them in one line, shortened, where the whole access record (thirty fields with the emulator's
default format) would drown them: `access log error.responseType=INTEGRATION_FAILURE`, or
`execution log "Execution failed due to configuration error: Malformed Lambda proxy response"`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from gatecrash.catalogue import FailureMode
from gatecrash.correlate.model import DecisiveEvidence, RequestLogs

__all__ = ["decisive_evidence", "notable_fields", "one_line", "shortened"]

# The fields that say why a request failed, for logs that fit no mode (as classify's notes name them).
NOTABLE_FIELDS = ("error.responseType", "error.message", "integration.error", "authorizer.error")
VALUE_LIMIT = 100  # characters of one field's value in a reason
LINE_LIMIT = 140  # characters of one execution-log message in a reason
LINES_SHOWN = 2  # execution-log lines a reason quotes at most
_SPACE = re.compile(r"\s+")
# Request ids and timestamps name no cause: in a text too long they go first (a Lambda timeout's
# integration.error is `Lambda Customer Function Error:<time> <request id> Task timed out after ...`).
_NOISE = re.compile(
    r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b"
    r"|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?",
    re.IGNORECASE,
)
_ELIDED_RUN = re.compile(r"…(?: …)+")  # a timestamp then an id: one gap
_NEEDS_QUOTES = re.compile(r'[\s,;"]')


def decisive_evidence(
    logs: RequestLogs, mode: FailureMode, fields: Iterable[str], lines: Iterable[int]
) -> tuple[DecisiveEvidence, ...]:
    """The access-log `fields` (names the mode's entry matched) with their values, then the messages of
    execution lines number `lines` (in log order) with what the mode's patterns matched in them."""
    record: Mapping[str, str] = logs.access.fields if logs.access is not None else {}
    found = [DecisiveEvidence(record[name], name) for name in fields if name in record]
    for number in sorted(set(lines)):
        message = logs.execution[number].message
        matches = (re.search(pattern, message) for pattern in mode.evidence.execution_log)
        match = next((m for m in matches if m is not None and m.group()), None)
        found.append(DecisiveEvidence(message, matched=match.group() if match is not None else None))
    return tuple(found)


def notable_fields(logs: RequestLogs | None) -> tuple[DecisiveEvidence, ...]:
    """For logs no mode explains: the access record's error fields that hold a value."""
    if logs is None or logs.access is None:
        return ()
    record = logs.access.fields
    return tuple(DecisiveEvidence(record[name], name) for name in NOTABLE_FIELDS if record.get(name, "-") != "-")


def one_line(evidence: Sequence[DecisiveEvidence]) -> str:
    """`evidence` as a reason quotes it: the access-log fields that hold a value, else the execution-log
    lines, else the status; "" for none. The status is left out beside others (the reason states it),
    and so is `-` (what a field shows when nothing went wrong there says little on its own)."""
    telling = [e for e in evidence if e.field is not None and e.field != "status" and e.value != "-"]
    if telling:
        return "access log " + ", ".join(f"{e.field}={_value(e.value)}" for e in telling)
    lines = [e for e in evidence if e.field is None]
    if lines:
        return "; ".join(f'execution log "{_line(e)}"' for e in lines[:LINES_SHOWN])
    rest = [e for e in evidence if e.field is not None]
    return ("access log " + ", ".join(f"{e.field}={_value(e.value)}" for e in rest)) if rest else ""


def shortened(text: str, limit: int) -> str:
    """`text` on one line (whitespace runs as one space) in at most `limit` characters.

    A text too long loses its request ids and timestamps (each run of them becomes `…`), then its tail: a message
    starts with what happened, and a pattern's match ends where the entry's evidence ends, so what
    follows the cut is detail (stack frames, the rest of a body).
    """
    text = _SPACE.sub(" ", text).strip()
    if len(text) <= limit:
        return text
    text = _ELIDED_RUN.sub("…", _NOISE.sub("…", text))
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _line(evidence: DecisiveEvidence) -> str:
    """A message shortened so that what the pattern matched stays whole; a match itself too long keeps
    its start and its end (`Endpoint response headers: {Date=… x-amzn-ErrorType=TooManyRequestsException`)."""
    matched = _SPACE.sub(" ", evidence.matched or "").strip()
    if len(matched) <= LINE_LIMIT:
        return shortened(evidence.value, max(LINE_LIMIT, len(matched) + 1))
    tail = LINE_LIMIT // 3
    return matched[: LINE_LIMIT - tail - 1].rstrip() + "…" + matched[-tail:].lstrip()


def _value(value: str) -> str:
    text = shortened(value, VALUE_LIMIT)
    return f'"{text}"' if _NEEDS_QUOTES.search(text) or not text else text
