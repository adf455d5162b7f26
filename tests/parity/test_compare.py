"""Comparing an emulator answer with AWS's: status, body (exact, JSON, subset), headers, logs."""

from __future__ import annotations

from typing import Any

from gatecrash.parity.cases import Expectation, JsonValue
from gatecrash.parity.compare import Answer, differences, line_pattern


def answer(status: int = 200, body: Any = b"", headers: tuple[tuple[str, str], ...] = (), **logs: Any) -> Answer:
    return Answer(status, headers, body if isinstance(body, bytes) else body.encode(), **logs)


def test_the_same_answer_has_no_differences_and_another_status_is_named() -> None:
    assert differences(Expectation(status=200, body="{foo=bar}"), answer(body="{foo=bar}")) == ()
    assert differences(Expectation(status=200), answer(500)) == ("status 500, AWS 200",)


def test_an_exact_body_is_compared_as_text() -> None:
    found = differences(Expectation(body='{"a": 1}'), answer(body='{"a":1}'))
    assert found == ("body '{\"a\":1}', AWS '{\"a\": 1}'",)


def test_json_compares_values_exactly_or_as_a_subset_with_any() -> None:
    body = '{"a": 1, "b": {"c": [1, {"d": "x"}], "e": "id-123"}, "extra": true}'
    subset = Expectation(json_subset=JsonValue({"b": {"c": [1, {"d": "x"}], "e": "<any>"}}))
    assert differences(subset, answer(body=body)) == ()
    exact = Expectation(json=JsonValue({"a": 1, "b": {"c": [1, {"d": "y"}], "e": "<any>"}}))
    assert differences(exact, answer(body=body)) == (
        'body $.b.c[1].d is "x", AWS "y"',
        "body $.extra present; AWS has none",
    )
    assert differences(Expectation(json=JsonValue({"a": True})), answer(body='{"a": 1}')) == (
        "body $.a is 1, AWS true",
    )
    assert differences(subset, answer(body="not json")) == ("body is not JSON: 'not json'",)


def test_headers_compare_without_case_and_repeated_ones_are_joined() -> None:
    got = answer(headers=(("X-Multi", "a"), ("x-multi", "b"), ("X-Amzn-RequestId", "1")))
    expect = Expectation(headers=(("x-multi", "a, b"), ("x-amzn-requestid", None)), absent_headers=("x-amzn-trace-id",))
    assert differences(expect, got) == ()
    expect = Expectation(headers=(("x-missing", "v"), ("x-multi", "a")), absent_headers=("x-amzn-requestid",))
    assert differences(expect, got) == (
        "header x-missing missing (AWS: 'v')",
        "header x-multi is 'a, b', AWS 'a'",
        "header x-amzn-requestid present ('1'); AWS sends none",
    )


def test_log_lines_must_appear_in_order_with_placeholders_and_absent_lines_must_not() -> None:
    lines = ("Verifying Usage Plan for request: r1. API Key:  API Stage: a/b", "Method completed with status: 429")
    expect = Expectation(
        execution_log=("Verifying Usage Plan for request: <id>. API Key:  API Stage: <api>/b", "Method completed <x>"),
        execution_log_absent=("Starting execution for request: <id>",),
        access_log={"status": "429", "requestId": "<any>"},
    )
    assert differences(expect, answer(execution_log=lines, access_log={"status": "429", "requestId": "r1"})) == ()
    reversed_expect = Expectation(execution_log=(expect.execution_log[1], expect.execution_log[0]))
    assert differences(reversed_expect, answer(execution_log=lines)) == (
        "execution log has no line 'Verifying Usage Plan for request: <id>. API Key:  API Stage: <api>/b'"
        " (out of order)",
    )
    assert differences(expect, answer(execution_log=(*lines, "Starting execution for request: r1"))) == (
        "execution log has 'Starting execution for request: r1'; AWS writes no such line",
        "access log has no status (AWS '429')",
        "access log has no requestId (AWS '<any>')",
    )


def test_a_line_pattern_is_literal_but_for_its_placeholders() -> None:
    pattern = line_pattern("Limit: 1.00 Burst: <n> (x)")
    assert pattern.fullmatch("Limit: 1.00 Burst: 2 (x)")
    assert not pattern.fullmatch("Limit: 1X00 Burst: 2 (x)")


def test_exact_parts_of_a_subset_and_json_held_in_a_string() -> None:
    body = '{"headers": {"a": "1", "b": "2"}, "body": "{\\"x\\": [1]}", "other": 1}'
    assert differences(Expectation(json_subset=JsonValue({"headers": {"<exact>": {"a": "1"}}})), answer(body=body)) == (
        "body $.headers.b present; AWS has none",
    )
    assert differences(Expectation(json_subset=JsonValue({"body": {"<json>": {"x": [1]}}})), answer(body=body)) == ()
    assert differences(Expectation(json_subset=JsonValue({"body": {"<json>": {"x": [2]}}})), answer(body=body)) == (
        "body $.body<json>.x[0] is 1, AWS 2",
    )
    assert differences(Expectation(json_subset=JsonValue({"other": {"<json>": {}}})), answer(body=body)) == (
        "body $.other is 1, AWS a string holding JSON",
    )


def test_an_object_of_headers_compares_exactly_but_for_the_case_of_names() -> None:
    body = '{"headers": {"accept": "a", "x-extra": "1"}}'
    expect = Expectation(json_subset=JsonValue({"headers": {"<headers>": {"Accept": "a"}}}))
    assert differences(expect, answer(body=body)) == ("body $.headers.x-extra present; AWS has none",)
