"""Access-log rendering and execution-log formatting, pure."""

from __future__ import annotations

import json

from gatecrash.emulator.accesslog import DEFAULT_FORMAT, render
from gatecrash.emulator.execlog import MAX_LINE, ExecutionLog, java_map, mask, masked_headers
from gatecrash.emulator.responses import GatewayError, substitute


def test_unset_and_unknown_variables_log_a_dash() -> None:
    assert render("$context.requestId $context.status $context.nope", {"requestId": "r1"}) == "r1 - -"


def test_braced_and_bare_references_keep_the_surrounding_braces() -> None:
    assert render('{"id":"$context.requestId"}', {"requestId": "r"}) == '{"id":"r"}'
    assert render("{${context.requestId}}", {"requestId": "r"}) == "{r}"
    assert render('{"s":$context.status}', {"status": "200"}) == '{"s":200}'


def test_values_are_json_escaped_but_the_quoted_message_string_is_not() -> None:
    values = {
        "error.validationErrorString": '[object has missing required properties (["bar"])]',
        "error.messageString": '"Invalid request body"',
    }
    line = render('{"v":"$context.error.validationErrorString","m":$context.error.messageString}', values)
    assert json.loads(line) == {"v": '[object has missing required properties (["bar"])]', "m": "Invalid request body"}


def test_default_format_is_json_with_every_field() -> None:
    record = json.loads(render(DEFAULT_FORMAT, {"requestId": "r", "status": "200"}))
    assert record["requestId"] == "r" and record["status"] == "200" and record["error.responseType"] == "-"


def test_mask_keeps_the_last_six_characters() -> None:
    assert mask("abcdefghijF0yrv6") == "**********F0yrv6"
    assert mask("short") == "short"
    assert masked_headers([("X-Api-Key", "secret-key-123456"), ("Accept", "*/*")]) == (
        "{X-Api-Key=***********123456, Accept=*/*}"
    )


def test_java_map_and_truncation() -> None:
    assert java_map([("a", "1"), ("b", "2")]) == "{a=1, b=2}"
    log = ExecutionLog("rid", data_trace=False)
    log.add("x" * (MAX_LINE + 50))
    log.data("hidden without data trace")
    assert len(log.lines) == 1
    assert log.lines[0][1] == "(rid) " + "x" * MAX_LINE + " [TRUNCATED]"


def test_gateway_template_substitution() -> None:
    context = {"error.message": "Forbidden", "requestId": "r"}.get
    assert (
        substitute(
            '{"m":"$context.error.message","id":"${context.requestId}","v":"$stageVariables.env"}',
            context,
            {"env": "prod"},
        )
        == '{"m":"Forbidden","id":"r","v":"prod"}'
    )


def test_message_strings_spacing_per_type() -> None:
    assert GatewayError("UNAUTHORIZED").message_string() == '"Unauthorized"'
    assert GatewayError("BAD_REQUEST_BODY").message_string() == ' "Invalid request body"'
    assert GatewayError("INTEGRATION_TIMEOUT").message_string() == ' "Endpoint request timed out"'
    assert GatewayError("AUTHORIZER_CONFIGURATION_ERROR").message_string() == "null"
