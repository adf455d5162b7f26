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
    if "authorizer" in event["requestContext"]:
        body["authorizer"] = event["requestContext"]["authorizer"]  # what a Lambda authorizer passed on
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


def orders(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """A non-proxy Lambda: the event is the request template's output, not a proxy event."""
    if not isinstance(event.get("quantity"), int) or event["quantity"] < 1:
        raise ValueError(f"Invalid order: quantity must be at least 1, got {event.get('quantity')}")
    return {"orderId": f"order-{event.get('item')}-{event['quantity']}"}


def _policy(principal: str, effect: str, resource: str, context: dict[str, Any]) -> dict[str, Any]:
    statement = {"Action": "execute-api:Invoke", "Effect": effect, "Resource": resource}
    return {
        "principalId": principal,
        "policyDocument": {"Version": "2012-10-17", "Statement": [statement]},
        "context": context,
    }


def token_authorizer(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """A TOKEN authorizer whose answer the token chooses: each way an authorizer can fail."""
    token = event["authorizationToken"]
    if token == "Bearer unauthorized":
        raise Exception("Unauthorized")  # API Gateway answers 401
    if token == "Bearer crash":
        raise RuntimeError("the demo authorizer crashed on purpose")  # 500 AuthorizerConfigurationException
    if token == "Bearer garbage":
        return {"principalId": "demo-user"}  # no policyDocument: 500 as well
    effect = "Allow" if token == "Bearer allow" else "Deny"
    return _policy("demo-user", effect, event["methodArn"], {"tier": "gold", "quota": 5, "beta": True})


def tenant_authorizer(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """A REQUEST authorizer: tenant `acme` may call, any other tenant is denied."""
    tenant = event["headers"].get("x-tenant", "")
    effect = "Allow" if tenant == "acme" else "Deny"
    return _policy(f"tenant-{tenant}", effect, event["methodArn"], {"tenant": tenant})
