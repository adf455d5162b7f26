"""A probe's log evidence as the reports show it: an access record as its fields, an execution line as
text, each with what decided the cause marked. Pure.

`StepResult.evidence` keeps the lines as the gateway wrote them. An access record among them (JSON,
or the console's Common Log Format line) becomes its fields, so that no report shows it as one long
line (thirty fields with the emulator's default format) or, in results.json, as JSON inside a JSON
string. The marks are what decided the cause the logs show (`StepResult.decisive`); when nothing
decided one (no logs, or logs no mode explains), they are what the expected mode's catalogue entry
looks for, and `marks_decided` says which.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from gatecrash.catalogue import FailureMode, value_matches
from gatecrash.correlate.model import DecisiveEvidence
from gatecrash.correlate.parse import parse_access_record
from gatecrash.runner.verdict import StepResult

__all__ = ["AccessRecordView", "EvidenceView", "LineView", "RecordField", "evidence_view", "execution_spans"]

# An execution-log line as CloudWatch stores it: `(request-id) message`, maybe after a timestamp.
# The catalogue's patterns are written against the message alone (they anchor with ^ and $).
_EXECUTION_PREFIX = re.compile(r"^[^(]*?\([^()\s]*\) ")


@dataclass(frozen=True, slots=True)
class RecordField:
    name: str  # as the record logs it; a nested object's keys joined with dots
    value: str
    marked: bool


@dataclass(frozen=True, slots=True)
class AccessRecordView:
    raw: str
    # The record as logged (a JSON record), or its `$context` fields (a Common Log Format line).
    document: Mapping[str, Any]
    fields: tuple[RecordField, ...]

    @property
    def marked(self) -> tuple[RecordField, ...]:
        return tuple(f for f in self.fields if f.marked)


@dataclass(frozen=True, slots=True)
class LineView:
    text: str  # an execution-log line, or the front door's answer (`413 ... (no request id, no log)`)
    spans: tuple[tuple[int, int], ...]  # the marked parts, sorted and apart

    @property
    def marked(self) -> bool:
        return bool(self.spans)

    @property
    def execution_line(self) -> bool:
        """Whether the line is an execution-log line in the form CloudWatch holds today."""
        return _EXECUTION_PREFIX.match(self.text) is not None


@dataclass(frozen=True, slots=True)
class EvidenceView:
    items: tuple[AccessRecordView | LineView, ...]
    # True: the marks are what decided the observed cause; False: what the expected mode's entry looks for.
    marks_decided: bool

    @property
    def marked(self) -> bool:
        return any(item.marked for item in self.items)


def evidence_view(result: StepResult) -> EvidenceView:
    decisive = result.decisive
    items = tuple(_item(line, result.mode, decisive) for line in result.evidence)
    return EvidenceView(items, bool(decisive))


def _item(line: str, mode: FailureMode, decisive: tuple[DecisiveEvidence, ...]) -> AccessRecordView | LineView:
    record = parse_access_record(line)
    if record is None:
        if decisive:
            spans = _found(line, (item.matched or item.value for item in decisive if not item.in_access_log))
        else:
            spans = execution_spans(line, mode)
        return LineView(line, tuple(spans))
    document: Mapping[str, Any]
    if line.strip().startswith("{"):
        document = json.loads(line)
        pairs = list(_flattened(document))
    else:
        document = dict(record.fields)
        pairs = list(record.fields.items())
    fields = tuple(RecordField(name, value, _marked(name, value, mode, decisive)) for name, value in pairs)
    return AccessRecordView(line, document, fields)


def _marked(name: str, value: str, mode: FailureMode, decisive: tuple[DecisiveEvidence, ...]) -> bool:
    if decisive:
        return any(
            item.field is not None and item.value == value and _names(name, value, item.field) for item in decisive
        )
    expected = mode.evidence.access_log
    return any(value_matches(wanted, value) and _names(name, value, field) for field, wanted in expected.items())


def _names(key: str, value: str, field: str) -> bool:
    """Whether the record's `key` logs the `$context` variable `field`.

    Formats may key a variable by another name (`responseType` for error.responseType): the parser's
    reading of a record holding that key alone says which variable it is.
    """
    if key == field:
        return True
    alone = parse_access_record(json.dumps({"requestId": "-", key: value}))
    return alone is not None and alone.fields.get(field) == value


def _flattened(document: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, str]]:
    for key, value in document.items():
        name = (prefix + key).removeprefix("$context.")
        if isinstance(value, dict):
            yield from _flattened(value, name + ".")
        else:
            yield name, value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def execution_spans(line: str, mode: FailureMode) -> list[tuple[int, int]]:
    """Where in an execution-log `line` the mode's patterns match (after the request id), sorted and merged."""
    prefix = _EXECUTION_PREFIX.match(line)
    if prefix is None:
        return []
    start = prefix.end()
    message = line[start:].rstrip("\r\n")
    return _merged(
        [
            (start + match.start(), start + match.end())
            for pattern in mode.evidence.execution_log
            for match in re.finditer(pattern, message)
            if match.end() > match.start()
        ]
    )


def _found(line: str, texts: Iterable[str]) -> list[tuple[int, int]]:
    spans = []
    for text in texts:
        at = line.find(text) if text else -1
        if at >= 0:
            spans.append((at, at + len(text)))
    return _merged(spans)


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged
