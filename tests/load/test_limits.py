"""Configured limits: from the emulator's side file, and from AWS through the apigateway client (moto)."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from gatecrash.emulator.cloudwatch import LocalLogsServer
from gatecrash.emulator.definition import load_definition
from gatecrash.emulator.sidefile import load_side_file
from gatecrash.load.limits import ConfiguredLimit, aws_plan_limit, aws_stage_limit, plan_limit, stage_limit
from tests.conftest import ROOT

LOAD = ROOT / "scenarios" / "load"
GOLD = "gatecrash-load-gold-key-0123456789"


def test_the_side_file_gives_stage_and_plan_limits() -> None:
    stage, api = load_side_file(LOAD / "stage.yaml"), load_definition(LOAD / "api.yaml")
    assert stage_limit(stage, api, "/limited", "GET") == ConfiguredLimit(50.0, 100, "stage load method GET /limited")
    account = stage_limit(stage, api, "/open", "GET")
    assert account is not None and account.source == "account (per Region)"
    assert plan_limit(stage, api, GOLD, "/keyed", "GET") == ConfiguredLimit(40.0, 40, "usage plan gold, key goldkey1")
    assert plan_limit(stage, api, "no-such-key", "/keyed", "GET") is None


@pytest.fixture
def apigateway(logs_server: LocalLogsServer) -> Any:
    # The emulator's moto server answers every AWS service, API Gateway's control plane included.
    return boto3.client(
        "apigateway",
        endpoint_url=logs_server.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def deployed(client: Any) -> str:
    api = client.create_rest_api(name="gatecrash-load-test")["id"]
    root = client.get_resources(restApiId=api)["items"][0]["id"]
    pets = client.create_resource(restApiId=api, parentId=root, pathPart="pets")["id"]
    pet = client.create_resource(restApiId=api, parentId=pets, pathPart="{petId}")["id"]
    for resource in (pets, pet):
        client.put_method(restApiId=api, resourceId=resource, httpMethod="GET", authorizationType="NONE")
        client.put_integration(restApiId=api, resourceId=resource, httpMethod="GET", type="MOCK")
    client.create_deployment(restApiId=api, stageName="prod")
    client.update_stage(
        restApiId=api,
        stageName="prod",
        patchOperations=[
            {"op": "replace", "path": "/~1pets~1{petId}/GET/throttling/rateLimit", "value": "50"},
            {"op": "replace", "path": "/~1pets~1{petId}/GET/throttling/burstLimit", "value": "100"},
        ],
    )
    return str(api)


def test_aws_stage_method_settings_are_read_for_the_matching_resource(apigateway: Any) -> None:
    api = deployed(apigateway)
    limit = aws_stage_limit(apigateway, api, "prod", "/pets/42", "GET")
    assert limit == ConfiguredLimit(50.0, 100, "stage prod method GET /pets/{petId}")


def test_aws_usage_plan_of_a_key_is_found_by_its_value(apigateway: Any) -> None:
    api = deployed(apigateway)
    key = apigateway.create_api_key(name="k", value="gatecrash-test-key-value-000001", enabled=True)["id"]
    plan = apigateway.create_usage_plan(
        name="gold", throttle={"rateLimit": 40, "burstLimit": 40}, apiStages=[{"apiId": api, "stage": "prod"}]
    )["id"]
    apigateway.create_usage_plan_key(usagePlanId=plan, keyId=key, keyType="API_KEY")
    limit = aws_plan_limit(apigateway, api, "prod", "gatecrash-test-key-value-000001", "/pets", "GET")
    assert limit == ConfiguredLimit(40.0, 40, f"usage plan {plan}, key {key}")
    assert aws_plan_limit(apigateway, api, "prod", "unknown-value-000000000000", "/pets", "GET") is None
