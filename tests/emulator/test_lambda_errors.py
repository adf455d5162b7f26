"""What a local handler's exception becomes: Lambda's error payload with the function's own frames.

Lambda's Python runtime (aws-lambda-python-runtime-interface-client, awslambdaric/bootstrap.py,
handle_event_request and make_error) answers an unhandled exception with `errorMessage`, `errorType`,
`requestId` (the invocation's id; recorded in LocalStack's AWS-validated test_apigateway_lambda.snapshot.json,
test_lambda_selection_patterns) and `stackTrace`, the latter `traceback.format_list` of the function's
frames once the runtime's own are dropped: `  File "/var/task/handler.py", line 3, in handler\\n    raise ...\\n`.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path
from typing import Any

from gatecrash.emulator.lambdas import LambdaRuntime, Outcome
from gatecrash.emulator.model import LambdaFunction
from tests.emulator.test_configured import definition, emulator  # noqa: F401 - the fixture

HANDLER = """\
def helper(order):
    raise ValueError("bad order: " + order["id"])

def handler(event, context):
    return helper(event)
"""


def _write_handler(folder: Path) -> tuple[str, Path]:
    module = f"failing_{uuid.uuid4().hex[:8]}"  # a fresh module: sys.modules keeps handlers across tests
    path = folder / f"{module}.py"
    path.write_text(HANDLER)
    return module, path


def test_the_stack_trace_holds_the_functions_frames_and_none_of_the_emulators(tmp_path: Path) -> None:
    module, path = _write_handler(tmp_path)
    function = LambdaFunction(name="orders", handler=f"{module}:handler")
    runtime = LambdaRuntime({"orders": function}, (str(tmp_path),))
    try:
        arn = "arn:aws:lambda:us-east-1:123456789012:function:orders"
        invocation = asyncio.run(runtime.invoke("orders", arn, {"id": "o-1"}))
    finally:
        runtime.close()
    assert invocation.outcome is Outcome.FUNCTION_ERROR
    payload = json.loads(invocation.payload)
    assert list(payload) == ["errorMessage", "errorType", "requestId", "stackTrace"]
    assert payload["requestId"] == invocation.request_id
    assert (payload["errorMessage"], payload["errorType"]) == ("bad order: o-1", "ValueError")
    assert payload["stackTrace"] == [
        f'  File "{path}", line 5, in handler\n    return helper(event)\n',
        f'  File "{path}", line 2, in helper\n    raise ValueError("bad order: " + order["id"])\n',
    ]


def test_a_non_proxy_error_body_carries_only_the_functions_frames(emulator: Any, tmp_path: Path) -> None:  # noqa: F811
    # LocalStack's recorded test_lambda_selection_patterns: an unmatched Lambda error is a 200 whose body
    # is the function's error payload, so the stack trace reaches the client as the function wrote it.
    module, path = _write_handler(tmp_path)
    side = f'stage: {{stageName: s}}\nfunctions:\n  orders: {{handler: "{module}:handler"}}\n'
    uri = (
        "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
        "arn:aws:lambda:us-east-1:123456789012:function:orders/invocations"
    )
    integration = {
        "type": "aws",
        "httpMethod": "POST",
        "uri": uri,
        "requestTemplates": {"application/json": '{"id": "$input.params(\'id\')"}'},
        "responses": {"default": {"statusCode": "200"}},
    }
    _, client = emulator(definition({"/x": {"get": {"x-amazon-apigateway-integration": integration}}}), side)
    response = client.get("/x", params={"id": "o-2"})
    assert response.status_code == 200
    stack = response.json()["stackTrace"]
    assert [frame.splitlines()[0] for frame in stack] == [
        f'  File "{path}", line 5, in handler',
        f'  File "{path}", line 2, in helper',
    ]
    assert not any("gatecrash" in frame for frame in stack)


def test_a_handler_that_cannot_be_loaded_fails_at_startup_without_a_request_id(tmp_path: Path) -> None:
    # Recorded from AWS (LocalStack's test_lambda.snapshot.json, test_lambda_runtime_error): a function that
    # fails as it starts answers with `"requestId": ""`, the runtime having no invocation yet.
    function = LambdaFunction(name="gone", handler=f"missing_{uuid.uuid4().hex[:8]}:handler")
    runtime = LambdaRuntime({"gone": function}, (str(tmp_path),))
    try:
        invocation = asyncio.run(runtime.invoke("gone", "arn:aws:lambda:us-east-1:123456789012:function:gone", {}))
    finally:
        runtime.close()
    payload = json.loads(invocation.payload)
    assert list(payload) == ["errorMessage", "errorType", "requestId", "stackTrace"]
    assert (payload["errorType"], payload["requestId"]) == ("Runtime.ImportModuleError", "")
