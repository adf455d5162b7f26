"""Bursts: N requests released at one instant on connections opened beforehand.

httpx cannot open a connection without sending a request, and a warm-up request would spend a
throttle token, so a burst speaks HTTP/1.1 itself through h11 (the protocol engine httpx's
transport uses): open every connection (TLS included), serialise every request, then write all
of them in one loop with no await in between, and read the answers.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

import h11

from gatecrash.runner.build import WireRequest

_READ_CHUNK = 65_536


@dataclass(frozen=True, slots=True)
class BurstAnswer:
    sent_at: float
    received_at: float | None
    status: int | None
    headers: tuple[tuple[str, str], ...]
    body: bytes
    error: str | None = None


@dataclass(frozen=True, slots=True)
class _Connection:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter


def _serialise(request: WireRequest, host: str) -> bytes:
    client = h11.Connection(h11.CLIENT)
    path = urlsplit(request.url)
    target = (path.path or "/") + (f"?{path.query}" if path.query else "")
    headers = [(name, value) for name, value in request.headers if name.lower() not in ("host", "content-length")]
    headers = [("Host", host), *headers, ("Content-Length", str(len(request.body)))]
    data = client.send(h11.Request(method=request.method, target=target, headers=headers)) or b""
    if request.body:
        data += client.send(h11.Data(data=request.body)) or b""
    data += client.send(h11.EndOfMessage()) or b""
    return data


async def _open(url: str, tls: ssl.SSLContext, timeout: float) -> _Connection:
    parts = urlsplit(url)
    secure = parts.scheme == "https"
    port = parts.port or (443 if secure else 80)
    reader, writer = await asyncio.wait_for(
        asyncio.open_connection(
            parts.hostname, port, ssl=tls if secure else None, server_hostname=parts.hostname if secure else None
        ),
        timeout,
    )
    return _Connection(reader, writer)


async def _read(connection: _Connection, sent_at: float, timeout: float) -> BurstAnswer:
    state = h11.Connection(h11.CLIENT)
    # The client side must have sent its request for h11 to accept the response.
    state.send(h11.Request(method="GET", target="/", headers=[("Host", "x")]))
    state.send(h11.EndOfMessage())
    status: int | None = None
    headers: tuple[tuple[str, str], ...] = ()
    body = bytearray()
    try:
        async with asyncio.timeout(timeout):
            while True:
                event = state.next_event()
                if event is h11.NEED_DATA:
                    state.receive_data(await connection.reader.read(_READ_CHUNK))
                    continue
                if isinstance(event, h11.Response):
                    status = event.status_code
                    headers = tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in event.headers)
                elif isinstance(event, h11.Data):
                    body += event.data
                elif isinstance(event, h11.EndOfMessage | h11.ConnectionClosed):
                    break
    except TimeoutError:
        return BurstAnswer(sent_at, None, status, headers, bytes(body), "timeout")
    except (h11.RemoteProtocolError, OSError) as exc:
        return BurstAnswer(sent_at, None, status, headers, bytes(body), f"{type(exc).__name__}: {exc}")
    return BurstAnswer(sent_at, time.time(), status, headers, bytes(body))


async def release(requests: Sequence[WireRequest], tls: ssl.SSLContext, timeout: float) -> list[BurstAnswer]:
    """Open one connection per request, then send them all at once; answers in request order."""
    if not requests:
        return []
    opened = await asyncio.gather(*(_open(r.url, tls, timeout) for r in requests), return_exceptions=True)
    host = urlsplit(requests[0].url).netloc
    payloads = [_serialise(request, host) for request in requests]
    sent_at: list[float] = []
    # The release: consecutive writes with no await between them.
    for connection, payload in zip(opened, payloads, strict=True):
        if isinstance(connection, _Connection):
            connection.writer.write(payload)
        sent_at.append(time.time())
    await asyncio.gather(*(c.writer.drain() for c in opened if isinstance(c, _Connection)), return_exceptions=True)
    answers = await asyncio.gather(
        *(
            _read(c, at, timeout) if isinstance(c, _Connection) else _failed(at, c)
            for c, at in zip(opened, sent_at, strict=True)
        )
    )
    closing = [c.writer for c in opened if isinstance(c, _Connection)]
    for writer in closing:
        writer.close()
    await asyncio.gather(*(writer.wait_closed() for writer in closing), return_exceptions=True)
    return list(answers)


async def _failed(sent_at: float, error: BaseException) -> BurstAnswer:
    return BurstAnswer(sent_at, None, None, (), b"", f"could not connect: {type(error).__name__}: {error}")
