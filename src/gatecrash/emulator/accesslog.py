"""Access log records: the stage's `accessLogSettings.format` with `$context` variables filled in.

AWS docs ("$context variables for data models, authorizers, mapping templates, and CloudWatch
access logging"): unset values log `-`; `error.messageString` carries its own quotes. Values are
escaped as in a JSON string: a real record shows `"[object has missing required properties
([\\"bar\\"])]"` for `$context.error.validationErrorString` (apigw-reference.md fact-check).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping

# The emulator's default when the side file names no format: JSON with the fields the
# correlator reads, each keyed by its `$context` variable name.
DEFAULT_FIELDS = (
    "requestId",
    "extendedRequestId",
    "identity.sourceIp",
    "identity.caller",
    "identity.user",
    "identity.userArn",
    # The caller's User-Agent (AWS docs, "Variables for access logging"): gatecrash ends its own with
    # the probe's tag, so the record shows which request it is (correlate/ownership.py).
    "identity.userAgent",
    "identity.apiKeyId",
    "requestTime",
    "requestTimeEpoch",
    "httpMethod",
    "resourcePath",
    "path",
    "status",
    "protocol",
    "responseLength",
    "responseLatency",
    "error.message",
    "error.responseType",
    "error.validationErrorString",
    "integration.status",
    "integration.integrationStatus",
    "integration.error",
    "integration.latency",
    "integration.requestId",
    "integrationLatency",
    "authorizer.error",
    "authorizer.status",
    "authorizer.latency",
)
DEFAULT_FORMAT = "{" + ",".join(f'"{name}":"$context.{name}"' for name in DEFAULT_FIELDS) + "}"

_VARIABLE = re.compile(r"\$\{context(?P<braced>(?:\.[A-Za-z0-9_]+)+)\}|\$context(?P<name>(?:\.[A-Za-z0-9_]+)+)")


# Already a JSON string (with its quotes): substituted as it is.
_QUOTED = frozenset({"error.messageString"})


# Characters that json.dumps would change; most values (ids, numbers, paths) have none.
_NEEDS_ESCAPE = re.compile(r'["\\\x00-\x1f\x7f]')


def _escaped(name: str, value: str) -> str:
    if name in _QUOTED or _NEEDS_ESCAPE.search(value) is None:
        return value
    return json.dumps(value, ensure_ascii=False)[1:-1]


@functools.lru_cache(maxsize=16)
def _compiled(log_format: str) -> tuple[str, tuple[str, ...]]:
    """The format split once into a %-template of its literal text and the variable names it holds."""
    template: list[str] = []
    names: list[str] = []
    position = 0
    for match in _VARIABLE.finditer(log_format):
        template.append(log_format[position : match.start()].replace("%", "%%"))
        template.append("%s")
        names.append((match.group("braced") or match.group("name"))[1:])
        position = match.end()
    template.append(log_format[position:].replace("%", "%%"))
    return "".join(template), tuple(names)


def render(log_format: str, values: Mapping[str, str]) -> str:
    """Substitute every `$context.x` (or `${context.x}`) in `log_format`; unknown or unset -> `-`."""
    template, names = _compiled(log_format)
    get = values.get
    found = [get(name) or "-" for name in names]
    # One search over every value: most records need no escaping at all.
    if _NEEDS_ESCAPE.search("".join(found)) is not None:
        found = [_escaped(name, value) for name, value in zip(names, found, strict=True)]
    return template % tuple(found)
