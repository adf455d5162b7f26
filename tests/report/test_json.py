"""results.json, read back as a machine reads it: evidence as objects, what decided, every verdict counted."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from gatecrash.report import json as json_report
from gatecrash.runner.verdict import StepResult, Verdict
from tests.report import MALFORMED, MALFORMED_RECORD, constructed_run, demo_run


def _document(run: Any) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(json_report.render(run))
    return document


def _probe(document: dict[str, Any], name: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [probe for probe in document["probes"] if probe["name"] == name]
    [probe] = found
    return probe


def test_an_access_record_is_an_object_and_an_execution_line_a_string() -> None:
    document = _document(constructed_run())
    assert document["format"] == 2
    probe = _probe(document, "function that raises")
    record, *lines = probe["evidence"]
    # The record as logged, not JSON inside a JSON string.
    assert record == json.loads(MALFORMED_RECORD)
    assert record["error.responseType"] == "API_CONFIGURATION_ERROR"
    assert lines == [f"(req-d-0) {MALFORMED}", "(req-d-0) Method completed with status: 502"]
    assert probe["decisive"] == [
        {"log": "access", "field": "status", "value": "502"},
        {"log": "execution", "value": MALFORMED},
    ]


def test_a_common_log_format_record_is_an_object_of_its_context_fields() -> None:
    run = constructed_run()
    line = '127.0.0.1 - - [02/Jan/2026:03:04:05 +0000] "GET /limited HTTP/1.1" 429 42 req-e-2 ext-e-2='
    burst = replace(run.results[4], evidence=(line,))
    [probe] = _document(replace(run, results=(burst,)))["probes"]
    assert probe["evidence"] == [
        {
            "identity.sourceIp": "127.0.0.1",
            "identity.caller": "-",
            "identity.user": "-",
            "requestTime": "02/Jan/2026:03:04:05 +0000",
            "httpMethod": "GET",
            "resourcePath": "/limited",
            "protocol": "HTTP/1.1",
            "status": "429",
            "responseLength": "42",
            "requestId": "req-e-2",
            "extendedRequestId": "ext-e-2=",
        }
    ]
    assert probe["decisive"] == []


def test_the_summary_counts_every_verdict_zeros_included() -> None:
    run = constructed_run()
    assert _document(run)["summary"] == {verdict.value: 1 for verdict in Verdict}
    only: tuple[StepResult, ...] = (run.results[2],)
    assert _document(replace(run, results=only))["summary"] == {
        "CONFIRMED": 1,
        "WRONG_CAUSE": 0,
        "WRONG_STATUS": 0,
        "UNCONFIRMED": 0,
        "ERROR": 0,
    }


def test_the_demo_run_holds_no_json_encoded_twice() -> None:
    document = _document(demo_run())
    records = 0
    for probe in document["probes"]:
        for item in probe["evidence"]:
            if isinstance(item, dict):
                records += 1
                assert item["requestId"] and "status" in item
            else:
                assert isinstance(item, str) and not item.lstrip().startswith("{"), item
        if probe["verdict"] == "CONFIRMED" and probe["mode"] != "request-too-large":
            assert probe["decisive"], probe["name"]
    assert records >= len(document["probes"]) - 1  # every probe but the front door's 413 has its record
    assert document["summary"]["CONFIRMED"] == len(document["probes"])
    assert document["summary"]["WRONG_CAUSE"] == 0
