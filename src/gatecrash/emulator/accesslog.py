"""Access log records: the stage's `accessLogSettings.format` with `$context` variables filled in.

AWS docs ("$context variables for data models, authorizers, mapping templates, and CloudWatch
access logging"): unset values log `-`; `error.messageString` carries its own quotes. Values are
escaped as in a JSON string: a real record shows `"[object has missing required properties
([\\"bar\\"])]"` for `$context.error.validationErrorString` (apigw-reference.md fact-check).
"""

from __future__ import annotations

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


def _escaped(name: str, value: str) -> str:
    if name in _QUOTED:
        return value
    return json.dumps(value, ensure_ascii=False)[1:-1]


def render(log_format: str, values: Mapping[str, str]) -> str:
    """Substitute every `$context.x` (or `${context.x}`) in `log_format`; unknown or unset -> `-`."""

    def value(match: re.Match[str]) -> str:
        name = (match.group("braced") or match.group("name"))[1:]
        found = values.get(name)
        return _escaped(name, found) if found else "-"

    return _VARIABLE.sub(value, log_format)
