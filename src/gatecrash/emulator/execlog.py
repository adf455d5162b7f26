"""Execution log lines in API Gateway's INFO-level format: `(request-id) message`.

Line texts come from real logs quoted in apigw-reference.md ("Execution logs"). Secrets are
masked as AWS masks them: every character but the last six becomes `*`.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping

_now = time.time

# "Standard events are truncated at 1 KB; long values end ` [TRUNCATED]`" (AWS docs, execution logging).
MAX_LINE = 1024
SECRET_HEADERS = frozenset({"authorization", "x-api-key", "x-amz-security-token"})


def mask(secret: str) -> str:
    """`**********************************F0yrv6`: all but the last six characters starred."""
    return "*" * max(len(secret) - 6, 0) + secret[-6:]


def java_map(items: Iterable[tuple[str, str]]) -> str:
    """`{a=1, b=2}`: how the gateway prints parameter and header maps."""
    return "{" + ", ".join(f"{key}={value}" for key, value in items) + "}"


def masked_headers(headers: Iterable[tuple[str, str]]) -> str:
    return java_map((name, mask(value) if name.lower() in SECRET_HEADERS else value) for name, value in headers)


class ExecutionLog:
    """The lines one request writes, each stamped when written; `data` lines need dataTraceEnabled."""

    __slots__ = ("data_trace", "lines", "request_id", "_prefix")

    def __init__(self, request_id: str, data_trace: bool) -> None:
        self.request_id = request_id
        self.data_trace = data_trace
        self.lines: list[tuple[int, str]] = []
        self._prefix = f"({request_id}) "

    def add(self, message: str) -> None:
        if len(message) > MAX_LINE:
            message = message[:MAX_LINE] + " [TRUNCATED]"
        self.lines.append((int(_now() * 1000), self._prefix + message))

    def data(self, message: str) -> None:
        if self.data_trace:
            self.add(message)

    def data_map(self, label: str, items: Mapping[str, str] | Iterable[tuple[str, str]]) -> None:
        if self.data_trace:
            pairs = items.items() if isinstance(items, Mapping) else items
            self.add(f"{label}: {java_map(pairs)}")
