"""Emulators built from small definitions: gateway response customisation, logging settings,
non-proxy HTTP and MOCK integration responses, and the emulator's answer to its own faults."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from gatecrash.emulator import ids
from gatecrash.emulator.cloudwatch import LocalLogsServer
from gatecrash.emulator.definition import load_definition
from gatecrash.emulator.model import StageConfig
from gatecrash.emulator.server import EmulatorServer
from gatecrash.emulator.sidefile import load_side_file
from tests.conftest import LogReader

MOCK = {
    "type": "mock",
    "requestTemplates": {"application/json": '{"statusCode": 200}'},
    "responses": {"default": {"statusCode": "200"}},
}


def definition(paths: dict[str, Any], **extensions: Any) -> dict[str, Any]:
    return {"openapi": "3.0.1", "info": {"title": "t", "version": "1"}, "paths": paths, **extensions}


def serve(
    tmp_path: Path,
    logs: LocalLogsServer,
    document: dict[str, Any],
    side: str | None = None,
    variables: dict[str, str] | None = None,
) -> EmulatorServer:
    (tmp_path / "api.json").write_text(json.dumps(document))
    stage = StageConfig()
    if side is not None:
        (tmp_path / "stage.yaml").write_text(side)
        stage = load_side_file(tmp_path / "stage.yaml")
    return EmulatorServer(
        load_definition(tmp_path / "api.json"), stage, logs_endpoint=logs.endpoint_url, stage_variables=variables
    ).start()


@pytest.fixture
def emulator(tmp_path: Path, logs_server: LocalLogsServer) -> Iterator[Any]:
    servers: list[EmulatorServer] = []
    clients: list[httpx.Client] = []

    def start(
        document: dict[str, Any], side: str | None = None, variables: dict[str, str] | None = None
    ) -> tuple[EmulatorServer, httpx.Client]:
        server = serve(tmp_path, logs_server, document, side, variables)
        servers.append(server)
        assert server.endpoints is not None
        clients.append(httpx.Client(base_url=server.endpoints.base_url, timeout=10))
        return server, clients[-1]

    yield start
    for client in clients:
        client.close()
    for server in servers:
        server.close()


def test_customised_gateway_response_status_headers_and_template(emulator: Any) -> None:
    # AWS docs "Set up gateway responses": statusCode, header mappings ('literal' and
    # method.request.header.*) and a body template with $context variables.
    document = definition(
        {"/pets": {"get": {"x-amazon-apigateway-integration": MOCK}}},
        **{
            "x-amazon-apigateway-gateway-responses": {
                "MISSING_AUTHENTICATION_TOKEN": {
                    "statusCode": 404,
                    "responseParameters": {
                        "gatewayresponse.header.x-team": "'platform'",
                        "gatewayresponse.header.x-echo": "method.request.header.x-caller",
                    },
                    "responseTemplates": {
                        "application/json": '{"error": "$context.error.message", '
                        '"type": "$context.error.responseType", "id": "$context.requestId"}'
                    },
                }
            }
        },
    )
    _, client = emulator(document)
    response = client.get("/nope", headers={"x-caller": "me"})
    assert response.status_code == 404
    assert response.headers["x-team"] == "platform"
    assert response.headers["x-echo"] == "me"
    assert response.headers["x-amzn-errortype"] == "MissingAuthenticationTokenException"
    assert response.json() == {
        "error": "Missing Authentication Token",
        "type": "MISSING_AUTHENTICATION_TOKEN",
        "id": response.headers["x-amzn-requestid"],
    }


def test_default_5xx_template_applies_to_integration_errors_keeping_their_status(emulator: Any) -> None:
    document = definition(
        {
            "/x": {
                "get": {
                    "x-amazon-apigateway-integration": {
                        "type": "http_proxy",
                        "httpMethod": "GET",
                        "uri": "http://${stageVariables.nowhere}/x",
                    }
                }
            }
        },
        **{
            "x-amazon-apigateway-gateway-responses": {
                "DEFAULT_5XX": {"responseTemplates": {"application/json": '{"oops": $context.error.messageString}'}}
            }
        },
    )
    _, client = emulator(document)
    response = client.get("/x")
    assert response.status_code == 500
    # The message string of an integration error starts with a space (apigw-reference.md).
    assert response.content == b'{"oops":  "Internal server error"}'


def test_custom_access_log_format_and_logging_off(emulator: Any, logs_client: Any, execution_log: LogReader) -> None:
    side = """
stage:
  stageName: prod
  methodSettings:
    "*/*": {loggingLevel: "OFF"}
  accessLogSettings:
    destinationArn: arn:aws:logs:us-east-1:123456789012:log-group:custom-access
    format: '$context.requestId $context.httpMethod $context.status $context.error.messageString'
"""
    server, client = emulator(definition({"/pets": {"get": {"x-amazon-apigateway-integration": MOCK}}}), side)
    ok = client.get("/pets")
    missing = client.get("/other")
    server.flush_logs()
    events = logs_client.filter_log_events(logGroupName="custom-access")["events"]
    messages = {event["message"] for event in events}
    assert f"{ok.headers['x-amzn-requestid']} GET 200 -" in messages
    assert f'{missing.headers["x-amzn-requestid"]} GET 403 "Missing Authentication Token"' in messages
    assert execution_log(server, ok.headers["x-amzn-requestid"]) == []  # loggingLevel OFF


def test_error_level_logs_failing_requests_only_and_data_trace_off_hides_bodies(
    emulator: Any, execution_log: LogReader
) -> None:
    side = """
stage:
  stageName: s
  methodSettings:
    "*/*": {loggingLevel: ERROR, dataTraceEnabled: false}
"""
    paths = {
        "/ok": {"get": {"x-amazon-apigateway-integration": MOCK}},
        "/search": {
            "get": {
                "parameters": [{"name": "q", "in": "query", "required": True}],
                "x-amazon-apigateway-request-validator": "p",
                "x-amazon-apigateway-integration": MOCK,
            }
        },
    }
    document = definition(
        paths,
        **{
            "x-amazon-apigateway-request-validators": {
                "p": {"validateRequestParameters": True, "validateRequestBody": False}
            }
        },
    )
    server, client = emulator(document, side)
    ok = client.get("/ok")
    bad = client.get("/search", headers={"x-secret": "hidden"})
    assert execution_log(server, ok.headers["x-amzn-requestid"]) == []
    lines = execution_log(server, bad.headers["x-amzn-requestid"])
    assert lines[-1].endswith("Method completed with status: 400")
    assert not any("Method request headers" in line or "hidden" in line for line in lines)


def test_http_integration_maps_backend_status_through_selection_patterns(emulator: Any, demo_backend: str) -> None:
    # Non-proxy HTTP: selectionPattern matches the backend status; with only a default response a
    # backend 400 becomes 200 (recorded, apigw-reference.md); header mapping from the backend.
    integration = {
        "type": "http",
        "httpMethod": "GET",
        "uri": "http://${stageVariables.backend}/status/{code}",
        "requestParameters": {"integration.request.path.code": "method.request.path.code"},
        "responses": {
            "4\\d{2}": {
                "statusCode": "400",
                "responseParameters": {
                    "method.response.header.x-backend-type": "integration.response.header.content-type"
                },
            },
            "default": {"statusCode": "200"},
        },
    }
    only_default = {**integration, "responses": {"default": {"statusCode": "200"}}}
    document = definition(
        {
            "/mapped/{code}": {
                "get": {
                    "parameters": [{"name": "code", "in": "path", "required": True}],
                    "x-amazon-apigateway-integration": integration,
                }
            },
            "/flat/{code}": {
                "get": {
                    "parameters": [{"name": "code", "in": "path", "required": True}],
                    "x-amazon-apigateway-integration": only_default,
                }
            },
        }
    )
    _, client = emulator(document, variables={"backend": demo_backend})
    mapped = client.get("/mapped/404")
    assert mapped.status_code == 400
    assert mapped.headers["x-backend-type"] == "application/json"
    assert mapped.json()["status"] == 404  # the body passes through (no template)
    assert client.get("/mapped/201").status_code == 200
    assert client.get("/flat/400").status_code == 200


def test_mock_selects_the_integration_response_by_status_and_misconfigurations_are_500(
    emulator: Any, execution_log: LogReader
) -> None:
    document = definition(
        {
            "/teapot": {
                "get": {
                    "x-amazon-apigateway-integration": {
                        "type": "mock",
                        "requestTemplates": {"application/json": '{"statusCode": 418}'},
                        "responses": {
                            "418": {"statusCode": "418", "responseTemplates": {"application/json": '{"tea": true}'}},
                            "default": {"statusCode": "200"},
                        },
                    }
                }
            },
            "/untemplated": {
                "get": {
                    "x-amazon-apigateway-integration": {"type": "mock", "responses": {"default": {"statusCode": "200"}}}
                }
            },
            "/unmatched": {
                "get": {
                    "x-amazon-apigateway-integration": {
                        "type": "mock",
                        "requestTemplates": {"application/json": '{"statusCode": 400}'},
                        "responses": {"2\\d{2}": {"statusCode": "200"}},
                    }
                }
            },
        }
    )
    server, client = emulator(document)
    teapot = client.get("/teapot")
    assert (teapot.status_code, teapot.json()) == (418, {"tea": True})
    untemplated = client.get("/untemplated")
    assert untemplated.status_code == 500
    assert untemplated.content == b'{"message": "Internal server error"}'
    assert execution_log(server, untemplated.headers["x-amzn-requestid"])[-2].endswith(
        "Execution failed due to configuration error: statusCode should be an integer which defined in request template"
    )
    unmatched = client.get("/unmatched")
    assert unmatched.status_code == 500
    assert execution_log(server, unmatched.headers["x-amzn-requestid"])[-2].endswith(
        "Execution failed due to configuration error: No match for output mapping and no default output mapping "
        "configured. Endpoint Response Status Code: 400"
    )


def test_refused_connection_is_504_network_error(emulator: Any, execution_log: LogReader) -> None:
    # A 2020 capture: 504 {"message": "Network error communicating with endpoint"}, 56 bytes.
    document = definition(
        {
            "/x": {
                "get": {
                    "x-amazon-apigateway-integration": {
                        "type": "http_proxy",
                        "httpMethod": "GET",
                        "uri": "http://127.0.0.1:9/closed",
                    }
                }
            }
        }
    )
    server, client = emulator(document)
    response = client.get("/x")
    assert response.status_code == 504
    assert response.content == b'{"message": "Network error communicating with endpoint"}'
    assert response.headers["x-amzn-errortype"] == "InternalServerErrorException"
    assert execution_log(server, response.headers["x-amzn-requestid"])[-2].endswith(
        "Execution failed due to a network error communicating with endpoint: Connection refused"
    )


def test_a_fault_inside_the_emulator_is_answered_as_a_500(emulator: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    server, client = emulator(definition({"/x": {"get": {"x-amazon-apigateway-integration": MOCK}}}))

    def broken(exchange: Any) -> None:
        raise RuntimeError("bug")

    assert server.app is not None
    monkeypatch.setattr(server.app, "_api_key", broken)
    response = client.get("/x")
    assert response.status_code == 500
    assert response.content == b'{"message": "Internal server error"}'
    assert client.get("/nope").status_code == 403  # and it keeps serving


def test_binary_media_types_base64_in_the_event_and_decoded_for_binary_accept(emulator: Any, tmp_path: Path) -> None:
    (tmp_path / "binary_handlers.py").write_text(
        "import base64\n"
        "def echo(event, context):\n"
        "    return {'statusCode': 200, 'headers': {'Content-Type': 'image/png'}, 'isBase64Encoded': True,\n"
        "            'body': event['body'] if event['isBase64Encoded'] else base64.b64encode(b'text').decode()}\n"
    )
    side = """
stage: {stageName: s}
functions:
  echo: {handler: "binary_handlers:echo"}
"""
    uri = (
        "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
        "arn:aws:lambda:us-east-1:123456789012:function:echo/invocations"
    )
    document = definition(
        {
            "/img": {
                "post": {"x-amazon-apigateway-integration": {"type": "aws_proxy", "httpMethod": "POST", "uri": uri}}
            }
        },
        **{"x-amazon-apigateway-binary-media-types": ["image/png"]},
    )
    _, client = emulator(document, side)
    png = b"\x89PNG\r\n\x1a\n\x00\xff"
    binary = client.post("/img", content=png, headers={"content-type": "image/png", "accept": "image/png"})
    assert binary.content == png
    # Without a binary Accept the base64 text comes back as it is (LocalStack recording).
    text = client.post("/img", content=png, headers={"content-type": "image/png", "accept": "application/json"})
    assert text.content == b"iVBORw0KGgoA/w=="


def test_usage_plan_per_method_throttle_is_429_with_the_key_throttle_line(
    emulator: Any, execution_log: LogReader
) -> None:
    # Log line: KC "api-gateway-429-limit" (apigw-reference.md, "Failure lines").
    side = """
restApiId: plantest01
stage: {stageName: s}
usagePlans:
  - id: gold
    name: gold
    throttle: {rateLimit: 100, burstLimit: 100}
    apiStages:
      - {apiId: plantest01, stage: s, throttle: {"/pets/GET": {rateLimit: 1, burstLimit: 1}}}
apiKeys:
  - {id: k1, name: k1, value: "plan-key-0123456789"}
usagePlanKeys:
  - {usagePlanId: gold, keyId: k1}
"""
    document = definition(
        {"/pets": {"get": {"security": [{"api_key": []}], "x-amazon-apigateway-integration": MOCK}}},
        components={"securitySchemes": {"api_key": {"type": "apiKey", "name": "x-api-key", "in": "header"}}},
    )
    server, client = emulator(document, side)
    first = client.get("/pets", headers={"x-api-key": "plan-key-0123456789"})
    second = client.get("/pets", headers={"x-api-key": "plan-key-0123456789"})
    assert first.status_code == 200
    assert second.status_code == 429
    assert second.content == b'{"message":"Too Many Requests"}'
    assert second.headers["x-amzn-errortype"] == "TooManyRequestsException"
    request_id = second.headers["x-amzn-requestid"]
    lines = execution_log(server, request_id)
    assert lines[-1] == (
        f"({request_id}) API Key *************456789 exceeded throttle limit for API Stage plantest01/s: Key "
        "throttle limit exceeded for Usage Plan ID gold, RestApi plantest01, Stage s, Resource "
        f"{ids.resource_id('/pets')}, HttpMethod GET. Limit: 1.00 Burst: 1"
    )
