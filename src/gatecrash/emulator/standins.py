"""Stand-ins for the backends an API definition names, so that a mirror of it runs offline.

`gatecrash generate --side-file-out` points every Lambda function and every HTTP endpoint of a
definition at these: they answer the way a healthy backend does, so the probes that reach an
integration test the gateway's side of it. They are local scaffolding, not AWS behaviour; the
shapes they return are the documented contracts they stand in for (cited at each).

A probe can ask a stand-in to be slow (the `X-Gatecrash-Delay-Ms` header, up to `MAX_DELAY_MS`):
that is how a generated slow-backend probe provokes the integration timeout.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

DELAY_HEADER = "X-Gatecrash-Delay-Ms"
MAX_DELAY_MS = 35_000  # past API Gateway's 29 s integration ceiling, and no further
STAND_IN = "gatecrash"

# Handler references for the side file's `functions`, and the ASGI app for a scenario's `backends`.
PROXY_HANDLER = "gatecrash.emulator.standins:lambda_proxy"
LAMBDA_HANDLER = "gatecrash.emulator.standins:lambda_custom"
AUTHORIZER_HANDLER = "gatecrash.emulator.standins:authorizer"
HTTP_BACKEND = "gatecrash.emulator.standins:http_backend"
# The token the stand-in authorizer is sent by generated `ok` probes; it allows any token.
AUTHORIZER_TOKEN = "allow"


def _delay_ms(headers: Mapping[str, Any] | None) -> int:
    for name, value in (headers or {}).items():
        if str(name).lower() == DELAY_HEADER.lower():
            try:
                return max(0, min(int(str(value)), MAX_DELAY_MS))
            except ValueError:
                return 0
    return 0


def lambda_proxy(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """A Lambda proxy integration's function: the output format API Gateway requires of it.

    https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html
    ("Output format of a Lambda function for proxy integration").
    """
    time.sleep(_delay_ms(event.get("headers")) / 1000)
    body = {"standIn": STAND_IN, "resource": event.get("resource"), "httpMethod": event.get("httpMethod")}
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": json.dumps(body)}


def lambda_custom(event: Any, context: Any) -> dict[str, Any]:
    """A non-proxy Lambda integration's function: any JSON result, which the integration response maps."""
    return {"standIn": STAND_IN}


def authorizer(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """A TOKEN or REQUEST Lambda authorizer that allows every caller it is asked about.

    API Gateway has already refused a request without the identity source (401) before invoking it.
    The output is the documented authorizer response: a principal and an IAM policy allowing
    `execute-api:Invoke` on the stage of the method ARN it was given.
    https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-lambda-authorizer-output.html
    """
    # The whole stage, not just this method: API Gateway caches the policy per identity (TTL) and
    # applies it to every method that identity calls next.
    method_arn = str(event.get("methodArn", ""))
    resource = "/".join(method_arn.split("/")[:2]) + "/*" if method_arn.count("/") >= 2 else "*"
    statement = {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": resource}
    return {
        "principalId": f"{STAND_IN}-stand-in",
        "policyDocument": {"Version": "2012-10-17", "Statement": [statement]},
        "context": {"standIn": STAND_IN},
    }


Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


async def http_backend(scope: dict[str, Any], receive: Receive, send: Send) -> None:
    """An HTTP endpoint that answers every request 200 with a small JSON document."""
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    headers = {name.decode("latin-1"): value.decode("latin-1") for name, value in scope.get("headers", [])}
    await asyncio.sleep(_delay_ms(headers) / 1000)
    body = json.dumps({"standIn": STAND_IN, "method": scope["method"], "path": scope["path"]}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
