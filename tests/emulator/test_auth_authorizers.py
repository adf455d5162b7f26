"""Lambda authorizers (TOKEN and REQUEST) over loopback: answers, log lines, cache, context passing.

The demo's `GET /custom`, `/cached` and `/tenant` (scenarios/demo), and small definitions for the
rest. Sources, as in `gatecrash/emulator/auth/authorizers.py` and `gate.py`: AWS docs "Input to" and
"Output from an API Gateway Lambda authorizer"; KC "api-gateway-troubleshoot-403-forbidden" (explicit
deny); chalice#971 (no matching Allow: 403, `Successfully completed authorizer execution`, `The client
is not authorized to perform this operation.`); ExpanseLLC/lambda_authorizer#1 (`Could not parse
policy`); apigw-reference.md ("Lambda authorizers", "Execution logs") for 401, 500 and the crash line.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from gatecrash.emulator.auth.config import AuthorizerConfig, AuthorizerKind, IdentitySource
from gatecrash.emulator.cloudwatch import LocalLogsServer
from gatecrash.emulator.definition import load_definition
from gatecrash.emulator.server import EmulatorServer
from gatecrash.emulator.sidefile import load_side_file
from tests.conftest import LogReader

AccessLog = Callable[[EmulatorServer, str], dict[str, str]]
FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:demo-authorizer"
ENDPOINT = f"https://lambda.us-east-1.amazonaws.com/2015-03-31/functions/{FUNCTION_ARN}/invocations"
CUSTOM_ARN = "arn:aws:execute-api:us-east-1:123456789012:demo4pi0x1/demo/GET/custom"
TOKEN_AUTHORIZER_ID = AuthorizerConfig("demo-token", AuthorizerKind.TOKEN, (), 0).id


def messages(lines: list[str], request_id: str) -> list[str]:
    prefix = f"({request_id}) "
    assert all(line.startswith(prefix) for line in lines)
    return [line.removeprefix(prefix) for line in lines]


def call(client: httpx.Client, path: str, token: str | None) -> tuple[httpx.Response, str]:
    response = client.get(path, headers={"Authorization": token} if token is not None else {})
    return response, response.headers["x-amzn-requestid"]


# -- TOKEN authorizer: every answer ----------------------------------------------------------------


def test_allow_runs_the_authorizer_then_the_usage_plan_lines(
    demo: EmulatorServer, client: httpx.Client, execution_log: LogReader, access_log: AccessLog
) -> None:
    response, request_id = call(client, "/custom", "Bearer allow")
    assert response.status_code == 200
    lines = messages(execution_log(demo, request_id), request_id)
    assert lines[:11] == [
        f"Extended Request Id: {response.headers['x-amz-apigw-id']}",
        f"Starting authorizer: {TOKEN_AUTHORIZER_ID} for request: {request_id}",
        "Incoming identity: ****** allow",  # masked but for the last six characters
        f"Endpoint request URI: {ENDPOINT}",
        lines[4],
        "Endpoint request body after transformations: "
        f'{{"type": "TOKEN", "authorizationToken": "****** allow", "methodArn": "{CUSTOM_ARN}"}}',
        f"Sending request to {ENDPOINT}",
        lines[7],
        "Using valid authorizer policy for principal: ***o-user",
        "Successfully completed authorizer execution",
        f"Verifying Usage Plan for request: {request_id}. API Key:  API Stage: demo4pi0x1/demo",
    ]
    assert lines[4].startswith("Endpoint request headers: {x-amzn-lambda-integration-tag=" + request_id)
    assert json.loads(lines[7].removeprefix("Authorizer result body before parsing: ")) == {
        "principalId": "demo-user",
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": CUSTOM_ARN}],
        },
        "context": {"tier": "gold", "quota": 5, "beta": True},
    }
    assert lines[-1] == "Method completed with status: 200"
    record = access_log(demo, request_id)
    assert (record["authorizer.status"], record["authorizer.error"]) == ("200", "-")
    assert record["authorizer.latency"].isdigit()


def test_explicit_deny_is_403_with_the_explicit_deny_message(
    demo: EmulatorServer, client: httpx.Client, execution_log: LogReader, access_log: AccessLog
) -> None:
    response, request_id = call(client, "/custom", "Bearer deny")
    assert response.status_code == 403
    assert response.headers["x-amzn-errortype"] == "AccessDeniedException"
    assert response.content == b'{"Message":"User is not authorized to access this resource with an explicit deny"}'
    lines = messages(execution_log(demo, request_id), request_id)
    assert lines[-3:] == [
        "Using valid authorizer policy for principal: ***o-user",
        "Successfully completed authorizer execution",
        "The client is not authorized to perform this operation.",
    ]
    record = access_log(demo, request_id)
    assert record["error.responseType"] == "ACCESS_DENIED"
    assert record["authorizer.status"] == "403"
    assert record["authorizer.error"] == "User is not authorized to access this resource with an explicit deny"


def test_raising_unauthorized_is_401(
    demo: EmulatorServer, client: httpx.Client, execution_log: LogReader, access_log: AccessLog
) -> None:
    response, request_id = call(client, "/custom", "Bearer unauthorized")
    assert (response.status_code, response.content) == (401, b'{"message":"Unauthorized"}')
    assert response.headers["x-amzn-errortype"] == "UnauthorizedException"
    lines = messages(execution_log(demo, request_id), request_id)
    assert lines[-2:] == [f"Sending request to {ENDPOINT}", f"Unauthorized request: {request_id}"]
    record = access_log(demo, request_id)
    assert (record["error.responseType"], record["authorizer.status"]) == ("UNAUTHORIZED", "401")


def test_a_crashing_authorizer_is_500_authorizer_configuration_error(
    demo: EmulatorServer, client: httpx.Client, execution_log: LogReader, access_log: AccessLog
) -> None:
    response, request_id = call(client, "/custom", "Bearer crash")
    assert (response.status_code, response.content) == (500, b'{"message":null}')
    assert response.headers["x-amzn-errortype"] == "AuthorizerConfigurationException"
    lines = messages(execution_log(demo, request_id), request_id)
    result = json.loads(lines[-3].removeprefix("Authorizer result body before parsing: "))
    assert (result["errorMessage"], result["errorType"]) == ("the demo authorizer crashed on purpose", "RuntimeError")
    assert lines[-2:] == [
        'Execution failed due to configuration error: Invalid JSON in response: Unrecognized field "errorType" , '
        "not marked as ignorable",
        "AuthorizerConfigurationException",
    ]
    record = access_log(demo, request_id)
    assert (record["error.responseType"], record["authorizer.status"]) == ("AUTHORIZER_CONFIGURATION_ERROR", "500")


def test_an_answer_without_a_policy_is_500_could_not_parse_policy(
    demo: EmulatorServer, client: httpx.Client, execution_log: LogReader
) -> None:
    response, request_id = call(client, "/custom", "Bearer garbage")
    assert (response.status_code, response.content) == (500, b'{"message":null}')
    assert messages(execution_log(demo, request_id), request_id)[-3:] == [
        'Authorizer result body before parsing: {"principalId": "demo-user"}',
        "Execution failed due to configuration error: Could not parse policy",
        "AuthorizerConfigurationException",
    ]


@pytest.mark.parametrize("token", [None, "", "Token abc", "Bearer not_valid!"])
def test_missing_or_invalid_identity_is_401_without_invoking(
    demo: EmulatorServer, client: httpx.Client, execution_log: LogReader, token: str | None
) -> None:
    # identitySource absent or empty, or failing identityValidationExpression: 401, no invocation.
    response, request_id = call(client, "/custom", token)
    assert (response.status_code, response.content) == (401, b'{"message":"Unauthorized"}')
    assert messages(execution_log(demo, request_id), request_id) == [
        f"Extended Request Id: {response.headers['x-amz-apigw-id']}",
        f"Unauthorized request: {request_id}",
    ]


def test_the_token_never_reaches_the_logs(
    demo: EmulatorServer, client: httpx.Client, execution_log: LogReader, logs_client: Any
) -> None:
    token = "Bearer allow-0123456789-secret"
    response, request_id = call(client, "/custom", token)
    assert response.status_code == 403  # any token but `Bearer allow` is denied by the demo authorizer
    assert not any(token in line for line in execution_log(demo, request_id))
    assert demo.endpoints is not None
    events = logs_client.filter_log_events(logGroupName=demo.endpoints.access_log_group)["events"]
    assert not any(token in event["message"] for event in events)


# -- cache -------------------------------------------------------------------------------------------


def test_a_cached_deny_keeps_denying_without_invoking_again(
    fresh_demo: EmulatorServer, execution_log: LogReader
) -> None:
    assert fresh_demo.endpoints is not None
    with httpx.Client(base_url=fresh_demo.endpoints.base_url, timeout=10) as client:
        first, first_id = call(client, "/cached", "Bearer deny")
        second, second_id = call(client, "/cached", "Bearer deny")
        other, other_id = call(client, "/cached", "Bearer allow")
    assert [first.status_code, second.status_code, other.status_code] == [403, 403, 200]
    assert any("Starting authorizer" in line for line in execution_log(fresh_demo, first_id))
    cached = messages(execution_log(fresh_demo, second_id), second_id)
    assert not any(line.startswith("Starting authorizer") for line in cached)
    assert cached[1:] == [
        "Using valid authorizer policy for principal: ***o-user",
        "Successfully completed authorizer execution",
        "The client is not authorized to perform this operation.",
    ]
    # The cache is keyed on the identity source: another token invokes the function.
    assert any("Starting authorizer" in line for line in execution_log(fresh_demo, other_id))


# -- REQUEST authorizer ------------------------------------------------------------------------------


def test_request_authorizer_context_reaches_the_lambda_proxy_event(client: httpx.Client) -> None:
    allowed = client.get("/tenant", headers={"x-tenant": "acme"})
    assert allowed.status_code == 200
    authorizer = allowed.json()["authorizer"]
    # requestContext.authorizer: principalId, integrationLatency and the stringified context.
    assert set(authorizer) == {"principalId", "integrationLatency", "tenant"}
    assert (authorizer["principalId"], authorizer["tenant"]) == ("tenant-acme", "acme")
    assert isinstance(authorizer["integrationLatency"], int)
    denied = client.get("/tenant", headers={"x-tenant": "globex"})
    assert denied.status_code == 403
    assert client.get("/tenant").status_code == 401


# -- small definitions for the rest ----------------------------------------------------------------

AUTHORIZER_HANDLERS = """
import json

def echo_event(event, context):
    # Allow every method of the API and hand the event back through the context.
    resource = event["methodArn"].split("/", 1)[0] + "/*"
    return {"principalId": "p-1", "usageIdentifierKey": "authorizer-key-0123456789",
            "policyDocument": {"Version": "2012-10-17",
                               "Statement": {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": resource}},
            "context": {"event": json.dumps(event), "n": 1.5, "ok": False}}

def other_method(event, context):
    arn = event["methodArn"].rsplit("/", 2)[0] + "/POST/elsewhere"
    return {"principalId": "p-2", "policyDocument": {"Version": "2012-10-17", "Statement": [
        {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": arn}]}}

def proxy(event, context):
    return {"statusCode": 200, "body": json.dumps(event["requestContext"])}
"""
SIDE = """
restApiId: authtest01
stage: {stageName: s, variables: {which: echo}}
usagePlans:
  - {id: plan, name: plan, apiStages: [{apiId: authtest01, stage: s}]}
apiKeys:
  - {id: k1, name: k1, value: authorizer-key-0123456789}
usagePlanKeys:
  - {usagePlanId: plan, keyId: k1}
functions:
  echo: {handler: "auth_handlers:echo_event"}
  other: {handler: "auth_handlers:other_method"}
  locked: {handler: "auth_handlers:echo_event", invokePermission: false}
  proxy: {handler: "auth_handlers:proxy"}
"""


def _uri(function: str) -> str:
    return (
        "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
        f"arn:aws:lambda:us-east-1:123456789012:function:{function}/invocations"
    )


def _scheme(kind: str, function: str, source: str) -> dict[str, Any]:
    return {
        "type": "apiKey",
        "name": "Authorization",
        "in": "header",
        "x-amazon-apigateway-authtype": "custom",
        "x-amazon-apigateway-authorizer": {
            "type": kind,
            "authorizerUri": _uri(function),
            "identitySource": source,
            "authorizerResultTtlInSeconds": 0,
        },
    }


def _get(scheme: str, *, key: bool = False) -> dict[str, Any]:
    security: list[dict[str, list[str]]] = [{scheme: []}]
    if key:
        security.append({"api_key": []})
    return {
        "get": {
            "security": security,
            "x-amazon-apigateway-integration": {"type": "aws_proxy", "httpMethod": "POST", "uri": _uri("proxy")},
        }
    }


@pytest.fixture
def authorizer_api(tmp_path: Path, logs_server: LocalLogsServer) -> Iterator[tuple[EmulatorServer, httpx.Client]]:
    (tmp_path / "auth_handlers.py").write_text(AUTHORIZER_HANDLERS)
    (tmp_path / "stage.yaml").write_text(SIDE)
    document = {
        "openapi": "3.0.1",
        "info": {"title": "t", "version": "1"},
        "x-amazon-apigateway-api-key-source": "AUTHORIZER",
        "components": {
            "securitySchemes": {
                "api_key": {"type": "apiKey", "name": "x-api-key", "in": "header"},
                "request": _scheme("request", "echo", "method.request.querystring.user, method.request.header.x-a"),
                "staged": _scheme("request", "${stageVariables.which}", ""),
                "narrow": _scheme("token", "other", "method.request.header.Authorization"),
                "locked": _scheme("token", "locked", "method.request.header.Authorization"),
            }
        },
        "paths": {
            "/items/{id}": _get("request"),
            "/keyed": _get("staged", key=True),
            "/narrow": _get("narrow"),
            "/locked": _get("locked"),
        },
    }
    (tmp_path / "api.json").write_text(json.dumps(document))
    api = load_definition(tmp_path / "api.json")
    server = EmulatorServer(api, load_side_file(tmp_path / "stage.yaml"), logs_endpoint=logs_server.endpoint_url)
    server.start()
    assert server.endpoints is not None
    with httpx.Client(base_url=server.endpoints.base_url, timeout=10) as client:
        yield server, client
    server.close()


def test_request_event_has_the_documented_shape(authorizer_api: tuple[EmulatorServer, httpx.Client]) -> None:
    _, client = authorizer_api
    response = client.get("/items/7?user=ann&user=bob", headers={"x-a": "1"})
    assert response.status_code == 200
    authorizer = response.json()["authorizer"]
    # Context values are stringified (AWS docs, authorizer output): 1.5 -> "1.5", false -> "false".
    assert (authorizer["n"], authorizer["ok"]) == ("1.5", "false")
    event = json.loads(authorizer["event"])
    assert event["type"] == "REQUEST"
    assert event["methodArn"] == "arn:aws:execute-api:us-east-1:123456789012:authtest01/s/GET/items/7"
    assert (event["resource"], event["path"], event["httpMethod"]) == ("/items/{id}", "/items/7", "GET")
    assert event["headers"]["x-a"] == "1" and event["multiValueHeaders"]["x-a"] == ["1"]
    assert event["queryStringParameters"] == {"user": "bob"}
    assert event["multiValueQueryStringParameters"] == {"user": ["ann", "bob"]}
    assert event["pathParameters"] == {"id": "7"}
    assert event["stageVariables"] == {"which": "echo"}
    assert set(event["requestContext"]) == {
        "path",
        "accountId",
        "resourceId",
        "stage",
        "requestId",
        "identity",
        "resourcePath",
        "httpMethod",
        "apiId",
    }
    assert event["requestContext"]["requestId"] == response.headers["x-amzn-requestid"]
    # Every identity source is needed: one missing is 401 without an invocation.
    assert client.get("/items/7?user=ann").status_code == 401


def test_usage_identifier_key_is_the_api_key_when_the_source_is_authorizer(
    authorizer_api: tuple[EmulatorServer, httpx.Client], execution_log: LogReader
) -> None:
    server, client = authorizer_api
    # apiKeySource AUTHORIZER: the key comes from usageIdentifierKey (AWS docs, authorizer output);
    # the authorizer function comes from a stage variable in authorizerUri.
    response = client.get("/keyed")
    assert response.status_code == 200
    request_id = response.headers["x-amzn-requestid"]
    lines = messages(execution_log(server, request_id), request_id)
    assert "Successfully completed authorizer execution" in lines
    assert lines[lines.index("Successfully completed authorizer execution") + 1] == (
        f"Verifying Usage Plan for request: {request_id}. API Key: *******************456789 API Stage: authtest01/s"
    )


def test_a_policy_for_another_method_is_403_not_authorized(
    authorizer_api: tuple[EmulatorServer, httpx.Client], execution_log: LogReader
) -> None:
    server, client = authorizer_api
    response = client.get("/narrow", headers={"Authorization": "anything"})
    # chalice#971 (real): 60-byte body, AccessDeniedException, the two log lines.
    assert (response.status_code, response.content) == (
        403,
        b'{"Message":"User is not authorized to access this resource"}',
    )
    assert response.headers["x-amzn-errortype"] == "AccessDeniedException"
    request_id = response.headers["x-amzn-requestid"]
    assert messages(execution_log(server, request_id), request_id)[-2:] == [
        "Successfully completed authorizer execution",
        "The client is not authorized to perform this operation.",
    ]


def test_an_authorizer_api_gateway_may_not_invoke_is_500(
    authorizer_api: tuple[EmulatorServer, httpx.Client], execution_log: LogReader, access_log: AccessLog
) -> None:
    server, client = authorizer_api
    response = client.get("/locked", headers={"Authorization": "anything"})
    assert (response.status_code, response.content) == (500, b'{"message":null}')
    request_id = response.headers["x-amzn-requestid"]
    assert messages(execution_log(server, request_id), request_id)[-3:] == [
        "Execution failed due to configuration error: Invalid permissions on Lambda function",
        "Execution failed due to configuration error: Authorizer error",
        "AuthorizerConfigurationException",
    ]
    assert access_log(server, request_id)["authorizer.status"] == "500"


def test_identity_sources_read_headers_without_case_and_the_last_query_value() -> None:
    from gatecrash.emulator.auth.authorizers import RequestView, identity

    config = AuthorizerConfig(
        "r",
        AuthorizerKind.REQUEST,
        (
            IdentitySource("method.request.header.", "X-Tenant"),
            IdentitySource("method.request.querystring.", "q"),
            IdentitySource("stageVariables.", "v"),
            IdentitySource("context.", "stage"),
        ),
        0,
    )
    view = RequestView(
        "GET", "/", "/", "/s/", [("x-tenant", "acme")], [("q", "1"), ("q", "2")], {}, {"v": "sv"}, {"stage": "s"}
    )
    assert identity(config, view) == ("acme", "2", "sv", "s")
