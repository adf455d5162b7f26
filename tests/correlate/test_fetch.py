"""The fetch edge against a real moto server: windows, pagination, polling, and explained failures."""

from __future__ import annotations

import time
from typing import Any

import boto3
import pytest

from gatecrash.correlate.fetch import LogLocation, access_log_group_of_stage, fetch_requests, logs_client
from gatecrash.emulator.cloudwatch import LocalLogsServer
from gatecrash.errors import LogsError

RID = "5b2c6c0a-1f0e-4b7e-9d8a-3c4f5e6a7b8c"


def location(
    endpoint: str, group: str = "API-Gateway-Execution-Logs_fetchapi01/prod", access: str | None = "fetch-access"
) -> LogLocation:
    return LogLocation("us-east-1", group, access, endpoint, local=True)


def put(client: Any, group: str, messages: list[str], when_ms: int) -> None:
    try:
        client.create_log_group(logGroupName=group)
    except client.exceptions.ResourceAlreadyExistsException:
        pass
    client.create_log_stream(logGroupName=group, logStreamName=f"s{when_ms}")
    client.put_log_events(
        logGroupName=group,
        logStreamName=f"s{when_ms}",
        logEvents=[{"timestamp": when_ms + i, "message": m} for i, m in enumerate(messages)],
    )


def test_fetch_finds_a_requests_events_and_pages_through_many(logs_server: LocalLogsServer) -> None:
    where = location(logs_server.endpoint_url)
    client = logs_client(where)
    now = int(time.time() * 1000)
    put(
        client,
        where.execution_log_group,
        [f"({RID}) Starting execution for request: {RID}", f"({RID}) Method completed with status: 200"],
        now,
    )
    filler = [f'{{"requestId":"{i:08d}-0000-4000-8000-000000000000","status":"200"}}' for i in range(12_000)]
    put(client, "fetch-access", filler, now - 5_000)
    put(client, "fetch-access", [f'{{"requestId":"{RID}","status":"200"}}'], now + 1)
    found = fetch_requests(client, where, {RID}, now - 10_000, now + 10_000, deadline_s=5)
    assert set(found) == {RID}
    assert [line.message for line in found[RID].execution] == [
        f"Starting execution for request: {RID}",
        "Method completed with status: 200",
    ]
    access = found[RID].access
    assert access is not None and access.fields["status"] == "200"


def test_fetch_gives_up_at_the_deadline_with_what_it_has(logs_server: LocalLogsServer) -> None:
    where = location(logs_server.endpoint_url, "API-Gateway-Execution-Logs_fetchapi02/prod", "fetch-access-2")
    client = logs_client(where)
    now = int(time.time() * 1000)
    put(client, where.execution_log_group, ["(other) Method completed with status: 200"], now)
    put(client, "fetch-access-2", ['{"requestId":"other","status":"200"}'], now)
    started = time.monotonic()
    reports: list[tuple[int, int]] = []
    found = fetch_requests(
        client, where, {RID}, now - 1000, now + 1000, deadline_s=1.0, progress=lambda f, e: reports.append((f, e))
    )
    assert found == {}
    assert 0.9 <= time.monotonic() - started < 5
    assert reports[-1] == (0, 1)


def test_a_missing_execution_log_group_is_explained(logs_server: LocalLogsServer) -> None:
    where = location(logs_server.endpoint_url, "API-Gateway-Execution-Logs_nothere/prod", None)
    with pytest.raises(
        LogsError,
        match=r"^log group API-Gateway-Execution-Logs_nothere/prod does not exist: turn on "
        r"execution logging for the stage",
    ):
        fetch_requests(logs_client(where), where, {RID}, 0, 1000, deadline_s=1)


def test_the_access_log_group_is_read_from_the_stage(logs_server: LocalLogsServer) -> None:
    apigateway = boto3.client(
        "apigateway",
        endpoint_url=logs_server.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    api = apigateway.create_rest_api(name="fetch")["id"]
    root = apigateway.get_resources(restApiId=api)["items"][0]["id"]
    apigateway.put_method(restApiId=api, resourceId=root, httpMethod="GET", authorizationType="NONE")
    apigateway.put_integration(restApiId=api, resourceId=root, httpMethod="GET", type="MOCK")
    apigateway.create_deployment(restApiId=api, stageName="prod")
    apigateway.update_stage(
        restApiId=api,
        stageName="prod",
        patchOperations=[
            {
                "op": "replace",
                "path": "/accessLogSettings/destinationArn",
                "value": "arn:aws:logs:us-east-1:123456789012:log-group:prod-access-logs",
            },
            {"op": "replace", "path": "/accessLogSettings/format", "value": '{"requestId":"$context.requestId"}'},
        ],
    )
    where = location(logs_server.endpoint_url)
    assert access_log_group_of_stage(where, api, "prod") == "prod-access-logs"
    assert access_log_group_of_stage(where, api, "nostage") is None
