"""Local handlers standing in for the demo API's Lambda functions (see stage.yaml, `functions`)."""

from __future__ import annotations

import json
import time
from typing import Any


def fast(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """A well-formed proxy response echoing what the gateway passed in."""
    body = {
        "path": event["path"],
        "pathParameters": event["pathParameters"],
        "requestId": event["requestContext"]["requestId"],
        "function": context.function_name,
    }
    status = 201 if event["httpMethod"] == "POST" else 200
    return {"statusCode": status, "headers": {"Content-Type": "application/json"}, "body": json.dumps(body)}


def slow(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Sleeps two seconds: past a 500 ms integration timeout, or past a 0.3 s function timeout."""
    time.sleep(2.0)
    return fast(event, context)


def malformed(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """A common mistake: `status` for `statusCode` and an object for the body."""
    return {"status": 200, "body": {"ok": True}}


def failing(event: dict[str, Any], context: Any) -> dict[str, Any]:
    raise RuntimeError("the demo function failed on purpose")
