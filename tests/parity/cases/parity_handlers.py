"""Local Lambda handlers standing in for the functions the recorded APIs called.

Each does what the recording's function did (named at each; the LocalStack functions live under
`tests/aws/services/lambda_/functions/` of localstack/localstack); the code is written here.
Case files name them in `side-file: functions:` as `parity_handlers:<name>` (the side file's folder is
on the handlers' import path). They live outside the package on purpose: a Lambda error's stackTrace
holds the function's own frames, and the emulator drops its package's frames as the runtime's.
"""

from __future__ import annotations

import base64
import json
import time
from typing import Any


def proxy_echo(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """A proxy integration's function answering 200 with the event it got as its JSON body
    (`lambda_aws_proxy.py`)."""
    return {"statusCode": 200, "body": json.dumps(event), "isBase64Encoded": False}


def echo(event: Any, context: Any) -> Any:
    """Returns the event unchanged (`lambda_echo.py`)."""
    return event


def selection_pattern(event: dict[str, Any], context: Any) -> str:
    """Succeeds for statusCode "200", raises for "400" and "500" (`lambda_select_pattern.py`)."""
    status = event.get("statusCode")
    if status == "400":
        raise Exception("Error: Raising four hundred from within the Lambda function")
    if status == "500":
        raise Exception("Error: Raising five hundred from within the Lambda function")
    if status == "200":
        return "Pass"
    return "Error Value in the json request should either be 400 or 500 to demonstrate"


def mapping_responses(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """`{"statusCode": 200, "body": "customerror"}` when the body's httpStatus is 400 or more, else
    "noerror" (`lambda_mapping_responses.py`)."""
    status = int(event.get("body", {}).get("httpStatus", 0))
    return {"statusCode": 200, "body": "customerror" if status >= 400 else "noerror"}


def response_from_body(event: dict[str, Any], context: Any) -> Any:
    """A proxy function answering with the JSON its request body holds, whatever its shape
    (`LAMBDA_RESPONSE_FROM_BODY` of test_apigateway_lambda.py)."""
    body = event["body"]
    if event.get("isBase64Encoded"):
        body = base64.b64decode(body)
    return json.loads(body)


def request_authorizer(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """A REQUEST authorizer allowing the call unless its query string says `effect=Deny`; the policy
    format of AWS docs "Output from an API Gateway Lambda authorizer"."""
    query = event.get("queryStringParameters") or {}
    effect = "Deny" if query.get("effect") == "Deny" else "Allow"
    return {
        "principalId": "parity-user",
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": event["methodArn"]}],
        },
        "context": {"called": "yes"},
    }


def slow_proxy(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """A proxy function that takes half a second: longer than a short integration timeout."""
    time.sleep(0.5)
    return {"statusCode": 200, "body": "late"}
