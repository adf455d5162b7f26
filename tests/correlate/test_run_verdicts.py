"""Whole runs with correlation: a cause proven, a wrong cause caught, a lossy log group left unconfirmed."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from gatecrash.catalogue import load_catalogue
from gatecrash.emulator.cloudwatch import CloudWatchLogSink
from gatecrash.run import RunOptions, RunResult, run_scenario
from gatecrash.runner.verdict import Verdict
from gatecrash.scenario import load_scenario
from tests.conftest import DEMO

SCENARIO = f"""\
target: {{emulator: {{definition: {DEMO}/api.yaml, side-file: {DEMO}/stage.yaml}}}}
limits: {{max-requests: 20, max-duration: 60s}}
probes:
  - {{name: raises, mode: lambda-error, request: {{method: GET, path: /failing}}}}
  - {{name: malformed taken for a function error, mode: lambda-error, request: {{method: GET, path: /malformed}}}}
  - {{name: own timeout as the integration's, mode: integration-timeout, request: {{method: GET, path: /overrun}}}}
  - {{name: slow, mode: integration-timeout, request: {{method: GET, path: /slow}}}}
  - {{name: unknown route, mode: unknown-route, request: {{method: GET, path: /nowhere}}}}
"""


DEFAULT = RunOptions()


def run(tmp_path: Path, options: RunOptions = DEFAULT) -> dict[str, tuple[Verdict, str, str | None]]:
    path = tmp_path / "scenario.yaml"
    path.write_text(textwrap.dedent(SCENARIO))
    catalogue = load_catalogue()
    result: RunResult = run_scenario(load_scenario(path, catalogue.ids), catalogue, options)
    return {r.name: (r.verdict, r.reason, r.observed_cause) for r in result.results}


def test_causes_are_proven_or_refuted_from_the_logs(tmp_path: Path) -> None:
    verdicts = run(tmp_path)
    # The demo stage logs data trace and the access record logs the User-Agent: both carry the tag.
    own = "confirmed from the gateway's logs of its own request (its tag in the execution log and access log)"
    assert verdicts["raises"] == (Verdict.CONFIRMED, own, "lambda-error")
    assert verdicts["slow"][0] is Verdict.CONFIRMED
    # Refused before execution: no request headers line; the access record's User-Agent names it.
    assert verdicts["unknown route"][:2] == (
        Verdict.CONFIRMED,
        "confirmed from the gateway's logs of its own request (its tag in the access log)",
    )
    # Same status and error type, another cause: only the logs can tell.
    # The reason names both causes and the line that decided, in one line: not the access record.
    verdict, reason, cause = verdicts["malformed taken for a function error"]
    assert (verdict, cause) == (Verdict.WRONG_CAUSE, "malformed-lambda-response")
    assert reason == (
        "status 502 as expected, but the logs show malformed-lambda-response, not lambda-error "
        '(execution log "Execution failed due to configuration error: Malformed Lambda proxy response")'
    )
    # A Lambda past its own timeout is a 502 function error, not the integration's 504: the reason says
    # so from the access record, with the request id and time of the function's message left out.
    verdict, reason, cause = verdicts["own timeout as the integration's"]
    assert (verdict, cause) == (Verdict.WRONG_STATUS, "lambda-error")
    assert reason == (
        "expected 504 (integration-timeout), got 502 InternalServerErrorException: the logs show lambda-error "
        '(access log error.responseType=INTEGRATION_FAILURE, integration.error="Lambda Customer Function Error:… '
        'Task timed out after 0.30 seconds")'
    )


def test_a_log_group_that_loses_events_leaves_probes_unconfirmed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = CloudWatchLogSink.emit

    def lossy(self: CloudWatchLogSink, group: str, stream: str, timestamp_ms: int, message: str) -> None:
        if "/failing" in message or "Lambda execution failed" in message or "X-Amz-Function-Error" in message:
            return  # this request's events never arrive
        original(self, group, stream, timestamp_ms, message)

    monkeypatch.setattr(CloudWatchLogSink, "emit", lossy)
    verdicts = run(tmp_path, RunOptions(logs_deadline_s=1.5))
    verdict, reason, _ = verdicts["raises"]
    assert verdict is Verdict.UNCONFIRMED
    assert reason.startswith("incomplete logs for request ")
    assert reason.endswith(": no access-log record by the deadline")
    assert verdicts["slow"][0] is Verdict.CONFIRMED


def test_no_logs_keeps_the_status_verdicts(tmp_path: Path) -> None:
    verdicts = run(tmp_path, RunOptions(correlate=False))
    assert verdicts["raises"] == (
        Verdict.UNCONFIRMED,
        "status and x-amzn-ErrorType as expected; logs not read (--no-logs)",
        None,
    )
    assert verdicts["malformed taken for a function error"][0] is Verdict.UNCONFIRMED
