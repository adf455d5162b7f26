"""The emulator's front door: how a connection is read before any request reaches the gateway.

uvicorn's h11 protocol, with the rules API Gateway's front door applies to the wire (the exact door: the
server reads connections with fastdoor.py, which answers as this door would and hands it every request
httptools would read otherwise):

- Request head size. "Quotas for configuring and running a REST API in API Gateway" (REST API quotas
  page, https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-execution-service-limits-table.html):
  "Total combined size of all header values, including header names, values, any line terminators, and
  whitespaces: 10240 Bytes", not adjustable. The sources disagree on what the 10,240 bytes cover: the HTTP
  API quotas page (http-api-quotas.html) says "Total combined size of request line and header values:
  10240 bytes", the REST page counts header lines only and limits a Regional API's URL to 10,240
  characters on its own. The emulator applies one budget to the request line and the header lines (each
  with its CRLF; the blank line that ends the head is not counted), as the HTTP API page words it: a
  request near the limit whose request line tips it over may pass on AWS.
  Over it AWS answers 431 ("Monitor REST APIs": "API Gateway might not generate logs and metrics in the
  following cases: ... 431 Request Header Fields Too Large errors"), from the front door, before any
  request id exists: no log, no `x-amzn-RequestId`. Its body, `HTTP header is larger than 10240 bytes.`,
  is what a user reported API Gateway answering (ntsblog.homedev.com.au, 2021-03-09, "AWS API Gateway -
  HTTP header is larger than 10240 bytes."); its headers are not recorded anywhere we found, so the
  emulator sends those of the front door's 413 (lgtm-generator#10: `text; charset=utf-8`) and closes.
- Idle connections. The same REST quotas page: "Idle connection timeout: 310 seconds", not adjustable.
  A connection that sends nothing for that long is closed, whether it is between requests or half-way
  through one (a request line, headers or body never finished); one whose request is complete and
  waiting for the gateway's answer is not idle. What AWS sends, if anything, when it closes an idle
  connection is not documented: the emulator closes without an answer (nothing was received to answer).
- Every request is answered, in order: h11 parses a pipelined request only once the one before it is
  answered, so a malformed request after a valid one costs neither the valid one's answer nor the order.
  A request that is not HTTP at all gets 400 with the status's phrase as a plain-text body, and the
  connection is closed: AWS's answer to such bytes is not recorded in any source we found, so this
  answer is the emulator's own, shaped like the front door's other refusals.
"""

from __future__ import annotations

import asyncio
import http
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import h11
from uvicorn.config import Config
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.server import ServerState

# REST API quotas page: header lines (and, per the HTTP API page, the request line), not adjustable.
MAX_HEAD_BYTES = 10_240
# REST API quotas page, "Idle connection timeout", not adjustable.
IDLE_CONNECTION_TIMEOUT_S = 310.0

_CRLF = 2
_HTTP_VERSION = len(b"HTTP/1.1")
# The front door's plain-text content type, as its 413 carries it (lgtm-generator#10).
_PLAIN_TEXT = b"text; charset=utf-8"


@dataclass(frozen=True, slots=True)
class FrontDoorLimits:
    max_head_bytes: int = MAX_HEAD_BYTES
    idle_timeout_s: float = IDLE_CONNECTION_TIMEOUT_S


@dataclass(frozen=True, slots=True)
class Refusal:
    """An answer the front door gives on its own, after which it closes the connection."""

    status: int
    body: bytes

    def wire(self, default_headers: list[tuple[bytes, bytes]]) -> bytes:
        phrase = http.HTTPStatus(self.status).phrase.encode()
        lines = [b"HTTP/1.1 %d %s" % (self.status, phrase)]
        lines += [name + b": " + value for name, value in default_headers]
        lines += [
            b"content-type: " + _PLAIN_TEXT,
            b"content-length: %d" % len(self.body),
            b"connection: close",
        ]
        return b"\r\n".join(lines) + b"\r\n\r\n" + self.body


def head_too_large(limit: int) -> Refusal:
    return Refusal(431, f"HTTP header is larger than {limit} bytes.".encode())


def not_http() -> Refusal:
    """The emulator's own answer to bytes h11 cannot read as a request (AWS's is not recorded)."""
    return Refusal(400, http.HTTPStatus(400).phrase.encode())


def head_size(request: h11.Request) -> int:
    """The request line and header lines as sent, each with its CRLF (optional whitespace around a
    header value, which h11 drops, counted as the one space clients send)."""
    line = len(request.method) + 1 + len(request.target) + 1 + _HTTP_VERSION + _CRLF
    return line + sum(len(name) + 2 + len(value) + _CRLF for name, value in request.headers.raw_items())


class _GuardedConnection(h11.Connection):
    """h11's server side, refusing heads over the limit whether they arrive whole or in pieces, and
    remembering why it refused, for the answer."""

    def __init__(self, max_head_bytes: int) -> None:
        # An unfinished head is refused as soon as it must end up over the limit (h11 hints 431): until the
        # blank line is complete, h11 may hold the limit's bytes and the blank line's CR.
        super().__init__(h11.SERVER, max_incomplete_event_size=max_head_bytes + 1)
        self.max_head_bytes = max_head_bytes
        self.refusal: Refusal | None = None

    def next_event(self) -> Any:
        try:
            event = super().next_event()
        except h11.RemoteProtocolError as exc:
            # One answer for all that is not readable HTTP (h11's hints, 501 for an unknown transfer coding
            # or 505 for a version, would be the emulator's guesses too), the head size's own apart.
            too_large = exc.error_status_hint == 431
            self.refusal = head_too_large(self.max_head_bytes) if too_large else not_http()
            raise
        if isinstance(event, h11.Request) and head_size(event) > self.max_head_bytes:
            self.refusal = head_too_large(self.max_head_bytes)
            raise h11.RemoteProtocolError("request head too large", error_status_hint=431)
        return event


class IdleClock:
    """Closes a connection that has sent nothing for the idle timeout: one clock read per read, and one
    timer that re-arms itself from it rather than one per read."""

    def __init__(self, loop: asyncio.AbstractEventLoop, timeout_s: float, idle_out: Callable[[], bool]) -> None:
        """`idle_out` closes the connection and says True, or says False when the wait is the emulator's."""
        self.loop = loop
        self.timeout_s = timeout_s
        self.last_read = 0.0
        self._idle_out = idle_out
        self._timer: asyncio.TimerHandle | None = None

    def start(self) -> None:
        self.last_read = self.loop.time()
        self._arm(self.timeout_s)

    def read(self) -> None:
        self.last_read = self.loop.time()

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _arm(self, delay: float) -> None:
        self._timer = self.loop.call_later(delay, self._check)

    def _check(self) -> None:
        self._timer = None
        quiet = self.loop.time() - self.last_read
        if quiet < self.timeout_s:
            self._arm(self.timeout_s - quiet)
        elif not self._idle_out():
            self._arm(self.timeout_s)


class FrontDoorProtocol(H11Protocol):
    """One client connection read by h11 (the exact door: fastdoor.py hands it what httptools would not
    read the same way). Build a class with `fastdoor.front_door(limits)`: uvicorn instantiates it."""

    limits: ClassVar[FrontDoorLimits] = FrontDoorLimits()

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self.conn = _GuardedConnection(self.limits.max_head_bytes)
        # Between requests too: the idle timeout, not uvicorn's shorter keep-alive default.
        self.timeout_keep_alive = math.ceil(self.limits.idle_timeout_s)
        self.idle = IdleClock(self.loop, self.limits.idle_timeout_s, self._idle_out)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[arg-type]
        self.idle.start()

    def data_received(self, data: bytes) -> None:
        self.idle.read()
        super().data_received(data)

    def connection_lost(self, exc: Exception | None) -> None:
        self.idle.stop()
        super().connection_lost(exc)

    def send_400_response(self, msg: str) -> None:
        """uvicorn calls this for any request h11 refused: answer as the front door would, and close."""
        refusal = self.conn.refusal if isinstance(self.conn, _GuardedConnection) else None
        self.transport.write((refusal or not_http()).wire(self.server_state.default_headers))
        self.transport.close()

    def _idle_out(self) -> bool:
        if self.transport.is_closing():
            return True
        if self._answer_pending():
            return False
        self.transport.close()
        return True

    def _answer_pending(self) -> bool:
        """A whole request is in and the gateway has not finished answering it: the wait is ours."""
        cycle = self.cycle
        return cycle is not None and not cycle.more_body and not cycle.response_complete


def exact_door(limits: FrontDoorLimits) -> type[FrontDoorProtocol]:
    """The h11 protocol class with these limits (`uvicorn.Config(http=...)` takes it as it is too)."""
    return type("ExactDoor", (FrontDoorProtocol,), {"limits": limits})
