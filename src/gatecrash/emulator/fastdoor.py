"""The front door's fast path: httptools reads the requests h11 reads the same way, h11 reads the rest.

The front door's rules (frontdoor.py) are defined by what `ExactDoor`, uvicorn's h11 protocol with AWS's
wire limits, does with a connection's bytes; h11 costs about 80 µs of CPU a request more than uvicorn's
httptools protocol (bench/README.md). `FastDoor` reads with httptools and answers exactly as the exact
door would, byte for byte, for plain HTTP/1.1 requests: one Host, a target h11 accepts, no body or a
Content-Length one, no Upgrade, a head within the limit. Everything else, from the first message that is
not plain onward (a parse error, a head over the limit or unfinished past it, HTTP/1.0, chunked bodies,
...), is handed with its bytes to an exact door that takes the connection over once every earlier
request is answered, so that the answers, their order and the refusals are h11's by construction.

Answers are written as h11 writes them: header names as the app gave them (AWS sends `x-amzn-RequestId`,
../shared/apigw-reference.md; httptools' writer lowercases), `Transfer-Encoding: chunked` for a body of
unknown length, `Connection: close` when the request asked for it, in h11's order and casing.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any, ClassVar
from urllib.parse import unquote

import h11
import httptools
from uvicorn._types import ASGISendEvent
from uvicorn.config import Config
from uvicorn.protocols.http.flow_control import HIGH_WATER_LIMIT, service_unavailable
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol, RequestResponseCycle
from uvicorn.server import ServerState

from gatecrash.emulator.frontdoor import FrontDoorLimits, FrontDoorProtocol, IdleClock, exact_door

# What h11 accepts (h11._abnf): a request target is visible ASCII; a field value holds no NUL, CR, LF,
# VT or FF; a response header name is a token.
_TARGET = re.compile(rb"[\x21-\x7e]+")
_NOT_IN_VALUE = re.compile(rb"[\x00\n\r\x0b\x0c]")
_FIELD_NAME = re.compile(rb"[-!#$%&'*+.^_`|~0-9a-zA-Z]+")
# Values joined by LF, each between LFs: one refused by h11 holds NUL, CR, VT or FF, or starts or ends blank.
_BAD_VALUES = re.compile(rb"[\x00\r\x0b\x0c]|\n[ \t]|[ \t]\n")
# Headers that change how h11 frames or orders an answer, besides one Content-Length.
_OTHER_FRAMING = frozenset((b"transfer-encoding", b"host"))
# Request headers that say something to the front door, besides Host.
_ASKING = frozenset((b"connection", b"content-length", b"expect"))
_NAMES: dict[bytes, bytes] = {}  # header names h11 accepts, lower-cased: answers repeat theirs
_NAMES_KEPT = 1024
_FIELD_VALUE = re.compile(rb"(?:[^\x00\s]+(?:[ \t]+[^\x00\s]+)*)?")
_CONTENT_LENGTH = re.compile(rb"[0-9]+")
_CONTENT_LENGTH_MAX_DIGITS = 20  # h11._headers.CONTENT_LENGTH_MAX_DIGITS
_REQUEST_LINE_FIXED = len(b"  HTTP/1.1\r\n")
_HEADER_LINE_FIXED = len(b": \r\n")


class _NotPlain(Exception):
    """The message must be read by the exact door."""


class _Completions:
    """A scratch parser's protocol: counts messages completed."""

    def __init__(self) -> None:
        self.count = 0

    def on_message_complete(self) -> None:
        self.count += 1


def _completed(data: bytes) -> int:
    counter = _Completions()
    parser = httptools.HttpRequestParser(counter)
    parser.set_dangerous_leniencies(lenient_data_after_close=True)
    try:
        parser.feed_data(data)
    except httptools.HttpParserError:
        pass
    return counter.count


def _end_of_messages(data: bytes, count: int, start: int = 0) -> int:
    """Where the `count`th message from `start` (where one begins) ends: the shortest span that completes
    it, found by doubling then halving, so that a read of many pipelined messages costs about
    log(size) parses of each. Only for a read that ends messages and holds more: pipelining."""
    if count <= 0:
        return start
    span = 256
    while start + span < len(data) and _completed(data[start : start + span]) < count:
        span *= 2
    low, high = start + span // 2 if span > 256 else start, min(len(data), start + span)
    while low < high:
        middle = (low + high) // 2
        if _completed(data[start:middle]) >= count:
            high = middle
        else:
            low = middle + 1
    return low


def _lower_name(name: bytes) -> bytes:
    lowered = _NAMES.get(name)
    if lowered is None:
        if not _FIELD_NAME.fullmatch(name):
            raise h11.LocalProtocolError(f"Illegal header name {name!r}")
        lowered = name.lower()
        if len(_NAMES) < _NAMES_KEPT:
            _NAMES[name] = lowered
    return lowered


def _tokens(value: bytes) -> list[bytes]:
    return [token.strip() for token in value.lower().split(b",")]


class _Cycle(RequestResponseCycle):
    """One request's answer, framed and written as h11 writes it for an HTTP/1.1 client."""

    request_keep_alive = True
    must_close = False
    body_left: int | None = None  # a Content-Length body's bytes still to write; None: chunked
    # The head waits for the body's first bytes, so that most answers take one write (one system call)
    # rather than two; the bytes on the wire are the same.
    pending_head = b""

    async def run_asgi(self, app: Any) -> None:
        async def app_then_head(scope: Any, receive: Any, send: Any) -> None:
            try:
                await app(scope, receive, send)
            finally:
                self._write_pending_head()  # an answer abandoned after its head still sends the head

        await super().run_asgi(app_then_head)

    def _write_pending_head(self) -> None:
        if self.pending_head:
            head, self.pending_head = self.pending_head, b""
            self.transport.write(head)

    async def send(self, message: ASGISendEvent) -> None:
        if self.flow.write_paused and not self.disconnected:
            await self.flow.drain()
        if self.disconnected:
            return
        if not self.response_started:
            if message["type"] != "http.response.start":
                raise RuntimeError(f"Expected ASGI message 'http.response.start', but got '{message['type']}'.")
            self.response_started = True
            self.waiting_for_100_continue = False
            # uvicorn's h11 protocol adds `connection: close` when the request had it; h11 then rewrites every
            # Connection header of an answer to a request that is not kept alive, as _head does.
            headers = self.default_headers + list(message.get("headers", []))
            self.pending_head = self._head(message["status"], headers)
        elif not self.response_complete:
            if message["type"] != "http.response.body":
                raise RuntimeError(f"Expected ASGI message 'http.response.body', but got '{message['type']}'.")
            body = b"" if self.scope["method"] == "HEAD" else message.get("body", b"")
            more_body = message.get("more_body", False)
            self._write_body(body, more_body)
            if not more_body:
                self.response_complete = True
                self.message_event.set()
                if self.must_close or not self.keep_alive:
                    self.transport.close()
                self.on_response()
        else:
            raise RuntimeError(f"Unexpected ASGI message '{message['type']}' sent, after response already completed.")

    def _head(self, status: int, headers: list[tuple[bytes, bytes]]) -> bytes:
        """h11's Response with `_clean_up_response_headers_for_sending`, for an HTTP/1.1 request."""
        known = _NAMES.get
        lowered = [known(name) or _lower_name(name) for name, _ in headers]
        values = b"\n" + b"\n".join([value for _, value in headers]) + b"\n"
        if values.count(b"\n") != len(headers) + 1 or _BAD_VALUES.search(values):
            return self._framed_head(status, headers)  # which says which value h11 refuses
        method = self.scope["method"]
        if (
            self.request_keep_alive
            and lowered.count(b"content-length") == 1
            and _OTHER_FRAMING.isdisjoint(lowered)
            and status not in (204, 304)
            and method != "HEAD"
            and method != "CONNECT"
        ):
            length = headers[lowered.index(b"content-length")][1]
            if _CONTENT_LENGTH.fullmatch(length) and len(length) <= _CONTENT_LENGTH_MAX_DIGITS:
                self.body_left = int(length)
                if b"connection" in lowered:
                    for name, (_, value) in zip(lowered, headers, strict=True):
                        if name == b"connection" and b"close" in value.lower() and b"close" in _tokens(value):
                            self.must_close = True
                lines = [b"%s: %s\r\n" % (name, value) for name, value in headers]
                return STATUS_LINE[status] + b"".join(lines) + b"\r\n"
        return self._framed_head(status, headers)

    def _framed_head(self, status: int, headers: list[tuple[bytes, bytes]]) -> bytes:
        """_head for every answer: validated, framed and with Connection set as h11 does."""
        kept: list[tuple[bytes, bytes, bytes]] = []
        length: bytes | None = None
        chunked = False
        connection: list[bytes] = []
        for raw_name, value in headers:
            if not _FIELD_NAME.fullmatch(raw_name):
                raise h11.LocalProtocolError(f"Illegal header name {raw_name!r}")
            if not _FIELD_VALUE.fullmatch(value):
                raise h11.LocalProtocolError(f"Illegal header value {value!r}")
            name = raw_name.lower()
            if name == b"content-length":
                lengths = {part.strip() for part in value.split(b",")}
                if len(lengths) != 1:
                    raise h11.LocalProtocolError("conflicting Content-Length headers")
                value = lengths.pop()
                if not _CONTENT_LENGTH.fullmatch(value) or len(value) > _CONTENT_LENGTH_MAX_DIGITS:
                    raise h11.LocalProtocolError("bad Content-Length")
                if length is not None:
                    if length != value:
                        raise h11.LocalProtocolError("conflicting Content-Length headers")
                    continue
                length = value
            elif name == b"transfer-encoding":
                if chunked:
                    raise h11.LocalProtocolError("multiple Transfer-Encoding headers")
                value = value.lower()
                if value != b"chunked":
                    raise h11.LocalProtocolError("Only Transfer-Encoding: chunked is supported")
                chunked = True
            elif name == b"connection":
                connection += _tokens(value)
            kept.append((raw_name, name, value))
        method = self.scope["method"]
        if b"close" in connection:
            self.must_close = True
        if status in (204, 304) or method == "HEAD" or (method == "CONNECT" and 200 <= status < 300):
            self.body_left = 0
        elif not chunked and length is not None:
            self.body_left = int(length)
        else:
            # A body of unknown length: chunked to an HTTP/1.1 client, any Content-Length dropped.
            kept = [item for item in kept if item[1] not in (b"content-length", b"transfer-encoding")]
            kept.append((b"Transfer-Encoding", b"transfer-encoding", b"chunked"))
            self.body_left = None
        if not self.request_keep_alive:
            tokens = set(connection)
            tokens.discard(b"keep-alive")
            tokens.add(b"close")
            kept = [item for item in kept if item[1] != b"connection"]
            kept += [(b"Connection", b"connection", token) for token in sorted(tokens)]
            self.must_close = True
        lines = [STATUS_LINE[status]]
        lines += [b"%s: %s\r\n" % (raw, value) for raw, name, value in kept if name == b"host"]
        lines += [b"%s: %s\r\n" % (raw, value) for raw, name, value in kept if name != b"host"]
        lines.append(b"\r\n")
        return b"".join(lines)

    def _write_body(self, body: bytes, more_body: bool) -> None:
        head, self.pending_head = self.pending_head, b""
        if self.body_left is None:
            chunk = b"%x\r\n%s\r\n" % (len(body), body) if body else b""
            self.transport.write(head + (chunk if more_body else chunk + b"0\r\n\r\n"))
            return
        self.body_left -= len(body)
        if self.body_left < 0:
            if head:
                self.transport.write(head)
            raise h11.LocalProtocolError("Too much data for declared Content-Length")
        if body or head:
            self.transport.write(head + body)
        if not more_body and self.body_left != 0:
            raise h11.LocalProtocolError("Too little data for declared Content-Length")


class FastDoor(HttpToolsProtocol):
    """One client connection. Build a class with `front_door(limits)`: uvicorn instantiates it."""

    limits: ClassVar[FrontDoorLimits] = FrontDoorLimits()
    exact: ClassVar[type[FrontDoorProtocol]] = FrontDoorProtocol

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self.idle = IdleClock(self.loop, self.limits.idle_timeout_s, self._idle_out)
        self._in_head = False  # a message has begun and its head is not complete
        self._head_bytes = b""  # that head's bytes so far, when it spans reads
        self._header_bytes = 0
        self._in_body = False  # a message's head is complete and its (Content-Length) body is not
        self._body_left = 0  # that body's bytes still to come
        self._read = b""  # the current read,
        self._read_head: bytes | None = None  # the unfinished head it continues,
        self._read_body_left = 0  # or the Content-Length body it continues, and how much of it
        self._begun = 0  # messages begun during the current read
        self._completed = 0  # messages completed during the current read
        self._found = (0, 0)  # how many of them end where in it, as _message_start last found
        self._handover: bytes | None = None  # bytes for the exact door, once every earlier answer is sent

    # -- the connection ---------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.idle.start()

    def connection_lost(self, exc: Exception | None) -> None:
        self.idle.stop()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        self.idle.read()
        if self._handover is not None:
            self._handover += data
            return
        self._read_head = self._head_bytes if self._in_head else None
        self._read_body_left = self._body_left if self._in_body else 0
        if self._read_head is None and not self._read_body_left and data[:1] in (b"\r", b"\n"):
            # httptools skips empty lines before a request line; h11 refuses them.
            self._hand_over(data)
            return
        self._read = data
        self._begun = self._completed = 0
        self._found = (0, 0)
        try:
            self.parser.feed_data(data)
        except (httptools.HttpParserError, httptools.HttpParserUpgrade, _NotPlain):
            # A body's error cannot happen here: only Content-Length bodies are read on this path.
            self._hand_over(self._message_start())
            return
        if self._in_head:
            start = self._message_start()
            if len(start) > self.limits.max_head_bytes + 1:
                self._hand_over(start)  # the exact door refuses it (431), once earlier answers are sent
            else:
                self._head_bytes = start

    def _message_start(self) -> bytes:
        """The bytes of the message being read, from its first byte on, to the end of this read."""
        data, head_before, body_left = self._read, self._read_head, self._read_body_left
        if head_before is not None:
            if self._begun == 0:
                return head_before + data
            data, done = head_before + data, self._completed
        elif body_left:
            # The read began in a Content-Length body: that message ends `body_left` bytes in.
            data, done = data[body_left:], self._completed - 1
        else:
            done = self._completed
        if not done:
            return data
        found_done, found_end = self._found
        if 0 < found_done <= done:
            end = _end_of_messages(data, done - found_done, found_end)
        else:
            end = _end_of_messages(data, done)
        self._found = (done, end)
        return data[end:]

    def _hand_over(self, data: bytes) -> None:
        """From the failing message on, the exact door reads: once every earlier request is answered."""
        self.flow.pause_reading()
        self._in_head = self._in_body = False
        self._handover = data
        if not self._answers_pending():
            self._switch()

    def _answers_pending(self) -> bool:
        cycle = self.cycle
        return bool(self.pipeline) or (cycle is not None and not cycle.response_complete)

    def _switch(self) -> None:
        assert self._handover is not None
        door = self.exact(self.config, self.server_state, self.app_state, self.loop)
        self.idle.stop()
        self.connections.discard(self)
        self.flow.resume_reading()
        self.transport.set_protocol(door)
        door.connection_made(self.transport)
        door.idle.last_read = self.idle.last_read
        if self._handover:  # h11 reads no bytes as the client's end of the connection
            door.data_received(self._handover)

    def on_response_complete(self) -> None:
        self.server_state.total_requests += 1
        if self.transport.is_closing():
            return
        if self.pipeline:
            cycle, app = self.pipeline.pop()
            self._start_asgi_task(cycle, app)
        elif self._handover is not None:
            self._switch()
        else:
            self.flow.resume_reading()

    def _idle_out(self) -> bool:
        """Close when idle, unless a whole request is in and its answer is ours to finish."""
        cycle = self.cycle
        if self.pipeline or (cycle is not None and not cycle.more_body and not cycle.response_complete):
            return False
        self.transport.close()
        return True

    # -- the parser's callbacks ----------------------------------------------------------------------

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head = True
        self._head_bytes = b""
        self._header_bytes = 0
        self._begun += 1

    def on_header(self, name: bytes, value: bytes) -> None:
        value = value.rstrip(b" \t")
        self.headers.append((name.lower(), value))
        self._header_bytes += len(name) + len(value) + _HEADER_LINE_FIXED

    def on_headers_complete(self) -> None:
        method = self.parser.get_method()
        url = self.url
        size = len(method) + len(url) + _REQUEST_LINE_FIXED + self._header_bytes
        if self.parser.get_http_version() != "1.1" or size > self.limits.max_head_bytes or method == b"CONNECT":
            raise _NotPlain
        alone = self._begun == 1 and not self._completed and self._read_head is None and not self._read_body_left
        start = self._read if alone else self._message_start()  # the usual read: one whole request
        if not start.startswith(method + b" " + url + b" HTTP/1.1\r\n"):
            raise _NotPlain  # httptools takes runs of spaces between the request line's parts; h11 does not
        keep_alive, expect_continue, length = self._check_plain(url)
        self._in_head = False
        self._head_bytes = b""
        self._in_body = length > 0
        self._body_left = length
        scope = self.scope
        scope["method"] = method.decode("ascii")
        # As uvicorn's h11 protocol reads the target (httptools' URL parser reads absolute forms otherwise).
        raw_path, _, query_string = url.partition(b"?")
        path = raw_path.decode("ascii")
        scope["path"] = self.root_path + (unquote(path) if "%" in path else path)
        scope["raw_path"] = self.root_path.encode("ascii") + raw_path
        scope["query_string"] = query_string
        app = self.app
        if self.limit_concurrency is not None and (
            len(self.connections) >= self.limit_concurrency or len(self.tasks) >= self.limit_concurrency
        ):
            app = service_unavailable
        existing = self.cycle
        cycle = _Cycle(
            scope=scope,
            transport=self.transport,
            flow=self.flow,
            logger=self.logger,
            access_logger=self.access_logger,
            access_log=self.access_log,
            default_headers=self.server_state.default_headers,
            message_event=asyncio.Event(),
            expect_100_continue=expect_continue,
            keep_alive=True,
            on_response=self.on_response_complete,
        )
        cycle.request_keep_alive = keep_alive
        self.cycle = cycle
        if existing is None or existing.response_complete:
            self._start_asgi_task(cycle, app)
        else:
            self.flow.pause_reading()
            self.pipeline.appendleft((cycle, app))

    def _check_plain(self, url: bytes) -> tuple[bool, bool, int]:
        """Keep-alive, Expect: 100-continue and Content-Length of a request h11 reads as httptools
        did; _NotPlain for any other."""
        if not _TARGET.fullmatch(url):
            raise _NotPlain
        headers = self.headers
        names = [name for name, _ in headers]
        if names.count(b"host") != 1 or b"transfer-encoding" in names or b"upgrade" in names:
            raise _NotPlain
        if _NOT_IN_VALUE.search(b"".join([value for _, value in headers])):
            raise _NotPlain
        keep_alive = True
        expect_continue = False
        length = 0
        if _ASKING.isdisjoint(names):
            return keep_alive, expect_continue, length
        for name, value in headers:
            if name == b"connection":
                keep_alive = keep_alive and b"close" not in _tokens(value)
            elif name == b"content-length":
                length = int(value)
            elif name == b"expect":
                expect_continue = expect_continue or b"100-continue" in _tokens(value)
        return keep_alive, expect_continue, length

    # uvicorn's, without its Upgrade checks: a request with Upgrade (or CONNECT) goes to the exact door.
    def on_body(self, body: bytes) -> None:
        self._body_left -= len(body)
        cycle = self.cycle
        if cycle.response_complete:
            return
        cycle.body += body
        if len(cycle.body) > HIGH_WATER_LIMIT:
            self.flow.pause_reading()
        cycle.message_event.set()

    def on_message_complete(self) -> None:
        self._completed += 1
        self._in_body = False
        cycle = self.cycle
        if not cycle.response_complete:
            cycle.more_body = False
            cycle.message_event.set()


def front_door(limits: FrontDoorLimits) -> type[FastDoor]:
    """A protocol class for `uvicorn.Config(http=...)` with these limits."""
    return type("FastDoor", (FastDoor,), {"limits": limits, "exact": exact_door(limits)})
