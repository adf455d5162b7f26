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

from collections.abc import Callable, Mapping
from dataclasses import replace

from gatecrash.correlate.decisive import notable_fields, one_line
from gatecrash.correlate.model import Classification, DecisiveEvidence, RequestLogs
from gatecrash.runner.record import Observation
from gatecrash.runner.verdict import StepResult, Verdict
from gatecrash.scenario.model import Burst, Judge, Probe

Classifier = Callable[[RequestLogs], Classification]
# A front-door answer (over 10 MB) has no request id and no log at all (lgtm-generator#10): its own
# answer is the evidence.
FRONT_DOOR_BODY = "HTTP content length exceeded"


def judged_observations(result: StepResult) -> list[Observation]:
    """The answers a probe's cause is proven on: those with the mode's status (or the last of a repeat)."""
    step = result.record.step
    observations = list(result.record.observations)
    if isinstance(step, Probe) and step.judge is Judge.LAST:
        observations = observations[-1:]
    return [o for o in observations if o.status is not None and result.mode.status_matches(o.status)]


def confirm(
    result: StepResult, logs: Mapping[str, RequestLogs], classify: Classifier, access_logging: bool = True
) -> StepResult:
    """`result` with its verdict proven (or refuted) from `logs`."""
    mode = result.mode
    judged = judged_observations(result)
    if result.verdict is not Verdict.UNCONFIRMED or not judged:
        return _annotated(result, logs, classify)
    evidence: list[str] = []
    decisive: list[DecisiveEvidence] = []
    from_logs = False
    for observation in judged:
        request_id = observation.request_id
        if not mode.evidence.access_log_expected:
            if request_id is None and FRONT_DOOR_BODY in observation.body_excerpt:
                evidence.append(f"{observation.status} {observation.body_excerpt.strip()} (no request id, no log)")
                continue
            return replace(result, reason=f"expected the front door's answer without a request id; got {request_id}")
        if request_id is None or request_id not in logs:
            return replace(result, reason=f"no log events for request {request_id} by the deadline")
        found = classify(logs[request_id])
        if found.cause != mode.id and access_logging and logs[request_id].access is None:
            # Some lines arrived, the access record did not: the evidence is incomplete, not contrary.
            return replace(
                result, reason=f"incomplete logs for request {request_id}: no access-log record by the deadline"
            )
        if found.cause is None and mode.id in found.candidates:
            # The logs fit the intended mode and another equally well: not proof, and not a contradiction.
            others = ", ".join(c for c in found.candidates if c != mode.id)
            return replace(
                result,
                evidence=found.evidence,
                reason=f"the logs of request {request_id} fit {mode.id} and {others} alike",
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
                    f"not {mode.id}{_in_brackets(found, logs[request_id])}"
                ),
            )
        evidence.extend(found.evidence)
        decisive.extend(found.decisive)
        from_logs = True
    count = f" ({len(judged)} answers)" if isinstance(result.record.step, Burst) or len(judged) > 1 else ""
    return replace(
        result,
        verdict=Verdict.CONFIRMED,
        observed_cause=mode.id,
        evidence=tuple(dict.fromkeys(evidence)),
        decisive=tuple(dict.fromkeys(decisive)),
        reason=(
            f"confirmed from the gateway's logs{count}"
            if from_logs
            else "confirmed from the front door's own answer (AWS logs nothing for it)"
        ),
    )


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
    if explained is not None and request_logs is not None:
        found = classify(request_logs)
        place = f"; request {explained.index + 1}: " if isinstance(result.record.step, Burst) else ": "
        reason = f"{result.reason}{place}{logs_show(found)}{_in_brackets(found, request_logs)}"
        return replace(
            result, observed_cause=found.cause, evidence=found.evidence, decisive=found.decisive, reason=reason
        )
    for observation in reversed(result.record.observations):
        if observation.request_id and observation.request_id in logs:
            found = classify(logs[observation.request_id])
            return replace(result, observed_cause=found.cause, evidence=found.evidence, decisive=found.decisive)
    return result


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
