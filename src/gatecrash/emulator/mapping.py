"""Non-proxy mappings that are not templates: which template applies, and parameter mappings. Pure.

Sources:
- Request template choice and passthrough behaviour: AWS docs "Method request behavior for payloads
  without mapping templates for REST APIs": the Content-Type selects the template (absent means
  `application/json`); WHEN_NO_MATCH passes an unmatched payload through; WHEN_NO_TEMPLATES passes it
  through only when no template is defined, else 415; NEVER answers 415 when no template matches.
  The 415 is UNSUPPORTED_MEDIA_TYPE (docs, "Gateway response types"; its 415 and template are
  recorded in LocalStack's GetGatewayResponses snapshot).
- Response template choice: AWS docs "Set up an integration response": the template is picked by
  the client's Accept header; without a match, `application/json` (else the first template).
- The output of a MOCK request template is read leniently: `{statusCode: 200}` (the template CDK
  deploys for CORS preflights, an unquoted field name) answers 200 on AWS (LocalStack's
  test_integration_mock_with_path_param, recorded), and so does the single-quoted
  `{ 'statusCode': 200 }` of many public Terraform CORS modules (gatecrash issue 14; no recording).
- Response parameters: AWS docs "Data transformations ... Map method response parameters": a
  `method.response.header.X` takes `'literal'`, `integration.response.header.Y`,
  `integration.response.multivalueheader.Y`, `integration.response.body` or
  `integration.response.body.<JSONPath without $>`, `context.*` or `stageVariables.*`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from gatecrash.emulator.model import Integration

UNSUPPORTED = "UNSUPPORTED_MEDIA_TYPE"
_DEFAULT_TYPE = "application/json"


@dataclass(frozen=True, slots=True)
class RequestTemplate:
    """The template that applies (None: the payload passes through unchanged)."""

    template: str | None


class MappingFailure(Exception):
    """A mapping expression that cannot be evaluated for this response."""


def media_type(header: str | None) -> str:
    return (header or _DEFAULT_TYPE).split(";", 1)[0].strip().lower() or _DEFAULT_TYPE


def request_template(integration: Integration, content_type: str | None) -> RequestTemplate | str:
    """The request template for `content_type`, or `UNSUPPORTED` when AWS answers 415."""
    templates = integration.request_templates
    wanted = media_type(content_type)
    for name, template in templates.items():
        if name.lower() == wanted:
            return RequestTemplate(template)
    behaviour = integration.passthrough_behavior
    if behaviour == "NEVER" or (behaviour == "WHEN_NO_TEMPLATES" and templates):
        return UNSUPPORTED
    return RequestTemplate(None)


def response_template(templates: Mapping[str, str], accept: str | None) -> tuple[str, str] | None:
    """(content type, template) for the client's Accept header, or None without templates."""
    if not templates:
        return None
    if not accept and len(templates) == 1:
        # No Accept header and one template (most methods): the loop below would choose it.
        name = next(iter(templates))
        return name, templates[name]
    lowered = {name.lower(): name for name in templates}
    for offered in (accept or "").split(","):
        wanted = offered.split(";", 1)[0].strip().lower()
        if wanted in lowered:
            name = lowered[wanted]
            return name, templates[name]
    name = lowered.get(_DEFAULT_TYPE) or next(iter(templates))
    return name, templates[name]


def _body_value(body: bytes, path: str) -> str | None:
    try:
        document = json.loads(body) if body.strip() else None
    except ValueError as exc:
        raise MappingFailure(f"integration.response.body.{path}: the body is not JSON") from exc
    value = document
    for part in path.split("."):
        if isinstance(value, dict) and part in value:
            value = value[part]
        else:
            return None
    if value is None:
        return None
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))


def response_header(
    expression: str,
    backend_headers: Mapping[str, list[str]],
    body: bytes,
    context: Callable[[str], str | None],
    stage_variables: Mapping[str, str],
) -> str | None:
    """The value of one responseParameters expression; `MappingFailure` when it is malformed."""
    if len(expression) >= 2 and expression.startswith("'") and expression.endswith("'"):
        return expression[1:-1]
    if expression.startswith("integration.response.header."):
        values = backend_headers.get(expression.removeprefix("integration.response.header.").lower())
        return values[-1] if values else None
    if expression.startswith("integration.response.multivalueheader."):
        values = backend_headers.get(expression.removeprefix("integration.response.multivalueheader.").lower())
        return ",".join(values) if values else None
    if expression == "integration.response.body":
        return body.decode("utf-8", errors="replace")
    if expression.startswith("integration.response.body."):
        return _body_value(body, expression.removeprefix("integration.response.body."))
    if expression.startswith("context.") and len(expression) > len("context."):
        return context(expression.removeprefix("context."))
    if expression.startswith("stageVariables.") and len(expression) > len("stageVariables."):
        return stage_variables.get(expression.removeprefix("stageVariables."))
    raise MappingFailure(f"invalid mapping expression {expression!r}")


_FIELD_NAME = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")
_ESCAPES = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}


def read_lenient_json(text: str) -> Any:
    """JSON, also with single-quoted strings and unquoted field names; `ValueError` otherwise."""
    try:
        return json.loads(text)
    except ValueError:
        return json.loads(_strict(text))


def _strict(text: str) -> str:
    """`text` rewritten as strict JSON: single-quoted strings double-quoted, bare field names quoted."""
    out: list[str] = []
    index = 0
    while index < len(text):
        character = text[index]
        if character in "\"'":
            end, value = _quoted(text, index)
            out.append(json.dumps(value))
            index = end
            continue
        name = _FIELD_NAME.match(text, index)
        if name is not None and text[index - 1 : index] in ("", "{", ",", " ", "\t", "\n", "\r"):
            after = text[name.end() :].lstrip()
            if after.startswith(":"):
                out.append(json.dumps(name.group()))
                index = name.end()
                continue
        if name is not None:
            out.append(name.group())  # true, false, null, or an error json.loads will report
            index = name.end()
            continue
        out.append(character)
        index += 1
    return "".join(out)


def _quoted(text: str, start: int) -> tuple[int, str]:
    """The end index and value of the string literal opening at `start` (either quote)."""
    quote = text[start]
    chars: list[str] = []
    index = start + 1
    while index < len(text):
        character = text[index]
        if character == "\\" and index + 1 < len(text):
            escaped = text[index + 1]
            if escaped == "u" and re.fullmatch(r"[0-9A-Fa-f]{4}", text[index + 2 : index + 6]):
                chars.append(chr(int(text[index + 2 : index + 6], 16)))
                index += 6
                continue
            chars.append(_ESCAPES.get(escaped, escaped))
            index += 2
            continue
        if character == quote:
            return index + 1, "".join(chars)
        chars.append(character)
        index += 1
    raise ValueError("unterminated string")
