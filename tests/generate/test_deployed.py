"""`gatecrash generate --rest-api-id`: a deployed API read through boto3 (moto's apigateway here).

moto 5's `get_export` ignores the export type and the extensions: it returns a bare Swagger 2.0
document (no `x-amazon-apigateway-*`, no security schemes). So the end-to-end test proves the
plumbing (export saved, side file mirrored, scenario loads) and the side file's contents; what the
export's extensions add is covered by the definition loader's own tests, and the authorizer merge
and the side file builder are tested here without a server.
"""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
import yaml

from gatecrash.catalogue import Catalogue, load_catalogue
from gatecrash.cli import main
from gatecrash.emulator.cloudwatch import LocalLogsServer
from gatecrash.emulator.model import QuotaPeriod
from gatecrash.emulator.sidefile import load_side_file, parse_side_file
from gatecrash.errors import EnvironmentProblem
from gatecrash.generate import generate_deployed
from gatecrash.generate.deployed import (
    DeployedSource,
    complete_authorizers,
    key_variable,
    read_deployed,
    side_file_document,
)
from gatecrash.scenario import load_scenario

KEY_VALUE = "deployed-secret-key-value-0123456789"


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue()


@pytest.fixture
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    # Dummy credentials for moto: the conftest clears every AWS_ variable.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")


def deploy(endpoint_url: str) -> tuple[str, str]:
    """A REST API with keyed GET and POST /pets, stage `prod` with settings, a usage plan and a key."""
    apigateway = boto3.client(
        "apigateway",
        endpoint_url=endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    api = apigateway.create_rest_api(name="deployed pets")["id"]
    root = apigateway.get_resources(restApiId=api)["items"][0]["id"]
    pets = apigateway.create_resource(restApiId=api, parentId=root, pathPart="pets")["id"]
    for method in ("GET", "POST"):
        apigateway.put_method(
            restApiId=api, resourceId=pets, httpMethod=method, authorizationType="NONE", apiKeyRequired=True
        )
        apigateway.put_integration(restApiId=api, resourceId=pets, httpMethod=method, type="MOCK")
        apigateway.put_method_response(restApiId=api, resourceId=pets, httpMethod=method, statusCode="200")
    apigateway.create_deployment(restApiId=api, stageName="prod")
    apigateway.update_stage(
        restApiId=api,
        stageName="prod",
        patchOperations=[
            {"op": "replace", "path": "/*/*/throttling/rateLimit", "value": "100"},
            {"op": "replace", "path": "/*/*/throttling/burstLimit", "value": "200"},
            {"op": "replace", "path": "/~1pets/GET/throttling/rateLimit", "value": "5"},
            {"op": "replace", "path": "/~1pets/GET/throttling/burstLimit", "value": "10"},
            {"op": "replace", "path": "/~1pets/GET/logging/loglevel", "value": "INFO"},
            {"op": "replace", "path": "/variables/backend", "value": "127.0.0.1:8080"},
            {
                "op": "replace",
                "path": "/accessLogSettings/destinationArn",
                "value": "arn:aws:logs:us-east-1:123456789012:log-group:deployed-access",
            },
            {"op": "replace", "path": "/accessLogSettings/format", "value": '{"requestId":"$context.requestId"}'},
        ],
    )
    plan = apigateway.create_usage_plan(
        name="basic",
        throttle={"rateLimit": 5.0, "burstLimit": 10},
        quota={"limit": 200, "period": "DAY", "offset": 0},
        apiStages=[{"apiId": api, "stage": "prod", "throttle": {"/pets/GET": {"rateLimit": 1.0, "burstLimit": 2}}}],
    )["id"]
    # A plan of another stage: not mirrored.
    apigateway.create_usage_plan(name="other", apiStages=[{"apiId": api, "stage": "dev"}])
    # The moto server is shared by the session, and key values must be unique in an account.
    key = apigateway.create_api_key(name="deployed-key", enabled=True, value=f"{KEY_VALUE}-{api}")["id"]
    apigateway.create_usage_plan_key(usagePlanId=plan, keyId=key, keyType="API_KEY")
    return api, key


def test_a_deployed_api_is_mirrored_into_a_side_file_and_a_scenario_that_loads(
    logs_server: LocalLogsServer,
    catalogue: Catalogue,
    credentials: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    api, key = deploy(logs_server.endpoint_url)
    out, side = tmp_path / "scenario.yaml", tmp_path / "side.yaml"
    source = DeployedSource(api, "prod", region="us-east-1", endpoint_url=logs_server.endpoint_url)
    generated, export = generate_deployed(source, catalogue, output=out, side_file_out=side)
    out.write_text(generated.text, encoding="utf-8")

    assert export == tmp_path / "scenario.api.json"
    assert "/pets" in json.loads(export.read_text(encoding="utf-8"))["paths"]
    for written in (out, side, export):
        assert KEY_VALUE not in written.read_text(encoding="utf-8")
    assert "definition: scenario.api.json" in generated.text
    assert "side-file: side.yaml" in generated.text
    load_scenario(out, catalogue.ids)

    monkeypatch.setenv(key_variable(key), KEY_VALUE)
    # moto's STS answers get_caller_identity with its default account.
    assert yaml.safe_load(side.read_text(encoding="utf-8"))["accountId"] == "123456789012"
    stage = load_side_file(side)
    assert (stage.rest_api_id, stage.stage_name, stage.region) == (api, "prod", "us-east-1")
    assert stage.account_id == "123456789012"
    assert stage.variables == {"backend": "127.0.0.1:8080"}
    assert stage.access_log is not None
    assert [plan.name for plan in stage.usage_plans] == ["basic"]
    (plan,) = stage.usage_plans
    assert plan.throttle is not None and (plan.throttle.rate_limit, plan.throttle.burst_limit) == (5.0, 10)
    assert plan.quota is not None and (plan.quota.limit, plan.quota.period) == (200, QuotaPeriod.DAY)
    [(where, method_throttle)] = plan.method_throttles.items()
    assert where == ("/pets", "GET")
    assert (method_throttle.rate_limit, method_throttle.burst_limit) == (1.0, 2)
    (api_key,) = stage.api_keys
    assert (api_key.id, api_key.value, api_key.usage_plan_ids) == (key, KEY_VALUE, (plan.id,))


def test_the_cli_reads_a_deployed_api_and_refuses_a_definition_as_well(
    logs_server: LocalLogsServer, credentials: None, tmp_path: Path
) -> None:
    api, _ = deploy(logs_server.endpoint_url)
    out, side = tmp_path / "cli.yaml", tmp_path / "cli-side.yaml"
    args = ["generate", "--rest-api-id", api, "--stage", "prod", "--region", "us-east-1"]
    args += ["--endpoint-url", logs_server.endpoint_url, "--side-file-out", str(side), "-o", str(out)]
    with pytest.raises(SystemExit) as done:
        main(args)
    assert done.value.code == 0
    assert out.exists() and side.exists() and (tmp_path / "cli.api.json").exists()
    for wrong in (["generate", str(out), "--rest-api-id", api, "--stage", "prod"], ["generate", "--stage", "prod"]):
        with pytest.raises(SystemExit) as refused:
            main(wrong)
        assert refused.value.code == 2


class _DenyingSts(http.server.BaseHTTPRequestHandler):
    """An endpoint that serves API Gateway (forwarded to moto) but denies STS, as an identity or an
    endpoint without STS does: the request's SigV4 credential scope names the service."""

    upstream = ""

    def _handle(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if "/sts/aws4_request" in self.headers.get("Authorization", ""):
            denied = (
                b"<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code>"
                b"<Message>not allowed to call sts:GetCallerIdentity</Message></Error></ErrorResponse>"
            )
            self._answer(403, [("Content-Type", "text/xml")], denied)
            return
        headers = {name: value for name, value in self.headers.items() if name.lower() != "host"}
        answer = httpx.request(self.command, self.upstream + self.path, headers=headers, content=body)
        kept = [(k, v) for k, v in answer.headers.items() if k.lower() not in ("content-length", "transfer-encoding")]
        self._answer(answer.status_code, kept, answer.content)

    def _answer(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def sts_denied(logs_server: LocalLogsServer) -> Iterator[str]:
    handler = type("Handler", (_DenyingSts,), {"upstream": logs_server.endpoint_url})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_sts_denied_leaves_the_account_id_out_and_the_mirror_still_written(
    logs_server: LocalLogsServer, sts_denied: str, catalogue: Catalogue, credentials: None, tmp_path: Path
) -> None:
    api, _ = deploy(logs_server.endpoint_url)
    out, side = tmp_path / "scenario.yaml", tmp_path / "side.yaml"
    source = DeployedSource(api, "prod", region="us-east-1", endpoint_url=sts_denied)
    generate_deployed(source, catalogue, output=out, side_file_out=side)

    text = side.read_text(encoding="utf-8")
    assert "accountId" not in text and f"restApiId: {api}" in text
    assert [plan["name"] for plan in yaml.safe_load(text)["usagePlans"]] == ["basic"]


def test_an_unknown_api_or_stage_is_an_environment_problem(logs_server: LocalLogsServer, credentials: None) -> None:
    api, _ = deploy(logs_server.endpoint_url)
    for rest_api_id, stage in ((api, "nostage"), ("nosuchapi0", "prod")):
        source = DeployedSource(rest_api_id, stage, region="us-east-1", endpoint_url=logs_server.endpoint_url)
        with pytest.raises(EnvironmentProblem, match="not found.*--rest-api-id and --stage"):
            read_deployed(source)


def test_missing_credentials_say_how_to_supply_them(logs_server: LocalLogsServer) -> None:
    source = DeployedSource("abc", "prod", region="us-east-1", endpoint_url=logs_server.endpoint_url)
    with pytest.raises(EnvironmentProblem, match="no AWS credentials.*--profile"):
        read_deployed(source)


def test_access_denied_names_the_permission(monkeypatch: pytest.MonkeyPatch, credentials: None) -> None:
    from botocore.exceptions import ClientError

    class Denied:
        meta = type("Meta", (), {"region_name": "us-east-1"})()

        def get_export(self, **_: Any) -> Any:
            raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "GetExport")

    monkeypatch.setattr("gatecrash.generate.deployed._client", lambda session, source: Denied())
    with pytest.raises(EnvironmentProblem, match="apigateway:GET"):
        read_deployed(DeployedSource("abc", "prod"))


# --- the pure side file builder ------------------------------------------------------------------

STAGE: dict[str, Any] = {
    "stageName": "prod",
    "deploymentId": "d1",
    "variables": {"b": "2", "a": "1"},
    "methodSettings": {
        "~1pets/GET": {"throttlingRateLimit": 5.0, "throttlingBurstLimit": 10, "cachingEnabled": False},
        "*/*": {"throttlingRateLimit": 100.0, "throttlingBurstLimit": 200, "loggingLevel": "INFO"},
    },
    "accessLogSettings": {
        "destinationArn": "arn:aws:logs:us-east-1:123456789012:log-group:g",
        "format": "$context.requestId",
    },
}
PLANS: list[dict[str, Any]] = [
    {
        "id": "p2",
        "name": "gold",
        "throttle": {"rateLimit": 50.0, "burstLimit": 100},
        "quota": {"limit": 1000, "period": "WEEK", "offset": 1},
        "apiStages": [
            {"apiId": "other", "stage": "prod"},
            {"apiId": "api1", "stage": "prod", "throttle": {"/pets/GET": {"rateLimit": 2.0, "burstLimit": 4}}},
        ],
    },
    {"id": "p1", "name": "basic", "apiStages": [{"apiId": "api1", "stage": "prod"}]},
    {"id": "p3", "name": "dev only", "apiStages": [{"apiId": "api1", "stage": "dev"}]},
]
PLAN_KEYS: dict[str, list[dict[str, Any]]] = {
    "p2": [{"id": "k-1", "type": "API_KEY", "value": "secret-a-0123456789abcdefgh", "name": "alpha"}],
    "p1": [{"id": "k-1", "type": "API_KEY", "value": "secret-a-0123456789abcdefgh", "name": "alpha"}],
    "p3": [{"id": "k3", "type": "API_KEY", "value": "secret-c-0123456789abcdefgh", "name": "gamma"}],
}
KEYS: list[dict[str, Any]] = [
    {"id": "k-1", "name": "alpha", "enabled": True, "value": "secret-a-0123456789abcdefgh"},
    {"id": "k3", "name": "gamma", "enabled": False},
]
ACCOUNT: dict[str, Any] = {"throttleSettings": {"rateLimit": 10000.0, "burstLimit": 5000}, "apiKeyVersion": "1"}


def test_the_side_file_document_keeps_this_stage_only_and_never_a_key_value() -> None:
    document = side_file_document(STAGE, PLANS, PLAN_KEYS, KEYS, ACCOUNT, rest_api_id="api1", region="eu-west-1")

    assert "secret" not in json.dumps(document)
    assert document["account"] == {"throttleSettings": {"rateLimit": 10000.0, "burstLimit": 5000}}
    assert list(document["stage"]["methodSettings"]) == ["*/*", "~1pets/GET"]
    assert document["stage"]["methodSettings"]["~1pets/GET"] == {"throttlingRateLimit": 5.0, "throttlingBurstLimit": 10}
    assert [plan["id"] for plan in document["usagePlans"]] == ["p1", "p2"]
    assert document["usagePlans"][1]["apiStages"] == [
        {"apiId": "api1", "stage": "prod", "throttle": {"/pets/GET": {"rateLimit": 2.0, "burstLimit": 4}}}
    ]
    assert document["apiKeys"] == [
        {"id": "k-1", "name": "alpha", "enabled": True, "valueFrom": {"env": "GATECRASH_KEY_K_1"}}
    ]
    assert [(e["usagePlanId"], e["keyId"]) for e in document["usagePlanKeys"]] == [("p1", "k-1"), ("p2", "k-1")]

    stage = parse_side_file(document, "mirror", environ={"GATECRASH_KEY_K_1": "local-value-0123456789"})
    assert [plan.id for plan in stage.usage_plans] == ["p1", "p2"]
    assert stage.api_keys[0].usage_plan_ids == ("p1", "p2")
    gold = stage.usage_plans[1]
    assert gold.quota is not None and (gold.quota.limit, gold.quota.period, gold.quota.offset) == (
        1000,
        QuotaPeriod.WEEK,
        1,
    )


def test_the_side_file_document_is_the_same_for_the_same_api_in_any_order() -> None:
    first = side_file_document(STAGE, PLANS, PLAN_KEYS, KEYS, ACCOUNT, rest_api_id="api1")
    again = side_file_document(STAGE, PLANS[::-1], PLAN_KEYS, KEYS[::-1], ACCOUNT, rest_api_id="api1")
    assert json.dumps(first) == json.dumps(again)


def test_the_account_id_from_sts_is_mirrored_and_loads() -> None:
    account = {**ACCOUNT, "accountId": "210987654321"}
    document = side_file_document(STAGE, PLANS, PLAN_KEYS, KEYS, account, rest_api_id="api1", region="eu-west-1")
    assert list(document)[:3] == ["restApiId", "region", "accountId"]
    assert document["accountId"] == "210987654321"
    assert document["account"] == {"throttleSettings": {"rateLimit": 10000.0, "burstLimit": 5000}}
    environ = {"GATECRASH_KEY_K_1": "local-value-0123456789"}
    assert parse_side_file(document, "mirror", environ=environ).account_id == "210987654321"


def test_a_stage_without_plans_mirrors_to_a_stage_only() -> None:
    document = side_file_document({"stageName": "prod"}, [], {}, [], {}, rest_api_id="api1")
    assert document == {"restApiId": "api1", "stage": {"stageName": "prod"}}
    assert parse_side_file(document, "mirror").stage_name == "prod"


def test_authorizers_fill_what_the_export_left_out() -> None:
    export: dict[str, Any] = {
        "openapi": "3.0.1",
        "components": {
            "securitySchemes": {
                "tokens": {"type": "apiKey", "name": "Authorization", "in": "header"},
                "pool": {
                    "type": "apiKey",
                    "x-amazon-apigateway-authorizer": {"type": "cognito_user_pools", "providerARNs": ["arn:a"]},
                },
            }
        },
    }
    authorizers: list[dict[str, Any]] = [
        {"name": "tokens", "type": "TOKEN", "authorizerUri": "arn:uri", "identitySource": "method.request.header.A"},
        {"name": "pool", "type": "COGNITO_USER_POOLS", "providerARNs": ["arn:b"]},
        {"name": "unused", "type": "TOKEN"},
    ]
    schemes = complete_authorizers(export, authorizers)["components"]["securitySchemes"]
    assert schemes["tokens"]["x-amazon-apigateway-authorizer"] == {
        "type": "token",
        "authorizerUri": "arn:uri",
        "identitySource": "method.request.header.A",
    }
    # What the export gave wins.
    assert schemes["pool"]["x-amazon-apigateway-authorizer"]["providerARNs"] == ["arn:a"]
    assert "unused" not in schemes
