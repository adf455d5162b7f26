"""Secrets never reach a report: API keys, tokens, signatures and session tokens are masked."""

from __future__ import annotations

import re
from collections.abc import Iterable

REDACTED = "<redacted>"
_SECRET_HEADERS = frozenset({"x-api-key", "x-amz-security-token", "cookie", "set-cookie"})
_SECRET_QUERY = frozenset(
    {"x-amz-signature", "x-amz-security-token", "x-amz-credential", "api_key", "apikey", "token", "access_token"}
)
_SIGNATURE = re.compile(r"(Signature=)[0-9a-fA-F]+")
_BEARER = re.compile(r"^(Bearer\s+)\S+$", re.IGNORECASE)


def header(name: str, value: str) -> str:
    lowered = name.lower()
    if lowered in _SECRET_HEADERS:
        return REDACTED
    if lowered == "authorization":
        if value.startswith("AWS4-"):
            # The access key id and signed headers help a reader; the signature does not.
            return _SIGNATURE.sub(rf"\g<1>{REDACTED}", value)
        bearer = _BEARER.match(value)
        return f"{bearer.group(1)}{REDACTED}" if bearer else REDACTED
    return value


def headers(pairs: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(name, header(name, value)) for name, value in pairs]


def query(pairs: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(name, REDACTED if name.lower() in _SECRET_QUERY else value) for name, value in pairs]


def text(value: str, secrets: Iterable[str]) -> str:
    """`value` with every known secret replaced, for bodies and error messages."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            value = value.replace(secret, REDACTED)
    return value
