"""Runs for the report tests: the demo scenario run for real, and one built by hand with every verdict."""

from __future__ import annotations

import functools
import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from gatecrash.catalogue import Catalogue, load_catalogue
from gatecrash.correlate.model import DecisiveEvidence
from gatecrash.emulator.accesslog import DEFAULT_FIELDS
from gatecrash.run import RunResult, run_scenario
from gatecrash.runner.fire import StepRecord
from gatecrash.runner.record import Observation, SentRequest
from gatecrash.runner.verdict import StepResult, Verdict
from gatecrash.scenario import load_scenario
from gatecrash.scenario.model import Burst, EmulatorTarget, Limits, Probe, RequestSpec, Scenario
from gatecrash.target import LiveTarget
from tests.conftest import DEMO

STARTED = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
BASE_URL = "https://abc123.execute-api.eu-west-1.amazonaws.com/prod"
# Untrusted text as a target could send it: markup, and a control character XML 1.0 cannot carry.
HOSTILE_BODY = '\x1b[31m<script>alert("gotcha")</script><img src=x onerror=alert(1)>'
MALFORMED = "Execution failed due to configuration error: Malformed Lambda proxy response"


def access_record(**values: str) -> str:
    """An access record as the emulator writes it in its default format: every field, `-` where unset."""
    names = {name.replace(".", "_"): name for name in DEFAULT_FIELDS}
    given = {names[key]: value for key, value in values.items()}
    return json.dumps({name: given.get(name, "-") for name in DEFAULT_FIELDS}, separators=(",", ":"))


# The malformed proxy response's record, as the emulator logged it for the demo's /malformed.
MALFORMED_RECORD = access_record(
    requestId="req-d-0",
    extendedRequestId="ext-d-0=",
    identity_sourceIp="127.0.0.1",
    requestTime="02/Jan/2026:03:04:05 +0000",
    requestTimeEpoch="1767323045040",
    httpMethod="GET",
    resourcePath="/boom",
    path="/prod/boom",
    status="502",
    protocol="HTTP/1.1",
    responseLength="36",
    responseLatency="1",
    error_message="Internal server error",
    error_responseType="API_CONFIGURATION_ERROR",
    integration_integrationStatus="200",
    integration_error=MALFORMED,
    integration_latency="1",
    integration_requestId="3763ecb9-6cec-4dcb-bd6a-9556e3e1f47b",
    integrationLatency="1",
)


@functools.cache
def demo_run() -> RunResult:
    """The demo scenario, run once per test session on the emulator (no AWS variables in sight)."""
    with pytest.MonkeyPatch.context() as patch:
        for name in [name for name in os.environ if name.startswith("AWS_")]:
            patch.delenv(name)
        patch.setenv("AWS_CONFIG_FILE", os.devnull)
        patch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
        catalogue = load_catalogue()
        return run_scenario(load_scenario(DEMO / "scenario.yaml", catalogue.ids), catalogue)


def _observation(
    step: str,
    index: int,
    path: str,
    at_ms: float,
    status: int | None,
    *,
    took_ms: float = 20.0,
    error_type: str | None = None,
    body: str = "",
    error: str | None = None,
) -> Observation:
    request = SentRequest(
        "GET", BASE_URL + path, (("X-Gatecrash-Probe", f"run0/{step}/{index}"), ("x-api-key", "[redacted]")), "", 0
    )
    sent = STARTED.timestamp() + at_ms / 1000
    headers: list[tuple[str, str]] = []
    if status is not None:
        headers = [("x-amzn-requestid", f"req-{step}-{index}"), ("x-amz-apigw-id", f"ext-{step}-{index}=")]
    if error_type is not None:
        headers.append(("x-amzn-errortype", error_type))
    received = None if status is None else sent + took_ms / 1000
    return Observation(step, index, request, sent, received, status, tuple(headers), body, error)


def _probe(name: str, mode: str, path: str) -> Probe:
    return Probe(name, mode, RequestSpec("GET", path))


def constructed_results(catalogue: Catalogue) -> tuple[StepResult, ...]:
    """One probe per verdict (and a burst), with evidence lines as the correlator writes them."""
    throttled, timeout = catalogue.get("throttled"), catalogue.get("integration-timeout")
    unknown, lambda_error = catalogue.get("unknown-route"), catalogue.get("lambda-error")
    wrong_status = StepResult(
        StepRecord(
            _probe("limited <b>burst</b>", "throttled", "/limited"), (_observation("a", 0, "/limited", 10, 200),)
        ),
        throttled,
        Verdict.WRONG_STATUS,
        'expected 429 (throttled), got 200: the logs show ok (execution log "Method completed with status: 200")',
        observed_cause="ok",
        evidence=(
            '{"requestId":"req-a-0","status":"200","error.responseType":"-"}',
            f"(req-a-0) Endpoint response body before transformations: {HOSTILE_BODY}",
            "(req-a-0) Method completed with status: 200",
        ),
        decisive=(
            DecisiveEvidence("200", "status"),
            DecisiveEvidence("-", "error.responseType"),
            DecisiveEvidence("Method completed with status: 200"),
        ),
    )
    error = StepResult(
        StepRecord(
            _probe("slow backend", "integration-timeout", "/slow"),
            (_observation("b", 0, "/slow", 20, None, error="timeout"),),
        ),
        timeout,
        Verdict.ERROR,
        "timeout",
    )
    confirmed = StepResult(
        StepRecord(
            _probe("unknown route", "unknown-route", "/nowhere"),
            (_observation("c", 0, "/nowhere", 30, 403, error_type="MissingAuthenticationTokenException"),),
        ),
        unknown,
        Verdict.CONFIRMED,
        "Unknown route: confirmed from the gateway's logs",
        observed_cause="unknown-route",
        evidence=('{"requestId":"req-c-0","status":"403","error.responseType":"MISSING_AUTHENTICATION_TOKEN"}',),
        decisive=(
            DecisiveEvidence("403", "status"),
            DecisiveEvidence("MISSING_AUTHENTICATION_TOKEN", "error.responseType"),
        ),
    )
    wrong_cause = StepResult(
        StepRecord(
            _probe("function that raises", "lambda-error", "/boom"),
            (_observation("d", 0, "/boom", 40, 502, error_type="InternalServerErrorException", body=HOSTILE_BODY),),
        ),
        lambda_error,
        Verdict.WRONG_CAUSE,
        "status 502 as expected, but the logs show malformed-lambda-response, not lambda-error "
        f'(execution log "{MALFORMED}")',
        observed_cause="malformed-lambda-response",
        evidence=(MALFORMED_RECORD, f"(req-d-0) {MALFORMED}", "(req-d-0) Method completed with status: 502"),
        decisive=(DecisiveEvidence("502", "status"), DecisiveEvidence(MALFORMED)),
    )
    burst = Burst("burst of three", "throttled", RequestSpec("GET", "/limited"), 3)
    answers = (
        _observation("e", 0, "/limited", 100, 200, took_ms=5),
        _observation("e", 1, "/limited", 101, 200, took_ms=7),
        _observation("e", 2, "/limited", 101, 429, took_ms=250, error_type="TooManyRequestsException"),
    )
    unconfirmed = StepResult(
        StepRecord(burst, answers, release_spread_ms=1.25),
        throttled,
        Verdict.UNCONFIRMED,
        "200: 2, 429: 1; no log events for request req-e-2 by the deadline",
    )
    return wrong_status, error, confirmed, wrong_cause, unconfirmed


def constructed_run() -> RunResult:
    catalogue = load_catalogue()
    results = constructed_results(catalogue)
    scenario = Scenario(
        source=Path("scenarios/hand-made.yaml"),
        name="hand-made",
        target=EmulatorTarget(definition=Path("api.yaml")),
        limits=Limits(max_requests=10, max_duration_s=60),
        steps=tuple(result.record.step for result in results),
    )
    target = LiveTarget(
        description="AWS abc123/prod (eu-west-1)",
        base_url=BASE_URL,
        region="eu-west-1",
        rest_api_id="abc123",
        stage="prod",
        logs_endpoint=None,
        execution_log_group="API-Gateway-Execution-Logs_abc123/prod",
        access_log_group="prod-access",
    )
    return RunResult(scenario, target, "run0", STARTED, STARTED + timedelta(seconds=1.5), results, version="9.9.9")
