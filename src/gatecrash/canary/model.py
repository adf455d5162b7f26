"""What one canary run leaves behind: per probe its final verdict, and the run's totals. Pure."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from gatecrash.runner.verdict import StepResult, Verdict


class RunStatus(enum.StrEnum):
    COMPLETED = "completed"
    ABANDONED = "abandoned"  # stopped by SIGINT/SIGTERM before it finished
    TIMED_OUT = "timed-out"  # ran past --timeout
    ERROR = "error"  # the run itself failed (credentials, environment)


@dataclass(frozen=True, slots=True)
class ProbeOutcome:
    name: str
    mode: str
    verdict: str  # a Verdict value
    reason: str
    evidence: tuple[str, ...] = ()
    attempts: int = 1  # 1 + the retries it took
    statuses: tuple[int, ...] = ()  # the statuses its last attempt got

    @property
    def succeeded(self) -> bool:
        """Status and cause proven: an intended 403 is a success."""
        return self.verdict == Verdict.CONFIRMED

    @property
    def unconfirmed(self) -> bool:
        return self.verdict == Verdict.UNCONFIRMED

    @property
    def failed(self) -> bool:
        return not (self.succeeded or self.unconfirmed)


def outcome_of(result: StepResult, attempts: int) -> ProbeOutcome:
    statuses = tuple(o.status for o in result.record.observations if o.status is not None)
    return ProbeOutcome(
        result.name, result.mode.id, result.verdict.value, result.reason, result.evidence, attempts, statuses
    )


@dataclass(frozen=True, slots=True)
class CanaryRun:
    number: int  # 1, 2, ... across restarts, per history
    scenario: str
    started: datetime
    duration_s: float
    status: RunStatus
    probes: tuple[ProbeOutcome, ...] = ()
    note: str = ""
    sent: int = 0  # requests the run and its retries sent (what the hourly ceiling counts)

    @property
    def succeeded(self) -> int:
        return sum(p.succeeded for p in self.probes)

    @property
    def failed(self) -> int:
        return sum(p.failed for p in self.probes)

    @property
    def unconfirmed(self) -> int:
        return sum(p.unconfirmed for p in self.probes)

    @property
    def success_percent(self) -> float | None:
        """Confirmed among all the run's probes: an UNCONFIRMED probe proved nothing, so it is not a
        success (a run whose logs never arrive reads 0, not 100). A run that did not complete is 0;
        an abandoned one, or one with no probe, has no value."""
        if self.status is not RunStatus.COMPLETED:
            return 0.0 if self.status is not RunStatus.ABANDONED else None
        return 100.0 * self.succeeded / len(self.probes) if self.probes else None

    @property
    def ok(self) -> bool:
        """Completed and nothing failed (UNCONFIRMED probes aside: `proven` counts them)."""
        return self.status is RunStatus.COMPLETED and self.failed == 0

    @property
    def proven(self) -> bool:
        """Completed with every probe CONFIRMED: what a canary run must be to pass by default."""
        return self.ok and self.unconfirmed == 0

    @property
    def outcome(self) -> str:
        """The run in a word or two, as its badge says it: a run that did not finish proved nothing,
        so it failed too (SuccessPercent 0), except an abandoned one, which is left out."""
        if self.status is RunStatus.ABANDONED:
            return "abandoned"
        if self.status is RunStatus.TIMED_OUT:
            return "failed: timed out"
        if self.status is RunStatus.ERROR:
            return "failed: error"
        if self.failed:
            return "failed"
        return "unconfirmed" if self.unconfirmed else "passed"

    def status_classes(self) -> dict[str, int]:
        """Responses by status class (2xx, 4xx, 5xx), as Synthetics counts them."""
        counts = {"2xx": 0, "4xx": 0, "5xx": 0}
        for probe in self.probes:
            for status in probe.statuses:
                key = f"{status // 100}xx"
                if key in counts:
                    counts[key] += 1
        return counts
