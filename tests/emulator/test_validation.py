"""Request validation wording: AWS logs json-schema-validator's messages (real captures)."""

from __future__ import annotations

import json
from typing import Any

from gatecrash.emulator.model import Method, Parameter, ParameterLocation
from gatecrash.emulator.validation import (
    RequestParts,
    missing_parameters,
    parameters_message,
    select_model,
    validate_body,
)

SCHEMA = {
    "type": "object",
    "required": ["name", "tags"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "minLength": 2, "maxLength": 5, "pattern": "^[a-z]+$"},
        "age": {"type": "integer", "minimum": 0, "maximum": 30},
        "kind": {"enum": ["cat", "dog"]},
        "tags": {"type": "array", "minItems": 1, "maxItems": 2},
    },
}


def error(document: Any) -> str:
    verdict = validate_body("application/json", SCHEMA, json.dumps(document).encode())
    assert not verdict.valid
    return verdict.validation_error


def test_missing_and_extra_properties_recorded_wording() -> None:
    assert error({"foo": 1}) == (
        '[object has missing required properties (["name","tags"]), object instance has '
        'properties which are not allowed by the schema: ["foo"]]'
    )


def test_type_enum_string_number_and_array_wording() -> None:
    base = {"name": "ab", "tags": ["x"]}
    assert error({**base, "age": "3"}) == (
        '[instance type (string) does not match any allowed primitive type (allowed: ["integer"])]'
    )
    assert error({**base, "kind": "cow"}) == (
        '[instance value ("cow") not found in enum (possible values: ["cat","dog"])]'
    )
    assert error({**base, "name": "a"}) == '[string "a" is too short (length: 1, required minimum: 2)]'
    assert error({**base, "name": "abcdef"}) == '[string "abcdef" is too long (length: 6, maximum allowed: 5)]'
    assert error({**base, "name": "AB"}) == '[ECMA 262 regex "^[a-z]+$" does not match input string "AB"]'
    assert error({**base, "age": -1}) == (
        "[numeric instance is lower than the required minimum (minimum: 0, found: -1)]"
    )
    assert error({**base, "age": 31}) == (
        "[numeric instance is greater than the required maximum (maximum: 30, found: 31)]"
    )
    assert error({"name": "ab", "tags": []}) == (
        "[array is too short: must have at least 1 elements but instance has 0 elements]"
    )
    assert error({"name": "ab", "tags": [1, 2, 3]}) == (
        "[array is too long: must have at most 2 elements but instance has 3 elements]"
    )


def test_bad_or_empty_json_is_an_unknown_parsing_error() -> None:
    for body in (b"", b"{not json", b"   "):
        verdict = validate_body("application/json", SCHEMA, body)
        assert verdict.validation_error == "[Unknown error parsing request body]"


def test_valid_body_passes() -> None:
    assert validate_body("application/json", SCHEMA, b'{"name": "ab", "tags": ["x"]}').valid


def method(*parameters: Parameter, models: dict[str, Any] | None = None) -> Method:
    return Method("/r/{id}", "GET", "p", parameters=parameters, request_models=models or {})


def test_missing_parameters_in_aws_order_header_path_query_keeping_definition_order() -> None:
    m = method(
        Parameter("qs2", ParameterLocation.QUERYSTRING, True),
        Parameter("qs1", ParameterLocation.QUERYSTRING, True),
        Parameter("id", ParameterLocation.PATH, True),
        Parameter("x-b", ParameterLocation.HEADER, True),
        Parameter("x-a", ParameterLocation.HEADER, True),
        Parameter("optional", ParameterLocation.QUERYSTRING, False),
    )
    missing = missing_parameters(m, RequestParts(headers={"x-a": " "}, path={}, query={"qs1": ""}))
    assert parameters_message(missing) == "Missing required request parameters: [x-b, x-a, id, qs2, qs1]"
    present = RequestParts(headers={"x-a": "1", "x-b": "2"}, path={"id": "7"}, query={"qs1": "a", "qs2": "b"})
    assert missing_parameters(m, present) == []


def test_model_selection_by_content_type_then_default_and_no_validation_otherwise() -> None:
    xml, default, js = {"x": 1}, {"d": 1}, {"j": 1}
    assert select_model(method(models={"application/xml": xml, "$default": default}), "application/xml") == (
        "application/xml",
        xml,
    )
    assert select_model(method(models={"$default": default}), "text/plain") == ("text/plain", default)
    # No Content-Type: the application/json model applies (LocalStack recording).
    assert select_model(method(models={"application/json": js}), None) == ("application/json", js)
    # An unmatched content type is not validated (AWS docs, "Request validation for REST APIs").
    assert select_model(method(models={"application/json": js}), "text/csv; charset=utf-8") is None
    assert select_model(method(), "application/json") is None
