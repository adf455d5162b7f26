"""The evidence as reports show it: an access record's fields with what decided marked (pure)."""

from __future__ import annotations

import json
from dataclasses import replace

from gatecrash.catalogue import load_catalogue
from gatecrash.correlate.model import DecisiveEvidence
from gatecrash.report.evidence import AccessRecordView, LineView, evidence_view, execution_spans
from gatecrash.runner.verdict import StepResult
from tests.report import constructed_results

CATALOGUE = load_catalogue()
THROTTLED = (DecisiveEvidence("429", "status"), DecisiveEvidence("THROTTLED", "error.responseType"))


def _result(*evidence: str, decisive: tuple[DecisiveEvidence, ...] = THROTTLED) -> StepResult:
    burst = constructed_results(CATALOGUE)[4]  # mode throttled
    return replace(burst, evidence=evidence, decisive=decisive, observed_cause="throttled" if decisive else None)


def _record(result: StepResult) -> AccessRecordView:
    [record] = [item for item in evidence_view(result).items if isinstance(item, AccessRecordView)]
    return record


def _marked(result: StepResult) -> list[tuple[str, str]]:
    return [(field.name, field.value) for field in _record(result).marked]


def test_a_field_is_marked_under_the_name_the_format_gives_it() -> None:
    # Formats often key error.responseType as responseType (the parser's alias).
    line = '{"requestId":"r1","status":"429","responseType":"THROTTLED","integration.status":"429"}'
    result = _result(line)
    # integration.status holds the same value, but decided nothing.
    assert _marked(result) == [("status", "429"), ("responseType", "THROTTLED")]
    assert _record(result).document == json.loads(line)


def test_a_nested_record_is_shown_flattened_and_kept_nested() -> None:
    line = '{"requestId":"r1","status":429,"error":{"responseType":"THROTTLED","message":null}}'
    record = _record(_result(line))
    assert [(f.name, f.value, f.marked) for f in record.fields] == [
        ("requestId", "r1", False),
        ("status", "429", True),  # a number, read as the parser reads it
        ("error.responseType", "THROTTLED", True),
        ("error.message", "null", False),
    ]
    assert record.document == {
        "requestId": "r1",
        "status": 429,
        "error": {"responseType": "THROTTLED", "message": None},
    }


def test_without_a_decided_cause_the_marks_are_what_the_expected_entry_looks_for() -> None:
    line = '{"requestId":"r1","status":"429","error.responseType":"THROTTLED"}'
    view = evidence_view(_result(line, "(r1) Method completed with status: 429", decisive=()))
    assert not view.marks_decided and view.marked
    record, text = view.items
    assert isinstance(record, AccessRecordView) and isinstance(text, LineView)
    assert [f.name for f in record.marked] == ["status", "error.responseType"]
    assert not text.marked and text.execution_line


def test_execution_lines_mark_what_decided_or_the_patterns_after_the_request_id() -> None:
    line = "(abc-123) Method completed with status: 503"
    decided = evidence_view(_result(line, decisive=(DecisiveEvidence("Method completed with status: 503"),)))
    [text] = decided.items
    assert isinstance(text, LineView) and text.spans == ((10, len(line)),)
    mode = CATALOGUE.get("backend-5xx")
    assert [line[start:end] for start, end in execution_spans(line, mode)] == ["Method completed with status: 503"]
    # The front door's answer is no log line: nothing to mark, no execution-log heading.
    [front] = evidence_view(_result("413 HTTP content length exceeded (no request id, no log)", decisive=())).items
    assert isinstance(front, LineView) and not front.marked and not front.execution_line
