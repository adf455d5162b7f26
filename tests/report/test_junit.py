"""junit.xml, parsed back: the attributes and texts Jenkins and GitLab read."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from gatecrash.report import junit
from gatecrash.report.files import FORMATS, write_report, write_reports
from gatecrash.run import RunResult
from tests.report import HOSTILE_BODY, MALFORMED, MALFORMED_RECORD, constructed_run, demo_run


@pytest.fixture(scope="module")
def hand_made() -> ET.Element:
    return ET.fromstring(junit.render(constructed_run()))


def _cases(root: ET.Element) -> dict[str, ET.Element]:
    return {case.attrib["name"]: case for case in root.iter("testcase")}


def test_one_suite_per_run_with_the_counts(hand_made: ET.Element) -> None:
    assert hand_made.tag == "testsuites"
    counts = {"tests": "5", "failures": "2", "errors": "1", "time": "1.500"}
    assert hand_made.attrib == {"name": "gatecrash", **counts}
    [suite] = list(hand_made)
    assert suite.tag == "testsuite"
    assert suite.attrib == {
        "name": "hand-made",
        **counts,
        "skipped": "0",
        "timestamp": "2026-01-02T03:04:05",
        "hostname": "abc123.execute-api.eu-west-1.amazonaws.com",
    }
    assert [child.tag for child in suite] == ["properties"] + ["testcase"] * 5


def test_suite_properties_name_the_run_and_where_its_logs_are(hand_made: ET.Element) -> None:
    properties = {p.attrib["name"]: p.attrib["value"] for p in hand_made.iter("property")}
    assert properties == {
        "gatecrash.version": "9.9.9",
        "run.id": "run0",
        "scenario.file": "scenarios/hand-made.yaml",
        "target": "AWS abc123/prod (eu-west-1)",
        "target.base_url": "https://abc123.execute-api.eu-west-1.amazonaws.com/prod",
        "target.rest_api_id": "abc123",
        "target.stage": "prod",
        "target.region": "eu-west-1",
        "logs.execution": "API-Gateway-Execution-Logs_abc123/prod",
        "logs.access": "prod-access",
    }


def test_one_testcase_per_probe_named_by_mode_and_probe(hand_made: ET.Element) -> None:
    cases = [case.attrib for case in hand_made.iter("testcase")]
    assert cases == [
        {"classname": "throttled", "name": "limited <b>burst</b>", "time": "0.020"},
        {"classname": "integration-timeout", "name": "slow backend", "time": "0.000"},
        {"classname": "unknown-route", "name": "unknown route", "time": "0.020"},
        {"classname": "lambda-error", "name": "function that raises", "time": "0.020"},
        # A burst: first request out (100 ms) to last answer in (101 + 250 ms).
        {"classname": "throttled", "name": "burst of three", "time": "0.251"},
    ]


def test_wrong_status_fails_with_expected_observed_cause_and_evidence(hand_made: ET.Element) -> None:
    case = _cases(hand_made)["limited <b>burst</b>"]
    assert [child.tag for child in case] == ["failure", "system-out"]
    failure = case.find("failure")
    assert failure is not None
    reason = 'expected 429 (throttled), got 200: the logs show ok (execution log "Method completed with status: 200")'
    assert failure.attrib == {"message": f"WRONG_STATUS: {reason}", "type": "WRONG_STATUS"}
    # The target's control character arrives as text, since XML 1.0 cannot carry it.
    body = HOSTILE_BODY.replace("\x1b", "\\x1b")
    assert failure.text == (
        "expected: 429 TooManyRequestsException\n"
        "observed: 200\n"
        f"reason: {reason}\n"
        "observed cause (from the gateway's logs): ok\n"
        "evidence (* what decided ok):\n"
        "  access log record:\n"
        "      requestId: req-a-0\n"
        "    * status: 200\n"
        "    * error.responseType: -\n"
        "  execution log:\n"
        f"      (req-a-0) Endpoint response body before transformations: {body}\n"
        "    * (req-a-0) Method completed with status: 200"
    )


def test_wrong_cause_fails_with_a_one_line_message_naming_both_causes_and_the_deciding_line(
    hand_made: ET.Element,
) -> None:
    failure = _cases(hand_made)["function that raises"].find("failure")
    assert failure is not None and failure.text is not None
    # The message CI shows in its list of failures: one line, no access record.
    assert failure.attrib == {
        "message": "WRONG_CAUSE: status 502 as expected, but the logs show malformed-lambda-response, "
        f'not lambda-error (execution log "{MALFORMED}")',
        "type": "WRONG_CAUSE",
    }
    assert "observed cause (from the gateway's logs): malformed-lambda-response\n" in failure.text
    # The record field by field, what decided marked, the fields logged `-` left out; never the line itself.
    assert MALFORMED_RECORD not in failure.text and '"requestId"' not in failure.text
    assert (
        "evidence (* what decided malformed-lambda-response):\n"
        "  access log record (10 fields logged '-' left out):\n"
        "      requestId: req-d-0\n"
    ) in failure.text
    assert "\n    * status: 502\n      protocol: HTTP/1.1\n" in failure.text
    assert "authorizer.error" not in failure.text
    assert failure.text.endswith(
        f"  execution log:\n    * (req-d-0) {MALFORMED}\n      (req-d-0) Method completed with status: 502"
    )


def test_error_is_an_error_not_a_failure(hand_made: ET.Element) -> None:
    case = _cases(hand_made)["slow backend"]
    assert [child.tag for child in case] == ["error", "system-out"]
    error = case.find("error")
    assert error is not None
    assert error.attrib == {"message": "ERROR: timeout", "type": "ERROR"}
    assert error.text == (
        "expected: 504 InternalServerErrorException\n"
        "observed: timeout\n"
        "reason: timeout\n"
        "observed cause (from the gateway's logs): none found\n"
        "evidence: none"
    )


def test_confirmed_and_unconfirmed_pass(hand_made: ET.Element) -> None:
    cases = _cases(hand_made)
    for name in ("unknown route", "burst of three"):
        assert [child.tag for child in cases[name]] == ["system-out"]


def test_system_out_lists_every_request_id(hand_made: ET.Element) -> None:
    out = _cases(hand_made)["burst of three"].find("system-out")
    assert out is not None
    base = "https://abc123.execute-api.eu-west-1.amazonaws.com/prod/limited"
    assert out.text == (
        "verdict: UNCONFIRMED: 200: 2, 429: 1; no log events for request req-e-2 by the deadline\n"
        f"request 1: GET {base} -> 200; x-amzn-RequestId req-e-0; x-amz-apigw-id ext-e-0=\n"
        f"request 2: GET {base} -> 200; x-amzn-RequestId req-e-1; x-amz-apigw-id ext-e-1=\n"
        f"request 3: GET {base} -> 429 TooManyRequestsException; x-amzn-RequestId req-e-2; x-amz-apigw-id ext-e-2=\n"
    )


def test_the_demo_run_is_one_passing_testcase_per_probe() -> None:
    run = demo_run()
    root = ET.fromstring(junit.render(run))
    suite = root.find("testsuite")
    assert suite is not None
    assert suite.attrib["name"] == "demo"
    assert (suite.attrib["tests"], suite.attrib["failures"], suite.attrib["errors"]) == (
        str(len(run.results)),
        "0",
        "0",
    )
    cases = list(suite.iter("testcase"))
    assert [(c.attrib["classname"], c.attrib["name"]) for c in cases] == [(r.mode.id, r.name) for r in run.results]
    for case, result in zip(cases, run.results, strict=True):
        assert case.find("failure") is None and case.find("error") is None
        out = case.findtext("system-out") or ""
        assert all(o.request_id in out for o in result.record.observations if o.request_id)


def _read(paths: tuple[Path, ...]) -> list[str]:
    return [path.read_text(encoding="utf-8") for path in paths]


def test_write_reports_puts_the_three_formats_in_the_run_folder(tmp_path: Path) -> None:
    run: RunResult = constructed_run()
    paths = write_reports(tmp_path, run, FORMATS)
    folder = tmp_path / "20260102T030405Z-hand-made-run0"
    assert paths == (folder / "results.json", folder / "junit.xml", folder / "report.html")
    json_text, junit_text, html_text = _read(paths)
    assert '"run_id": "run0"' in json_text
    assert junit_text == junit.render(run)
    assert html_text.startswith("<!DOCTYPE html>")
    assert write_report(tmp_path, run) == folder / "results.json"
    with pytest.raises(ValueError, match="unknown report format"):
        write_reports(tmp_path, run, ("json", "pdf"))
