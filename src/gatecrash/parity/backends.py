"""The HTTP backends the recorded APIs called, as local ASGI apps.

The recordings' HTTP integrations reached public echo services; these answer in the same shapes
so that what API Gateway sent and returned can be compared. Shapes, not code, are taken over:
- `httpbin`: httpbin.org's `/post` and `/anything` (args, data, files, form, headers, json, origin,
  url; headers title-cased as httpbin prints them);
- `function_url_echo` (`trimmed_function_url_echo` drops `x-amzn-*` and `x-forwarded-*` headers):
  the Lambda function URL echo of LocalStack's `create_echo_http_server` fixture (args, data,
  domain, headers lower-cased as function URLs pass them, method, origin, path);
- `body_echo`: a function URL answering with the request body as it came;
- `status_echo`: a function URL answering with the status the path ends with and
  `{"status_code": N, "message": ""}` (`lambda_echo_status_code.py`).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

__all__ = ["BACKENDS", "body_echo", "function_url_echo", "httpbin", "status_echo", "trimmed_function_url_echo"]


async def _body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _answer(send: Send, status: int, body: bytes, headers: list[tuple[str, str]]) -> None:
    raw = [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers]
    raw.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


def _headers(scope: Scope) -> list[tuple[str, str]]:
    return [(name.decode("latin-1"), value.decode("latin-1")) for name, value in scope["headers"]]


def _query(scope: Scope) -> list[tuple[str, str]]:
    return parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)


def _function_url_headers() -> list[tuple[str, str]]:
    """What a function URL answers with besides the body: its content type, Lambda's request and
    trace ids, and a kept-alive connection."""
    root = f"Root=1-{uuid.uuid4().hex[:8]}-{uuid.uuid4().hex[:24]}"
    return [
        ("Content-Type", "application/json"),
        ("Connection", "keep-alive"),
        ("x-amzn-RequestId", str(uuid.uuid4())),
        ("X-Amzn-Trace-Id", root),
    ]


def _title(name: str) -> str:
    return "-".join(part.capitalize() for part in name.split("-"))


def _grouped(pairs: list[tuple[str, str]], join: bool) -> dict[str, Any]:
    grouped: dict[str, list[str]] = {}
    for name, value in pairs:
        grouped.setdefault(name, []).append(value)
    if join:
        return {name: ",".join(values) for name, values in grouped.items()}
    return {name: values[0] if len(values) == 1 else values for name, values in grouped.items()}


async def httpbin(scope: Scope, receive: Receive, send: Send) -> None:
    body = await _body(receive)
    headers = _headers(scope)
    content_type = next((value for name, value in headers if name == "content-type"), "")
    text = body.decode("utf-8", errors="replace")
    form: dict[str, Any] = {}
    data = text
    if content_type.startswith("application/x-www-form-urlencoded"):
        form, data = _grouped(parse_qsl(text, keep_blank_values=True), join=False), ""
    try:
        parsed = json.loads(text) if data else None
    except ValueError:
        parsed = None
    host = next((value for name, value in headers if name == "host"), "")
    query = scope.get("query_string", b"").decode("latin-1")
    document = {
        "args": _grouped(_query(scope), join=False),
        "data": data,
        "files": {},
        "form": form,
        "headers": {_title(name): value for name, value in headers},
        "json": parsed,
        "origin": (scope.get("client") or ("127.0.0.1", 0))[0],
        "url": f"https://{host}{scope['path']}" + (f"?{query}" if query else ""),
    }
    await _answer(
        send,
        200,
        (json.dumps(document, indent=2) + "\n").encode(),
        [
            ("Content-Type", "application/json"),
            ("Connection", "keep-alive"),
            ("Access-Control-Allow-Origin", "*"),
            ("Access-Control-Allow-Credentials", "true"),
        ],
    )


async def _function_url(scope: Scope, receive: Receive, send: Send, trim: bool) -> None:
    body = await _body(receive)
    # A function URL's front passes no hop-by-hop header to the function.
    headers = {name.lower(): value for name, value in _headers(scope) if name.lower() != "connection"}
    if trim:
        headers = {name: value for name, value in headers.items() if not name.startswith(("x-amzn", "x-forwarded-"))}
    document = {
        "args": _grouped(_query(scope), join=True),
        "data": body.decode("utf-8", errors="replace"),
        "domain": headers.get("host", ""),
        "headers": headers,
        "method": scope["method"],
        "origin": (scope.get("client") or ("127.0.0.1", 0))[0],
        "path": scope["path"],
    }
    await _answer(send, 200, json.dumps(document).encode(), _function_url_headers())


async def function_url_echo(scope: Scope, receive: Receive, send: Send) -> None:
    await _function_url(scope, receive, send, trim=False)


async def trimmed_function_url_echo(scope: Scope, receive: Receive, send: Send) -> None:
    await _function_url(scope, receive, send, trim=True)


async def body_echo(scope: Scope, receive: Receive, send: Send) -> None:
    await _answer(send, 200, await _body(receive), _function_url_headers())


async def status_echo(scope: Scope, receive: Receive, send: Send) -> None:
    await _body(receive)
    last = scope["path"].rsplit("/", 1)[-1]
    status, message = 400, f"No valid status found at end of path {scope['path']}"
    if last.isdigit() and 100 <= int(last) < 600:
        status, message = int(last), ""
    document = {"status_code": status, "message": message}
    await _answer(send, status, json.dumps(document).encode(), _function_url_headers())


# The origins case files write in their URIs, and the app serving each.
BACKENDS: dict[str, App] = {
    "https://httpbin.org": httpbin,
    "https://echo.lambda-url.us-east-1.on.aws": function_url_echo,
    "https://trimmed-echo.lambda-url.us-east-1.on.aws": trimmed_function_url_echo,
    "https://body-echo.lambda-url.us-east-1.on.aws": body_echo,
    "https://status-echo.lambda-url.us-east-1.on.aws": status_echo,
}
