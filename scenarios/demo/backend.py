"""The demo's HTTP backend, behind the `/backend/{proxy+}` HTTP_PROXY integration.

`/status/<code>` answers that status; `/sleep/<ms>` answers 200 after that many milliseconds.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

Message = dict[str, Any]


async def app(
    scope: Message, receive: Callable[[], Awaitable[Message]], send: Callable[[Message], Awaitable[None]]
) -> None:
    if scope["type"] != "http":
        return
    parts = [part for part in scope["path"].split("/") if part]
    status = 200
    if len(parts) == 2 and parts[0] == "status" and parts[1].isdigit():
        status = int(parts[1])
    elif len(parts) == 2 and parts[0] == "sleep" and parts[1].isdigit():
        await asyncio.sleep(int(parts[1]) / 1000)
    body = json.dumps({"backend": "demo", "path": scope["path"], "status": status}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
