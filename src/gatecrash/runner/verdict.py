"""Judging what came back against what the failure mode says must come back. Pure.

Until log correlation lands, a probe whose status and `x-amzn-ErrorType` are the mode's is
UNCONFIRMED, "awaiting log confirmation": as expected so far, not yet proven from the logs.
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from gatecrash.catalogue import FailureMode
from gatecrash.correlate.model import DecisiveEvidence
from gatecrash.runner.fire import StepRecord
from gatecrash.runner.record import Observation
from gatecrash.scenario.model import Burst, Judge, Probe

AWAITING_LOGS = "status and x-amzn-ErrorType as expected; awaiting log confirmation"


class Verdict(enum.StrEnum):
    CONFIRMED = "CONFIRMED"  # status and cause as intended, proven from the logs
    WRONG_CAUSE = "WRONG_CAUSE"  # status as intended, another cause
    WRONG_STATUS = "WRONG_STATUS"
    UNCONFIRMED = "UNCONFIRMED"  # no log evidence (yet)
    ERROR = "ERROR"  # a transport failure, or a request the safety rails held back

    @property
    def as_expected(self) -> bool:
        return self in (Verdict.CONFIRMED, Verdict.UNCONFIRMED)


@dataclass(frozen=True, slots=True)
class StepResult:
    record: StepRecord
    mode: FailureMode
    verdict: Verdict
    reason: str
    # Filled by log correlation: the cause the gateway's logs show, the lines that show it, and what in
    # them decided it (what a report marks).
    observed_cause: str | None = None
    evidence: tuple[str, ...] = ()
    decisive: tuple[DecisiveEvidence, ...] = ()

    @property
    def name(self) -> str:
        return self.record.step.name


def _error_type_text(value: str | None) -> str:
    return value if value is not None else "no x-amzn-ErrorType"


def judge_observation(mode: FailureMode, observation: Observation) -> tuple[Verdict, str]:
    if observation.error is not None:
        return Verdict.ERROR, observation.error
    assert observation.status is not None
    if not mode.status_matches(observation.status):
        detail = f" {observation.error_type}" if observation.error_type else ""
        return (
            Verdict.WRONG_STATUS,
            f"expected {mode.expected_status_text()} ({mode.id}), got {observation.status}{detail}",
        )
    if observation.error_type != mode.error_type:
        return Verdict.WRONG_CAUSE, (
            f"status {observation.status} as expected, but {_error_type_text(observation.error_type)} "
            f"where {mode.id} gives {_error_type_text(mode.error_type)}"
        )
    return Verdict.UNCONFIRMED, AWAITING_LOGS


def judge_probe(record: StepRecord, mode: FailureMode) -> StepResult:
    probe = record.step
    assert isinstance(probe, Probe)
    judged: Sequence[Observation] = record.observations
    if probe.judge is Judge.LAST:
        not_sent = [o for o in record.observations if o.error is not None]
        judged = not_sent[:1] or record.observations[-1:]
    for observation in judged:
        verdict, reason = judge_observation(mode, observation)
        if verdict is not Verdict.UNCONFIRMED:
            prefix = f"request {observation.index + 1} of {probe.repeat}: " if probe.repeat > 1 else ""
            return StepResult(record, mode, verdict, prefix + reason)
    return StepResult(record, mode, Verdict.UNCONFIRMED, AWAITING_LOGS)


def judge_burst(record: StepRecord, mode: FailureMode) -> StepResult:
    burst = record.step
    assert isinstance(burst, Burst)
    errors = [o for o in record.observations if o.error is not None]
    if errors:
        return StepResult(record, mode, Verdict.ERROR, f"{len(errors)} of {burst.requests} failed: {errors[0].error}")
    counts = Counter(str(o.status) for o in record.observations)
    mix = ", ".join(f"{status}: {count}" for status, count in sorted(counts.items()))
    for bounds in burst.expect:
        found = sum(count for status, count in counts.items() if _matches(bounds.status, status))
        if not bounds.minimum <= found <= bounds.maximum:
            return StepResult(
                record,
                mode,
                Verdict.WRONG_STATUS,
                f"{bounds.status}: {found}, expected {bounds.minimum} to {bounds.maximum} ({mix})",
            )
    for observation in record.observations:
        assert observation.status is not None
        if mode.status_matches(observation.status) and observation.error_type != mode.error_type:
            return StepResult(
                record,
                mode,
                Verdict.WRONG_CAUSE,
                f"a {observation.status} carried {_error_type_text(observation.error_type)} where {mode.id} "
                f"gives {_error_type_text(mode.error_type)} ({mix})",
            )
    return StepResult(record, mode, Verdict.UNCONFIRMED, f"{mix}; {AWAITING_LOGS}")


def _matches(pattern: str, status: str) -> bool:
    return pattern == status or (pattern.endswith("xx") and status[:1] == pattern[:1])


def judge(record: StepRecord, mode: FailureMode) -> StepResult:
    return judge_burst(record, mode) if isinstance(record.step, Burst) else judge_probe(record, mode)
