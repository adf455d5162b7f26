"""A load phase's expectations, each judged on its own: a JUnit test case apiece. Pure.

Throttle limits are checked within a tolerance of the configured values. AWS applies throttling "on a
best-effort basis ... targets rather than guaranteed request ceilings" and usage plans "are not hard
limits" (AWS docs; apigw-reference.md "Throttling"), so against AWS the default tolerance is wider
(20%): a small overshoot there is normal, while a limit configured at half or twice the intended
value still fails. The emulator's buckets are exact: 5%.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from gatecrash.load.estimate import Band, BucketEstimate
from gatecrash.load.limits import ConfiguredLimit
from gatecrash.load.logs import LogSummary
from gatecrash.load.records import LoadRecord
from gatecrash.runner.verdict import Verdict
from gatecrash.scenario.model import LoadPhase

EMULATOR_TOLERANCE = 0.05
AWS_TOLERANCE = 0.20
BEST_EFFORT_NOTE = (
    "AWS applies throttling on a best-effort basis (limits are targets, not guaranteed ceilings): "
    f"estimates within {AWS_TOLERANCE:.0%} pass; a wrong configuration is further off"
)


@dataclass(frozen=True, slots=True)
class Check:
    kind: str  # status | throttle | health | cause
    name: str
    passed: bool
    expected: str
    observed: str


@dataclass(frozen=True, slots=True)
class BucketFit:
    """One bucket's records (a method, or an API key), its configured limit and the fitted estimate."""

    group: str
    requests: int
    configured: ConfiguredLimit | None
    estimate: BucketEstimate
    tolerance: float
    missing: str = ""  # why no configured limit was found, when none was


def status_checks(phase: LoadPhase, records: Sequence[LoadRecord]) -> list[Check]:
    total = len(records)
    checks = []
    for bounds in phase.expect_statuses:
        found = sum(1 for r in records if r.status is not None and _matches(bounds.status, r.status))
        share = found / total if total else 0.0
        checks.append(
            Check(
                "status",
                f"status {bounds.status} share",
                bounds.minimum <= share <= bounds.maximum,
                f"{bounds.minimum:.1%} to {bounds.maximum:.1%}",
                f"{share:.1%} ({found} of {total})",
            )
        )
    return checks


def _matches(pattern: str, status: int) -> bool:
    text = str(status)
    return pattern == text or (pattern.endswith("xx") and text[0] == pattern[0])


def health_check(phase: LoadPhase, records: Sequence[LoadRecord], stopped: Sequence[str]) -> Check:
    answered = [r for r in records if r.status is not None]
    server = sum(1 for r in answered if r.status is not None and r.status >= 500)
    errors = len(records) - len(answered)
    share = server / len(answered) if answered else 0.0
    observed = f"{share:.1%} 5xx ({server} of {len(answered)}), {errors} without an answer"
    if stopped:
        observed += "; " + "; ".join(dict.fromkeys(stopped))
    healthy = not stopped and share <= phase.stop_backend_5xx_share and errors == 0
    return Check("health", "backend healthy", healthy, f"at most {phase.stop_backend_5xx_share:.1%} 5xx", observed)


def throttle_checks(fits: Sequence[BucketFit], on_aws: bool) -> list[Check]:
    checks = []
    for fit in fits:
        configured, estimate = fit.configured, fit.estimate
        if configured is None:
            found = f"none found{': ' + fit.missing if fit.missing else ''}"
            checks.append(Check("throttle", f"throttle of {fit.group}", False, "a configured limit", found))
            continue
        for name, band, target in (
            ("rate", estimate.rate, configured.rate),
            ("burst", estimate.burst, configured.burst),
        ):
            checks.append(_limit_check(fit, name, band, float(target), estimate, on_aws))
    return checks


def _limit_check(
    fit: BucketFit, name: str, band: Band | None, target: float, estimate: BucketEstimate, on_aws: bool
) -> Check:
    assert fit.configured is not None
    unit = " rps" if name == "rate" else " requests"
    expected = f"{target:g}{unit} ± {fit.tolerance:.0%} ({fit.configured.source})"
    if on_aws:
        expected += f"; {BEST_EFFORT_NOTE}"
    if band is None:
        return Check("throttle", f"throttle {name} of {fit.group}", False, expected, estimate.note or "no estimate")
    allowed = max(fit.tolerance * target, 1.0 if name == "burst" else 0.0)
    deviation = (band.value - target) / target if target else 0.0
    observed = (
        f"{band.value:.2f}{unit} (95% band {band.low:.2f} to {band.high:.2f}; {deviation:+.1%}; "
        f"configured value {'inside' if band.contains(target) else 'outside'} the band)"
    )
    return Check("throttle", f"throttle {name} of {fit.group}", abs(band.value - target) <= allowed, expected, observed)


def cause_check(mode_statuses: Sequence[str], response_type: str | None, logs: LogSummary) -> Check:
    """Every answer with the mode's status is, by the access log, the mode's gateway response type."""
    relevant = [c for c in logs.counts if any(_matches(s, int(c.status)) for s in mode_statuses if c.status.isdigit())]
    wrong = [c for c in relevant if c.response_type != (response_type or "-")]
    seen = ", ".join(f"{c.count}x {c.status} {c.response_type} ({c.limit})" for c in relevant) or "none"
    missing = logs.wanted - logs.found
    observed = seen + (f"; {missing} of {logs.wanted} requests not in the access log yet" if missing else "")
    return Check(
        "cause",
        "cause from the access log",
        not wrong,
        f"{response_type or '-'} for each {'/'.join(mode_statuses)}",
        observed,
    )


def verdict(checks: Sequence[Check], confirmed: bool) -> tuple[Verdict, str]:
    failed = [c for c in checks if not c.passed and c.kind != "cause"]
    if failed:
        return Verdict.WRONG_STATUS, "; ".join(f"{c.name}: {c.observed}, expected {c.expected}" for c in failed)
    wrong_cause = [c for c in checks if not c.passed and c.kind == "cause"]
    if wrong_cause:
        return Verdict.WRONG_CAUSE, f"{wrong_cause[0].name}: {wrong_cause[0].observed}"
    summary = f"{len(checks)} expectations met"
    if confirmed:
        return Verdict.CONFIRMED, summary + "; the access log confirms every answer's cause"
    return Verdict.UNCONFIRMED, summary + "; awaiting log confirmation"
