"""The demo API on a real loopback emulator: AWS's exact statuses, bodies, headers and log lines.

Expected values come from apigw-reference.md (with the sources it cites) and the fact-check of
2026-11-25 against LocalStack's recordings of real AWS; each test names its source.
"""

from __future__ import annotations

import re
import socket
import uuid
from collections.abc import Callable

import httpx

from gatecrash.emulator import ids
from gatecrash.emulator.server import EmulatorServer
from tests.conftest import LogReader
from tests.emulator.conftest import DEMO_KEY, RETIRED_KEY

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
APIGW_ID = re.compile(r"^[A-Za-z0-9+/]{15}=$")


def assert_gateway_error(response: httpx.Response, status: int, body: bytes, error_type: str) -> None:
    assert response.status_code == status
    assert response.content == body
    assert response.headers["content-type"] == "application/json"
    assert response.headers["content-length"] == str(len(body))
    assert response.headers["x-amzn-errortype"] == error_type
    assert UUID.match(response.headers["x-amzn-requestid"])
    assert APIGW_ID.match(response.headers["x-amz-apigw-id"])
    assert "date" in response.headers


# -- route matching ----------------------------------------------------------------------------


def test_unknown_route_is_403_missing_authentication_token_recorded(client: httpx.Client) -> None:
    # LocalStack test_routing_not_found (recorded 2024): 42-byte body, bare error type.
    response = client.get("/no/such/route")
    assert_gateway_error(
        response, 403, b'{"message":"Missing Authentication Token"}', "MissingAuthenticationTokenException"
    )


def test_unknown_method_on_known_path_is_403(client: httpx.Client) -> None:
    response = client.delete("/pets")
    assert_gateway_error(
        response, 403, b'{"message":"Missing Authentication Token"}', "MissingAuthenticationTokenException"
    )


def test_request_without_the_stage_is_403(demo: EmulatorServer) -> None:
    assert demo.endpoints is not None
    root = demo.endpoints.base_url.rsplit("/", 1)[0]
    response = httpx.get(root + "/pets")
    assert response.status_code == 403
    assert response.headers["x-amzn-errortype"] == "MissingAuthenticationTokenException"


def test_customised_default_4xx_adds_its_header_to_every_4xx(client: httpx.Client) -> None:
    # The demo customises DEFAULT_4XX with a header only; the default body stays (AWS docs).
    assert client.get("/nowhere").headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-origin" not in client.get("/malformed").headers


def test_greedy_path_and_any_method_route_to_the_proxy_resource(client: httpx.Client) -> None:
    response = client.post("/backend/status/201", content=b"{}")
    assert response.status_code == 201
    assert response.json() == {"backend": "demo", "path": "/status/201", "status": 201}


# -- MOCK and Lambda proxy success -------------------------------------------------------------


def test_mock_integration_answers_its_response_template(client: httpx.Client) -> None:
    response = client.get("/pets")
    assert response.status_code == 200
    assert response.json() == [{"name": "Rex", "kind": "dog"}]
    assert "x-amzn-errortype" not in response.headers
    # MOCK answers carry no trace header (LocalStack recording).
    assert "x-amzn-trace-id" not in response.headers


def test_lambda_proxy_gets_the_v1_event_and_its_response_is_returned(client: httpx.Client) -> None:
    response = client.get("/pets/42", params={"a": "1"})
    assert response.status_code == 200
    body = response.json()
    assert body == {
        "path": "/pets/42",
        "pathParameters": {"petId": "42"},
        "requestId": response.headers["x-amzn-requestid"],
        "function": "demo-fast",
    }
    assert response.headers["content-type"] == "application/json"
    assert response.headers["x-amzn-trace-id"].startswith("Root=1-")


def test_lambda_proxy_success_writes_the_execution_log_in_aws_order(
    demo: EmulatorServer, client: httpx.Client, execution_log: LogReader
) -> None:
    response = client.get("/pets/7")
    request_id = response.headers["x-amzn-requestid"]
    lines = execution_log(demo, request_id)
    messages = [line.removeprefix(f"({request_id}) ") for line in lines]
    assert all(line.startswith(f"({request_id}) ") for line in lines)
    expected_prefixes = [
        f"Extended Request Id: {response.headers['x-amz-apigw-id']}",
        f"Verifying Usage Plan for request: {request_id}. API Key:  API Stage: demo4pi0x1/demo",
        "API Key  authorized because method 'GET /pets/{petId}' does not require API Key. "
        "Request will not contribute to throttle or quota limits",
        "Usage Plan check succeeded for API Key  and API Stage demo4pi0x1/demo",
        f"Starting execution for request: {request_id}",
        "HTTP Method: GET, Resource Path: /pets/7",
        "Method request path: {petId=7}",
        "Method request query string: {}",
        "Method request headers: {",
        "Method request body before transformations: ",
        "Endpoint request URI: https://lambda.us-east-1.amazonaws.com/2015-03-31/functions/"
        "arn:aws:lambda:us-east-1:123456789012:function:demo-fast/invocations",
        "Endpoint request headers: {",
        "Endpoint request body after transformations: {",
        "Sending request to https://lambda.us-east-1.amazonaws.com/",
        "Received response. Status: 200, Integration latency: ",
        "Endpoint response headers: {",
        "Endpoint response body before transformations: {",
        "Method response body after transformations: {",
        "Method response headers: {",
        "Successfully completed execution",
        "Method completed with status: 200",
    ]
    assert len(messages) == len(expected_prefixes), messages
    for message, prefix in zip(messages, expected_prefixes, strict=True):
        assert message.startswith(prefix), (message, prefix)


def test_access_log_record_carries_the_context_fields(
    demo: EmulatorServer, client: httpx.Client, access_log: Callable[[EmulatorServer, str], dict[str, str]]
) -> None:
    response = client.get("/pets/9")
    record = access_log(demo, response.headers["x-amzn-requestid"])
    assert record["requestId"] == response.headers["x-amzn-requestid"]
    assert record["extendedRequestId"] == response.headers["x-amz-apigw-id"]
    assert record["identity.sourceIp"] == "127.0.0.1"
    assert re.match(r"^\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d \+0000$", record["requestTime"])
    assert record["httpMethod"] == "GET"
    assert record["resourcePath"] == "/pets/{petId}"
    assert record["path"] == "/demo/pets/9"
    assert record["status"] == "200"
    assert record["protocol"] == "HTTP/1.1"
    assert record["responseLength"] == str(len(response.content))
    assert record["error.message"] == "-"
    assert record["error.responseType"] == "-"
    assert record["integration.status"] == "200"
    assert record["integration.integrationStatus"] == "200"
    assert record["integrationLatency"].isdigit()
    assert record["identity.apiKeyId"] == "-"


# -- request validation ------------------------------------------------------------------------


def test_missing_required_parameters_listed_header_then_query(
    demo: EmulatorServer, client: httpx.Client, access_log: Callable[[EmulatorServer, str], dict[str, str]]
) -> None:
    # Order header, path, query (LocalStack recording); a space after the colon (pulumi-awsx test on AWS).
    response = client.get("/search")
    assert_gateway_error(
        response, 400, b'{"message": "Missing required request parameters: [x-client-id, q]"}', "BadRequestException"
    )
    record = access_log(demo, response.headers["x-amzn-requestid"])
    assert record["error.responseType"] == "BAD_REQUEST_PARAMETERS"
    assert record["error.message"] == "Missing required request parameters: [x-client-id, q]"
    assert record["status"] == "400"


def test_blank_parameter_counts_as_missing(client: httpx.Client) -> None:
    # AWS docs, "Test basic request validation": `?q=` is missing.
    response = client.get("/search", params={"q": ""}, headers={"x-client-id": "abc"})
    assert response.content == b'{"message": "Missing required request parameters: [q]"}'


def test_present_parameters_pass_validation(client: httpx.Client) -> None:
    assert client.get("/search", params={"q": "cats"}, headers={"x-client-id": "abc"}).status_code == 200


def test_body_failing_the_model_is_400_invalid_request_body(
    demo: EmulatorServer,
    client: httpx.Client,
    execution_log: LogReader,
    access_log: Callable[[EmulatorServer, str], dict[str, str]],
) -> None:
    # 35-byte body and BadRequestException: real capture (apigw-reference.md fact-check).
    response = client.post("/pets", json={"name": "Tom", "colour": "grey"})
    assert_gateway_error(response, 400, b'{"message": "Invalid request body"}', "BadRequestException")
    request_id = response.headers["x-amzn-requestid"]
    lines = execution_log(demo, request_id)
    expected = (
        "Request body does not match model schema for content type application/json: "
        '[object has missing required properties (["kind"]), object instance has properties which are '
        'not allowed by the schema: ["colour"]]'
    )
    assert f"({request_id}) {expected}" in lines
    assert lines[-1] == f"({request_id}) Method completed with status: 400"
    record = access_log(demo, request_id)
    assert record["error.responseType"] == "BAD_REQUEST_BODY"
    assert record["error.validationErrorString"] == expected.split(": ", 1)[1]


def test_empty_body_is_invalid(client: httpx.Client) -> None:
    response = client.post("/pets", content=b"", headers={"content-type": "application/json"})
    assert response.content == b'{"message": "Invalid request body"}'


def test_body_of_a_content_type_without_model_is_not_validated(client: httpx.Client) -> None:
    # AWS docs: "If no matching content type is found, request validation is not performed."
    response = client.post("/pets", content=b"name,kind\nTom,cat\n", headers={"content-type": "text/csv"})
    assert response.status_code == 201


def test_valid_body_reaches_the_function(client: httpx.Client) -> None:
    response = client.post("/pets", json={"name": "Tom", "kind": "cat"})
    assert response.status_code == 201


# -- API keys, usage plans, quotas, throttling ---------------------------------------------------


def test_missing_unknown_and_disabled_keys_are_403_forbidden(client: httpx.Client) -> None:
    for headers in ({}, {"x-api-key": "not-a-key-of-this-stage"}, {"x-api-key": RETIRED_KEY}):
        response = client.get("/keyed", headers=headers)
        assert_gateway_error(response, 403, b'{"message":"Forbidden"}', "ForbiddenException")


def test_key_failure_log_line_masks_the_key(
    demo: EmulatorServer, client: httpx.Client, execution_log: LogReader
) -> None:
    response = client.get("/keyed", headers={"x-api-key": "unknown-key-abcdef123456"})
    request_id = response.headers["x-amzn-requestid"]
    lines = execution_log(demo, request_id)
    assert (
        f"({request_id}) API Key ******************123456 not authorized because method 'GET /keyed' requires "
        "API Key and API Key is not associated with a Usage Plan for API Stage demo4pi0x1/demo: No Usage Plan "
        "found for key and API Stage" in lines
    )
    assert not any("unknown-key-abcdef" in line for line in lines)


def test_quota_exhausted_after_five_requests(
    fresh_demo: EmulatorServer, execution_log: LogReader, access_log: Callable[[EmulatorServer, str], dict[str, str]]
) -> None:
    assert fresh_demo.endpoints is not None
    with httpx.Client(base_url=fresh_demo.endpoints.base_url) as http:
        statuses = [http.get("/keyed", headers={"x-api-key": DEMO_KEY}).status_code for _ in range(5)]
        assert statuses == [200] * 5
        response = http.get("/keyed", headers={"x-api-key": DEMO_KEY})
    # QUOTA_EXCEEDED: 429, 28-byte body, LimitExceededException (two live captures).
    assert_gateway_error(response, 429, b'{"message":"Limit Exceeded"}', "LimitExceededException")
    request_id = response.headers["x-amzn-requestid"]
    masked = "*" * (len(DEMO_KEY) - 6) + DEMO_KEY[-6:]
    assert (
        f"({request_id}) API Key {masked} exceeded quota limit for API Stage demo4pi0x1/demo: Key quota "
        "exhausted for Usage Plan ID demoplan. Limit: 5 Period: DAY"
    ) in execution_log(fresh_demo, request_id)
    record = access_log(fresh_demo, request_id)
    assert record["error.responseType"] == "QUOTA_EXCEEDED"
    assert record["identity.apiKeyId"] == "demokey1"


def test_stage_method_throttle_allows_the_burst_then_429(
    fresh_demo: EmulatorServer,
    execution_log: LogReader,
    access_log: Callable[[EmulatorServer, str], dict[str, str]],
) -> None:
    assert fresh_demo.endpoints is not None
    with httpx.Client(base_url=fresh_demo.endpoints.base_url) as http:
        responses = [http.get("/limited") for _ in range(4)]
    assert [r.status_code for r in responses[:2]] == [200, 200]
    throttled = responses[2]
    assert_gateway_error(throttled, 429, b'{"message":"Too Many Requests"}', "TooManyRequestsException")
    request_id = throttled.headers["x-amzn-requestid"]
    # Method throttling without an API key, as a real 2019 execution log shows it (apigw-http-reference.md,
    # last section): the throttle line where the "does not require API Key" lines would be, then the status.
    lines = [line.removeprefix(f"({request_id}) ") for line in execution_log(fresh_demo, request_id)]
    resource = ids.resource_id("/limited")
    assert lines[1:] == [
        f"Verifying Usage Plan for request: {request_id}. API Key:  API Stage: demo4pi0x1/demo",
        f"Key throttle limit exceeded for RestApi demo4pi0x1, Stage demo, Resource {resource}, HttpMethod GET. "
        "Limit: 1.00 Burst: 2",
        "Method completed with status: 429",
    ]
    assert lines[0].startswith("Extended Request Id: ")
    assert access_log(fresh_demo, request_id)["error.responseType"] == "THROTTLED"


# -- integration failures ----------------------------------------------------------------------


def test_function_slower_than_the_integration_timeout_is_504(
    demo: EmulatorServer,
    client: httpx.Client,
    execution_log: LogReader,
    access_log: Callable[[EmulatorServer, str], dict[str, str]],
) -> None:
    response = client.get("/slow")
    assert_gateway_error(response, 504, b'{"message": "Endpoint request timed out"}', "InternalServerErrorException")
    request_id = response.headers["x-amzn-requestid"]
    lines = execution_log(demo, request_id)
    assert lines[-2:] == [
        f"({request_id}) Execution failed due to a timeout error",
        f"({request_id}) Method completed with status: 504",
    ]
    assert access_log(demo, request_id)["error.responseType"] == "INTEGRATION_TIMEOUT"


def test_function_past_its_own_timeout_is_a_502_function_error(
    demo: EmulatorServer, client: httpx.Client, execution_log: LogReader
) -> None:
    response = client.get("/overrun")
    assert_gateway_error(response, 502, b'{"message": "Internal server error"}', "InternalServerErrorException")
    request_id = response.headers["x-amzn-requestid"]
    failure = [line for line in execution_log(demo, request_id) if "customer function error" in line]
    assert len(failure) == 1
    assert re.search(
        r"Lambda execution failed with status 200 due to customer function error: "
        r"\d{4}-\d\d-\d\dT[\d:.]+Z [0-9a-f-]{36} Task timed out after 0\.30 seconds\. "
        r"Lambda request id: [0-9a-f-]{36}$",
        failure[0],
    )


def test_malformed_proxy_response_is_502(demo: EmulatorServer, client: httpx.Client, execution_log: LogReader) -> None:
    # LocalStack test_aws_proxy_response_payload_format_validation; log line from a 2025 capture.
    response = client.get("/malformed")
    assert_gateway_error(response, 502, b'{"message": "Internal server error"}', "InternalServerErrorException")
    assert "x-amzn-trace-id" not in response.headers
    request_id = response.headers["x-amzn-requestid"]
    lines = execution_log(demo, request_id)
    assert lines[-2:] == [
        f"({request_id}) Execution failed due to configuration error: Malformed Lambda proxy response",
        f"({request_id}) Method completed with status: 502",
    ]
    assert (
        f'({request_id}) Endpoint response body before transformations: {{"status": 200, "body": {{"ok": true}}}}'
        in lines
    )


def test_raising_function_is_502_with_the_customer_error_line(
    demo: EmulatorServer,
    client: httpx.Client,
    execution_log: LogReader,
    access_log: Callable[[EmulatorServer, str], dict[str, str]],
) -> None:
    response = client.get("/failing")
    assert_gateway_error(response, 502, b'{"message": "Internal server error"}', "InternalServerErrorException")
    request_id = response.headers["x-amzn-requestid"]
    lines = execution_log(demo, request_id)
    assert any(
        re.fullmatch(
            rf"\({request_id}\) Lambda execution failed with status 200 due to customer function "
            r"error: the demo function failed on purpose\. Lambda request id: [0-9a-f-]{36}",
            line,
        )
        for line in lines
    )
    record = access_log(demo, request_id)
    assert record["error.responseType"] == "INTEGRATION_FAILURE"
    assert record["integration.error"] == "Lambda Customer Function Error:the demo function failed on purpose"


def test_function_without_invoke_permission_is_500(
    demo: EmulatorServer, client: httpx.Client, execution_log: LogReader
) -> None:
    response = client.get("/locked")
    assert_gateway_error(response, 500, b'{"message": "Internal server error"}', "InternalServerErrorException")
    request_id = response.headers["x-amzn-requestid"]
    assert (
        f"({request_id}) Execution failed due to configuration error: Invalid permissions on Lambda function"
        in execution_log(demo, request_id)
    )


def test_throttled_function_is_500_rate_exceeded(
    demo: EmulatorServer, client: httpx.Client, execution_log: LogReader
) -> None:
    response = client.get("/busy")
    assert_gateway_error(response, 500, b'{"message": "Internal server error"}', "InternalServerErrorException")
    request_id = response.headers["x-amzn-requestid"]
    lines = [line.removeprefix(f"({request_id}) ") for line in execution_log(demo, request_id)]
    assert any(
        re.fullmatch(r"Lambda invocation failed with status: 429\. Lambda request id: [0-9a-f-]{36}", line)
        for line in lines
    )
    assert "Execution failed due to configuration error: Rate Exceeded." in lines


def test_backend_status_passes_through_http_proxy(client: httpx.Client) -> None:
    # HTTP_PROXY passes backend errors through with their status (400 recorded).
    response = client.get("/backend/status/503")
    assert response.status_code == 503
    assert response.json()["status"] == 503
    assert "x-amzn-errortype" not in response.headers


def test_slow_http_backend_is_504(client: httpx.Client) -> None:
    response = client.get("/backend/sleep/2000")
    assert_gateway_error(response, 504, b'{"message": "Endpoint request timed out"}', "InternalServerErrorException")


def test_unset_stage_variable_endpoint_is_500_invalid_endpoint_address(
    demo: EmulatorServer, client: httpx.Client, execution_log: LogReader
) -> None:
    # LocalStack test_failed_invoke_test_method and test_import_with_stage_variables (recorded).
    response = client.get("/misrouted")
    assert_gateway_error(response, 500, b'{"message": "Internal server error"}', "InternalServerErrorException")
    request_id = response.headers["x-amzn-requestid"]
    assert execution_log(demo, request_id)[-2:] == [
        f"({request_id}) Execution failed due to configuration error: Invalid endpoint address",
        f"({request_id}) Method completed with status: 500",
    ]


# -- the front door ----------------------------------------------------------------------------


def test_payload_over_10_mb_is_refused_in_plain_text(client: httpx.Client) -> None:
    # lgtm-generator#10: 413, `text; charset=utf-8`, 44 bytes, no request id or error type.
    response = client.post("/pets", content=b"x" * (10 * 1024 * 1024 + 1))
    assert response.status_code == 413
    assert response.content == b"HTTP content length exceeded 10485760 bytes."
    assert response.headers["content-type"] == "text; charset=utf-8"
    assert "x-amzn-requestid" not in response.headers
    assert "x-amzn-errortype" not in response.headers


def test_garbage_on_the_wire_gets_an_http_answer_and_the_emulator_survives(
    demo: EmulatorServer, client: httpx.Client
) -> None:
    assert demo.endpoints is not None
    port = int(demo.endpoints.base_url.split(":")[2].split("/")[0])
    for garbage in (
        b"\x00\xff\xfe garbage\r\n\r\n",
        b"GET /%%%zz HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /demo/pets HTTP/1.1\r\nContent-Length: nope\r\n\r\n",
    ):
        with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
            raw.sendall(garbage)
            answer = raw.recv(4096)
        assert answer.startswith(b"HTTP/1.1 4"), answer
    assert client.get("/pets").status_code == 200


def test_odd_paths_and_methods_get_aws_shaped_answers(client: httpx.Client) -> None:
    for method, path in (("GET", "/%ZZ"), ("PURGE", "/pets"), ("GET", "/pets/%00"), ("GET", "//pets")):
        response = client.request(method, path)
        assert response.status_code in (200, 403), (method, path, response.status_code)
        assert uuid.UUID(response.headers["x-amzn-requestid"])
