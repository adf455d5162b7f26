"""The Lambda proxy integration's contract: the event (format 1.0) and the response API Gateway accepts.

AWS docs "Lambda proxy integrations in API Gateway" (input and output formats). What counts as
malformed is LocalStack's `test_aws_proxy_response_payload_format_validation`, recorded against
AWS: an unknown key, a bare string, `statusCode: "test"`, a non-list `multiValueHeaders` value are
502; a numeric-string statusCode (`"201"`), no statusCode (200), boolean header values and
`headers: null` are accepted.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

_RESPONSE_KEYS = frozenset({"statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded"})


@dataclass(frozen=True, slots=True)
class EventInput:
    resource_path: str
    path: str
    http_method: str
    headers: Sequence[tuple[str, str]]
    query: Sequence[tuple[str, str]]
    path_parameters: Mapping[str, str]
    stage_variables: Mapping[str, str]
    body: bytes
    base64_body: bool
    request_context: Mapping[str, Any]


def _single(pairs: Sequence[tuple[str, str]]) -> dict[str, str] | None:
    # The single-value map keeps the last value of a repeated name (AWS docs, proxy input format).
    return {name: value for name, value in pairs} if pairs else None


def _multi(pairs: Sequence[tuple[str, str]]) -> dict[str, list[str]] | None:
    if not pairs:
        return None
    grouped: dict[str, list[str]] = {}
    for name, value in pairs:
        grouped.setdefault(name, []).append(value)
    return grouped


def build_event(source: EventInput) -> dict[str, Any]:
    if source.base64_body:
        body: str | None = base64.b64encode(source.body).decode("ascii")
    else:
        body = source.body.decode("utf-8", errors="replace") if source.body else None
    return {
        "resource": source.resource_path,
        "path": source.path,
        "httpMethod": source.http_method,
        "headers": _single(source.headers),
        "multiValueHeaders": _multi(source.headers),
        "queryStringParameters": _single(source.query),
        "multiValueQueryStringParameters": _multi(source.query),
        "pathParameters": dict(source.path_parameters) or None,
        "stageVariables": dict(source.stage_variables) or None,
        "requestContext": dict(source.request_context),
        "body": body,
        "isBase64Encoded": source.base64_body,
    }


@dataclass(frozen=True, slots=True)
class ProxyResponse:
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes


class MalformedProxyResponse(ValueError):
    """The function's answer is not a valid proxy response: API Gateway answers 502."""


class UndecodableBody(ValueError):
    """`isBase64Encoded` is true but the body is not base64: a configuration error (500)."""


def _header_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    raise MalformedProxyResponse(f"header value {value!r} is not a scalar")


def _status(document: Mapping[str, Any]) -> int:
    raw = document.get("statusCode", 200)
    if isinstance(raw, bool):
        raise MalformedProxyResponse("statusCode is a boolean")
    if isinstance(raw, int):
        return raw
    if isinstance(raw, str) and raw.strip().isdigit():
        return int(raw)
    raise MalformedProxyResponse(f"statusCode {raw!r} is not an integer")


def _headers(document: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Both maps merged: multi-value entries first, in their casing, then single values not repeated.

    Recorded (LocalStack, against AWS): `multiValueHeaders: {"test-multi": ["value-multi"]}` with
    `headers: {"test-multi": "value-solo"}` answers `test-multi: value-multi, value-solo`; AWS docs:
    "If the same key-value pair is specified in both, only the values from multiValueHeaders will appear".
    """
    headers: list[tuple[str, str]] = []
    multi = document.get("multiValueHeaders")
    if multi is not None:
        if not isinstance(multi, dict):
            raise MalformedProxyResponse("multiValueHeaders is not an object")
        for name, values in multi.items():
            if not isinstance(values, list):
                raise MalformedProxyResponse(f"multiValueHeaders[{name!r}] is not a list")
            headers.extend((str(name), _header_text(value)) for value in values)
    single = document.get("headers")
    if single is not None:
        if not isinstance(single, dict):
            raise MalformedProxyResponse("headers is not an object")
        present = {(name.lower(), value) for name, value in headers}
        for name, value in single.items():
            text = _header_text(value)
            if (str(name).lower(), text) not in present:
                casing = next((n for n, _ in headers if n.lower() == str(name).lower()), str(name))
                headers.append((casing, text))
    return headers


def parse_response(payload: bytes, binary: bool = False) -> ProxyResponse:
    """Validate a function's answer; `binary` when the API may return binary for this request.

    `isBase64Encoded: true` without binary media types returns the base64 text as it is (recorded).
    """
    try:
        document = json.loads(payload)
    except ValueError as exc:
        raise MalformedProxyResponse("not JSON") from exc
    if not isinstance(document, dict):
        raise MalformedProxyResponse("not a JSON object")
    unknown = set(document) - _RESPONSE_KEYS
    if unknown:
        raise MalformedProxyResponse(f"unknown keys {sorted(unknown)}")
    body = document.get("body")
    if body is not None and not isinstance(body, str):
        raise MalformedProxyResponse("body is not a string")
    raw = (body or "").encode("utf-8")
    if binary and document.get("isBase64Encoded") is True:
        try:
            raw = base64.b64decode(body or "", validate=True)
        except (binascii.Error, ValueError) as exc:
            raise UndecodableBody("body is not valid base64") from exc
    return ProxyResponse(_status(document), tuple(_headers(document)), raw)
