"""Lambda proxy response validation: LocalStack's test_aws_proxy_response_payload_format_validation
(recorded against AWS) for the malformed and accepted shapes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from gatecrash.emulator.proxy import EventInput, MalformedProxyResponse, UndecodableBody, build_event, parse_response


def parse(document: Any, binary: bool = False) -> Any:
    return parse_response(json.dumps(document).encode(), binary=binary)


@pytest.mark.parametrize(
    "document",
    [
        {"statusCode": 200, "unknown": 1},
        "just a string",
        {"statusCode": "test"},
        {"statusCode": 200, "multiValueHeaders": {"a": "not-a-list"}},
        {"statusCode": 200, "body": {"an": "object"}},
        {"statusCode": True},
        ["a", "list"],
    ],
)
def test_recorded_malformed_shapes_are_rejected(document: Any) -> None:
    with pytest.raises(MalformedProxyResponse):
        parse(document)


def test_not_json_is_malformed() -> None:
    with pytest.raises(MalformedProxyResponse):
        parse_response(b"<html>")


def test_numeric_string_status_and_missing_status_are_accepted() -> None:
    assert parse({"statusCode": "201"}).status == 201
    assert parse({"body": "x"}).status == 200


def test_boolean_header_values_and_null_headers_are_accepted() -> None:
    assert parse({"statusCode": 200, "headers": {"X-Flag": True}}).headers == (("X-Flag", "true"),)
    assert parse({"statusCode": 200, "headers": None}).headers == ()


def test_headers_and_multi_value_headers_merge_as_recorded() -> None:
    parsed = parse(
        {"headers": {"test-multi": "value-solo", "other": "1"}, "multiValueHeaders": {"tesT-Multi": ["value-multi"]}}
    )
    assert parsed.headers == (("tesT-Multi", "value-multi"), ("tesT-Multi", "value-solo"), ("other", "1"))
    same = parse({"headers": {"a": "1"}, "multiValueHeaders": {"a": ["1", "2"]}})
    assert same.headers == (("a", "1"), ("a", "2"))


def test_base64_body_is_decoded_only_for_binary_responses() -> None:
    document = {"body": "aGVsbG8=", "isBase64Encoded": True}
    assert parse(document).body == b"aGVsbG8="  # recorded: no binary media types, text returned as is
    assert parse(document, binary=True).body == b"hello"
    with pytest.raises(UndecodableBody):
        parse({"body": "%%%", "isBase64Encoded": True}, binary=True)


def test_event_has_recorded_v1_shape() -> None:
    event = build_event(
        EventInput(
            resource_path="/pets/{petId}",
            path="/pets/1",
            http_method="GET",
            headers=[("accept", "a"), ("x-multi", "1"), ("x-multi", "2")],
            query=[("category", "electronics"), ("category", "books")],
            path_parameters={"petId": "1"},
            stage_variables={},
            body=b"",
            base64_body=False,
            request_context={"requestId": "r"},
        )
    )
    assert sorted(event) == [
        "body",
        "headers",
        "httpMethod",
        "isBase64Encoded",
        "multiValueHeaders",
        "multiValueQueryStringParameters",
        "path",
        "pathParameters",
        "queryStringParameters",
        "requestContext",
        "resource",
        "stageVariables",
    ]
    assert event["queryStringParameters"] == {"category": "books"}  # last value wins (recorded)
    assert event["multiValueQueryStringParameters"] == {"category": ["electronics", "books"]}
    assert event["multiValueHeaders"]["x-multi"] == ["1", "2"]
    assert event["body"] is None and event["stageVariables"] is None and event["isBase64Encoded"] is False


def test_event_without_query_or_path_parameters_has_nulls() -> None:
    event = build_event(EventInput("/", "/", "POST", [], [], {}, {}, b'{"a":1}', False, {}))
    assert event["queryStringParameters"] is None
    assert event["multiValueQueryStringParameters"] is None
    assert event["pathParameters"] is None
    assert event["body"] == '{"a":1}'
