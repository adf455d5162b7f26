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


# What identifies a secret on its own, wherever it reappears (an error body quoting the Authorization
# header, a log line, an echo): a bearer token without its scheme, a JWT's three segments and its
# signed part (RFC 7519: header.payload.signature, base64url), a SigV4 signature's hex. Shorter parts
# are too common to mean anything.
MIN_PART = 8
_JWT = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$")
_SIGNATURE_HEX = re.compile(r"Signature=([0-9a-fA-F]{16,})")
# Shapes that are secrets whoever minted them, scrubbed even when the value is not known (logs read
# again in a later run): a JWT (its JSON header base64url-encoded starts `eyJ`), a SigV4 signature.
_ANY_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}")
_ANY_SIGNATURE = re.compile(r"(Signature=)[0-9a-fA-F]{64}\b")


def secret_parts(value: str) -> list[str]:
    """`value` and each part of it that gives it away on its own (at least MIN_PART characters)."""
    parts = [value]
    token = value[len("bearer ") :].strip() if value[:7].lower() == "bearer " else value
    parts.append(token)
    if _JWT.match(token):
        head, payload, signature = token.split(".")
        parts.extend((f"{head}.{payload}", head, payload, signature))
    parts.extend(_SIGNATURE_HEX.findall(value))
    return [part for part in dict.fromkeys(parts) if len(part) >= MIN_PART]


def shapes(value: str) -> str:
    """`value` with anything shaped like a JWT or a SigV4 signature replaced."""
    value = _ANY_JWT.sub(REDACTED, value)
    return _ANY_SIGNATURE.sub(rf"\g<1>{REDACTED}", value)


class Ledger:
    """Every secret a run resolved or minted (API keys, tokens, secret keys, session tokens, the
    signatures it computed) with their recognisable parts, to scrub any text before it is kept."""

    def __init__(self, values: Iterable[str] = ()) -> None:
        self._parts: list[str] = []
        self.add(*values)

    def add(self, *values: str) -> None:
        known = set(self._parts)
        fresh = [part for value in values if value for part in secret_parts(value) if part not in known]
        if fresh:
            # Longest first, so that a whole token goes before the segments it contains.
            self._parts = sorted({*self._parts, *fresh}, key=lambda part: (-len(part), part))

    @property
    def parts(self) -> tuple[str, ...]:
        return tuple(self._parts)

    def scrub(self, value: str) -> str:
        for part in self._parts:
            if part in value:
                value = value.replace(part, REDACTED)
        return shapes(value)

    def excerpt(self, body: bytes, limit: int) -> str:
        """The first `limit` characters of `body`, scrubbed before they are cut (a secret the cut would
        split is replaced whole), with its size when it is longer."""
        head = self.scrub(body[: limit + 8192].decode("utf-8", errors="replace"))
        return head[:limit] + (f"... ({len(body)} bytes)" if len(body) > limit else "")
