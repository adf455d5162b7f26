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
- Response parameters: AWS docs "Data transformations ... Map method response parameters": a
  `method.response.header.X` takes `'literal'`, `integration.response.header.Y`,
  `integration.response.multivalueheader.Y`, `integration.response.body` or
  `integration.response.body.<JSONPath without $>`, `context.*` or `stageVariables.*`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass

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
