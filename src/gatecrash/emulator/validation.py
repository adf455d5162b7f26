"""Request validation as API Gateway does it: required parameters first, then the body model.

Parameters: `Missing required request parameters: [a, b]`, names listed header, path, query
(LocalStack snapshot recorded against AWS; apigw-reference.md, BAD_REQUEST_PARAMETERS). A blank
value counts as missing. Body: JSON Schema draft 4. AWS's validation strings are those of the
Java json-schema-validator it runs (`[object has missing required properties (["a","b"])]`,
recorded in execution logs), so errors are rendered in that library's wording.
"""

from __future__ import annotations

import itertools
import json
import re
import sys
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
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


# Recorded wording for bad or empty JSON (apigw-reference.md, "validation"), answered 400
# BAD_REQUEST_BODY `{"message": "Invalid request body"}`.
UNPARSEABLE_BODY = "[Unknown error parsing request body]"
# AWS documents no nesting limit for request bodies. Its validator reads the body with Jackson,
# whose StreamReadConstraints refuse input nested deeper than 1000 arrays/objects by default
# (jackson-core 2.15+, FasterXML/jackson-core#943, "maxNestingDepth ... default 1000"): a body
# nested deeper is one the parser cannot read, answered as any unreadable body is. Which Jackson
# AWS runs, and so whether this is AWS's limit, is unverified; it is the only documented one.
MAX_BODY_DEPTH = 1000
# Bodies nested deeper than this are read and validated on a thread with room for them: parsing and
# the draft-4 walk recurse per level (about five frames a level for nested properties).
_SHALLOW = 64
_FRAMES_PER_LEVEL = 10
_DEEP_STACK_BYTES = 64 * 1024 * 1024
_DEEP_LOCK = threading.Lock()
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(rb"[\[\]{}]")


def body_depth(body: bytes) -> int:
    """How deeply `body`'s arrays and objects nest (brackets inside strings do not count)."""
    steps = (1 if bracket in (b"[", b"{") else -1 for bracket in _BRACKET.findall(_STRING.sub(b"", body)))
    return max(itertools.accumulate(steps), default=0)


def validate_body(media_type: str, schema: JsonSchema, body: bytes) -> BodyVerdict:
    # Most bodies hold too few brackets to nest deeply: counting them is cheaper than reading them.
    depth = 0 if body.count(b"[") + body.count(b"{") <= _SHALLOW else body_depth(body)
    if depth > MAX_BODY_DEPTH:
        return BodyVerdict(False, media_type, UNPARSEABLE_BODY)
    try:
        if depth > _SHALLOW:
            return _with_room(lambda: _validate_body(media_type, schema, body))
        return _validate_body(media_type, schema, body)
    except RecursionError:
        # Never a 500 for a body: what cannot be read here is answered as an unreadable body.
        return BodyVerdict(False, media_type, UNPARSEABLE_BODY)


def _with_room(work: Callable[[], BodyVerdict]) -> BodyVerdict:
    """`work()` on a thread with a deep stack and recursion limit, one at a time (both are
    process-wide settings, raised only while it runs)."""
    box: list[BodyVerdict | BaseException] = []

    def run() -> None:
        try:
            box.append(work())
        except BaseException as error:  # handed back to the caller's thread
            box.append(error)

    with _DEEP_LOCK:
        limit = sys.getrecursionlimit()
        stack = threading.stack_size(_DEEP_STACK_BYTES)
        sys.setrecursionlimit(limit + _FRAMES_PER_LEVEL * MAX_BODY_DEPTH)
        try:
            thread = threading.Thread(target=run, name="deep-body-validation")
            thread.start()
        finally:
            threading.stack_size(stack)
        thread.join()
        sys.setrecursionlimit(limit)
    result = box[0]
    if isinstance(result, BaseException):
        raise result
    return result


def _validate_body(media_type: str, schema: JsonSchema, body: bytes) -> BodyVerdict:
    try:
        document = json.loads(body.decode("utf-8")) if body.strip() else None
    except (UnicodeDecodeError, ValueError):
        document = None
    if document is None:
        return BodyVerdict(False, media_type, UNPARSEABLE_BODY)
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
