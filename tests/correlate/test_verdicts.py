"""The verdict rules, from constructed results and classifications (pure)."""

from __future__ import annotations

from gatecrash.catalogue import load_catalogue
from gatecrash.correlate.model import AccessRecord, Classification, ExecutionLine, RequestLogs
from gatecrash.correlate.verdicts import confirm
from gatecrash.runner.fire import StepRecord
from gatecrash.runner.record import Observation, SentRequest
from gatecrash.runner.verdict import Verdict, judge
from gatecrash.scenario.model import Probe, RequestSpec

CATALOGUE = load_catalogue()
SENT = SentRequest("GET", "http://x/s/p", (), "", 0)


def result_for(mode: str, status: int, error_type: str | None, request_id: str | None = "r1", body: str = ""):
    headers = tuple((k, v) for k, v in (("x-amzn-requestid", request_id), ("x-amzn-errortype", error_type)) if v)
    observation = Observation("p", 0, SENT, 0.0, 0.1, status, headers, body)
    return judge(StepRecord(Probe("p", mode, RequestSpec("GET", "/p")), (observation,)), CATALOGUE.get(mode))


def classified(cause: str | None, candidates: tuple[str, ...] = ()):
    return lambda logs: Classification(logs.request_id, cause, 429, ("line",), candidates=candidates)


LOGS = {"r1": RequestLogs("r1", (ExecutionLine("r1", "m", 0, "(r1) m"),), AccessRecord("r1", {"status": "429"}, "{}"))}


def test_matching_cause_confirms_and_another_cause_is_wrong() -> None:
    result = result_for("throttled", 429, "TooManyRequestsException")
    confirmed = confirm(result, LOGS, classified("throttled"))
    assert (confirmed.verdict, confirmed.observed_cause, confirmed.evidence) == (
        Verdict.CONFIRMED,
        "throttled",
        ("line",),
    )
    wrong = confirm(result, LOGS, classified("quota-exceeded"))
    assert wrong.verdict is Verdict.WRONG_CAUSE
    assert wrong.reason == "status 429 as expected, but the logs show quota-exceeded: line"


def test_ambiguous_logs_including_the_mode_stay_unconfirmed() -> None:
    result = confirm(
        result_for("throttled", 429, "TooManyRequestsException"),
        LOGS,
        classified(None, ("throttled", "quota-exceeded")),
    )
    assert result.verdict is Verdict.UNCONFIRMED
    assert result.reason == "the logs of request r1 fit throttled and quota-exceeded alike"
    excluded = confirm(
        result_for("throttled", 429, "TooManyRequestsException"),
        LOGS,
        classified(None, ("quota-exceeded", "lambda-error")),
    )
    assert excluded.verdict is Verdict.WRONG_CAUSE


def test_missing_and_incomplete_logs_are_unconfirmed() -> None:
    result = result_for("throttled", 429, "TooManyRequestsException")
    assert confirm(result, {}, classified("throttled")).reason == "no log events for request r1 by the deadline"
    partial = {"r1": RequestLogs("r1", (ExecutionLine("r1", "m", 0, "(r1) m"),), None)}
    incomplete = confirm(result, partial, classified("ok"))
    assert incomplete.verdict is Verdict.UNCONFIRMED
    assert incomplete.reason == "incomplete logs for request r1: no access-log record by the deadline"


def test_front_door_answers_confirm_without_logs() -> None:
    big = result_for(
        "request-too-large", 413, None, request_id=None, body="HTTP content length exceeded 10485760 bytes."
    )
    confirmed = confirm(big, {}, classified("ok"))
    assert confirmed.verdict is Verdict.CONFIRMED
    assert confirmed.reason == "confirmed from the front door's own answer (AWS logs nothing for it)"
    assert confirmed.evidence == ("413 HTTP content length exceeded 10485760 bytes. (no request id, no log)",)


def test_a_wrong_status_keeps_its_verdict_and_gains_the_observed_cause() -> None:
    wrong = result_for("integration-timeout", 502, "InternalServerErrorException")
    assert wrong.verdict is Verdict.WRONG_STATUS
    annotated = confirm(wrong, LOGS, classified("lambda-error"))
    assert (annotated.verdict, annotated.observed_cause) == (Verdict.WRONG_STATUS, "lambda-error")
