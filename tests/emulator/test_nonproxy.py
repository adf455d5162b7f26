"""Non-proxy integrations on a real loopback emulator: AWS (Lambda), HTTP and MOCK through request
templates, integration responses and their failures, with exact answers and log lines.

Sources, as in `gatecrash/emulator/integrations.py` and `mapping.py`: LocalStack's recordings
against AWS (test_lambda_selection_patterns: an unmatched Lambda error comes back 200 with the error
JSON as body; GetGatewayResponses: 415 for UNSUPPORTED_MEDIA_TYPE), AWS docs "Method request behavior
for payloads without mapping templates", KC "api-gateway-internal-server-error" (Output mapping
refers to an invalid method response), apigw-reference.md (Unable to transform request)."""

from __future__ import annotations

from typing import Any

import httpx

from gatecrash.emulator.server import EmulatorServer
from tests.conftest import LogReader
from tests.emulator.test_configured import definition, emulator  # noqa: F401 - the fixture

INTERNAL = b'{"message": "Internal server error"}'


def _message_lines(lines: list[str], request_id: str) -> list[str]:
    return [line.removeprefix(f"({request_id}) ") for line in lines]


def test_lambda_with_templates_maps_result_and_headers(
    demo: EmulatorServer, client: httpx.Client, execution_log: LogReader, access_log: Any
) -> None:
    response = client.post("/orders", json={"item": "tea", "quantity": 2})
    request_id = response.headers["x-amzn-requestid"]
    assert response.status_code == 200
    assert response.json() == {"order": "order-tea-2", "request": request_id}
    assert response.headers["content-type"] == "application/json"
    assert response.headers["x-order-id"] == "order-tea-2"
    lines = _message_lines(execution_log(demo, request_id), request_id)
    assert 'Endpoint request body after transformations: {"item": "tea", "quantity": 2, "caller": "127.0.0.1"}' in lines
    assert 'Endpoint response body before transformations: {"orderId": "order-tea-2"}' in lines
    assert f'Method response body after transformations: {{"order": "order-tea-2", "request": "{request_id}"}}' in lines
    assert "Method response headers: {Content-Type=application/json, X-Order-Id=order-tea-2}" in lines
    assert lines[-2:] == ["Successfully completed execution", "Method completed with status: 200"]
    record = access_log(demo, request_id)
    assert (record["status"], record["integration.status"], record["error.responseType"]) == ("200", "200", "-")


def test_lambda_error_matched_by_selection_pattern_is_the_mapped_400(
    demo: EmulatorServer, client: httpx.Client, execution_log: LogReader, access_log: Any
) -> None:
    response = client.post("/orders", json={"item": "tea", "quantity": 0})
    request_id = response.headers["x-amzn-requestid"]
    assert response.status_code == 400
    assert response.content == b'{"error": "Invalid order: quantity must be at least 1, got 0"}'
    assert "x-amzn-errortype" not in response.headers  # the method response, not a gateway response
    lines = _message_lines(execution_log(demo, request_id), request_id)
    assert any(
        line.startswith("Lambda execution failed with status 200 due to customer function error: Invalid order:")
        for line in lines
    )
    assert lines[-1] == "Method completed with status: 400"
    record = access_log(demo, request_id)
    assert (record["status"], record["error.responseType"], record["integration.status"]) == ("400", "-", "200")


def test_unmatched_lambda_error_is_a_200_with_the_error_as_body(emulator: Any, tmp_path: Any) -> None:  # noqa: F811
    (tmp_path / "nonproxy_handlers.py").write_text(
        "def boom(event, context):\n    raise RuntimeError('something else broke: ' + event['why'])\n"
    )
    side = 'stage: {stageName: s}\nfunctions:\n  boom: {handler: "nonproxy_handlers:boom"}\n'
    uri = (
        "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
        "arn:aws:lambda:us-east-1:123456789012:function:boom/invocations"
    )
    integration = {
        "type": "aws",
        "httpMethod": "POST",
        "uri": uri,
        "requestTemplates": {"application/json": '{"why": "$input.params(\'why\')"}'},
        "responses": {"Invalid.*": {"statusCode": "400"}, "default": {"statusCode": "200"}},
    }
    _, client = emulator(definition({"/x": {"get": {"x-amazon-apigateway-integration": integration}}}), side)
    response = client.get("/x", params={"why": "disk"})
    assert response.status_code == 200
    payload = response.json()
    assert (payload["errorMessage"], payload["errorType"]) == ("something else broke: disk", "RuntimeError")
    assert isinstance(payload["stackTrace"], list)


def test_a_template_that_fails_is_500_unable_to_transform_request(
    demo: EmulatorServer, client: httpx.Client, execution_log: LogReader, access_log: Any
) -> None:
    response = client.post("/orders", content=b"quantity=2", headers={"content-type": "application/json"})
    request_id = response.headers["x-amzn-requestid"]
    assert response.status_code == 500
    assert response.content == INTERNAL
    assert response.headers["x-amzn-errortype"] == "InternalServerErrorException"
    lines = _message_lines(execution_log(demo, request_id), request_id)
    assert lines[-2:] == [
        "Execution failed due to configuration error: Unable to transform request",
        "Method completed with status: 500",
    ]
    assert not any(line.startswith("Endpoint request URI") for line in lines)  # never reached Lambda
    assert access_log(demo, request_id)["error.responseType"] == "API_CONFIGURATION_ERROR"


def test_status_without_method_response_is_500_output_mapping(
    demo: EmulatorServer, client: httpx.Client, execution_log: LogReader
) -> None:
    response = client.get("/report")
    request_id = response.headers["x-amzn-requestid"]
    assert (response.status_code, response.content) == (500, INTERNAL)
    lines = _message_lines(execution_log(demo, request_id), request_id)
    assert lines[-2:] == [
        "Execution failed due to configuration error: Output mapping refers to an invalid method response: 202",
        "Method completed with status: 500",
    ]


def test_passthrough_behaviours_and_415(emulator: Any, demo_backend: str, execution_log: LogReader) -> None:  # noqa: F811
    def call(behaviour: str, templates: dict[str, str]) -> dict[str, Any]:
        return {
            "type": "http",
            "httpMethod": "POST",
            "uri": "http://${stageVariables.backend}/status/200",
            "passthroughBehavior": behaviour,
            "requestTemplates": templates,
            "responses": {"default": {"statusCode": "200"}},
        }

    only_json = {"application/json": "{\"wrapped\": $input.json('$')}"}
    document = definition(
        {
            "/match": {"post": {"x-amazon-apigateway-integration": call("WHEN_NO_MATCH", only_json)}},
            "/templates": {"post": {"x-amazon-apigateway-integration": call("WHEN_NO_TEMPLATES", only_json)}},
            "/none": {"post": {"x-amazon-apigateway-integration": call("WHEN_NO_TEMPLATES", {})}},
            "/never": {"post": {"x-amazon-apigateway-integration": call("NEVER", only_json)}},
        }
    )
    server, client = emulator(document, variables={"backend": demo_backend})

    def sent(response: httpx.Response) -> str:
        assert response.status_code == 200
        request_id = response.headers["x-amzn-requestid"]
        prefix = f"({request_id}) Endpoint request body after transformations: "
        return next(line for line in execution_log(server, request_id) if line.startswith(prefix))[len(prefix) :]

    text = {"content-type": "text/plain"}
    assert sent(client.post("/never", json={"a": 1})) == '{"wrapped": {"a":1}}'
    # No Content-Type means application/json (AWS docs).
    assert sent(client.post("/never", content=b'{"b": 2}')) == '{"wrapped": {"b":2}}'
    assert sent(client.post("/match", content=b"raw", headers=text)) == "raw"
    assert sent(client.post("/none", content=b"raw", headers=text)) == "raw"
    for path in ("/templates", "/never"):
        refused = client.post(path, content=b"raw", headers=text)
        assert refused.status_code == 415
        assert refused.content == b'{"message":"Unsupported Media Type"}'
        assert refused.headers["content-type"] == "application/json"
        assert refused.headers["x-amzn-errortype"] == "BadRequestException"
        request_id = refused.headers["x-amzn-requestid"]
        assert execution_log(server, request_id)[-1] == f"({request_id}) Method completed with status: 415"


def test_response_parameters_templates_and_a_malformed_mapping(
    emulator: Any,  # noqa: F811
    demo_backend: str,
    execution_log: LogReader,
) -> None:
    def status(parameters: dict[str, str]) -> dict[str, Any]:
        return {
            "type": "http",
            "httpMethod": "GET",
            "uri": "http://${stageVariables.backend}/status/201",
            "responses": {
                "2\\d{2}": {
                    "statusCode": "200",
                    "responseParameters": parameters,
                    "responseTemplates": {
                        "application/json": "{\"backend\": $input.json('$.status')}",
                        "text/plain": "status $input.path('$.status')",
                    },
                }
            },
        }

    good = {
        "method.response.header.X-Literal": "'fixed'",
        "method.response.header.X-Type": "integration.response.header.content-type",
        "method.response.header.X-Status": "integration.response.body.status",
        "method.response.header.X-Stage": "context.stage",
    }
    document = definition(
        {
            "/good": {"get": {"x-amazon-apigateway-integration": status(good)}},
            "/bad": {"get": {"x-amazon-apigateway-integration": status({"method.response.header.X": "nonsense"})}},
        }
    )
    server, client = emulator(document, variables={"backend": demo_backend})
    mapped = client.get("/good")
    assert (mapped.status_code, mapped.content) == (200, b'{"backend": 201}')
    assert mapped.headers["x-literal"] == "fixed"
    assert mapped.headers["x-type"] == "application/json"
    assert mapped.headers["x-status"] == "201"
    assert mapped.headers["x-stage"] == "local"
    as_text = client.get("/good", headers={"accept": "text/plain"})
    assert (as_text.content, as_text.headers["content-type"]) == (b"status 201", "text/plain")
    bad = client.get("/bad")
    assert (bad.status_code, bad.content) == (500, INTERNAL)
    request_id = bad.headers["x-amzn-requestid"]
    assert execution_log(server, request_id)[-2] == (
        f"({request_id}) Execution failed due to configuration error: Unable to transform response"
    )


def test_mock_status_from_the_request_template_and_content_handling(emulator: Any) -> None:  # noqa: F811
    integration = {
        "type": "mock",
        "requestTemplates": {
            "application/json": '#if($input.params(\'fail\') == "yes"){"statusCode": 404}#else{"statusCode": 200}#end'
        },
        "responses": {
            "404": {
                "statusCode": "404",
                "responseTemplates": {"application/json": '{"missing": "$input.params(\'fail\')"}'},
            },
            "default": {
                "statusCode": "200",
                "contentHandling": "CONVERT_TO_TEXT",
                "responseTemplates": {"application/json": "hi"},
            },
        },
    }
    document = definition(
        {
            "/m": {
                "get": {
                    "responses": {"200": {"description": "ok"}, "404": {"description": "no"}},
                    "x-amazon-apigateway-integration": integration,
                }
            }
        }
    )
    _, client = emulator(document)
    missing = client.get("/m", params={"fail": "yes"})
    assert (missing.status_code, missing.content) == (404, b'{"missing": "yes"}')
    found = client.get("/m")
    assert (found.status_code, found.content) == (200, b"aGk=")  # CONVERT_TO_TEXT: base64 of the body


def test_context_overrides_set_in_a_request_template_reach_the_response(emulator: Any) -> None:  # noqa: F811
    # Recorded against AWS (LocalStack test_integration_mock_with_response_override_in_request_template
    # and ..._request_overrides_in_response_template): a status the method does not declare (444), a
    # header, and any other key, read back in the response template.
    request = (
        "#set($context.responseOverride.status = 444)\n"
        '#set($context.responseOverride.header.foo = "bar")\n'
        '#set($context.requestOverride.path.body = "carried")\n'
        '{"statusCode": 200}'
    )
    response = '{"status": "$context.responseOverride.status", "body": "$context.requestOverride.path.body"}'
    mock = {
        "type": "mock",
        "requestTemplates": {"application/json": request},
        "responses": {"default": {"statusCode": "200", "responseTemplates": {"application/json": response}}},
    }
    document = definition(
        {"/o": {"get": {"responses": {"200": {"description": "ok"}}, "x-amazon-apigateway-integration": mock}}}
    )
    _, client = emulator(document)
    answer = client.get("/o")
    assert answer.status_code == 444 and answer.headers["foo"] == "bar"
    assert answer.json() == {"status": "444", "body": "carried"}


def test_a_lambda_integration_whose_method_is_not_post_is_500(emulator: Any, tmp_path: Any) -> None:  # noqa: F811
    # Lambda's Invoke is a POST (recorded: LocalStack test_lambda_aws_proxy_integration_non_post_method).
    arn = "arn:aws:lambda:us-east-1:123456789012:function:f"
    uri = f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{arn}/invocations"
    integration = {"type": "aws_proxy", "httpMethod": "GET", "uri": uri}
    (tmp_path / "h.py").write_text("def ok(event, context):\n    return {'statusCode': 200}\n")
    side = "functions:\n  f: {handler: 'h:ok'}\n"
    document = definition({"/f": {"get": {"x-amazon-apigateway-integration": integration}}})
    _, client = emulator(document, side)
    answer = client.get("/f")
    assert answer.status_code == 500 and answer.json() == {"message": "Internal server error"}
