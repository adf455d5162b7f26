"""Deeply nested JSON bodies: validated as AWS's Jackson-based validator reads them, never a 500.

AWS documents no nesting limit; its validator parses with Jackson, whose StreamReadConstraints
refuse input nested deeper than 1000 levels by default (FasterXML/jackson-core#943). A body it
cannot read is answered 400 `Invalid request body` with `[Unknown error parsing request body]`
(apigw-reference.md, "validation").
"""

from __future__ import annotations

import json

import httpx

from gatecrash.emulator.server import EmulatorServer
from gatecrash.emulator.validation import MAX_BODY_DEPTH, UNPARSEABLE_BODY, body_depth, validate_body
from tests.conftest import LogReader

# A model that nests itself: validating a body walks one level of the schema per level of the body.
NESTING = {"type": "object", "properties": {"a": {"$ref": "#"}}}


def nested(levels: int) -> bytes:
    """`levels` objects, each holding the next under "a"."""
    return ('{"a":' * (levels - 1) + "{}" + "}" * (levels - 1)).encode()


def test_depth_counts_open_arrays_and_objects_not_brackets_in_strings() -> None:
    assert body_depth(b'{"x": "[[[[{{{\\"[[", "y": [[1]]}') == 3
    assert body_depth(nested(990)) == 990
    assert body_depth(b"[]") == 1 and body_depth(b'"just a string"') == 0


def test_a_body_990_levels_deep_is_validated_not_crashed() -> None:
    verdict = validate_body("application/json", NESTING, nested(990))
    assert verdict.valid, verdict
    wrong = validate_body("application/json", NESTING, nested(990).replace(b"{}", b"[]", 1))
    assert not wrong.valid
    assert "instance type (array) does not match any allowed primitive type" in wrong.validation_error


def test_jacksons_limit_is_the_last_depth_read_and_one_more_is_unreadable() -> None:
    assert validate_body("application/json", NESTING, nested(MAX_BODY_DEPTH)).valid
    beyond = validate_body("application/json", NESTING, nested(MAX_BODY_DEPTH + 1))
    assert not beyond.valid and beyond.validation_error == UNPARSEABLE_BODY
    arrays = validate_body("application/json", NESTING, b"[" * 50_000 + b"]" * 50_000)
    assert arrays.validation_error == UNPARSEABLE_BODY


def _post(demo: EmulatorServer, body: bytes) -> httpx.Response:
    assert demo.endpoints is not None
    return httpx.post(
        f"{demo.endpoints.base_url}/pets", content=body, headers={"Content-Type": "application/json"}, timeout=30
    )


def test_the_emulator_answers_a_990_level_body_400_invalid_request_body(
    demo: EmulatorServer, execution_log: LogReader
) -> None:
    # The demo's Pet model is an object: an array nested 990 deep fails its type, as AWS would say.
    response = _post(demo, b"[" * 990 + b"]" * 990)
    assert response.status_code == 400, response.text
    assert json.loads(response.text) == {"message": "Invalid request body"}
    assert response.headers["x-amzn-ErrorType"] == "BadRequestException"
    lines = execution_log(demo, response.headers["x-amzn-RequestId"])
    assert any("instance type (array) does not match any allowed primitive type" in line for line in lines)


def test_the_emulator_answers_a_body_past_jacksons_depth_as_unreadable(
    demo: EmulatorServer, execution_log: LogReader
) -> None:
    response = _post(demo, b'{"name": "Tom", "kind": "cat", "age": ' + b"[" * 5000 + b"]" * 5000 + b"}")
    assert response.status_code == 400, response.text
    assert json.loads(response.text) == {"message": "Invalid request body"}
    lines = execution_log(demo, response.headers["x-amzn-RequestId"])
    assert any(UNPARSEABLE_BODY in line for line in lines)
