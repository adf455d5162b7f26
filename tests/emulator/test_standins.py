"""Offline stand-ins: `endpointOverrides`, gatecrash's stand-in functions and backend, Java-read patterns."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from gatecrash.emulator import standins
from gatecrash.emulator.auth.config import load_authorizers
from gatecrash.emulator.backends import serve_asgi
from gatecrash.emulator.model import Api
from gatecrash.emulator.sidefile import load_side_file
from gatecrash.emulator.validation import validate_body
from gatecrash.errors import SideFileError
from tests.conftest import LogReader
from tests.emulator.test_configured import definition

PROXY = {"type": "http_proxy", "httpMethod": "GET", "uri": "https://api.example.com/v1/{proxy}"}
PROXY_PARAMS = {"parameters": [{"name": "proxy", "in": "path", "required": True, "schema": {"type": "string"}}]}


def test_an_endpoint_override_sends_the_call_to_the_stand_in_and_logs_the_definitions_uri(
    emulator: Any, execution_log: LogReader
) -> None:
    document = definition({"/v1/{proxy+}": {"get": {**PROXY_PARAMS, "x-amazon-apigateway-integration": PROXY}}})
    side = 'endpointOverrides:\n  "https://api.example.com": "http://${stageVariables.stand_in}"\n'
    with serve_asgi(standins.HTTP_BACKEND) as address:
        server, client = emulator(document, side, {"stand_in": address})
        response = client.get("/v1/pets/7", headers={standins.DELAY_HEADER: "0"})
    assert response.status_code == 200
    assert response.json() == {"standIn": "gatecrash", "method": "GET", "path": "/v1/pets/7"}
    lines = execution_log(server, response.headers["x-amzn-requestid"])
    assert any(line.endswith("Endpoint request URI: https://api.example.com/v1/pets/7") for line in lines)


def test_an_override_whose_stage_variable_is_unset_fails_as_a_network_error(emulator: Any) -> None:
    document = definition({"/v1/{proxy+}": {"get": {**PROXY_PARAMS, "x-amazon-apigateway-integration": PROXY}}})
    side = 'endpointOverrides:\n  "https://api.example.com": "http://${stageVariables.missing}"\n'
    _, client = emulator(document, side)
    response = client.get("/v1/pets")
    assert response.status_code == 504  # never the definition's real host
    assert response.json() == {"message": "Network error communicating with endpoint"}


def test_endpoint_overrides_that_are_not_origins_are_reported_with_the_fix(tmp_path: Path) -> None:
    side = tmp_path / "side.yaml"
    side.write_text(
        'endpointOverrides:\n  "https://api.example.com/v1": "http://127.0.0.1:9"\n'
        '  "https://ok.example.com": "127.0.0.1:9"\n'
    )
    with pytest.raises(SideFileError) as caught:
        load_side_file(side)
    problems = {p.pointer: (p.message, p.hint) for p in caught.value.problems}
    assert problems == {
        "$.endpointOverrides['https://api.example.com/v1']": (
            "'https://api.example.com/v1' is not an origin",
            "write scheme and host only, e.g. https://api.example.com (no path)",
        ),
        "$.endpointOverrides['https://ok.example.com']": (
            "must be an origin such as http://127.0.0.1:8081, not '127.0.0.1:9'",
            "or http://${stageVariables.NAME} for a backend the scenario serves",
        ),
    }


def test_the_stand_in_functions_answer_in_the_documented_shapes() -> None:
    event = {"resource": "/pets", "httpMethod": "GET", "headers": {"x-gatecrash-delay-ms": "0"}}
    proxy = standins.lambda_proxy(event, None)
    assert proxy["statusCode"] == 200 and json.loads(proxy["body"])["resource"] == "/pets"
    allowed = standins.authorizer({"methodArn": "arn:aws:execute-api:us-east-1:1:abc/local/GET/pets"}, None)
    statement = allowed["policyDocument"]["Statement"][0]
    # The whole stage: a cached policy is applied to the identity's next method too.
    stage = "arn:aws:execute-api:us-east-1:1:abc/local/*"
    assert statement == {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": stage}


def test_an_authorizer_uri_left_as_a_template_placeholder_loads() -> None:
    uri = "arn:aws:apigateway:eu-west-2:lambda:path/2015-03-31/functions/${AUTHORIZER_LAMBDA_ARN}/invocations"
    raw = {"type": "token", "authorizerUri": uri, "identitySource": "method.request.header.Authorization"}
    api = Api("api.json", "t", (), authorizers={"auth": raw})
    assert load_authorizers(api)["auth"].function_uri == uri


def test_a_pattern_java_reads_and_python_does_not_is_applied_as_java_reads_it() -> None:
    # `[\w-_]` from a real export (08): Java reads the dash as a literal.
    schema = {"type": "object", "properties": {"path": {"type": "string", "pattern": r"^[\w-_]+$"}}}
    assert validate_body("application/json", schema, b'{"path": "a-b_c"}').valid
    refused = validate_body("application/json", schema, b'{"path": "a b"}')
    assert not refused.valid and "does not match" in refused.validation_error


def test_a_placeholder_authorizer_is_a_500_authorizer_configuration_error_when_invoked(emulator: Any) -> None:
    uri = "arn:aws:apigateway:eu-west-2:lambda:path/2015-03-31/functions/${AUTHORIZER_LAMBDA_ARN}/invocations"
    scheme = {
        "type": "apiKey",
        "name": "Authorization",
        "in": "header",
        "x-amazon-apigateway-authtype": "custom",
        "x-amazon-apigateway-authorizer": {
            "type": "token",
            "authorizerUri": uri,
            "identitySource": "method.request.header.Authorization",
        },
    }
    mock = {
        "type": "mock",
        "requestTemplates": {"application/json": '{"statusCode": 200}'},
        "responses": {"default": {"statusCode": "200"}},
    }
    document = definition(
        {"/x": {"get": {"security": [{"auth": []}], "x-amazon-apigateway-integration": mock}}},
        components={"securitySchemes": {"auth": scheme}},
    )
    _, client = emulator(document)
    assert client.get("/x").status_code == 401  # no identity: the authorizer is never invoked
    response = client.get("/x", headers={"Authorization": "token"})
    assert response.status_code == 500
    assert response.headers["x-amzn-errortype"] == "AuthorizerConfigurationException"
