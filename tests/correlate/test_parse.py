"""Log text into values: every execution-line shape real logs hold, JSON and CLF access records,
exported files, and grouping by request id.

Shapes are copied from apigw-reference.md ("Execution logs", "Line formats met in the wild",
"Access logs") and its sources, and from the emulator's writers, which copy the same logs.
"""

from __future__ import annotations

import json

import pytest

from gatecrash.correlate.model import AccessRecord, ExecutionLine, LogEvent, RequestLogs
from gatecrash.correlate.parse import (
    INVALID_REQUEST_ID,
    UNNAMED_REQUEST,
    group_by_request,
    group_pasted,
    parse_access_record,
    parse_execution_events,
    parse_text,
)
from gatecrash.emulator.accesslog import DEFAULT_FORMAT, render

RID = "4ef3e0b7-8927-4347-80f1-837121232a1f"
RID2 = "b00e390d-81a4-480e-b6db-71e81f7be379"
GROUP = "API-Gateway-Execution-Logs_demo4pi0x1/demo"
STREAM = "fc21b7135d3cfa70979e9e94492feb76"
STREAM2 = "cfc838a1137ba60ac0d3d017338746fd"


def _event(message: str, stream: str = STREAM, timestamp_ms: int = 1_795_596_738_453) -> LogEvent:
    return LogEvent(GROUP, stream, timestamp_ms, message)


def _triples(lines: list[ExecutionLine]) -> list[tuple[str | None, str]]:
    return [(line.request_id, line.message) for line in lines]


# --- execution lines: (id) message --------------------------------------------------------------


def test_the_prefixed_form_gives_id_message_timestamp_and_raw() -> None:
    raw = f"({RID}) Method completed with status: 200"
    [line] = parse_execution_events([_event(raw, timestamp_ms=1234)])
    assert line == ExecutionLine(RID, "Method completed with status: 200", 1234, raw)


def test_prefixed_lines_keep_their_message_exactly_as_written() -> None:
    # An empty body keeps its trailing space; an empty key its two spaces (apigw-reference.md).
    messages = [
        "Method request body before transformations: ",
        f"Verifying Usage Plan for request: {RID}. API Key:  API Stage: demo4pi0x1/demo",
        "API Key  authorized because method 'GET /pets' does not require API Key. "
        "Request will not contribute to throttle or quota limits",
    ]
    lines = parse_execution_events([_event(f"({RID}) {message}") for message in messages])
    assert _triples(lines) == [(RID, message) for message in messages]


def test_a_test_invoke_id_that_is_not_a_uuid_is_still_an_id() -> None:
    [line] = parse_execution_events([_event("(test-invoke-request) Starting execution for request: x")])
    assert line.request_id == "test-invoke-request"


def test_a_prefixed_line_with_an_empty_message() -> None:
    [line] = parse_execution_events([_event(f"({RID})")])
    assert (line.request_id, line.message) == (RID, "")


# --- execution lines: ISO timestamp in front ----------------------------------------------------------


def test_an_iso_timestamp_in_front_is_taken_off_and_used() -> None:
    # The 2017 log-parser fixture's form.
    raw = f"2017-06-05T13:57:47.369Z ({RID}) Usage Plan check succeeded for API Key  and API Stage oo8kadh853/Test"
    [line] = parse_execution_events([_event(raw, timestamp_ms=0)])
    assert line == ExecutionLine(
        RID, "Usage Plan check succeeded for API Key  and API Stage oo8kadh853/Test", 1496671067369, raw
    )


@pytest.mark.parametrize(
    ("stamp", "expected_ms"),
    [
        ("2023-10-27T13:40:57.123Z", 1698414057123),
        ("2023-10-27T13:40:57.123000+00:00", 1698414057123),  # aws logs tail
        ("2023-10-27T13:40:57Z", 1698414057000),
        ("2023-10-27T15:40:57.123+02:00", 1698414057123),
    ],
)
def test_iso_timestamps_in_the_forms_tools_print(stamp: str, expected_ms: int) -> None:
    [line] = parse_execution_events([_event(f"{stamp} ({RID}) Successfully completed execution")])
    assert (line.timestamp_ms, line.message) == (expected_ms, "Successfully completed execution")


# --- execution lines: the older form, id only inside some messages -------------------------------------


def test_the_older_form_takes_the_id_from_the_lines_that_name_it() -> None:
    # rotemtam/serverless-aws-logs-parser's 2016 fixture: no id in front, ISO timestamps.
    rid = "9ac0eacd-87c5-11e6-b30c-19c3d9849330"
    masked = "**********************************bMZHBg"
    events = [
        _event("2016-10-01T10:55:45.600Z HTTP Method: GET, Resource Path: /before"),
        _event(
            f"2016-10-01T10:55:45.602Z Verifying Usage Plan for request: {rid}. API Key: {masked} "
            "API Stage: ulhoxnm2x2/dev"
        ),
        _event(
            f"2016-10-01T10:55:45.610Z Usage Plan check succeeded for API Key {masked} and API Stage ulhoxnm2x2/dev"
        ),
        _event(f"2016-10-01T10:55:45.611Z Starting execution for request: {rid}"),
        _event("2016-10-01T10:55:45.611Z HTTP Method: POST, Resource Path: /repos/hello"),
        _event("2016-10-01T10:55:45.700Z Method completed with status: 200"),
        _event(f"2016-10-01T10:55:46.000Z Starting execution for request: {RID2}"),
        _event("2016-10-01T10:55:46.001Z HTTP Method: GET, Resource Path: /pets"),
    ]
    lines = parse_execution_events(events)
    assert [line.request_id for line in lines] == [None, rid, rid, rid, rid, rid, RID2, RID2]
    assert lines[1].message.startswith(f"Verifying Usage Plan for request: {rid}.")
    assert lines[5] == ExecutionLine(
        rid,
        "Method completed with status: 200",
        1475319345700,
        "2016-10-01T10:55:45.700Z Method completed with status: 200",
    )


def test_the_older_form_without_timestamps_keeps_each_streams_request_apart() -> None:
    events = [
        _event(f"Starting execution for request: {RID}", STREAM),
        _event(f"Starting execution for request: {RID2}", STREAM2),
        _event("Method completed with status: 200", STREAM),
        _event("Method completed with status: 502", STREAM2),
    ]
    lines = parse_execution_events(events)
    assert _triples(lines) == [
        (RID, f"Starting execution for request: {RID}"),
        (RID2, f"Starting execution for request: {RID2}"),
        (RID, "Method completed with status: 200"),
        (RID2, "Method completed with status: 502"),
    ]


def test_an_authorizer_line_names_the_request_in_the_older_form() -> None:
    events = [_event(f"Starting authorizer: 2egbc3 for request: {RID}"), _event("Incoming identity: ******abcdef")]
    assert [line.request_id for line in parse_execution_events(events)] == [RID, RID]


# --- execution lines: the console's test invoke -----------------------------------------------------------


def test_the_console_form_under_its_header() -> None:
    # A 2023 test-console log (apigw-reference.md sources); the header names the request.
    rid = "4b8ae478-ac2d-4fff-96e9-870739d88db2"
    text = (
        f"Execution log for request {rid}\n"
        f"Tue May 30 01:22:45 UTC 2023 : Starting execution for request: {rid}\n"
        "Tue May 30 01:22:45 UTC 2023 : HTTP Method: GET, Resource Path: /registrations\n"
        "Tue May 30 01:22:46 UTC 2023 : Method completed with status: 200\n"
    )
    lines = parse_execution_events([_event(text, timestamp_ms=0)])
    assert _triples(lines) == [
        (rid, f"Starting execution for request: {rid}"),
        (rid, "HTTP Method: GET, Resource Path: /registrations"),
        (rid, "Method completed with status: 200"),
    ]
    assert [line.timestamp_ms for line in lines] == [1685409765000, 1685409765000, 1685409766000]
    assert lines[2].raw == "Tue May 30 01:22:46 UTC 2023 : Method completed with status: 200"


def test_the_console_headers_id_stands_for_every_line_under_it() -> None:
    # A 2016 test invoke: header "test-request", lines naming "test-invoke-request".
    text = (
        "Execution log for request test-request\n"
        "Sat Dec 03 01:39:37 UTC 2016 : Starting execution for request: test-invoke-request\n"
        "Sat Dec 03 01:39:37 UTC 2016 : HTTP Method: POST, Resource Path: /DynamoDBManager"
    )
    lines = parse_execution_events([_event(text)])
    assert [line.request_id for line in lines] == ["test-request", "test-request"]


# --- execution lines: several lines per event, escaped newlines, garbage ---------------------------------


def test_an_event_with_several_lines_gives_each_its_line() -> None:
    event = _event(f"({RID}) Successfully completed execution\n({RID}) Method completed with status: 200\n")
    lines = parse_execution_events([event])
    assert _triples(lines) == [(RID, "Successfully completed execution"), (RID, "Method completed with status: 200")]
    assert [line.raw for line in lines] == [
        f"({RID}) Successfully completed execution",
        f"({RID}) Method completed with status: 200",
    ]


def test_continuation_lines_of_an_event_belong_to_its_request() -> None:
    event = _event(f'({RID}) Endpoint response body before transformations: {{\r\n  "ok": true\r\n}}')
    lines = parse_execution_events([event])
    assert _triples(lines) == [
        (RID, "Endpoint response body before transformations: {"),
        (RID, '  "ok": true'),
        (RID, "}"),
    ]


def test_an_escaped_newline_in_a_body_stays_one_line() -> None:
    message = 'Endpoint response body before transformations: {"errorMessage": "a\\nb", "trace": "x\\n  y"}'
    [line] = parse_execution_events([_event(f"({RID}) {message}")])
    assert line.message == message


@pytest.mark.parametrize(
    "garbage",
    ["", "   ", "\n\n", "(", "()", "( ) x", "(has space) message", "not a log line", "2023-99-99T99:99:99Z (x) y", "}"],
)
def test_garbage_lines_name_no_request(garbage: str) -> None:
    assert all(line.request_id is None for line in parse_execution_events([_event(garbage)]))


# --- access records: JSON ---------------------------------------------------------------------------------


def _emulator_record(**values: str) -> str:
    """A record as the emulator writes it: its default format, each key a `$context` variable name."""
    return render(DEFAULT_FORMAT, {"requestId": RID, "extendedRequestId": "0FlNpjycb9cHCCA=", **values})


def test_the_emulators_default_json_record() -> None:
    raw = _emulator_record(**{"status": "502", "error.responseType": "INTEGRATION_FAILURE"})
    record = parse_access_record(raw)
    assert record is not None
    assert (record.request_id, record.extended_request_id, record.raw) == (RID, "0FlNpjycb9cHCCA=", raw)
    assert record.fields["status"] == "502"
    assert record.fields["error.responseType"] == "INTEGRATION_FAILURE"
    assert record.fields["integration.error"] == "-"  # unset values log `-` (AWS docs), kept as written


def test_the_consoles_json_preset_keys_map_to_context_names() -> None:
    # AWS docs, "Access logging for REST APIs": the console's JSON example.
    raw = json.dumps(
        {
            "requestId": RID,
            "extendedRequestId": "0FlNpjycb9cHCCA=",
            "ip": "203.0.113.7",
            "caller": "-",
            "user": "-",
            "requestTime": "27/Oct/2023:13:40:57 +0000",
            "httpMethod": "GET",
            "resourcePath": "/pets",
            "status": "200",
            "protocol": "HTTP/1.1",
            "responseLength": "32",
        }
    )
    record = parse_access_record(raw)
    assert record is not None
    assert record.fields["identity.sourceIp"] == "203.0.113.7"
    assert record.fields["ip"] == "203.0.113.7"  # the format's own key stays too
    assert (record.fields["identity.caller"], record.fields["identity.user"]) == ("-", "-")
    assert (record.fields["httpMethod"], record.fields["resourcePath"], record.fields["status"]) == (
        "GET",
        "/pets",
        "200",
    )


@pytest.mark.parametrize(
    ("key", "name"),
    [
        ("errorResponseType", "error.responseType"),
        ("responseType", "error.responseType"),
        ("errorMessage", "error.message"),
        ("integrationErrorMessage", "integration.error"),
        ("integrationError", "integration.error"),
        ("integrationStatus", "integration.integrationStatus"),
        ("authorizerError", "authorizer.error"),
        ("$context.error.responseType", "error.responseType"),
    ],
)
def test_aliases_map_to_context_names(key: str, name: str) -> None:
    record = parse_access_record(json.dumps({"requestId": RID, key: "VALUE"}))
    assert record is not None and record.fields[name] == "VALUE"


def test_a_context_name_wins_over_an_alias_for_it() -> None:
    record = parse_access_record(json.dumps({"requestId": RID, "responseType": "X", "error.responseType": "THROTTLED"}))
    assert record is not None and record.fields["error.responseType"] == "THROTTLED"


def test_nested_format_objects_flatten_with_dots() -> None:
    raw = json.dumps({"requestId": RID, "error": {"message": "Forbidden", "responseType": "INVALID_API_KEY"}})
    record = parse_access_record(raw)
    assert record is not None
    assert (record.fields["error.message"], record.fields["error.responseType"]) == ("Forbidden", "INVALID_API_KEY")


def test_unquoted_values_become_text() -> None:
    # `{"status":$context.status}` logs a number; the message string carries its own quotes
    # (emulator tests of accesslog.render, AWS docs).
    raw = render(
        '{"requestId":"$context.requestId","status":$context.status,"m":$context.error.messageString}',
        {"requestId": RID, "status": "504", "error.messageString": ' "Endpoint request timed out"'},
    )
    record = parse_access_record(raw)
    assert record is not None
    assert record.fields["status"] == "504"
    assert record.fields["m"] == "Endpoint request timed out"
    other = parse_access_record(json.dumps({"requestId": RID, "a": None, "b": True, "c": 1.5, "d": [1]}))
    assert other is not None and [other.fields[k] for k in "abcd"] == ["-", "true", "1.5", "[1]"]


def test_a_replaced_client_request_id_joins_nothing_by_itself() -> None:
    # AWS docs: a client's non-UUID x-amzn-RequestId is logged as UUID_REPLACED_INVALID_REQUEST_ID.
    record = parse_access_record(json.dumps({"requestId": INVALID_REQUEST_ID, "extendedRequestId": "Vts2FFmArPEFh8g="}))
    assert record is not None
    assert (record.request_id, record.extended_request_id) == (None, "Vts2FFmArPEFh8g=")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "{",
        "[]",
        '{"level": "INFO", "message": "a Lambda function\'s own JSON line"}',
        f"({RID}) Method completed with status: 200",
        "Method completed with status: 200",
        "[" * 5000,
        '{"requestId": ' + "[" * 5000,
    ],
)
def test_text_that_is_no_access_record(text: str) -> None:
    assert parse_access_record(text) is None


# --- access records: Common Log Format ------------------------------------------------------------------


def test_a_clf_record_as_the_console_preset_writes_it() -> None:
    raw = f'203.0.113.7 - - [27/Oct/2023:13:40:57 +0000] "GET /pets HTTP/1.1" 200 32 {RID} 0FlNpjycb9cHCCA='
    record = parse_access_record(raw)
    assert record == AccessRecord(
        RID,
        {
            "identity.sourceIp": "203.0.113.7",
            "identity.caller": "-",
            "identity.user": "-",
            "requestTime": "27/Oct/2023:13:40:57 +0000",
            "httpMethod": "GET",
            "resourcePath": "/pets",
            "protocol": "HTTP/1.1",
            "status": "200",
            "responseLength": "32",
            "requestId": RID,
            "extendedRequestId": "0FlNpjycb9cHCCA=",
        },
        raw,
        "0FlNpjycb9cHCCA=",
    )


def test_a_clf_record_of_the_older_preset_and_without_the_space_before_the_quote() -> None:
    # The docs print `[$context.requestTime]"$context.httpMethod ...`; older presets end at requestId.
    record = parse_access_record(
        f'2001:db8::1 AIDAEXAMPLE - [27/Oct/2023:13:40:57 +0000]"POST /pets HTTP/1.1" 429 31 {RID}'
    )
    assert record is not None
    assert (record.request_id, record.extended_request_id) == (RID, None)
    assert (record.fields["status"], record.fields["identity.caller"]) == ("429", "AIDAEXAMPLE")
    assert "extendedRequestId" not in record.fields


# --- exported files -------------------------------------------------------------------------------------


def _filter_log_events_output() -> str:
    access = _emulator_record(status="200")
    return json.dumps(
        {
            "events": [
                {"logStreamName": STREAM, "timestamp": 10, "message": f"({RID}) Starting execution for request: {RID}"},
                {"logStreamName": STREAM, "timestamp": 11, "message": f"({RID}) Method completed with status: 200"},
                {"logStreamName": STREAM2, "timestamp": 12, "message": access, "ingestionTime": 13, "eventId": "1"},
            ],
            "searchedLogStreams": [],
        },
        indent=4,
    )


def test_parse_text_reads_filter_log_events_json() -> None:
    lines, records = parse_text(_filter_log_events_output(), "export.json")
    assert _triples(lines) == [
        (RID, f"Starting execution for request: {RID}"),
        (RID, "Method completed with status: 200"),
    ]
    assert [line.timestamp_ms for line in lines] == [10, 11]
    assert [record.request_id for record in records] == [RID]


def test_parse_text_reads_several_json_documents_in_a_row() -> None:
    lines, records = parse_text(_filter_log_events_output() + "\n" + _filter_log_events_output(), "two.json")
    assert (len(lines), len(records)) == (4, 2)


def test_parse_text_reads_get_log_events_and_bare_event_lists() -> None:
    events = [{"timestamp": 5, "message": f"({RID}) Method completed with status: 504", "ingestionTime": 6}]
    for text in (json.dumps({"events": events, "nextForwardToken": "f/1"}), json.dumps(events)):
        lines, records = parse_text(text, "get.json")
        assert (_triples(lines), records) == ([(RID, "Method completed with status: 504")], [])


def test_parse_text_reads_events_one_per_line() -> None:
    # `aws logs filter-log-events ... | jq -c '.events[]'`
    events = [
        {"logStreamName": STREAM, "timestamp": 1, "message": f"({RID}) Method completed with status: 429"},
        {"logStreamName": STREAM2, "timestamp": 2, "message": _emulator_record(status="429")},
    ]
    lines, records = parse_text("\n".join(json.dumps(event) for event in events), "events.ndjson")
    assert _triples(lines) == [(RID, "Method completed with status: 429")]
    assert [record.request_id for record in records] == [RID]


def test_parse_text_reads_access_records_one_per_line() -> None:
    # A record whose format has a "message" key is still a record, not an event.
    rows = [json.dumps({"requestId": RID, "status": "403", "message": "Forbidden", "timestamp": "1"}), "{}"]
    lines, records = parse_text("\n".join(rows), "access.ndjson")
    assert [(record.request_id, record.fields["message"]) for record in records] == [(RID, "Forbidden")]
    assert all(line.request_id is None for line in lines)


def test_parse_text_reads_logs_insights_results() -> None:
    access = _emulator_record(status="429", **{"error.responseType": "THROTTLED"})
    row = [
        {"field": "@timestamp", "value": "2023-10-27 13:40:57.123"},
        {"field": "@message", "value": access},
        {"field": "@ptr", "value": "CmAKJwoj"},
    ]
    lines, records = parse_text(json.dumps({"results": [row], "status": "Complete"}), "insights.json")
    assert lines == [] and [record.fields["error.responseType"] for record in records] == ["THROTTLED"]


def test_parse_text_reads_aws_logs_tail_output() -> None:
    access = _emulator_record(status="200")
    text = (
        f"2023-10-27T13:40:57.123000+00:00 {STREAM} ({RID}) Starting execution for request: {RID}\n"
        f"2023-10-27T13:40:57.125000+00:00 {STREAM} ({RID}) Endpoint response body before transformations: {{\n"
        '  "ok": true\n'
        "}\n"
        f"2023-10-27T13:40:57.130000+00:00 {STREAM} ({RID}) Method completed with status: 200\n"
        f"2023-10-27T13:40:57.131000+00:00 {STREAM2} {access}\n"
    )
    lines, records = parse_text(text, "tail.txt")
    assert _triples(lines) == [
        (RID, f"Starting execution for request: {RID}"),
        (RID, "Endpoint response body before transformations: {"),
        (RID, '  "ok": true'),
        (RID, "}"),
        (RID, "Method completed with status: 200"),
    ]
    assert lines[0].timestamp_ms == 1698414057123
    assert lines[0].raw.startswith("2023-10-27T13:40:57.123000+00:00 ")
    assert [record.request_id for record in records] == [RID]


def test_parse_text_reads_tail_output_of_the_older_form_per_stream() -> None:
    text = (
        f"2016-10-01T10:55:45.611000+00:00 {STREAM} Starting execution for request: {RID}\n"
        f"2016-10-01T10:55:45.612000+00:00 {STREAM2} Starting execution for request: {RID2}\n"
        f"2016-10-01T10:55:45.700000+00:00 {STREAM} Method completed with status: 200\n"
    )
    lines, _ = parse_text(text, "tail.txt")
    assert [(line.request_id, line.message[:16]) for line in lines] == [
        (RID, "Starting executi"),
        (RID2, "Starting executi"),
        (RID, "Method completed"),
    ]


def test_parse_text_reads_pretty_printed_records_of_tail_format_json() -> None:
    # `aws logs tail --format json` prints the timestamp and stream, then the message indented.
    record = json.dumps({"requestId": RID, "status": "403", "error.responseType": "INVALID_API_KEY"}, indent=4)
    text = f"2022-10-05T08:32:51+00:00 f525e7be-c42d-3f0d-a7c4-6a51d01da714\n{record}\n"
    lines, records = parse_text(text, "tail.json.txt")
    assert lines == []
    assert [(r.request_id, r.fields["error.responseType"]) for r in records] == [(RID, "INVALID_API_KEY")]


def test_parse_text_reads_plain_lines_of_both_kinds() -> None:
    text = "\n".join(
        [
            f"({RID}) Execution failed due to a timeout error",
            f"({RID}) Method completed with status: 504",
            f'203.0.113.7 - - [27/Oct/2023:13:40:57 +0000] "GET /slow HTTP/1.1" 504 41 {RID}',
            _emulator_record(status="504"),
            "",
            "some note someone pasted",
        ]
    )
    lines, records = parse_text(text, "pasted.txt")
    assert _triples(lines) == [
        (RID, "Execution failed due to a timeout error"),
        (RID, "Method completed with status: 504"),
        (RID, "some note someone pasted"),  # unprefixed: the stream's last request (older form)
    ]
    assert [record.fields["status"] for record in records] == ["504", "504"]
    assert all(line.timestamp_ms is None for line in lines)


def test_parse_text_reads_a_console_test_invoke_log() -> None:
    text = (
        "Execution log for request test-request\n"
        "Sun May 07 05:37:15 UTC 2017 : Starting authorizer: 2egbc3 for request: test-request\n"
        "Sun May 07 05:37:15 UTC 2017 : Incoming identity: ******abcdef\n"
    )
    lines, records = parse_text(text, "console.txt")
    assert _triples(lines) == [
        ("test-request", "Starting authorizer: 2egbc3 for request: test-request"),
        ("test-request", "Incoming identity: ******abcdef"),
    ]
    assert records == []


# --- grouping -----------------------------------------------------------------------------------------


def test_group_by_request_joins_lines_and_records_by_id() -> None:
    lines = parse_execution_events(
        [
            _event("no id yet"),
            _event(f"({RID}) Extended Request Id: 0FlNpjycb9cHCCA="),
            _event(f"({RID2}) Method completed with status: 502"),
            _event(f"({RID}) Method completed with status: 200"),
        ]
    )
    first = parse_access_record(_emulator_record(status="200"))
    again = parse_access_record(_emulator_record(status="999"))
    only = parse_access_record(json.dumps({"requestId": "c0ffee00-0000-4000-8000-000000000000", "status": "429"}))
    assert first is not None and again is not None and only is not None
    groups = group_by_request(lines, [first, again, only])
    assert sorted(groups) == sorted([RID, RID2, "c0ffee00-0000-4000-8000-000000000000"])
    assert [line.message for line in groups[RID].execution] == [
        "Extended Request Id: 0FlNpjycb9cHCCA=",
        "Method completed with status: 200",
    ]
    assert groups[RID].access is first  # the first copy of a record wins
    assert groups[RID2].access is None and groups[RID2].final_status == 502
    assert groups["c0ffee00-0000-4000-8000-000000000000"].execution == ()


def test_a_replaced_request_id_joins_through_the_extended_request_id() -> None:
    lines = parse_execution_events([_event(f"({RID}) Extended Request Id: Vts2FFmArPEFh8g=")])
    joined = parse_access_record(json.dumps({"requestId": INVALID_REQUEST_ID, "extendedRequestId": "Vts2FFmArPEFh8g="}))
    alone = parse_access_record(json.dumps({"requestId": INVALID_REQUEST_ID, "extendedRequestId": "Xy9_AbCdEFcFQ8g="}))
    assert joined is not None and alone is not None
    groups = group_by_request(lines, [joined, alone])
    assert groups[RID].access is joined
    assert groups["Xy9_AbCdEFcFQ8g="].access is alone  # keyed by the x-amz-apigw-id the runner also has


# --- nothing raises -----------------------------------------------------------------------------------


def test_parsers_never_raise_on_arbitrary_text() -> None:
    import hypothesis
    import hypothesis.strategies as strategies

    fragments = strategies.sampled_from(
        ["(", ")", ") ", RID, "{", "}", '"', ":", "\n", "\\n", " ", "[", "]", "2023-10-27T13:40:57.123Z ",
         "Tue May 30 01:22:45 UTC 2023 : ", "Execution log for request ", "Starting execution for request: ",
         '"requestId"', "UUID_REPLACED_INVALID_REQUEST_ID", "- - [", '] "GET / HTTP/1.1" 200 1 ', "null", "$context."]
    )  # fmt: skip
    texts = strategies.one_of(strategies.text(), strategies.lists(fragments).map("".join))

    def check(text: str) -> None:
        lines = parse_execution_events([_event(text), LogEvent("g", "s", 0, text)])
        records = [record for record in [parse_access_record(text)] if record is not None]
        parsed_lines, parsed_records = parse_text(text, "arbitrary")
        group_by_request(lines + parsed_lines, records + parsed_records)

    hypothesis.settings(max_examples=400, deadline=None)(hypothesis.given(texts)(check))()


# --- pasted text: every shape the diagnose corpus holds (tests/diagnose_corpus/excerpts) ---------------


def pasted(text: str) -> dict[str, RequestLogs]:
    lines, records = parse_text(text, "pasted.txt")
    return group_pasted(lines, records)


def only(groups: dict[str, RequestLogs]) -> RequestLogs:
    assert len(groups) == 1, sorted(groups)
    return next(iter(groups.values()))


def test_an_excerpt_without_request_ids_is_one_request() -> None:
    # vincentsarago/lambda-proxy#59 (2022): console lines pasted without their header.
    text = (
        "Wed Nov 02 10:19:35 UTC 2022 : Execution failed due to configuration error: Malformed Lambda proxy response\n"
        "Wed Nov 02 10:19:35 UTC 2022 : Method completed with status: 502\n"
    )
    request = only(pasted(text))
    assert request.request_id == UNNAMED_REQUEST
    assert [line.message for line in request.execution] == [
        "Execution failed due to configuration error: Malformed Lambda proxy response",
        "Method completed with status: 502",
    ]
    assert request.final_status == 502
    assert request.execution[0].timestamp_ms == 1667384375000


def test_a_bare_message_is_one_request() -> None:
    request = only(pasted("Execution failed due to configuration error: Invalid permissions on Lambda function\n"))
    assert (
        request.execution[0].message
        == "Execution failed due to configuration error: Invalid permissions on Lambda function"
    )
    assert request.final_status is None


def test_lines_before_the_one_named_request_join_it() -> None:
    # serverless-express#247 (2019): unprefixed lines, the id named part-way down.
    text = (
        "Extended Request Id: d4qiDGxbBcwFXJw=\n"
        "Starting execution for request: 7f3c\n"
        "Execution failed due to configuration error: Invalid permissions on Lambda function\n"
        "Method completed with status: 500\n"
    )
    request = only(pasted(text))
    assert request.request_id == "7f3c"
    assert len(request.execution) == 4


def test_several_named_requests_stay_apart_and_unnamed_lines_are_left_out() -> None:
    text = f"stray line\n({RID}) Method completed with status: 200\n({RID2}) Method completed with status: 502\n"
    groups = pasted(text)
    assert sorted(groups) == sorted([RID, RID2])
    assert groups[RID2].final_status == 502


def test_a_framework_tailers_own_id_and_time_are_taken_off() -> None:
    # Miserlou/Zappa#390 (2016): `zappa tail` prints `[id] [time] message`.
    text = (
        "[2b4492] [2016-10-11 15:26:57] Verifying Usage Plan for request: 25bdd356-8fc7-11e6-93c4-e3cf41861839. "
        "API Key: **********************************gE96dR API Stage: i01t0vftre/staging\n"
        "[2b4492] [2016-10-11 15:26:57] Method completed with status: 403\n"
    )
    request = only(pasted(text))
    assert request.request_id == "25bdd356-8fc7-11e6-93c4-e3cf41861839"
    assert request.execution[1].message == "Method completed with status: 403"
    assert request.execution[1].timestamp_ms == 1476199617000
    assert request.execution[1].raw.startswith("[2b4492] ")


def test_awslogs_get_rows_with_masked_stream_and_request_ids() -> None:
    # aws/chalice#971 (2018): `awslogs get` prints `<group> <stream> <timestamp> <message>`; the
    # paster masked the stream and the request id with asterisks.
    text = (
        "API-Gateway-Execution-Logs_**********/dev ******************************** 2018-10-23T16:56:01.286Z "
        "(************************************) Successfully completed authorizer execution\n"
        "API-Gateway-Execution-Logs_**********/dev ******************************** 2018-10-23T16:56:01.287Z "
        "(************************************) The client is not authorized to perform this operation.\n"
    )
    request = only(pasted(text))
    assert request.request_id == UNNAMED_REQUEST
    assert [line.message for line in request.execution] == [
        "Successfully completed authorizer execution",
        "The client is not authorized to perform this operation.",
    ]
    assert request.execution[1].timestamp_ms == 1540313761287


def test_a_masked_id_follows_the_request_its_stream_named() -> None:
    text = f"({RID}) Starting authorizer: q8togz for request: {RID}\n(*****) Unauthorized request: {RID}\n"
    request = only(pasted(text))
    assert request.request_id == RID
    assert request.execution[1].message == f"Unauthorized request: {RID}"


def test_a_clock_time_in_front_is_taken_off() -> None:
    request = only(
        pasted("18:25:50 Execution failed due to a timeout error\n18:25:50 Method completed with status: 504\n")
    )
    assert [line.message for line in request.execution][0] == "Execution failed due to a timeout error"
    assert request.final_status == 504


def test_an_ellipsis_for_a_cut_start_is_taken_off() -> None:
    # aws-lambda-go#72 (2018).
    text = (
        "... Execution failed due to configuration error: Malformed Lambda proxy response\n"
        "Fri Apr 13 18:05:24 UTC 2018 : Method completed with status: 502\n"
    )
    request = only(pasted(text))
    assert (
        request.execution[0].message == "Execution failed due to configuration error: Malformed Lambda proxy response"
    )


def test_console_lines_run_together_on_one_row_are_read_as_lines() -> None:
    # AWS Knowledge Center, api-gateway-500-error-vpc: the page prints two console lines as one.
    text = (
        "Thu May 04 17:48:21 UTC 2024 : Execution failed due to configuration error: There was an internal "
        "error while executing your request Thu May 04 17:48:21 UTC 2024 : Method completed with status: 500\n"
    )
    request = only(pasted(text))
    assert [line.message for line in request.execution] == [
        "Execution failed due to configuration error: There was an internal error while executing your request",
        "Method completed with status: 500",
    ]
    assert request.final_status == 500


def test_test_invoke_method_output_is_read_from_its_log_field() -> None:
    # `aws apigateway test-invoke-method` prints the console Test tab's lines in one JSON string.
    log = (
        "Execution log for request test-request\\n"
        "Thu Apr 05 11:07:54 UTC 2018 : Starting execution for request: test-invoke-request\\n"
        "Thu Apr 05 11:07:54 UTC 2018 : Execution failed due to configuration error: "
        "Invalid permissions on Lambda function\\n"
        "Thu Apr 05 11:07:54 UTC 2018 : Method completed with status: 500\\n"
    )
    text = '{\n    "status": 500,\n    "headers": {},\n    "log": "' + log + '",\n    "latency": 39\n}\n'
    request = only(pasted(text))
    assert request.request_id == "test-request"
    assert request.final_status == 500
    assert (
        request.execution[1].message
        == "Execution failed due to configuration error: Invalid permissions on Lambda function"
    )


def test_a_line_a_page_broke_over_rows_is_read_whole() -> None:
    # AWS Knowledge Center, api-gateway-429-limit: one usage-plan line printed over four rows.
    text = (
        "(f277a0b4-2bcd-41b3-8e43-4de770663ffb) API Key\n"
        "**********************************\n"
        "F0yrv6 exceeded throttle limit for API\n"
        "Stage rohkz08x02/dev: Key throttle limit exceeded for Usage Plan ID nnpegc\n"
    )
    request = only(pasted(text))
    assert [line.message for line in request.execution] == [
        "API Key ********************************** F0yrv6 exceeded throttle limit for API "
        "Stage rohkz08x02/dev: Key throttle limit exceeded for Usage Plan ID nnpegc"
    ]


def test_rows_that_are_messages_or_body_lines_are_not_joined_to_the_line_above() -> None:
    text = (
        "Endpoint request body after transformations: {\n"
        '  "city": "Seattle"\n'
        "}\n"
        "Sending request to https://lambda.us-west-2.amazonaws.com/x/invocations\n"
        "Method completed with status: 200\n"
    )
    request = only(pasted(text))
    assert len(request.execution) == 5
    assert request.final_status == 200


def test_a_console_line_naming_a_date_later_in_its_message_stays_one_line() -> None:
    text = 'Thu May 04 17:48:21 UTC 2024 : Endpoint response body before transformations: {"at": "UTC"}\n'
    request = only(pasted(text))
    assert [line.message for line in request.execution] == [
        'Endpoint response body before transformations: {"at": "UTC"}'
    ]


def test_a_markdown_table_of_a_querys_own_fields_is_read_as_access_records() -> None:
    # azul#7824 (2026): Logs Insights fields of the access log, no @message column.
    text = (
        "| @timestamp | sourceIp | method | path_str | error_responseType | status | latency |\n"
        "| --- | --- | --- | --- | --- | --- | --- |\n"
        "| 2026-03-03 14:31:39.722 | 153.x.x.x | GET | /index/bundles | INTEGRATION_TIMEOUT | 504 | 29009 |\n"
    )
    lines, records = parse_text(text, "pasted.txt")
    assert lines == []
    assert records[0].fields["error.responseType"] == "INTEGRATION_TIMEOUT"
    assert records[0].fields["status"] == "504"


def test_logs_insights_rows_with_a_space_in_the_timestamp_and_a_tab() -> None:
    # azul#6624 (2024): console rows `@timestamp<TAB>@message`.
    text = f"2024-06-04 18:49:51.785\t({RID}) Method completed with status: 502\n"
    request = only(pasted(text))
    assert request.request_id == RID
    assert request.execution[0].timestamp_ms == 1717526991785


def test_console_rows_copied_with_a_timestamp_column() -> None:
    text = f"\t2019-02-26T15:29:30.161+00:00\t({RID}) Method completed with status: 429\n"
    assert only(pasted(text)).final_status == 429


def test_a_markdown_table_of_logs_insights_results() -> None:
    # azul#6284 (2024): `| @timestamp | @message | @log |`, a rule, then rows.
    record = json.dumps({"requestId": RID, "status": "504", "error_responseType": "INTEGRATION_TIMEOUT"})
    text = (
        "| @timestamp | @message | @log |\n"
        "| --- | --- | --- |\n"
        f"| 2024-05-21 19:48:44.709 | {record} | 542754589326:/aws/apigateway/azul-service-prod |\n"
        f"| 2024-05-21 19:48:44.710 | ({RID}) Execution failed due to a timeout error | 542754589326:API-Gateway |\n"
    )
    request = only(pasted(text))
    assert request.access is not None
    assert request.access.fields["error.responseType"] == "INTEGRATION_TIMEOUT"
    assert [line.message for line in request.execution] == ["Execution failed due to a timeout error"]


def test_logs_insights_csv_export() -> None:
    text = (
        "@timestamp,@message\n"
        f'2024-05-21 19:48:44.709,"({RID}) Execution failed due to a timeout error"\n'
        f'2024-05-21 19:48:44.710,"({RID}) Method completed with status: 504"\n'
    )
    request = only(pasted(text))
    assert request.final_status == 504
    assert request.execution[0].timestamp_ms == 1716320924709


def test_logs_insights_json_export() -> None:
    text = json.dumps(
        [
            {"@timestamp": "2024-05-21 19:48:44.709", "@message": f"({RID}) Execution failed due to a timeout error"},
            {"@timestamp": "2024-05-21 19:48:44.710", "@message": f"({RID}) Method completed with status: 504"},
        ]
    )
    assert only(pasted(text)).final_status == 504


@pytest.mark.parametrize(
    ("key", "value", "name"),
    [
        ("error_responseType", "THROTTLED", "error.responseType"),
        ("errorType", "QUOTA_EXCEEDED", "error.responseType"),
        ("authorizer_error", "The incoming token has expired", "authorizer.error"),
        ("integration_error", "Lambda Customer Function Error:boom", "integration.error"),
        ("integration_integrationStatus", "200", "integration.integrationStatus"),
        ("statusCode", "429", "status"),
        ("whatever", "INTEGRATION_TIMEOUT", "error.responseType"),
    ],
)
def test_json_records_with_the_users_own_key_names(key: str, value: str, name: str) -> None:
    record = parse_access_record(json.dumps({"requestId": RID, key: value}))
    assert record is not None
    assert record.fields[name] == value


def test_a_pasted_json_record_without_its_id_is_still_a_record() -> None:
    text = '{"status": "429", "error_responseType": "THROTTLED", "httpMethod": "GET"}\n'
    request = only(pasted(text))
    assert request.access is not None
    assert request.access.fields["error.responseType"] == "THROTTLED"
    assert request.final_status == 429


def test_a_lambdas_own_json_line_without_an_id_is_no_record() -> None:
    assert parse_access_record('{"level": "info", "msg": "hello", "status": "ok"}') is None
    lines, records = parse_text('{"level": "info", "msg": "hello"}\n', "x")
    assert records == []


def test_key_value_records() -> None:
    text = f'requestId={RID} status=429 errorType=THROTTLED path="/pets"\n'
    request = only(pasted(text))
    assert request.access is not None
    assert request.access.fields["status"] == "429"
    assert request.access.fields["error.responseType"] == "THROTTLED"


def test_tab_separated_access_rows_are_read_by_what_each_cell_holds() -> None:
    # azul#6624 (2024): a Logs Insights table copied from the console, columns aligned with tabs.
    text = (
        "2024-06-04 18:49:48.942\t128.135.204.180\tservice\t/health/progress\tINTEGRATION_FAILURE\t"
        "Internal server error\tLambda Customer Function Error:'AZUL_S3_BUCKET'\n"
    )
    request = only(pasted(text))
    assert request.access is not None
    assert request.access.fields["error.responseType"] == "INTEGRATION_FAILURE"
    assert request.access.fields["integration.error"] == "Lambda Customer Function Error:'AZUL_S3_BUCKET'"
    assert request.access.fields["identity.sourceIp"] == "128.135.204.180"


def test_csv_access_records_with_a_header() -> None:
    text = f"requestId,status,errorType,path\n{RID},429,THROTTLED,/pets\n"
    request = only(pasted(text))
    assert request.access is not None
    assert request.access.fields["error.responseType"] == "THROTTLED"
    assert request.final_status == 429


def test_a_record_without_its_id_joins_the_one_request_of_the_lines() -> None:
    text = f"({RID}) Method completed with status: 429\n" + '{"status": "429", "errorType": "THROTTLED"}\n'
    request = only(pasted(text))
    assert request.request_id == RID
    assert request.access is not None


def test_the_cloudwatch_consoles_csv_download_with_epoch_milliseconds() -> None:
    # brefphp/bref#534 (2020): `timestamp,message`, quoted where a message holds a comma.
    text = (
        "timestamp,message\n"
        f"1579627365972,({RID}) Extended Request Id: GqT38H-FFiAFhLQ=\n"
        f'1579627365978,"({RID}) HTTP Method: PUT, Resource Path: /int/booking/api-invoker"\n'
        f"1579627366001,({RID}) Method completed with status: 502\n"
    )
    request = only(pasted(text))
    assert request.execution[1].message == "HTTP Method: PUT, Resource Path: /int/booking/api-invoker"
    assert request.execution[0].timestamp_ms == 1579627365972
    assert request.final_status == 502
