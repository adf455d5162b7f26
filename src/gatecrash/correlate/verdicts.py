"""Proving each probe's cause from the logs: the status-only verdicts, upgraded. Pure.

CONFIRMED: the answers that carry the mode's status have log evidence classified as the mode.
WRONG_CAUSE: the status is the mode's but the logs show another cause. UNCONFIRMED: no evidence
by the deadline; for causes AWS writes no execution log for, the access record must confirm.
WRONG_STATUS and ERROR stand as the status check found them, with the observed cause added.

A reason is one line that names the expected cause, the one the logs show and what decided it
(decisive.py), e.g. `status 502 as expected, but the logs show malformed-lambda-response, not
lambda-error (execution log "Execution failed due to configuration error: Malformed Lambda proxy
response")`; the lines themselves stay in `evidence`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from gatecrash.catalogue import FailureMode, value_matches
from gatecrash.correlate.decisive import notable_fields, one_line
from gatecrash.correlate.model import Classification, DecisiveEvidence, RequestLogs
from gatecrash.correlate.ownership import Owner, answered_by, ownership, sent_tag, shared
from gatecrash.runner.record import Observation, SentRequest
from gatecrash.runner.verdict import StepResult, Verdict
from gatecrash.scenario.model import Burst, Judge, Probe

Classifier = Callable[[RequestLogs], Classification]
# A front-door answer has no request id and no log at all: its own answer is the evidence, when it
# carries what only the front door sends: its status, Content-Type `text; charset=utf-8`, its body,
# no x-amzn-RequestId and no x-amzn-ErrorType, and the request was over the limit it names.
# The 413: a body over 10 MB (lgtm-generator#10; apigw-reference.md, REQUEST_TOO_LARGE;
# probes/request-too-large.yaml).
MAX_PAYLOAD = 10_485_760
FRONT_DOOR_BODY = f"HTTP content length exceeded {MAX_PAYLOAD} bytes."
FRONT_DOOR_CONTENT_TYPE = "text; charset=utf-8"
# The 431: request line and headers over 10,240 bytes ("Quotas for configuring and running a REST API",
# "Quotas for HTTP APIs"; its body as a user reported it, ntsblog.homedev.com.au 2021-03-09; its headers,
# recorded nowhere, are the 413's: emulator/frontdoor.py; probes/request-header-too-large.yaml).
MAX_HEAD = 10_240
FRONT_DOOR_HEAD_BODY = f"HTTP header is larger than {MAX_HEAD} bytes."
# azul#7470 (Logs Insights over real access logs): AWS logs the fallback types for some answers
# whose specific type the docs name, so one in the record does not contradict a mode.
FALLBACK_RESPONSE_TYPES = frozenset({"DEFAULT_4XX", "DEFAULT_5XX"})
# Where the reason of an UNCONFIRMED probe points when its logs were another request's.
REPLAYED = "a cache or proxy between gatecrash and the gateway replaying answers?"


def judged_observations(result: StepResult) -> list[Observation]:
    """The answers a probe's cause is proven on: those with the mode's status (or the last of a repeat)."""
    step = result.record.step
    observations = list(result.record.observations)
    if isinstance(step, Probe) and step.judge is Judge.LAST:
        observations = observations[-1:]
    return [o for o in observations if o.status is not None and result.mode.status_matches(o.status)]


def answers_of(results: Sequence[StepResult]) -> dict[str, list[str]]:
    """Request id -> the tags of every request of the run it answered (a replayed id answers several)."""
    return answered_by(
        (o.request_id, sent_tag(o.request.headers) or f"{r.name}/{o.index}")
        for r in results
        for o in r.record.observations
    )


def confirm(
    result: StepResult,
    logs: Mapping[str, RequestLogs],
    classify: Classifier,
    access_logging: bool = True,
    answers: Mapping[str, Sequence[str]] | None = None,
) -> StepResult:
    """`result` with its verdict proven (or refuted) from `logs`.

    Only logs of the probe's own request count: logs carrying another request's tag are not its
    evidence, and where the logs carry no tag a request id that answered several requests of the
    run (`answers`, by default this probe's alone) proves none of them (ownership.py)."""
    mode = result.mode
    judged = judged_observations(result)
    answers = answers if answers is not None else answers_of([result])
    if result.verdict is not Verdict.UNCONFIRMED or not judged:
        return _annotated(result, logs, classify)
    evidence: list[str] = []
    decisive: list[DecisiveEvidence] = []
    proofs: list[str] = []
    for observation in judged:
        request_id = observation.request_id
        if not mode.evidence.access_log_expected:
            if request_id is not None:
                return replace(
                    result, reason=f"expected the front door's answer without a request id; got {request_id}"
                )
            missing = front_door_missing(observation)
            if missing:
                return replace(
                    result, reason=f"a {observation.status} without what only the front door sends: {missing}"
                )
            evidence.append(f"{observation.status} {observation.body_excerpt.strip()} (no request id, no log)")
            continue
        if request_id is None or request_id not in logs:
            return replace(result, reason=f"no log events for request {request_id} by the deadline")
        request_logs = logs[request_id]
        tag = sent_tag(observation.request.headers)
        owner = ownership(request_logs, tag)
        if owner.owner is Owner.FOREIGN:
            return replace(
                result,
                reason=(
                    f"the logs of request {request_id} are another request's: they carry the probe tag "
                    f"{owner.describe()}, not {tag} ({REPLAYED})"
                ),
            )
        others = shared(request_id, answers)
        if owner.owner is Owner.UNTAGGED and others:
            return replace(
                result,
                reason=(
                    f"request id {request_id} answered {len(others)} requests ({', '.join(others)}) and its logs "
                    f"name none of them (no data trace, no $context.identity.userAgent in the access log): "
                    f"not proven to be this probe's ({REPLAYED})"
                ),
            )
        found = classify(request_logs)
        if found.cause != mode.id and access_logging and request_logs.access is None:
            # Some lines arrived, the access record did not: the evidence is incomplete, not contrary.
            return replace(
                result, reason=f"incomplete logs for request {request_id}: no access-log record by the deadline"
            )
        if found.cause is None and mode.id in found.candidates:
            # The logs fit the intended mode and another equally well: not proof, and not a contradiction.
            others_fit = ", ".join(c for c in found.candidates if c != mode.id)
            return replace(
                result,
                evidence=found.evidence,
                reason=f"the logs of request {request_id} fit {mode.id} and {others_fit} alike",
            )
        if found.cause != mode.id and _needs_execution_line(mode, request_logs):
            # No execution line at all (execution logging off, or ERROR level): the line that tells this
            # mode apart cannot be there, so the access record alone neither proves nor refutes it.
            return replace(
                result,
                observed_cause=found.cause,
                evidence=found.evidence,
                reason=(
                    f"no execution-log lines for request {request_id} (is execution logging off for the "
                    f"method?): {mode.id} is told apart by an execution-log line, and the access record alone "
                    f"{_access_alone(found)}"
                ),
            )
        if found.cause != mode.id:
            return replace(
                result,
                verdict=Verdict.WRONG_CAUSE,
                observed_cause=found.cause,
                evidence=found.evidence,
                decisive=found.decisive,
                reason=(
                    f"status {observation.status} as expected, but {logs_show(found)}, "
                    f"not {mode.id}{_in_brackets(found, request_logs)}"
                ),
            )
        evidence.extend(found.evidence)
        decisive.extend(found.decisive)
        proofs.append(f"its tag in the {owner.where}" if owner.owner is Owner.OURS else "its request id, seen once")
    count = f" ({len(judged)} answers)" if isinstance(result.record.step, Burst) or len(judged) > 1 else ""
    if proofs:
        reason = f"confirmed from the gateway's logs{count} of its own request ({'; '.join(dict.fromkeys(proofs))})"
    else:
        answer = FRONT_DOOR_ANSWERS[judged[0].status or 0]
        reason = (
            f"confirmed from the front door's own answer{count}: {answer.body!r} in {FRONT_DOOR_CONTENT_TYPE!r}, "
            f"no request id, to a {answer.size(judged[0].request):,}-byte {answer.part} (AWS logs nothing for it)"
        )
    return replace(
        result,
        verdict=Verdict.CONFIRMED,
        observed_cause=mode.id,
        evidence=tuple(dict.fromkeys(evidence)),
        decisive=tuple(dict.fromkeys(decisive)),
        reason=reason,
    )


def head_size(request: SentRequest) -> int:
    """The request line and header lines, each with its CRLF, as gatecrash recorded them.

    A lower bound of what went on the wire (the HTTP client adds Host, User-Agent and the like), so a
    head found over the limit here was over it when sent."""
    url = urlsplit(request.url)
    target = (url.path or "/") + (f"?{url.query}" if url.query else "")
    line = len(f"{request.method} {target} HTTP/1.1\r\n".encode())
    return line + sum(len(f"{name}: {value}\r\n".encode()) for name, value in request.headers)


@dataclass(frozen=True, slots=True)
class FrontDoorAnswer:
    """One of the front door's refusals: its status and body, and the part of the request it measures."""

    status: int
    body: str
    part: str  # as a reason names it: "body", "head (request line and headers)"
    limit: int
    size: Callable[[SentRequest], int]


FRONT_DOOR_ANSWERS = {
    answer.status: answer
    for answer in (
        FrontDoorAnswer(413, FRONT_DOOR_BODY, "body", MAX_PAYLOAD, lambda request: request.body_size),
        FrontDoorAnswer(431, FRONT_DOOR_HEAD_BODY, "head (request line and headers)", MAX_HEAD, head_size),
    )
}


def front_door_missing(observation: Observation) -> str:
    """What of the front door's own answer `observation` lacks ("" when it has it all)."""
    answer = FRONT_DOOR_ANSWERS.get(observation.status or 0)
    if answer is None:
        known = " or ".join(str(status) for status in FRONT_DOOR_ANSWERS)
        return f"status {observation.status}, not {known}"
    missing: list[str] = []
    if observation.error_type is not None:
        missing.append(f"x-amzn-ErrorType {observation.error_type}")
    content_type = observation.header("content-type")
    if content_type != FRONT_DOOR_CONTENT_TYPE:
        missing.append(f"Content-Type {content_type or '(none)'}, not {FRONT_DOOR_CONTENT_TYPE}")
    if observation.body_excerpt.strip() != answer.body:
        missing.append(f"the body is not {answer.body!r}")
    size = answer.size(observation.request)
    if size <= answer.limit:
        missing.append(f"the request's {answer.part} was {size:,} bytes, within the limit")
    return "; ".join(missing)


def _needs_execution_line(mode: FailureMode, logs: RequestLogs) -> bool:
    """The request has no execution line, the mode is told apart only by one, and the access record
    does not contradict the mode."""
    evidence = mode.evidence
    if logs.execution or not evidence.execution_log:
        return False
    if not (evidence.execution_log_expected or evidence.execution_log_required):
        return False
    fields = logs.access.fields if logs.access is not None else {}
    for name, expected in evidence.access_log.items():
        value = fields.get(name)
        if value is not None and not value_matches(expected, value):
            if name == "error.responseType" and value in FALLBACK_RESPONSE_TYPES:
                continue
            return False
    return True


def _access_alone(found: Classification) -> str:
    if found.cause is not None:
        return f"suggests {found.cause}"
    if found.candidates:
        return f"fits {' and '.join(found.candidates)}"
    return "names no cause"


def logs_show(found: Classification) -> str:
    """What the logs say the cause is, as a reason words it."""
    if found.cause is not None:
        return f"the logs show {found.cause}"
    if len(found.candidates) > 1:
        return f"the logs fit {' and '.join(found.candidates)} alike"
    return "the logs show no known cause"


def _in_brackets(found: Classification, logs: RequestLogs) -> str:
    """The decisive evidence in one line, in brackets; for logs no mode explains, their error fields."""
    text = one_line(found.decisive if found.cause is not None else notable_fields(logs))
    return f" ({text})" if text else ""


def _annotated(result: StepResult, logs: Mapping[str, RequestLogs], classify: Classifier) -> StepResult:
    """A verdict that stands, with the cause the logs show for the answer it is about, when there are logs.

    A WRONG_STATUS or WRONG_CAUSE reason gains that cause and what decided it (for the answer with the
    unexpected status or error type); otherwise the last answer with logs is described.
    """
    explained = _explained(result)
    request_logs = logs.get(explained.request_id or "") if explained is not None else None
    if explained is not None and request_logs is not None and _foreign(request_logs, explained):
        return result  # another request's logs explain nothing about this answer
    if explained is not None and request_logs is not None:
        found = classify(request_logs)
        place = f"; request {explained.index + 1}: " if isinstance(result.record.step, Burst) else ": "
        reason = f"{result.reason}{place}{logs_show(found)}{_in_brackets(found, request_logs)}"
        return replace(
            result, observed_cause=found.cause, evidence=found.evidence, decisive=found.decisive, reason=reason
        )
    for observation in reversed(result.record.observations):
        if observation.request_id and observation.request_id in logs:
            if _foreign(logs[observation.request_id], observation):
                continue
            found = classify(logs[observation.request_id])
            return replace(result, observed_cause=found.cause, evidence=found.evidence, decisive=found.decisive)
    return result


def _foreign(logs: RequestLogs, observation: Observation) -> bool:
    return ownership(logs, sent_tag(observation.request.headers)).owner is Owner.FOREIGN


def _explained(result: StepResult) -> Observation | None:
    """The answer a WRONG_STATUS or WRONG_CAUSE verdict is about: the first judged one with a status
    other than the mode's, or with the mode's status and another x-amzn-ErrorType."""
    mode = result.mode
    observations = list(result.record.observations)
    step = result.record.step
    if isinstance(step, Probe) and step.judge is Judge.LAST:
        observations = observations[-1:]
    for observation in observations:
        if observation.status is None or observation.request_id is None:
            continue
        if result.verdict is Verdict.WRONG_STATUS and not mode.status_matches(observation.status):
            return observation
        if (
            result.verdict is Verdict.WRONG_CAUSE
            and mode.status_matches(observation.status)
            and observation.error_type != mode.error_type
        ):
            return observation
    return None


def mark_skipped(result: StepResult) -> StepResult:
    """Correlation was turned off (`--no-logs`): the status check's verdict, said plainly."""
    if result.verdict is Verdict.UNCONFIRMED:
        return replace(result, reason="status and x-amzn-ErrorType as expected; logs not read (--no-logs)")
    return result
