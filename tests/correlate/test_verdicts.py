"""The verdict rules, from constructed results and classifications (pure)."""

from __future__ import annotations

import json

from gatecrash.catalogue import load_catalogue
from gatecrash.correlate.model import AccessRecord, Classification, DecisiveEvidence, ExecutionLine, RequestLogs
from gatecrash.correlate.verdicts import confirm
from gatecrash.runner.fire import StepRecord
from gatecrash.runner.record import Observation, SentRequest
from gatecrash.runner.verdict import Verdict, judge
from gatecrash.scenario.model import Burst, Probe, RequestSpec, StatusBounds

CATALOGUE = load_catalogue()
SENT = SentRequest("GET", "http://x/s/p", (), "", 0)


def result_for(mode: str, status: int, error_type: str | None, request_id: str | None = "r1", body: str = ""):
    headers = tuple((k, v) for k, v in (("x-amzn-requestid", request_id), ("x-amzn-errortype", error_type)) if v)
    observation = Observation("p", 0, SENT, 0.0, 0.1, status, headers, body)
    return judge(StepRecord(Probe("p", mode, RequestSpec("GET", "/p")), (observation,)), CATALOGUE.get(mode))


def classified(cause: str | None, candidates: tuple[str, ...] = (), decisive: tuple[DecisiveEvidence, ...] = ()):
    return lambda logs: Classification(logs.request_id, cause, 429, ("line",), candidates=candidates, decisive=decisive)


# An access record as the emulator's default format writes it: thirty fields, most of them `-`.
RECORD = {
    "requestId": "r1",
    "extendedRequestId": "x0LTneO2m0eOv34=",
    "identity.sourceIp": "127.0.0.1",
    "requestTime": "04/Dec/2026:16:26:09 +0000",
    "httpMethod": "GET",
    "path": "/demo/p",
    "status": "429",
    "error.message": "Limit Exceeded",
    "error.responseType": "QUOTA_EXCEEDED",
    "integration.error": "-",
    "authorizer.error": "-",
}
LOGS = {
    "r1": RequestLogs("r1", (ExecutionLine("r1", "m", 0, "(r1) m"),), AccessRecord("r1", RECORD, json.dumps(RECORD)))
}
QUOTA = (DecisiveEvidence("429", "status"), DecisiveEvidence("QUOTA_EXCEEDED", "error.responseType"))


def test_matching_cause_confirms_and_another_cause_is_wrong() -> None:
    result = result_for("throttled", 429, "TooManyRequestsException")
    throttled = (DecisiveEvidence("THROTTLED", "error.responseType"),)
    confirmed = confirm(result, LOGS, classified("throttled", decisive=throttled))
    assert (confirmed.verdict, confirmed.observed_cause, confirmed.evidence, confirmed.decisive) == (
        Verdict.CONFIRMED,
        "throttled",
        ("line",),
        throttled,
    )
    wrong = confirm(result, LOGS, classified("quota-exceeded", decisive=QUOTA))
    assert (wrong.verdict, wrong.evidence, wrong.decisive) == (Verdict.WRONG_CAUSE, ("line",), QUOTA)
    # One line: the expected cause, the observed one and what decided it; not the record.
    assert wrong.reason == (
        "status 429 as expected, but the logs show quota-exceeded, not throttled "
        "(access log error.responseType=QUOTA_EXCEEDED)"
    )


def test_a_wrong_cause_quotes_the_deciding_line_shortened_to_one_line() -> None:
    line = "Lambda execution failed with status 200 due to customer function error: " + "x" * 300
    wrong = confirm(
        result_for("throttled", 429, "TooManyRequestsException"),
        LOGS,
        classified("lambda-error", decisive=(DecisiveEvidence("429", "status"), DecisiveEvidence(line + "\nmore"))),
    )
    assert wrong.reason.startswith(
        'status 429 as expected, but the logs show lambda-error, not throttled (execution log "Lambda execution '
        "failed with status 200 due to customer function error: xxx"
    )
    assert wrong.reason.endswith('x…")') and "\n" not in wrong.reason and len(wrong.reason) < 250


def test_logs_of_no_known_cause_name_their_error_fields() -> None:
    wrong = confirm(result_for("throttled", 429, "TooManyRequestsException"), LOGS, classified(None))
    assert wrong.verdict is Verdict.WRONG_CAUSE
    assert wrong.reason == (
        "status 429 as expected, but the logs show no known cause, not throttled "
        '(access log error.responseType=QUOTA_EXCEEDED, error.message="Limit Exceeded")'
    )


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
    assert excluded.reason.startswith(
        "status 429 as expected, but the logs fit quota-exceeded and lambda-error alike, not throttled ("
    )


def test_missing_and_incomplete_logs_are_unconfirmed() -> None:
    result = result_for("throttled", 429, "TooManyRequestsException")
    assert confirm(result, {}, classified("throttled")).reason == "no log events for request r1 by the deadline"
    partial = {"r1": RequestLogs("r1", (ExecutionLine("r1", "m", 0, "(r1) m"),), None)}
    incomplete = confirm(result, partial, classified("ok"))
    assert incomplete.verdict is Verdict.UNCONFIRMED
    assert incomplete.reason == "incomplete logs for request r1: no access-log record by the deadline"


def front_door(
    body: str = "HTTP content length exceeded 10485760 bytes.",
    content_type: str | None = "text; charset=utf-8",
    sent: int = 10_485_761,
    error_type: str | None = None,
):
    headers = tuple((k, v) for k, v in (("content-type", content_type), ("x-amzn-errortype", error_type)) if v)
    request = SentRequest("POST", "http://x/s/p", (), "", sent)
    observation = Observation("p", 0, request, 0.0, 0.1, 413, headers, body)
    mode = CATALOGUE.get("request-too-large")
    return judge(StepRecord(Probe("p", "request-too-large", RequestSpec("POST", "/p")), (observation,)), mode)


def test_front_door_answers_confirm_without_logs_from_what_only_the_front_door_sends() -> None:
    confirmed = confirm(front_door(), {}, classified("ok"))
    assert confirmed.verdict is Verdict.CONFIRMED
    assert confirmed.reason == (
        "confirmed from the front door's own answer: 'HTTP content length exceeded 10485760 bytes.' in "
        "'text; charset=utf-8', no request id, to a 10,485,761-byte body (AWS logs nothing for it)"
    )
    assert confirmed.evidence == ("413 HTTP content length exceeded 10485760 bytes. (no request id, no log)",)


def test_a_413_lacking_what_only_the_front_door_sends_is_not_confirmed() -> None:
    # A backend or a proxy can answer 413 with the same words; only the whole answer to an oversized
    # request is the front door's.
    small = confirm(front_door(sent=1_000), {}, classified("ok"))
    assert small.verdict is Verdict.UNCONFIRMED
    assert small.reason == (
        "a 413 without what only the front door sends: the request's body was 1,000 bytes, within the limit"
    )
    json_413 = confirm(
        front_door(body='{"message": "Request Too Long"}', content_type="application/json"), {}, classified("ok")
    )
    assert json_413.verdict is Verdict.UNCONFIRMED
    assert "Content-Type application/json, not text; charset=utf-8" in json_413.reason
    assert "the body is not 'HTTP content length exceeded 10485760 bytes.'" in json_413.reason
    words_only = confirm(
        front_door(body="HTTP content length exceeded 10485760 bytes. (proxied)"), {}, classified("ok")
    )
    assert words_only.verdict is Verdict.UNCONFIRMED


def test_a_wrong_status_keeps_its_verdict_and_names_the_cause_the_logs_show() -> None:
    wrong = result_for("integration-timeout", 502, "InternalServerErrorException")
    assert wrong.verdict is Verdict.WRONG_STATUS
    assert wrong.reason == "expected 504 (integration-timeout), got 502 InternalServerErrorException"
    decisive = (DecisiveEvidence("INTEGRATION_FAILURE", "error.responseType"),)
    annotated = confirm(wrong, LOGS, classified("lambda-error", decisive=decisive))
    assert (annotated.verdict, annotated.observed_cause, annotated.decisive) == (
        Verdict.WRONG_STATUS,
        "lambda-error",
        decisive,
    )
    assert annotated.reason == (
        "expected 504 (integration-timeout), got 502 InternalServerErrorException: "
        "the logs show lambda-error (access log error.responseType=INTEGRATION_FAILURE)"
    )
    # Without logs for the request, the status check's reason stands.
    assert confirm(wrong, {}, classified("lambda-error")).reason == wrong.reason


def test_a_wrong_error_type_names_the_mode_and_the_cause_the_logs_show() -> None:
    wrong = result_for("throttled", 429, "LimitExceededException")
    assert wrong.reason == (
        "status 429 as expected, but LimitExceededException where throttled gives TooManyRequestsException"
    )
    annotated = confirm(wrong, LOGS, classified("quota-exceeded", decisive=QUOTA))
    assert (annotated.verdict, annotated.reason) == (
        Verdict.WRONG_CAUSE,
        wrong.reason + ": the logs show quota-exceeded (access log error.responseType=QUOTA_EXCEEDED)",
    )


def test_a_burst_explains_the_answer_with_the_unexpected_status() -> None:
    answers = tuple(
        Observation("b", index, SENT, 0.0, 0.1, status, (("x-amzn-requestid", f"r{index}"),), "")
        for index, status in enumerate((429, 200))
    )
    burst = Burst("b", "throttled", RequestSpec("GET", "/p"), 2, (StatusBounds("200", 0, 0),))
    wrong = judge(StepRecord(burst, answers), CATALOGUE.get("throttled"))
    assert wrong.verdict is Verdict.WRONG_STATUS
    ok = (DecisiveEvidence("Method completed with status: 200"),)
    logs = {name: RequestLogs(name, (), None) for name in ("r0", "r1")}
    seen: list[str] = []

    def classify(logs: RequestLogs) -> Classification:
        seen.append(logs.request_id)
        return Classification(logs.request_id, "ok", 200, decisive=ok)

    annotated = confirm(wrong, logs, classify)
    assert seen == ["r1"]
    assert annotated.reason == (
        f'{wrong.reason}; request 2: the logs show ok (execution log "Method completed with status: 200")'
    )
