"""One line per canary run, for the console: totals, SuccessPercent and which probes failed. Pure."""

from __future__ import annotations

from gatecrash.canary.model import CanaryRun

# A line a terminal can still show: past this many failures the rest are counted, not named.
NAMED_FAILURES = 5
NAME_WIDTH = 40


def run_line(run: CanaryRun) -> str:
    """`run #7 completed in 2.3s: 3 confirmed, 1 failed, 0 unconfirmed; SuccessPercent 75%; failed: a pet
    (WRONG_STATUS)`, then the run's note, if any, in parentheses."""
    percent = "-" if run.success_percent is None else f"{run.success_percent:.0f}%"
    line = (
        f"run #{run.number} {run.status.value} in {run.duration_s:.1f}s: {run.succeeded} confirmed, "
        f"{run.failed} failed, {run.unconfirmed} unconfirmed; SuccessPercent {percent}"
    )
    failing = failed_probes(run)
    if failing:
        line += f"; failed: {failing}"
    return line + (f" ({run.note})" if run.note else "")


def failed_probes(run: CanaryRun, limit: int = NAMED_FAILURES) -> str:
    """The failed probes as `name (VERDICT)`, in the scenario's order; past `limit`, `and N more`."""
    failed = [probe for probe in run.probes if probe.failed]
    named = ", ".join(f"{_short(probe.name)} ({probe.verdict})" for probe in failed[:limit])
    rest = len(failed) - limit
    return f"{named} and {rest} more" if rest > 0 else named


def _short(name: str) -> str:
    return name if len(name) <= NAME_WIDTH else name[: NAME_WIDTH - 1] + "…"
