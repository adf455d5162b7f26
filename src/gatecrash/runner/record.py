"""What one request and its answer were: the runner's own record, built at the edge from httpx."""

from __future__ import annotations

from dataclasses import dataclass

# The response headers a report needs: the ids that join an answer to the gateway's logs,
# the error type, and throttling advice.
KEPT_HEADERS = (
    "x-amzn-requestid",
    "x-amz-apigw-id",
    "x-amzn-errortype",
    "retry-after",
    "content-type",
    "x-amzn-trace-id",
)
BODY_EXCERPT = 2048


@dataclass(frozen=True, slots=True)
class SentRequest:
    """The request as sent, already redacted."""

    method: str
    url: str
    headers: tuple[tuple[str, str], ...]
    body_excerpt: str
    body_size: int


@dataclass(frozen=True, slots=True)
class Observation:
    step: str
    index: int
    request: SentRequest
    sent_at: float  # epoch seconds
    received_at: float | None
    status: int | None
    headers: tuple[tuple[str, str], ...] = ()
    body_excerpt: str = ""
    error: str | None = None  # a transport failure as a value: "timeout", "connection refused" ...
    # Every response header as received, secrets masked (redact.headers): what `gatecrash compare`
    # compares and records. `headers` keeps only the few a report needs.
    all_headers: tuple[tuple[str, str], ...] = ()

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        return next((value for key, value in self.headers if key == lowered), None)

    @property
    def request_id(self) -> str | None:
        return self.header("x-amzn-requestid")

    @property
    def extended_request_id(self) -> str | None:
        return self.header("x-amz-apigw-id")

    @property
    def error_type(self) -> str | None:
        return self.header("x-amzn-errortype")

    @property
    def elapsed_ms(self) -> float | None:
        return None if self.received_at is None else (self.received_at - self.sent_at) * 1000


def kept_headers(pairs: list[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    return tuple((name.lower(), value) for name, value in pairs if name.lower() in KEPT_HEADERS)


def excerpt(body: bytes) -> str:
    text = body[:BODY_EXCERPT].decode("utf-8", errors="replace")
    return text + (f"... ({len(body)} bytes)" if len(body) > BODY_EXCERPT else "")
