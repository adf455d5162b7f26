"""What correlation costs: log events parsed and classified per second on one core, and the time to
correlate a 10,000-request run once its logs are at hand.

Run: .venv/bin/python bench/correlate.py [--requests 10000] [--rounds 5]

The events are shaped like the emulator's (src/gatecrash/emulator/app.py, integrations.py), which
copies the lines AWS writes at INFO with data trace (apigw-reference.md, "Execution logs"); access
records are rendered by the emulator's own `accesslog.render` with its default JSON format. The
mix of causes is fixed (seeded), about 20 events per request. Everything runs in this process on
one thread: events/s is per core.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from gatecrash.catalogue import load_catalogue
from gatecrash.correlate.classify import classify_all
from gatecrash.correlate.model import Classification, LogEvent
from gatecrash.correlate.parse import group_by_request, parse_access_record, parse_execution_events, parse_text
from gatecrash.emulator import accesslog

API = "a1b2c3d4e5"
STAGE = "prod"
EXECUTION_GROUP = f"API-Gateway-Execution-Logs_{API}/{STAGE}"
ACCESS_GROUP = "gatecrash-bench-access"
STREAMS = tuple(f"{index:032x}" for index in range(1, 5))
LAMBDA_URI = "https://lambda.us-east-1.amazonaws.com/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:{name}/invocations"
MASKED_KEY = "*" * 34 + "abcdef"


@dataclass(frozen=True, slots=True)
class Request:
    request_id: str
    path: str
    cause: str


def _head(rid: str, path: str, key: str = "", required: bool = False) -> list[str]:
    lines = [
        "Extended Request Id: Xy9_AbCdEFcFQ8g=",
        f"Verifying Usage Plan for request: {rid}. API Key: {key} API Stage: {API}/{STAGE}",
    ]
    if not required:
        lines += [
            f"API Key {key} authorized because method 'GET {path}' does not require API Key. "
            "Request will not contribute to throttle or quota limits",
            f"Usage Plan check succeeded for API Key {key} and API Stage {API}/{STAGE}",
        ]
    return lines


def _start(rid: str, path: str, body: str = "") -> list[str]:
    return [
        f"Starting execution for request: {rid}",
        f"HTTP Method: GET, Resource Path: {path}",
        "Method request path: {}",
        "Method request query string: {limit=10}",
        "Method request headers: {host=api.example.com, accept=*/*, accept-encoding=gzip, deflate, "
        "connection=keep-alive, user-agent=python-httpx/0.28.1, x-amzn-trace-id=Root=1-6b06a1c2-a836e5c05d}",
        f"Method request body before transformations: {body}",
    ]


def _lambda_call(rid: str, path: str, name: str) -> list[str]:
    uri = LAMBDA_URI.format(name=name)
    return [
        f"Endpoint request URI: {uri}",
        f"Endpoint request headers: {{x-amzn-lambda-integration-tag={rid}, X-Amz-Date=20261125T085218Z, "
        f"x-amzn-apigateway-api-id={API}, Accept=application/json, User-Agent=AmazonAPIGateway_{API}, "
        "Host=lambda.us-east-1.amazonaws.com, X-Amz-Source-Arn=arn:aws:execute-api:us-east-1:123456789012}",
        'Endpoint request body after transformations: {"resource": "' + path + '", "path": "' + path + '", '
        '"httpMethod": "GET", "headers": {"accept": "*/*", "host": "api.example.com"}, "requestContext": '
        '{"requestId": "' + rid + '", "stage": "prod"}}',
        f"Sending request to {uri}",
    ]


def _lambda_response(payload: str, error: bool = False) -> list[str]:
    error_header = "X-Amz-Function-Error=Unhandled, " if error else ""
    return [
        "Received response. Status: 200, Integration latency: 12 ms",
        "Endpoint response headers: {Date=Wed, 25 Nov 2026 08:52:18 GMT, Content-Type=application/json, "
        f"Content-Length={len(payload)}, Connection=keep-alive, x-amzn-RequestId={uuid.uuid4()}, "
        f"{error_header}X-Amz-Executed-Version=$LATEST, X-Amzn-Trace-Id=Root=1-6b06a1c2-a836e5c05d}}",
        f"Endpoint response body before transformations: {payload}",
    ]


def _done(status: int, body: str = "[]") -> list[str]:
    return [
        f"Method response body after transformations: {body}",
        "Method response headers: {Content-Type=application/json}",
        "Successfully completed execution",
        f"Method completed with status: {status}",
    ]


def execution_lines(request: Request) -> list[str]:
    """The execution messages (without the `(id) ` prefix) the gateway writes for `request`."""
    rid, path, cause = request.request_id, request.path, request.cause
    if cause in ("throttled", "unknown-route"):
        return []  # refused before execution: access log only
    if cause == "missing-api-key":
        return [
            *_head(rid, path, required=True),
            f"API Key  not authorized because method 'GET {path}' requires API Key and API Key is not associated "
            f"with a Usage Plan for API Stage {API}/{STAGE}: No Usage Plan found for key and API Stage",
        ]
    if cause == "quota-exceeded":
        return [
            *_head(rid, path, MASKED_KEY, required=True),
            f"API Key {MASKED_KEY} exceeded quota limit for API Stage {API}/{STAGE}: Key quota exhausted for "
            "Usage Plan ID plan1. Limit: 5 Period: DAY",
        ]
    lines = _head(rid, path) + _start(rid, path, '{"name": "Tom"}' if cause == "invalid-body" else "")
    if cause == "missing-required-param":
        return [*lines, "Method completed with status: 400"]
    if cause == "invalid-body":
        return [
            *lines,
            "Request body does not match model schema for content type application/json: "
            '[object has missing required properties (["kind"])]',
            "Method completed with status: 400",
        ]
    if cause == "ok-mock":
        return lines + _done(200, '[{"name": "Rex", "kind": "dog"}]')
    if cause == "backend-5xx":
        return [
            *lines,
            "Endpoint request URI: http://backend.internal/status/503",
            "Sending request to http://backend.internal/status/503",
            "Received response. Status: 503, Integration latency: 4 ms",
            "Endpoint response headers: {date=Wed, 25 Nov 2026 08:52:17 GMT, content-type=application/json}",
            'Endpoint response body before transformations: {"status": 503}',
            *_done(503, '{"status": 503}'),
        ]
    lines += _lambda_call(rid, path, cause)
    if cause == "integration-timeout":
        return [*lines, "Execution failed due to a timeout error", "Method completed with status: 504"]
    if cause == "lambda-permission":
        return [
            *lines,
            "Execution failed due to configuration error: Invalid permissions on Lambda function",
            "Method completed with status: 500",
        ]
    if cause == "lambda-throttled":
        return [
            *lines,
            f"Lambda invocation failed with status: 429. Lambda request id: {uuid.uuid4()}",
            "Execution failed due to configuration error: Rate Exceeded.",
            "Method completed with status: 500",
        ]
    if cause == "lambda-error":
        lambda_id = uuid.uuid4()
        return [
            *lines,
            *_lambda_response('{"errorMessage": "boom", "errorType": "RuntimeError"}', error=True),
            f"Lambda execution failed with status 200 due to customer function error: boom. Lambda request id: "
            f"{lambda_id}",
            "Method completed with status: 502",
        ]
    if cause == "malformed-lambda-response":
        return [
            *lines,
            *_lambda_response('{"status": 200, "body": {"ok": true}}'),
            "Execution failed due to configuration error: Malformed Lambda proxy response",
            "Method completed with status: 502",
        ]
    body = '{"path": "' + path + '", "requestId": "' + rid + '"}'
    payload = json.dumps({"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": body})
    return lines + _lambda_response(payload) + _done(200, body)


_ACCESS = {
    # cause: (status, error.responseType, error.message, integration.error, integration.status)
    "ok": ("200", None, None, None, "200"),
    "ok-mock": ("200", None, None, None, "200"),
    "lambda-error": (
        "502",
        "INTEGRATION_FAILURE",
        "Internal server error",
        "Lambda Customer Function Error:boom",
        None,
    ),
    "malformed-lambda-response": (
        "502",
        "API_CONFIGURATION_ERROR",
        "Internal server error",
        "Execution failed due to configuration error: Malformed Lambda proxy response",
        None,
    ),
    "integration-timeout": ("504", "INTEGRATION_TIMEOUT", "Endpoint request timed out", None, None),
    "invalid-body": ("400", "BAD_REQUEST_BODY", "Invalid request body", None, None),
    "missing-required-param": (
        "400",
        "BAD_REQUEST_PARAMETERS",
        "Missing required request parameters: [x-client-id, q]",
        None,
        None,
    ),
    "missing-api-key": ("403", "INVALID_API_KEY", "Forbidden", None, None),
    "quota-exceeded": ("429", "QUOTA_EXCEEDED", "Limit Exceeded", None, None),
    "throttled": ("429", "THROTTLED", "Too Many Requests", None, None),
    "unknown-route": ("403", "MISSING_AUTHENTICATION_TOKEN", "Missing Authentication Token", None, None),
    "backend-5xx": ("503", None, None, None, "503"),
    "lambda-throttled": (
        "500",
        "INTEGRATION_FAILURE",
        "Internal server error",
        "Execution failed due to configuration error: Rate Exceeded.",
        None,
    ),
    "lambda-permission": ("500", "API_CONFIGURATION_ERROR", "Internal server error", None, None),
}
# How often each cause occurs in the generated run (weights).
MIX = {
    "ok": 60,
    "ok-mock": 6,
    "lambda-error": 8,
    "malformed-lambda-response": 3,
    "integration-timeout": 3,
    "invalid-body": 3,
    "missing-required-param": 2,
    "missing-api-key": 2,
    "quota-exceeded": 2,
    "throttled": 3,
    "unknown-route": 2,
    "backend-5xx": 3,
    "lambda-throttled": 2,
    "lambda-permission": 1,
}


def access_record(request: Request) -> str:
    status, response_type, message, integration_error, integration_status = _ACCESS[request.cause]
    values = {
        "requestId": request.request_id,
        "extendedRequestId": "Xy9_AbCdEFcFQ8g=",
        "identity.sourceIp": "203.0.113.7",
        "requestTime": "25/Nov/2026:08:52:18 +0000",
        "requestTimeEpoch": "1795596738453",
        "httpMethod": "GET",
        "resourcePath": request.path if request.cause != "unknown-route" else "",
        "path": f"/{STAGE}{request.path}",
        "status": status,
        "protocol": "HTTP/1.1",
        "responseLength": "32",
        "responseLatency": "14",
    }
    optional = {
        "error.message": message,
        "error.responseType": response_type,
        "integration.error": integration_error,
        "integration.status": integration_status,
    }
    values.update({name: value for name, value in optional.items() if value is not None})
    if request.cause == "invalid-body":
        values["error.validationErrorString"] = '[object has missing required properties (["kind"])]'
    return accesslog.render(accesslog.DEFAULT_FORMAT, values)


def generate(requests: int, seed: int = 7) -> tuple[list[Request], list[LogEvent], list[LogEvent]]:
    """`requests` requests of mixed causes; their execution events and access events, in time order."""
    chooser = random.Random(seed)
    causes = chooser.choices(list(MIX), weights=list(MIX.values()), k=requests)
    run = [
        Request(str(uuid.UUID(int=chooser.getrandbits(128), version=4)), f"/r{n % 50}", c) for n, c in enumerate(causes)
    ]
    execution: list[LogEvent] = []
    access: list[LogEvent] = []
    clock = 1_795_596_738_000
    for request in run:
        stream = chooser.choice(STREAMS)
        for message in execution_lines(request):
            execution.append(LogEvent(EXECUTION_GROUP, stream, clock, f"({request.request_id}) {message}"))
        access.append(LogEvent(ACCESS_GROUP, STREAMS[0], clock, access_record(request)))
        clock += 1
    return run, execution, access


def expected_cause(request: Request) -> str:
    return "ok" if request.cause.startswith("ok") else request.cause


def correlate(execution: list[LogEvent], access: list[LogEvent]) -> dict[str, Classification]:
    catalogue = load_catalogue()
    lines = parse_execution_events(execution)
    records = [record for record in map(parse_access_record, (event.message for event in access)) if record]
    groups = group_by_request(lines, records)
    return classify_all(groups, catalogue)


T = TypeVar("T")


def _timed(action: Callable[[], T]) -> tuple[float, float, T]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = action()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--requests", type=int, default=10_000)
    options.add_argument("--rounds", type=int, default=5)
    arguments = options.parse_args()
    run, execution, access = generate(arguments.requests)
    total = len(execution) + len(access)
    print(f"{len(run):,} requests, {len(execution):,} execution events + {len(access):,} access events = {total:,}")
    load_catalogue()  # read once outside the timing (the run has it already)

    walls: list[float] = []
    cpus: list[float] = []
    outcome: dict[str, Classification] = {}
    for _ in range(arguments.rounds):
        wall, cpu, outcome = _timed(lambda: correlate(execution, access))
        walls.append(wall)
        cpus.append(cpu)
    wrong = sum(1 for request in run if outcome[request.request_id].cause != expected_cause(request))
    best, median = min(cpus), statistics.median(cpus)
    print(f"parse + group + classify, CPU s per round: best {best:.3f}, median {median:.3f} (wall {min(walls):.3f})")
    print(f"events parsed and classified per second per core: {total / best:,.0f} best, {total / median:,.0f} median")
    print(f"time to correlate the {len(run):,}-request run once its logs are present: {median * 1000:.0f} ms")
    print(f"requests classified as their generated cause: {len(run) - wrong:,} / {len(run):,}")
    _stages(execution, access)
    _export(execution, access, len(run))


def _stages(execution: list[LogEvent], access: list[LogEvent]) -> None:
    catalogue = load_catalogue()
    parse_s, _, lines = _timed(lambda: parse_execution_events(execution))
    access_s, _, parsed = _timed(lambda: [parse_access_record(event.message) for event in access])
    records = [record for record in parsed if record is not None]
    group_s, _, groups = _timed(lambda: group_by_request(lines, records))
    classify_s, _, _ = _timed(lambda: classify_all(groups, catalogue))
    print(
        f"stages (wall ms): execution lines {parse_s * 1000:.0f}, access records {access_s * 1000:.0f}, "
        f"grouping {group_s * 1000:.0f}, classifying {classify_s * 1000:.0f}"
    )


def _export(execution: list[LogEvent], access: list[LogEvent], requests: int) -> None:
    """The same run through `parse_text`, as `aws logs filter-log-events` JSON (diagnose --from-file)."""
    events = [
        {"logStreamName": event.stream, "timestamp": event.timestamp_ms, "message": event.message, "eventId": "0"}
        for event in execution + access
    ]
    text = json.dumps({"events": events, "searchedLogStreams": []})
    wall, _, (lines, records) = _timed(lambda: parse_text(text, "export.json"))
    print(
        f"parse_text of the run exported as filter-log-events JSON ({len(text) / 1e6:.0f} MB): {wall * 1000:.0f} ms, "
        f"{len(lines):,} lines, {len(records):,} records for {requests:,} requests"
    )


if __name__ == "__main__":
    main()
