"""Classifying one request's logs as a catalogue mode: every mode from lines as AWS writes them,
every trap, every line format, and the demo scenario end to end on the emulator.

Line texts: apigw-reference.md ("Execution logs", "Lambda proxy integration", "Lambda authorizers",
the failure lines) and the emulator's writers (app.py, integrations.py, auth/gate.py), which copy
them. Access records are rendered by the emulator's own `accesslog.render` in its default format.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

from gatecrash.catalogue import Catalogue, load_catalogue
from gatecrash.correlate.classify import Classifier, classify, classify_all
from gatecrash.correlate.model import LogEvent, RequestLogs
from gatecrash.correlate.parse import group_by_request, parse_access_record, parse_execution_events, parse_text
from gatecrash.emulator.accesslog import DEFAULT_FORMAT, render

RID = "4ef3e0b7-8927-4347-80f1-837121232a1f"
LAMBDA_RID = "7add617f-4904-42de-8e46-e8cbf7fa2ae1"
GROUP = "API-Gateway-Execution-Logs_demo4pi0x1/demo"
STREAM = "fc21b7135d3cfa70979e9e94492feb76"
STAGE = "demo4pi0x1/demo"
MASKED = "*****************************789abc"
FUNCTION = "https://lambda.us-east-1.amazonaws.com/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:{}/invocations"
AUTHORIZER = FUNCTION.format("demo-authorizer")


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue()


def request_logs(
    lines: Sequence[str], access: Mapping[str, str] | None = None, request_id: str = RID, fmt: str = DEFAULT_FORMAT
) -> RequestLogs:
    """One request's logs, through the parser: `(id) message` events and a record in format `fmt`
    (the emulator's default unless given)."""
    events = [LogEvent(GROUP, STREAM, 1_795_596_738_000 + n, f"({request_id}) {line}") for n, line in enumerate(lines)]
    records = []
    if access is not None:
        values = {"requestId": request_id, "extendedRequestId": "0FlNpjycb9cHCCA=", "httpMethod": "GET", **access}
        record = parse_access_record(render(fmt, values))
        assert record is not None
        records.append(record)
    return group_by_request(parse_execution_events(events), records)[request_id]


# A stage format that logs no response type (the console's JSON preset has none).
STATUS_ONLY = '{"requestId":"$context.requestId","status":"$context.status"}'


def raw(logs: RequestLogs, *messages: str) -> tuple[str, ...]:
    """The evidence a classification should give: the record's text, then these lines' text."""
    found = tuple(line.raw for line in logs.execution if line.message in messages)
    assert len(found) == len(messages), messages
    return ((logs.access.raw,) if logs.access is not None else ()) + found


# --- lines as AWS writes them --------------------------------------------------------------------------


def head(path: str = "/pets", key: str = "") -> list[str]:
    return [
        "Extended Request Id: 0FlNpjycb9cHCCA=",
        f"Verifying Usage Plan for request: {RID}. API Key: {key} API Stage: {STAGE}",
        f"API Key {key} authorized because method 'GET {path}' does not require API Key. "
        "Request will not contribute to throttle or quota limits",
        f"Usage Plan check succeeded for API Key {key} and API Stage {STAGE}",
    ]


def start(path: str = "/pets", body: str = "") -> list[str]:
    return [
        f"Starting execution for request: {RID}",
        f"HTTP Method: GET, Resource Path: {path}",
        "Method request path: {}",
        "Method request query string: {}",
        "Method request headers: {host=127.0.0.1:40825, accept=*/*, user-agent=python-httpx/0.28.1}",
        f"Method request body before transformations: {body}",
    ]


def lambda_call(name: str) -> list[str]:
    uri = FUNCTION.format(name)
    return [
        f"Endpoint request URI: {uri}",
        "Endpoint request headers: {X-Amz-Date=20261125T085218Z, x-amzn-apigateway-api-id=demo4pi0x1, "
        "Accept=application/json, User-Agent=AmazonAPIGateway_demo4pi0x1, Host=lambda.us-east-1.amazonaws.com}",
        'Endpoint request body after transformations: {"resource": "/x", "path": "/x", "httpMethod": "GET"}',
        f"Sending request to {uri}",
    ]


def lambda_response(payload: str, headers: str = "") -> list[str]:
    return [
        "Received response. Status: 200, Integration latency: 3 ms",
        "Endpoint response headers: {Date=Wed, 25 Nov 2026 08:52:18 GMT, Content-Type=application/json, "
        f"Content-Length={len(payload)}, Connection=keep-alive, x-amzn-RequestId={LAMBDA_RID}, {headers}"
        "X-Amz-Executed-Version=$LATEST}",
        f"Endpoint response body before transformations: {payload}",
    ]


def authorizer(result: str | None) -> list[str]:
    lines = [
        "Extended Request Id: 0FlNpjycb9cHCCA=",
        f"Starting authorizer: a1b2c3 for request: {RID}",
        "Incoming identity: ****************abcdef",
        f"Endpoint request URI: {AUTHORIZER}",
        f"Sending request to {AUTHORIZER}",
    ]
    return lines + ([f"Authorizer result body before parsing: {result}"] if result is not None else [])


NOT_AUTHORIZED_KEY = (
    "API Key {key} not authorized because method 'GET /keyed' requires API Key and API Key is not associated "
    f"with a Usage Plan for API Stage {STAGE}: No Usage Plan found for key and API Stage"
)
FUNCTION_ERROR = (
    "Lambda execution failed with status 200 due to customer function error: the demo function failed on purpose. "
    f"Lambda request id: {LAMBDA_RID}"
)
MAPPED_FUNCTION_ERROR = (
    "Lambda execution failed with status 200 due to customer function error: Invalid order: quantity must be at "
    f"least 1, got 0. Lambda request id: {LAMBDA_RID}"
)
MALFORMED = "Execution failed due to configuration error: Malformed Lambda proxy response"
INVALID_PERMISSIONS = "Execution failed due to configuration error: Invalid permissions on Lambda function"
RATE_EXCEEDED = "Execution failed due to configuration error: Rate Exceeded."
LAMBDA_429 = f"Lambda invocation failed with status: 429. Lambda request id: {LAMBDA_RID}"
SIGNATURE_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access "
    "Key and signing method. Consult the service documentation for details.\n\nThe Canonical String for this "
    "request should have been\n'GET\n/demo/private\n\nhost:example\n\nhost\ne3b0c44298fc1c149afbf4c8996fb924'\n"
)
SIGNATURE_EXPIRED = (
    "Signature expired: 20261125T080000Z is now earlier than 20261125T081000Z (20261125T081500Z - 5 min.)"
)
IAM_DENY = (
    "User: arn:aws:iam::123456789012:user/probe is not authorized to perform: execute-api:Invoke on resource: "
    "arn:aws:execute-api:us-east-1:123456789012:demo4pi0x1/demo/GET/private with an explicit deny"
)


@dataclass(frozen=True)
class Case:
    """A request of one cause: its lines, its access record, and the lines its evidence names."""

    mode: str
    lines: tuple[str, ...]
    access: Mapping[str, str]
    evidence: tuple[str, ...]  # the messages the classification rests on, besides the record
    method_known: bool | None = None


def _cases() -> list[Case]:
    done = ["Successfully completed execution", "Method completed with status: 200"]
    payload = '{"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": "{}"}'
    gateway_error = {"error.message": "Internal server error"}
    failing_response = lambda_response(
        '{"errorMessage": "the demo function failed on purpose"}', "X-Amz-Function-Error=Unhandled, "
    )
    mapped_response = lambda_response(
        '{"errorMessage": "Invalid order: quantity must be at least 1, got 0"}', "X-Amz-Function-Error=Unhandled, "
    )
    return [
        Case(
            "missing-required-param",
            (*head("/search"), *start("/search"), "Method completed with status: 400"),
            {
                "status": "400",
                "error.responseType": "BAD_REQUEST_PARAMETERS",
                "error.message": "Missing required request parameters: [x-client-id, q]",
            },
            (),
        ),
        Case(
            "invalid-body",
            (
                *head(),
                *start(body='{"name": "Tom"}'),
                "Request body does not match model schema for content type application/json: "
                '[object has missing required properties (["kind"])]',
                "Method completed with status: 400",
            ),
            {
                "status": "400",
                "error.responseType": "BAD_REQUEST_BODY",
                "error.message": "Invalid request body",
                "error.validationErrorString": '[object has missing required properties (["kind"])]',
            },
            (
                "Request body does not match model schema for content type application/json: "
                '[object has missing required properties (["kind"])]',
            ),
        ),
        Case(
            "missing-api-key",
            (*head("/keyed")[:2], NOT_AUTHORIZED_KEY.format(key="")),
            {"status": "403", "error.responseType": "INVALID_API_KEY", "error.message": "Forbidden"},
            (f"Verifying Usage Plan for request: {RID}. API Key:  API Stage: {STAGE}",),
        ),
        Case(
            "invalid-api-key",
            (*head("/keyed", MASKED)[:2], NOT_AUTHORIZED_KEY.format(key=MASKED)),
            {"status": "403", "error.responseType": "INVALID_API_KEY", "error.message": "Forbidden"},
            (
                f"Verifying Usage Plan for request: {RID}. API Key: {MASKED} API Stage: {STAGE}",
                NOT_AUTHORIZED_KEY.format(key=MASKED),
            ),
        ),
        Case(
            "unsigned-iam",
            (),
            {
                "status": "403",
                "error.responseType": "MISSING_AUTHENTICATION_TOKEN",
                "error.message": "Missing Authentication Token",
            },
            (),
            method_known=True,
        ),
        Case(
            "invalid-signature",
            (),
            {"status": "403", "error.responseType": "INVALID_SIGNATURE", "error.message": SIGNATURE_MISMATCH},
            (),
        ),
        Case(
            "expired-signature",
            (),
            {"status": "403", "error.responseType": "INVALID_SIGNATURE", "error.message": SIGNATURE_EXPIRED},
            (),
        ),
        Case(
            "iam-access-denied",
            (),
            {"status": "403", "error.responseType": "ACCESS_DENIED", "error.message": IAM_DENY},
            (),
        ),
        Case(
            "authorizer-deny",
            (
                *authorizer('{"principalId": "user1", "policyDocument": {"Statement": [{"Effect": "Deny"}]}}'),
                "Using valid authorizer policy for principal: ****user1",
                "Successfully completed authorizer execution",
                "The client is not authorized to perform this operation.",
            ),
            {
                "status": "403",
                "error.responseType": "ACCESS_DENIED",
                "error.message": "User is not authorized to access this resource with an explicit deny",
                "authorizer.status": "403",
            },
            (
                f"Starting authorizer: a1b2c3 for request: {RID}",
                "The client is not authorized to perform this operation.",
            ),
        ),
        Case(
            "authorizer-unauthorized",
            (*authorizer(None), f"Unauthorized request: {RID}"),
            {"status": "401", "error.responseType": "UNAUTHORIZED", "error.message": "Unauthorized"},
            (f"Unauthorized request: {RID}",),
        ),
        Case(
            "authorizer-misconfigured",
            (
                *authorizer('{"errorMessage": "boom", "errorType": "RuntimeError"}'),
                'Execution failed due to configuration error: Invalid JSON in response: Unrecognized field "errorType" '
                ", not marked as ignorable",
                "AuthorizerConfigurationException",
            ),
            {"status": "500", "error.responseType": "AUTHORIZER_CONFIGURATION_ERROR"},
            (
                'Execution failed due to configuration error: Invalid JSON in response: Unrecognized field "errorType" '
                ", not marked as ignorable",
                "AuthorizerConfigurationException",
            ),
        ),
        Case(
            "throttled",
            (),
            {"status": "429", "error.responseType": "THROTTLED", "error.message": "Too Many Requests"},
            (),
        ),
        Case(
            "quota-exceeded",
            (
                *head("/keyed", MASKED)[:2],
                f"API Key {MASKED} exceeded quota limit for API Stage {STAGE}: Key quota exhausted for Usage Plan ID "
                "demoplan. Limit: 5 Period: DAY",
            ),
            {"status": "429", "error.responseType": "QUOTA_EXCEEDED", "error.message": "Limit Exceeded"},
            (
                f"API Key {MASKED} exceeded quota limit for API Stage {STAGE}: Key quota exhausted for Usage Plan ID "
                "demoplan. Limit: 5 Period: DAY",
            ),
        ),
        Case(
            "integration-timeout",
            (
                *head("/slow"),
                *start("/slow"),
                *lambda_call("demo-slow"),
                "Execution failed due to a timeout error",
                "Method completed with status: 504",
            ),
            {
                "status": "504",
                "error.responseType": "INTEGRATION_TIMEOUT",
                "error.message": "Endpoint request timed out",
            },
            ("Execution failed due to a timeout error",),
        ),
        Case(
            "malformed-lambda-response",
            (
                *head(),
                *start(),
                *lambda_call("demo-malformed"),
                *lambda_response('{"status": 200, "body": {"ok": true}}'),
                MALFORMED,
                "Method completed with status: 502",
            ),
            {
                "status": "502",
                "error.responseType": "API_CONFIGURATION_ERROR",
                "integration.error": MALFORMED,
                **gateway_error,
            },
            (MALFORMED,),
        ),
        Case(
            "lambda-error",
            (
                *head(),
                *start(),
                *lambda_call("demo-failing"),
                *failing_response,
                FUNCTION_ERROR,
                "Method completed with status: 502",
            ),
            {
                "status": "502",
                "error.responseType": "INTEGRATION_FAILURE",
                "integration.error": "Lambda Customer Function Error:the demo function failed on purpose",
                **gateway_error,
            },
            # Lambda's X-Amz-Function-Error header is evidence too (the 2016 form has only it).
            (failing_response[1], FUNCTION_ERROR),
        ),
        Case(
            # A non-proxy (AWS) integration: the selection pattern maps the error to the method's 400, so the
            # access record carries no gateway response type (AWS docs, "Handling Lambda errors").
            "lambda-error-mapped",
            (
                *head(),
                *start(),
                *lambda_call("demo-orders"),
                *mapped_response,
                MAPPED_FUNCTION_ERROR,
                "Method completed with status: 400",
            ),
            {"status": "400", "error.responseType": "-", "integration.status": "200"},
            (mapped_response[1], MAPPED_FUNCTION_ERROR),
        ),
        Case(
            "lambda-permission",
            (*head(), *start(), *lambda_call("demo-locked"), INVALID_PERMISSIONS, "Method completed with status: 500"),
            # sal-blog.com iam-api-gateway-500error: a real record of a refused invoke.
            {"status": "500", "error.responseType": "API_CONFIGURATION_ERROR", **gateway_error},
            (INVALID_PERMISSIONS,),
        ),
        Case(
            "lambda-throttled",
            (
                *head(),
                *start(),
                *lambda_call("demo-busy"),
                LAMBDA_429,
                RATE_EXCEEDED,
                "Method completed with status: 500",
            ),
            {
                "status": "500",
                "error.responseType": "INTEGRATION_FAILURE",
                "integration.error": RATE_EXCEEDED,
                **gateway_error,
            },
            (LAMBDA_429, RATE_EXCEEDED),
        ),
        Case(
            "backend-5xx",
            (
                *head("/backend/{proxy+}"),
                *start("/backend/status/503"),
                "Endpoint request URI: http://127.0.0.1:38305/status/503",
                "Sending request to http://127.0.0.1:38305/status/503",
                "Received response. Status: 503, Integration latency: 1 ms",
                "Endpoint response headers: {date=Wed, 25 Nov 2026 08:52:17 GMT, content-type=application/json}",
                'Endpoint response body before transformations: {"status": 503}',
                'Method response body after transformations: {"status": 503}',
                "Method response headers: {content-type=application/json}",
                "Successfully completed execution",
                "Method completed with status: 503",
            ),
            {"status": "503", "integration.status": "503", "integration.integrationStatus": "503"},
            ("Method completed with status: 503",),
        ),
        Case(
            "integration-misconfigured",
            (
                *head("/misrouted"),
                *start("/misrouted"),
                "Endpoint request URI: http:///anything",
                "Execution failed due to configuration error: Invalid endpoint address",
                "Method completed with status: 500",
            ),
            {"status": "500", "error.responseType": "API_CONFIGURATION_ERROR", **gateway_error},
            ("Execution failed due to configuration error: Invalid endpoint address",),
        ),
        Case(
            "mapping-error",
            (
                *head("/mock"),
                *start("/mock"),
                "Execution failed due to configuration error: statusCode should be an integer which defined in "
                "request template",
                "Method completed with status: 500",
            ),
            {"status": "500", "error.responseType": "API_CONFIGURATION_ERROR", **gateway_error},
            (
                "Execution failed due to configuration error: statusCode should be an integer which defined in "
                "request template",
            ),
        ),
        Case(
            "unknown-route",
            (),
            {
                "status": "403",
                "error.responseType": "MISSING_AUTHENTICATION_TOKEN",
                "error.message": "Missing Authentication Token",
            },
            (),
            method_known=False,
        ),
        Case(
            "ok",
            (
                *head("/pets/{petId}"),
                *start("/pets/1"),
                *lambda_call("demo-fast"),
                *lambda_response(payload),
                "Method response body after transformations: {}",
                "Method response headers: {Content-Type=application/json}",
                *done,
            ),
            {"status": "200", "integration.status": "200", "integration.integrationStatus": "200"},
            ("Method completed with status: 200",),
        ),
    ]


CASES = _cases()


def test_every_mode_the_logs_can_show_has_a_case(catalogue: Catalogue) -> None:
    # The front door's refusals have no request id and no log at all (lgtm-generator#10; "Monitor REST
    # APIs" for the 431): nothing to classify.
    front_door = {"request-too-large", "request-header-too-large"}
    assert sorted(case.mode for case in CASES) == sorted(set(catalogue.ids) - front_door)


@pytest.mark.parametrize("case", CASES, ids=[case.mode for case in CASES])
def test_each_mode_from_the_lines_aws_writes(case: Case, catalogue: Catalogue) -> None:
    logs = request_logs(case.lines, case.access)
    found = classify(logs, catalogue, method_known=case.method_known)
    assert (found.request_id, found.cause, found.status) == (RID, case.mode, int(case.access["status"]))
    assert found.evidence == raw(logs, *case.evidence)
    assert found.candidates[0] == case.mode


@pytest.mark.parametrize(
    "case", [case for case in CASES if case.lines], ids=[case.mode for case in CASES if case.lines]
)
def test_each_mode_from_its_execution_lines_alone(case: Case, catalogue: Catalogue) -> None:
    # An execution log without an access log (or its record not yet delivered) still names the
    # cause wherever AWS writes a line for it.
    logs = request_logs(case.lines)
    found = classify(logs, catalogue)
    if not case.evidence:
        # missing-required-param: AWS's line for it is unrecorded; only the record can tell.
        assert found.cause is None
        return
    assert found.cause == case.mode, found
    assert found.evidence == raw(logs, *case.evidence)
    assert "no access-log record: the cause rests on the execution lines" in found.notes


def test_a_request_without_any_log_has_no_cause(catalogue: Catalogue) -> None:
    found = classify(RequestLogs(RID), catalogue)
    assert found == type(found)(RID, None, None, notes=("no log lines for this request",))


def test_the_runner_up_is_named(catalogue: Catalogue) -> None:
    # A stage format without the response type, which would rule the others out: the record's
    # INTEGRATION_FAILURE is lambda-throttled's alone (lambda-permission's is API_CONFIGURATION_ERROR in a
    # real record, sal-blog.com iam-api-gateway-500error).
    case = next(case for case in CASES if case.mode == "lambda-throttled")
    found = classify(request_logs(case.lines, case.access, fmt=STATUS_ONLY), catalogue)
    assert found.notes == ("runner-up: backend-5xx (2 evidence matched, 3 for lambda-throttled)",)
    assert found.candidates[:2] == ("lambda-throttled", "backend-5xx")
    assert classify(request_logs(case.lines, case.access), catalogue).candidates == ("lambda-throttled",)


# --- traps ------------------------------------------------------------------------------------------------


def test_a_function_past_its_own_timeout_is_a_function_error_not_an_integration_timeout(catalogue: Catalogue) -> None:
    # apigw-reference.md "Integration timeout"; lambda-error and integration-timeout distinguish-from.
    error = (
        "Lambda execution failed with status 200 due to customer function error: 2026-11-25T08:52:18.855Z "
        f"{LAMBDA_RID} Task timed out after 0.30 seconds. Lambda request id: {LAMBDA_RID}"
    )
    lines = [
        *head("/overrun"),
        *start("/overrun"),
        *lambda_call("demo-overrun"),
        error,
        "Method completed with status: 502",
    ]
    access = {
        "status": "502",
        "error.responseType": "INTEGRATION_FAILURE",
        "integration.error": "Lambda Customer Function Error:2026-11-25T08:52:18.855Z "
        f"{LAMBDA_RID} Task timed out after 0.30 seconds",
    }
    for logs in (request_logs(lines, access), request_logs(lines)):
        found = classify(logs, catalogue)
        assert (found.cause, found.status) == ("lambda-error", 502)
        assert found.evidence == raw(logs, error)
        assert (
            "the function stopped at its own timeout (Task timed out) before the integration's timeoutInMillis: "
            "a function error, 502, not integration-timeout (504)"
        ) in found.notes
        assert "integration-timeout" not in found.candidates


def test_malformed_response_after_lambdas_429_headers_is_a_throttled_invoke(catalogue: Catalogue) -> None:
    # The real 2018 log (apigw-reference.md "Lambda proxy integration"): 502, "Malformed Lambda proxy
    # response", x-amzn-ErrorType=TooManyRequestsException among the endpoint response headers.
    headers = (
        "Endpoint response headers: {Connection=keep-alive, x-amzn-RequestId=0a2d6f5b-f7a4-11e8-9d6c-b5e4a4a1c9d3, "
        "x-amzn-ErrorType=TooManyRequestsException, Date=Tue, 04 Dec 2018 15:04:15 GMT, Content-Length=169, "
        "Retry-After=1, Content-Type=application/json}"
    )
    body = (
        'Endpoint response body before transformations: {"Reason":"ReservedFunctionConcurrentInvocationLimitExceeded",'
        '"Type":"User","message":"Rate Exceeded."}'
    )
    lines = [
        *start(),
        *lambda_call("busy"),
        "Received response. Integration latency: 8 ms",
        headers,
        body,
        MALFORMED,
        "Method completed with status: 502",
    ]
    for logs in (request_logs(lines, {"status": "502"}), request_logs(lines)):
        found = classify(logs, catalogue)
        assert (found.cause, found.status) == ("lambda-throttled", 502)
        assert found.evidence == raw(logs, headers, MALFORMED)
        assert found.notes[0].startswith("Lambda's own 429 (x-amzn-ErrorType=TooManyRequestsException")
        assert found.candidates[:2] == ("lambda-throttled", "malformed-lambda-response")


def test_a_malformed_response_without_lambdas_429_stays_malformed(catalogue: Catalogue) -> None:
    lines = [
        *start(),
        *lambda_call("x"),
        *lambda_response('{"status": 200}'),
        MALFORMED,
        "Method completed with status: 502",
    ]
    assert classify(request_logs(lines, {"status": "502"}), catalogue).cause == "malformed-lambda-response"


def test_success_then_a_mapped_4xx_is_not_ok(catalogue: Catalogue) -> None:
    # ok's distinguish-from; apigw-reference.md "Failure lines": the final status decides.
    lines = [
        *head("/http"),
        *start("/http"),
        "Endpoint request URI: http://backend.internal/thing",
        "Sending request to http://backend.internal/thing",
        "Received response. Status: 200, Integration latency: 4 ms",
        "Method response body after transformations: {}",
        "Successfully completed execution",
        "Method completed with status: 400",
    ]
    for logs in (request_logs(lines, {"status": "400", "integration.status": "200"}), request_logs(lines)):
        found = classify(logs, catalogue)
        assert (found.cause, found.status, found.candidates) == (None, 400, ())
        assert (
            "'Successfully completed execution' is logged before the final status 400: the final status decides"
        ) in found.notes
        assert found.notes[0].startswith("no catalogue mode fits: status 400")


def test_quota_and_throttle_are_told_apart_by_their_type(catalogue: Catalogue) -> None:
    for kind, mode in (("QUOTA_EXCEEDED", "quota-exceeded"), ("THROTTLED", "throttled")):
        found = classify(request_logs([], {"status": "429", "error.responseType": kind}), catalogue)
        assert found.cause == mode


def test_quota_and_throttle_are_told_apart_by_their_lines(catalogue: Catalogue) -> None:
    quota = (
        f"API Key {MASKED} exceeded quota limit for API Stage {STAGE}: Key quota exhausted for Usage Plan ID plan1. "
        "Limit: 200 Period: DAY"
    )
    # apigw-reference.md (KC "api-gateway-429-limit"): the usage-plan throttle line.
    throttle = (
        f"API Key {MASKED} exceeded throttle limit for API Stage {STAGE}: Key throttle limit exceeded for Usage Plan "
        "ID plan1, RestApi demo4pi0x1, Stage demo, Resource k0w8mc, HttpMethod GET. Limit: 5.00 Burst: 10"
    )
    # A format that logs no responseType: the status alone fits both; the line decides.
    for line, mode in ((quota, "quota-exceeded"), (throttle, "throttled")):
        lines = [*head("/keyed", MASKED)[:2], line]
        for logs in (request_logs(lines, {"status": "429"}, fmt=STATUS_ONLY), request_logs(lines)):
            found = classify(logs, catalogue)
            assert (found.cause, found.evidence) == (mode, raw(logs, line)), found


def test_method_throttling_without_a_key_is_throttled_by_its_line(catalogue: Catalogue) -> None:
    # A real execution log of 2019 (apigw-http-reference.md, last section): no key, no plan id.
    line = (
        "Key throttle limit exceeded for RestApi demo4pi0x1, Stage demo, Resource k0w8mc, HttpMethod POST. "
        "Limit: 1.00 Burst: 1"
    )
    lines = [head("/limited", "")[1], line, "Method completed with status: 429"]
    for logs in (request_logs(lines, {"status": "429"}, fmt=STATUS_ONLY), request_logs(lines)):
        found = classify(logs, catalogue)
        assert (found.cause, found.evidence) == ("throttled", raw(logs, line)), found


def test_a_429_with_neither_type_nor_line_is_left_open(catalogue: Catalogue) -> None:
    found = classify(request_logs([], {"status": "429"}, fmt=STATUS_ONLY), catalogue)
    assert (found.cause, set(found.candidates)) == (None, {"throttled", "quota-exceeded"})
    assert found.notes[0].startswith("the logs fit ")
    assert "(only the status)" in found.notes[0]


@pytest.mark.parametrize(
    ("known", "cause", "note"),
    [
        (True, "unsigned-iam", "the route exists, so Missing Authentication Token means an unsigned call"),
        (False, "unknown-route", "no resource and method of the stage match the request"),
        (
            None,
            "unknown-route",
            "unknown-route or unsigned-iam: the logs cannot tell them apart (same 403, type and message); "
            "whether the route exists decides",
        ),
    ],
)
def test_missing_authentication_token_is_decided_by_the_route(
    known: bool | None, cause: str, note: str, catalogue: Catalogue
) -> None:
    access = {
        "status": "403",
        "error.responseType": "MISSING_AUTHENTICATION_TOKEN",
        "error.message": "Missing Authentication Token",
    }
    logs = request_logs([], access)
    found = classify(logs, catalogue, method_known=known)
    assert (found.cause, found.evidence, found.notes) == (cause, raw(logs), (note,))
    assert set(found.candidates) == {"unknown-route", "unsigned-iam"} and found.candidates[0] == cause


def test_the_key_lines_decide_between_missing_and_invalid_keys(catalogue: Catalogue) -> None:
    access = {"status": "403", "error.responseType": "INVALID_API_KEY", "error.message": "Forbidden"}
    # Without execution lines the record alone cannot tell them apart (their distinguish-from).
    found = classify(request_logs([], access), catalogue)
    assert (found.cause, found.candidates) == (None, ("missing-api-key", "invalid-api-key"))
    assert found.notes[0] == (
        "the logs fit missing-api-key, invalid-api-key equally (the same evidence); nothing logged tells them apart"
    )


def test_an_authorizers_permission_error_is_not_the_integrations(catalogue: Catalogue) -> None:
    # authorizer-misconfigured and lambda-permission distinguish-from: "Invalid permissions on Lambda
    # function" followed by "Authorizer error" and "AuthorizerConfigurationException".
    lines = [
        *authorizer(None),
        INVALID_PERMISSIONS,
        "Execution failed due to configuration error: Authorizer error",
        "AuthorizerConfigurationException",
    ]
    for logs in (request_logs(lines, {"status": "500", "error.responseType": "AUTHORIZER_CONFIGURATION_ERROR"}),
                 request_logs(lines)):  # fmt: skip
        found = classify(logs, catalogue)
        assert found.cause == "authorizer-misconfigured"
        assert found.evidence == raw(
            logs, "Execution failed due to configuration error: Authorizer error", "AuthorizerConfigurationException"
        )


def test_a_fallback_type_in_the_record_does_not_hide_the_cause(catalogue: Catalogue) -> None:
    # azul#7470: some 400s are logged DEFAULT_4XX; the message names the missing parameters.
    access = {
        "status": "400",
        "error.responseType": "DEFAULT_4XX",
        "error.message": "Missing required request parameters: [q]",
    }
    found = classify(
        request_logs([*head("/search"), *start("/search"), "Method completed with status: 400"], access), catalogue
    )
    assert found.cause == "missing-required-param"
    assert found.notes[0].startswith(
        "the access log names DEFAULT_4XX where missing-required-param has BAD_REQUEST_PARAMETERS"
    )


def test_incomplete_signature_on_an_unknown_route(catalogue: Catalogue) -> None:
    # apigw-reference.md: a Bearer token on an unknown route is 403 IncompleteSignatureException,
    # logged DEFAULT_4XX, instead of Missing Authentication Token.
    message = (
        "Invalid key=value pair (missing equal-sign) in Authorization header (hashed with SHA-256 and encoded with "
        "Base64): 'Tm90IGEgcmVhbCB0b2tlbg='."
    )
    logs = request_logs([], {"status": "403", "error.responseType": "DEFAULT_4XX", "error.message": message})
    found = classify(logs, catalogue)
    assert (found.cause, found.evidence) == ("unknown-route", raw(logs))
    iam = "Authorization header requires 'Credential' parameter. Authorization=Bearer abc"
    other = classify(
        request_logs([], {"status": "403", "error.responseType": "DEFAULT_4XX", "error.message": iam}), catalogue
    )
    assert other.cause is None and other.notes[0].startswith("IncompleteSignatureException: an Authorization header")


def test_a_truncated_line_leaves_the_record_to_decide(catalogue: Catalogue) -> None:
    # Execution lines are cut at 1 KB and end " [TRUNCATED]" (AWS docs, execution logging); cut
    # inside the words lambda-error's pattern starts with, the line no longer shows the mode.
    # Lambda's X-Amz-Function-Error header, evidence too, is left out here.
    cut = FUNCTION_ERROR[:40] + " [TRUNCATED]"
    case = next(case for case in CASES if case.mode == "lambda-error")
    lines = [
        line.replace("X-Amz-Function-Error=Unhandled, ", "") if line != FUNCTION_ERROR else cut for line in case.lines
    ]
    found = classify(request_logs(lines, case.access), catalogue)
    assert found.cause == "lambda-error"
    assert found.notes[0].startswith("none of lambda-error's execution-log lines is among this request's lines")


def test_a_status_only_record_fitting_several_modes_is_left_open(catalogue: Catalogue) -> None:
    clf = f'203.0.113.7 - - [27/Oct/2023:13:40:57 +0000] "GET /pets HTTP/1.1" 504 41 {RID}'
    record = parse_access_record(clf)
    assert record is not None
    found = classify(RequestLogs(RID, (), record), catalogue)
    assert (found.cause, found.candidates[:2]) == (None, ("integration-timeout", "backend-5xx"))
    # The same record with the execution lines decides.
    case = next(case for case in CASES if case.mode == "integration-timeout")
    lines = parse_execution_events([LogEvent(GROUP, STREAM, 0, f"({RID}) {line}") for line in case.lines])
    logs = group_by_request(lines, [record])[RID]
    assert classify(logs, catalogue).cause == "integration-timeout"


def test_a_wafs_403_matches_no_mode(catalogue: Catalogue) -> None:
    logs = request_logs([], {"status": "403", "error.responseType": "WAF_FILTERED", "error.message": "Forbidden"})
    found = classify(logs, catalogue)
    assert (found.cause, found.evidence) == (None, raw(logs))
    assert found.notes == (
        "no catalogue mode fits: status 403, error.responseType 'WAF_FILTERED', error.message 'Forbidden'",
    )


def test_a_backend_5xx_is_not_a_gateway_5xx_from_lines_alone(catalogue: Catalogue) -> None:
    # Every gateway 5xx also ends "Method completed with status: 5xx"; its own line is more specific.
    case = next(case for case in CASES if case.mode == "lambda-error")
    found = classify(request_logs(case.lines), catalogue)
    assert found.candidates[0] == "lambda-error"
    assert "backend-5xx" in found.candidates[1:]


# --- every line format ------------------------------------------------------------------------------------


def test_the_older_unprefixed_form_classifies(catalogue: Catalogue) -> None:
    case = next(case for case in CASES if case.mode == "lambda-error")
    text = "\n".join(f"2016-10-01T10:55:45.{n:03d}Z {line}" for n, line in enumerate(case.lines))
    lines, _ = parse_text(text, "old.log")
    groups = group_by_request(lines, [])
    assert list(groups) == [RID]
    # The Extended Request Id line comes before any line that names the request: it names none.
    assert len(groups[RID].execution) == len(case.lines) - 1
    assert classify(groups[RID], catalogue).cause == "lambda-error"


def test_the_console_form_classifies(catalogue: Catalogue) -> None:
    case = next(case for case in CASES if case.mode == "integration-timeout")
    text = f"Execution log for request {RID}\n" + "\n".join(
        f"Wed Nov 25 08:52:18 UTC 2026 : {line}" for line in case.lines[1:]
    )
    lines, _ = parse_text(text, "console.txt")
    found = classify(group_by_request(lines, [])[RID], catalogue)
    assert (found.cause, found.status) == ("integration-timeout", 504)


def test_iso_prefixed_lines_and_a_clf_record_classify(catalogue: Catalogue) -> None:
    case = next(case for case in CASES if case.mode == "invalid-body")
    text = "\n".join(
        [
            *(f"2023-10-27T13:40:57.{n:03d}Z ({RID}) {line}" for n, line in enumerate(case.lines)),
            f'203.0.113.7 - - [27/Oct/2023:13:40:57 +0000] "POST /pets HTTP/1.1" 400 24 {RID} 0FlNpjycb9cHCCA=',
        ]
    )
    lines, records = parse_text(text, "mixed.txt")
    found = classify(group_by_request(lines, records)[RID], catalogue)
    assert (found.cause, found.status) == ("invalid-body", 400)
    assert found.evidence[0].startswith("203.0.113.7 - - [27/Oct/2023:13:40:57 +0000]")


def test_an_access_records_integration_error_is_read_like_its_execution_line(catalogue: Catalogue) -> None:
    # sal-blog.com iam-api-gateway-500error: a record whose integration error names the cause, no lines.
    access = {
        "status": "500",
        "error.responseType": "API_CONFIGURATION_ERROR",
        "integration.error": "Execution failed due to configuration error: Invalid permissions on Lambda function",
    }
    found = classify(request_logs([], access), catalogue)
    assert (found.cause, found.status) == ("lambda-permission", 500)


def test_an_integration_error_already_logged_as_a_line_is_not_counted_twice(catalogue: Catalogue) -> None:
    error = "Execution failed due to configuration error: Invalid permissions on Lambda function"
    access = {"status": "500", "error.responseType": "API_CONFIGURATION_ERROR", "integration.error": error}
    logs = request_logs([error, "Method completed with status: 500"], access)
    found = classify(logs, catalogue)
    assert found.cause == "lambda-permission"
    assert sum(line.endswith(error) for line in found.evidence) == 1


def test_multi_line_events_classify(catalogue: Catalogue) -> None:
    case = next(case for case in CASES if case.mode == "lambda-permission")
    event = LogEvent(GROUP, STREAM, 0, "\n".join(f"({RID}) {line}" for line in case.lines))
    found = classify(group_by_request(parse_execution_events([event]), [])[RID], catalogue)
    assert found.cause == "lambda-permission"


def test_classify_all_takes_route_knowledge_by_request(catalogue: Catalogue) -> None:
    access = {
        "status": "403",
        "error.responseType": "MISSING_AUTHENTICATION_TOKEN",
        "error.message": "Missing Authentication Token",
    }
    other = "b00e390d-81a4-480e-b6db-71e81f7be379"
    groups = {RID: request_logs([], access), other: request_logs([], access, request_id=other)}
    found = classify_all(groups, catalogue, method_known={RID: True})
    assert (found[RID].cause, found[other].cause) == ("unsigned-iam", "unknown-route")


def test_literal_prefixes_index_the_catalogues_patterns(catalogue: Catalogue) -> None:
    classifier = Classifier(catalogue)
    # Every pattern of the catalogue is anchored with a long literal start: none is tried on every line.
    assert classifier._always == ()


# --- the demo scenario, end to end ----------------------------------------------------------------------


def _log_events(target: Any) -> tuple[list[LogEvent], list[LogEvent]]:
    client = boto3.client(
        "logs",
        endpoint_url=target.logs_endpoint,
        region_name=target.region,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    found: list[list[LogEvent]] = []
    for group in (target.execution_log_group, target.access_log_group):
        events: list[LogEvent] = []
        for page in client.get_paginator("filter_log_events").paginate(logGroupName=group):
            events.extend(LogEvent(group, e["logStreamName"], e["timestamp"], e["message"]) for e in page["events"])
        found.append(events)
    return found[0], found[1]


def test_every_demo_probe_classifies_as_its_own_mode(catalogue: Catalogue) -> None:
    import time

    from gatecrash.emulator.routing import Router
    from gatecrash.run import resolve_secrets
    from gatecrash.runner.fire import Runner
    from gatecrash.scenario import Probe, load_scenario
    from gatecrash.target import open_target
    from tests.conftest import DEMO

    scenario = load_scenario(DEMO / "scenario.yaml", catalogue.ids)
    with open_target(scenario.target) as target:
        secrets = resolve_secrets(scenario, target)
        records = asyncio.run(Runner(scenario, target, secrets).run())
        if target.flush_logs is not None:
            target.flush_logs()
        time.sleep(0.3)  # the moto server stores a batch shortly after the shipper hands it over
        execution, access = _log_events(target)
    assert target.api is not None
    router = Router(target.api.methods)
    groups = group_by_request(
        parse_execution_events(execution),
        [record for record in map(parse_access_record, (event.message for event in access)) if record is not None],
    )
    checked = 0
    for record in records:
        mode = catalogue.get(record.step.mode)
        observations = list(record.observations)
        if isinstance(record.step, Probe) and record.step.judge.value == "last":
            observations = observations[-1:]
        request = record.step.request
        known = router.match(request.path.split("?")[0], request.method) is not None
        for observation in observations:
            if observation.status is None or not mode.status_matches(observation.status):
                continue  # a burst's accepted requests
            if not mode.evidence.access_log_expected:
                assert observation.request_id is None, record.step.name  # the front door's 413
                continue
            assert observation.request_id in groups, (record.step.name, "no logs")
            found = classify(groups[observation.request_id], catalogue, method_known=known)
            assert found.cause == mode.id, (record.step.name, found)
            assert found.status == observation.status, (record.step.name, found)
            assert found.evidence and json.loads(found.evidence[0])["requestId"] == observation.request_id
            checked += 1
    assert checked >= len(records) - 1  # all but the 413
