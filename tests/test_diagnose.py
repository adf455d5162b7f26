"""`gatecrash diagnose`: errors real traffic produced, classified from the logs (a log group or a file)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest

from gatecrash.catalogue import load_catalogue
from gatecrash.diagnose import Diagnosis, diagnose_text, nothing_read_message
from gatecrash.emulator.cloudwatch import LocalLogsServer
from gatecrash.emulator.definition import load_definition
from gatecrash.emulator.server import EmulatorServer
from gatecrash.emulator.sidefile import load_side_file
from tests.conftest import DEMO, ROOT

# Traffic and the cause each failing request must be diagnosed as.
TRAFFIC = [
    ("/failing", "lambda-error"),
    ("/malformed", "malformed-lambda-response"),
    ("/nowhere", "unknown-route"),
    ("/keyed", "missing-api-key"),
    ("/slow", "integration-timeout"),
    ("/pets", None),  # succeeds: not a finding
]


@pytest.fixture(scope="module")
def traffic(demo_backend: str) -> Iterator[tuple[str, dict[str, str]]]:
    """A fresh log server holding exactly this traffic's logs; yields its endpoint and path -> request id."""
    with LocalLogsServer() as logs:
        server = EmulatorServer(
            load_definition(DEMO / "api.yaml"),
            load_side_file(DEMO / "stage.yaml"),
            logs_endpoint=logs.endpoint_url,
            stage_variables={"backend": demo_backend},
        )
        with server:
            assert server.endpoints is not None
            ids = {
                path: httpx.get(server.endpoints.base_url + path, timeout=10).headers["x-amzn-requestid"]
                for path, _ in TRAFFIC
            }
            server.flush_logs()
        yield logs.endpoint_url, ids


def diagnose(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gatecrash", "diagnose", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        input=stdin,
    )


def expected_findings(ids: dict[str, str]) -> dict[str, str]:
    return {ids[path]: cause for path, cause in TRAFFIC if cause is not None}


def test_diagnose_a_stages_log_groups(traffic: tuple[str, dict[str, str]]) -> None:
    endpoint, ids = traffic
    result = diagnose(
        "--rest-api-id",
        "demo4pi0x1",
        "--stage",
        "demo",
        "--region",
        "us-east-1",
        "--access-log-group",
        "gatecrash-demo-access",
        "--endpoint-url",
        endpoint,
        "--json",
    )
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["requests_seen"] == len(TRAFFIC)
    assert {f["request_id"]: f["cause"] for f in document["findings"]} == expected_findings(ids)
    assert document["by_cause"] == {cause: 1 for _, cause in TRAFFIC if cause}
    timeout = next(f for f in document["findings"] if f["cause"] == "integration-timeout")
    assert timeout["status"] == 504
    assert any("Execution failed due to a timeout error" in line for line in timeout["evidence"])
    assert timeout["fix"]


def export(endpoint: str) -> str:
    """What `aws logs filter-log-events --log-group-name G` prints, for both groups, one after the other."""
    client: Any = boto3.client(
        "logs",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    outputs = []
    for group in ("API-Gateway-Execution-Logs_demo4pi0x1/demo", "gatecrash-demo-access"):
        events = client.filter_log_events(logGroupName=group)["events"]
        outputs.append(json.dumps({"events": events, "searchedLogStreams": []}, indent=4))
    return "\n".join(outputs)


def test_diagnose_exported_lines_from_a_file_and_stdin(traffic: tuple[str, dict[str, str]], tmp_path: Path) -> None:
    endpoint, ids = traffic
    exported = tmp_path / "events.json"
    exported.write_text(export(endpoint))
    from_file = diagnose("--from-file", str(exported), "--json")
    assert from_file.returncode == 0, from_file.stderr
    assert {f["request_id"]: f["cause"] for f in json.loads(from_file.stdout)["findings"]} == expected_findings(ids)
    from_stdin = diagnose("--from-file", "-", "--json", stdin=exported.read_text())
    assert json.loads(from_stdin.stdout) == json.loads(from_file.stdout)


def test_diagnose_prints_causes_with_counts_and_fixes(traffic: tuple[str, dict[str, str]]) -> None:
    endpoint, ids = traffic
    result = diagnose(
        "--rest-api-id",
        "demo4pi0x1",
        "--stage",
        "demo",
        "--region",
        "us-east-1",
        "--access-log-group",
        "gatecrash-demo-access",
        "--endpoint-url",
        endpoint,
    )
    assert result.returncode == 0, result.stderr
    assert "5 failing requests of 6, by cause" in result.stdout
    for _, cause in TRAFFIC:
        if cause:
            assert cause in result.stdout
    assert ids["/failing"] in result.stdout


def test_diagnose_explains_a_missing_log_group(traffic: tuple[str, dict[str, str]]) -> None:
    endpoint, _ = traffic
    result = diagnose(
        "--rest-api-id", "nosuchapi1", "--stage", "prod", "--region", "us-east-1", "--endpoint-url", endpoint
    )
    assert result.returncode == 3
    assert (
        "log group API-Gateway-Execution-Logs_nosuchapi1/prod does not exist: turn on execution logging"
        in result.stderr
    )


# --- diagnose_text at its edges (pure: no CLI, no log server) -------------------------------------------

RID = "4ef3e0b7-8927-4347-80f1-837121232a1f"


def diagnose_lines(text: str) -> Diagnosis:
    return diagnose_text(text, "pasted.txt", load_catalogue())


def test_text_with_no_api_gateway_line_reads_nothing_and_says_so() -> None:
    result = diagnose_lines("hello\nthis is not a log\n")
    assert result.nothing_read
    assert "pasted.txt: no API Gateway execution line or access-log record found" in nothing_read_message("pasted.txt")


def test_a_429_without_a_limit_line_names_the_limits_that_can_produce_it() -> None:
    result = diagnose_lines(f"({RID}) Method completed with status: 429\n")
    (finding,) = result.findings
    assert any(
        "a stage or method throttle, the account's regional throttle, or a usage plan" in n for n in finding.notes
    )
    assert any("no access-log record was read" in note for note in finding.notes)


def test_a_429_with_its_access_record_is_decided_by_the_record() -> None:
    record = json.dumps({"requestId": RID, "status": "429", "error.responseType": "QUOTA_EXCEEDED"})
    result = diagnose_lines(f"({RID}) Method completed with status: 429\n{record}\n")
    (finding,) = result.findings
    assert finding.cause == "quota-exceeded"
    assert not any("no access-log record" in note for note in finding.notes)


def test_an_unknown_cause_names_the_nearest_modes() -> None:
    record = json.dumps({"requestId": RID, "status": "403", "error.responseType": "WAF_FILTERED"})
    result = diagnose_lines(f"{record}\n")
    (finding,) = result.findings
    assert finding.cause is None
    nearest = next(note for note in finding.notes if note.startswith("nearest modes: "))
    assert "invalid-signature" in nearest  # a 403 the record does not rule out
    assert finding.evidence  # the lines it rests on are shown even without a mode


def test_a_cut_excerpt_with_no_status_and_no_cause_is_unknown_not_ok() -> None:
    result = diagnose_lines(
        "Endpoint request URI: https://lambda.us-east-1.amazonaws.com/2015-03-31/functions/f/invocations\n"
    )
    assert [finding.cause for finding in result.findings] == [None]


def test_an_authorized_excerpt_without_a_status_is_ok_not_a_deny() -> None:
    # KC "api-gateway-logs", "Example authorized logs": "Starting authorizer" is written for an
    # allowing authorizer too; with no status and no failure line the excerpt names no failure.
    result = diagnose_lines(
        f"Starting authorizer: 62mgrc for request: {RID}\nSuccessfully completed authorizer execution\n"
    )
    assert result.requests_seen == 1
    assert result.findings == ()


def test_an_authorizer_that_passed_is_no_deny_but_a_refusal_or_a_403_after_it_is() -> None:
    passed = f"Starting authorizer: 62mgrc for request: {RID}\nSuccessfully completed authorizer execution\n"
    # aws/chalice#971: a policy that allows nothing also completes, then refuses.
    refused = diagnose_lines(f"{passed}The client is not authorized to perform this operation.\n")
    assert [finding.cause for finding in refused.findings] == ["authorizer-deny"]
    denied = diagnose_lines(
        "".join(f"({RID}) {line}\n" for line in passed.splitlines()) + f"({RID}) Method completed with status: 403\n"
    )
    assert [finding.cause for finding in denied.findings] == ["authorizer-deny"]


def test_a_usage_plan_check_that_succeeded_is_ok_and_a_key_refusal_after_it_is_not() -> None:
    # KC "api-gateway-logs", "Example usage plan logs" (the page prints one space for the empty key).
    checked = (
        f"Verifying Usage Plan for request: {RID}. API Key: API Stage: a1b2c3/dev\n"
        "API Key authorized because method 'GET /' does not require API Key. Request will not contribute "
        "to throttle or quota limits\n"
        "Usage Plan check succeeded for API Key and API Stage a1b2c3/dev\n"
    )
    assert diagnose_lines(checked).findings == ()
    refused = diagnose_lines(
        f"Verifying Usage Plan for request: {RID}. API Key:  API Stage: a1b2c3/dev\n"
        "API Key  not authorized because method 'GET /' requires API Key and API Key is not associated with a "
        "Usage Plan for API Stage a1b2c3/dev: API Key was required but not present\n"
    )
    assert [finding.cause for finding in refused.findings] == ["missing-api-key"]


def test_a_quota_line_is_read_up_to_the_plan_id_whatever_follows() -> None:
    # KC api-gateway-429-limit prints the line with a stray "Q" before "Limit:".
    result = diagnose_lines(
        "API Key **********F0yrv6 exceeded quota limit for API Stage rohkz08x02/dev: Key quota exhausted "
        "for Usage Plan ID nnpegc. Q Limit: 500 Period: DAY\n"
    )
    assert [finding.cause for finding in result.findings] == ["quota-exceeded"]


def test_a_2016_function_error_shows_only_in_the_endpoint_response_headers() -> None:
    # rotemtam/serverless-aws-logs-parser tests/mocks/events.mock.js (2016): no customer-function-error
    # line; X-Amz-Function-Error=Handled in the headers, and an integration response's 400.
    headers = (
        "2016-10-01T10:55:36.480Z Endpoint response headers: {x-amzn-Remapped-Content-Length=0, "
        "Connection=keep-alive, Content-Length=61, X-Amz-Function-Error=Handled, Content-Type=application/json}\n"
    )
    mapped = diagnose_lines(headers + "2016-10-01T10:55:36.480Z Method completed with status: 400\n")
    assert [finding.cause for finding in mapped.findings] == ["lambda-error-mapped"]
    proxied = diagnose_lines(headers + "2016-10-01T10:55:36.480Z Method completed with status: 502\n")
    assert [finding.cause for finding in proxied.findings] == ["lambda-error"]
    ordinary = headers.replace("X-Amz-Function-Error=Handled, ", "")
    assert (
        diagnose_lines(ordinary + "2016-10-01T10:55:36.480Z Method completed with status: 400\n").findings[0].cause
        is None
    )


def test_a_line_quoted_in_a_markdown_blockquote_is_read() -> None:
    result = diagnose_lines(
        "> Lambda execution failed with status 200 due to customer function error: RequestId: "
        f"{RID} Process exited before completing request. Lambda request id: {RID}\n"
    )
    assert [finding.cause for finding in result.findings] == ["lambda-error"]


def test_a_pasted_excerpt_without_ids_is_diagnosed_as_one_request() -> None:
    result = diagnose_lines(
        "Sun Jan 28 20:28:17 UTC 2018 : Execution failed due to configuration error: Malformed Lambda proxy response\n"
        "Sun Jan 28 20:28:17 UTC 2018 : Method completed with status: 502\n"
    )
    assert result.requests_seen == 1
    assert [(f.cause, f.status) for f in result.findings] == [("malformed-lambda-response", 502)]


# --- the CLI at its edges: nothing read, notes, nearest modes, the evidence in one line -----------------


def test_diagnose_exits_2_when_the_file_holds_no_api_gateway_line(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("deploy went fine\nthen the 502s started\n")
    result = diagnose("--from-file", str(notes))
    assert result.returncode == 2
    assert nothing_read_message(str(notes)) in result.stderr
    assert result.stdout == ""  # no empty table
    from_stdin = diagnose("--from-file", "-", "--json", stdin="not a log line\n")
    assert from_stdin.returncode == 2
    assert "standard input: no API Gateway execution line or access-log record found" in from_stdin.stderr


MIXED = (
    f"({RID}) Execution failed due to configuration error: Malformed Lambda proxy response\n"
    f"({RID}) Method completed with status: 502\n"
    + json.dumps(
        {"requestId": "5d1e9c1a-0b7e-4c0e-9d5a-1f2e3d4c5b6a", "status": "403", "error.responseType": "WAF_FILTERED"}
    )
    + "\n"
)


def test_diagnose_json_carries_notes_candidates_and_what_decided(tmp_path: Path) -> None:
    pasted = tmp_path / "pasted.log"
    pasted.write_text(MIXED)
    result = diagnose("--from-file", str(pasted), "--json")
    assert result.returncode == 0, result.stderr
    findings = {f["request_id"]: f for f in json.loads(result.stdout)["findings"]}
    malformed = findings[RID]
    assert malformed["cause"] == "malformed-lambda-response"
    assert malformed["decisive"] == [
        {
            "log": "execution",
            "value": "Execution failed due to configuration error: Malformed Lambda proxy response",
            "matched": "Execution failed due to configuration error: Malformed Lambda proxy response",
        }
    ]
    assert "no access-log record: the cause rests on the execution lines" in malformed["notes"]
    assert malformed["candidates"][0] == "malformed-lambda-response"
    unknown = findings["5d1e9c1a-0b7e-4c0e-9d5a-1f2e3d4c5b6a"]
    assert unknown["cause"] is None
    assert "invalid-signature" in unknown["candidates"]  # the nearest modes of a 403 the record does not rule out
    assert unknown["decisive"] == [{"log": "access", "field": "error.responseType", "value": "WAF_FILTERED"}]
    assert any(note.startswith("nearest modes: ") for note in unknown["notes"])


def test_diagnose_table_shows_the_deciding_evidence_in_one_line_with_notes_and_nearest_modes(tmp_path: Path) -> None:
    pasted = tmp_path / "pasted.log"
    pasted.write_text(MIXED)
    result = subprocess.run(
        [sys.executable, "-m", "gatecrash", "diagnose", "--from-file", str(pasted)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env={**os.environ, "COLUMNS": "400"},  # one row per finding, to read the cells back
    )
    assert result.returncode == 0, result.stderr
    rows = {
        line.split("│")[1].strip(): [cell.strip() for cell in line.split("│")[2:-1]]
        for line in result.stdout.splitlines()
        if line.count("│") == 6
    }
    status, cause, evidence, notes = rows[RID]
    assert (status, cause) == ("502", "malformed-lambda-response")
    assert evidence == 'execution log "Execution failed due to configuration error: Malformed Lambda proxy response"'
    assert "runner-up:" in notes or "no access-log record" in notes
    status, cause, evidence, _ = rows["5d1e9c1a-0b7e-4c0e-9d5a-1f2e3d4c5b6a"]
    assert status == "403"
    assert cause.startswith("unknown (nearest: ") and "invalid-signature" in cause
    assert evidence == "access log error.responseType=WAF_FILTERED"  # not the raw access record
    assert '{"requestId"' not in result.stdout


def test_findings_carry_what_decided_and_an_unknown_carries_its_nearest_modes() -> None:
    record = json.dumps({"requestId": RID, "status": "429", "error.responseType": "QUOTA_EXCEEDED"})
    (known,) = diagnose_lines(f"({RID}) Method completed with status: 429\n{record}\n").findings
    assert known.cause == "quota-exceeded"
    assert any(item.field == "error.responseType" and item.value == "QUOTA_EXCEEDED" for item in known.decisive)
    assert known.evidence_line() == "access log error.responseType=QUOTA_EXCEEDED"
    (unknown,) = diagnose_lines(f"({RID}) Method completed with status: 429\n").findings
    assert unknown.cause is None and unknown.decisive == ()
    assert unknown.candidates[:2] == ("throttled", "quota-exceeded")
    assert unknown.evidence_line() == f"({RID}) Method completed with status: 429"  # the line itself, shortened
