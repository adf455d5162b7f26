"""Request validation as API Gateway does it: required parameters first, then the body model.

Parameters: `Missing required request parameters: [a, b]`, names listed header, path, query
(LocalStack snapshot recorded against AWS; apigw-reference.md, BAD_REQUEST_PARAMETERS). A blank
value counts as missing. Body: JSON Schema draft 4. AWS's validation strings are those of the
Java json-schema-validator it runs (`[object has missing required properties (["a","b"])]`,
recorded in execution logs), so errors are rendered in that library's wording.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import jsonschema
from jsonschema.exceptions import ValidationError

from gatecrash.emulator.model import JsonSchema, Method, ParameterLocation

_LOCATION_ORDER = (ParameterLocation.HEADER, ParameterLocation.PATH, ParameterLocation.QUERYSTRING)


@dataclass(frozen=True, slots=True)
class RequestParts:
    headers: Mapping[str, str]  # lower-cased names
    path: Mapping[str, str]
    query: Mapping[str, str]


def missing_parameters(method: Method, parts: RequestParts) -> list[str]:
    """Names of required parameters absent or blank, in AWS's order: header, path, query."""
    missing: list[str] = []
    for location in _LOCATION_ORDER:
        for parameter in method.parameters:
            if parameter.location is not location or not parameter.required:
                continue
            if location is ParameterLocation.HEADER:
                value = parts.headers.get(parameter.name.lower())
            elif location is ParameterLocation.PATH:
                value = parts.path.get(parameter.name)
            else:
                value = parts.query.get(parameter.name)
            if value is None or not value.strip():
                missing.append(parameter.name)
    return missing


def parameters_message(missing: Sequence[str]) -> str:
    return f"Missing required request parameters: [{', '.join(missing)}]"


def select_model(method: Method, content_type: str | None) -> tuple[str, JsonSchema] | None:
    """The model for the request's media type, else `$default`; None means "do not validate".

    AWS docs ("Request validation for REST APIs"): "If no matching content type is found, request
    validation is not performed. To use the same model regardless of the content type, set the
    content type for your data model to $default." A request without Content-Type is validated
    against the `application/json` model (LocalStack recording against AWS).
    """
    media_type = (content_type or "application/json").split(";", 1)[0].strip().lower()
    models = {declared.lower(): schema for declared, schema in method.request_models.items()}
    for key in (media_type, "$default"):
        if key in models:
            return media_type, models[key]
    return None


@dataclass(frozen=True, slots=True)
class BodyVerdict:
    valid: bool
    media_type: str
    validation_error: str = ""


# A `-` right after a class shorthand (`[\w-_]`, in a real export) is a literal to Java's Pattern,
# which API Gateway's validator uses; Python's `re` refuses it as a bad range. Escaping it keeps the
# meaning Java gives it, inside a character class or out.
_SHORTHAND_DASH = re.compile(r"(?<!\\)(\\[wdsWDS])-")


@lru_cache(maxsize=512)
def java_pattern(pattern: str) -> re.Pattern[str] | None:
    """`pattern` read as Java reads it, compiled for Python; None when neither can read it."""
    try:
        return re.compile(_SHORTHAND_DASH.sub(r"\1\\-", pattern))
    except re.error:
        return None  # a pattern neither reads: it cannot be checked here, so it constrains nothing


def _java_pattern(
    validator: jsonschema.protocols.Validator, pattern: str, instance: Any, schema: Any
) -> Iterator[ValidationError]:
    compiled = java_pattern(pattern)
    if validator.is_type(instance, "string") and compiled is not None and not compiled.search(instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


_Draft4 = jsonschema.validators.extend(jsonschema.Draft4Validator, {"pattern": _java_pattern})  # type: ignore[no-untyped-call]


def body_validator(schema: JsonSchema) -> jsonschema.protocols.Validator:
    """A draft 4 validator that reads `pattern` as API Gateway's Java validator does."""
    return _validator(json.dumps(schema, sort_keys=True))


@lru_cache(maxsize=256)
def _validator(schema_json: str) -> jsonschema.protocols.Validator:
    validator: jsonschema.protocols.Validator = _Draft4(json.loads(schema_json))
    return validator


def validate_body(media_type: str, schema: JsonSchema, body: bytes) -> BodyVerdict:
    try:
        document = json.loads(body.decode("utf-8")) if body.strip() else None
    except (UnicodeDecodeError, ValueError):
        document = None
    if document is None:
        # Recorded wording for bad or empty JSON (apigw-reference.md, "validation").
        return BodyVerdict(False, media_type, "[Unknown error parsing request body]")
    validator = _validator(json.dumps(schema, sort_keys=True))
    # A capture shows missing properties before disallowed ones: `[object has missing required
    # properties (["bar"]), object instance has properties which are not allowed by the schema: ["foo"]]`.
    errors = sorted(
        validator.iter_errors(document),
        key=lambda e: ([str(part) for part in e.absolute_path], e.validator != "required"),
    )
    if not errors:
        return BodyVerdict(True, media_type)
    # jsonschema reports each missing property apart; one message names them all, so keep it once.
    messages = list(dict.fromkeys(_message(error) for error in errors))
    return BodyVerdict(False, media_type, "[" + ", ".join(messages) + "]")


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _message(error: ValidationError) -> str:
    """One error in json-schema-validator's wording (its `messages` bundle, as AWS logs show)."""
    keyword = error.validator
    value: Any = error.validator_value
    instance: Any = error.instance
    if keyword == "required":
        missing = sorted(name for name in value if isinstance(instance, dict) and name not in instance)
        return f"object has missing required properties ({_json(missing)})"
    if keyword == "type":
        allowed = value if isinstance(value, list) else [value]
        return (
            f"instance type ({_type_name(instance)}) does not match any allowed primitive type "
            f"(allowed: {_json(allowed)})"
        )
    if keyword == "additionalProperties" and isinstance(instance, dict):
        return f"object instance has properties which are not allowed by the schema: {_json(_extra(error))}"
    if keyword == "enum":
        return f"instance value ({_json(instance)}) not found in enum (possible values: {_json(value)})"
    if keyword == "minLength":
        return f"string {_json(instance)} is too short (length: {len(instance)}, required minimum: {value})"
    if keyword == "maxLength":
        return f"string {_json(instance)} is too long (length: {len(instance)}, maximum allowed: {value})"
    if keyword == "pattern":
        return f"ECMA 262 regex {_json(value)} does not match input string {_json(instance)}"
    if keyword == "minimum":
        return f"numeric instance is lower than the required minimum (minimum: {value}, found: {instance})"
    if keyword == "maximum":
        return f"numeric instance is greater than the required maximum (maximum: {value}, found: {instance})"
    if keyword == "minItems":
        return f"array is too short: must have at least {value} elements but instance has {len(instance)} elements"
    if keyword == "maxItems":
        return f"array is too long: must have at most {value} elements but instance has {len(instance)} elements"
    return error.message


def _extra(error: ValidationError) -> list[str]:
    schema = error.schema if isinstance(error.schema, dict) else {}
    declared = set(schema.get("properties", {}))
    instance: Any = error.instance
    return sorted(name for name in instance if name not in declared)


def _type_name(instance: Any) -> str:
    if instance is None:
        return "null"
    if isinstance(instance, bool):
        return "boolean"
    if isinstance(instance, int):
        return "integer"
    if isinstance(instance, float):
        return "number"
    if isinstance(instance, str):
        return "string"
    if isinstance(instance, list):
        return "array"
    return "object"
