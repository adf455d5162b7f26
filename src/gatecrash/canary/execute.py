"""One canary run on an open target: run the scenario, retry what failed, keep the final verdicts,
and re-check in the logs what the previous run left UNCONFIRMED."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from gatecrash.canary.model import CanaryRun, ProbeOutcome, RunStatus, outcome_of
from gatecrash.catalogue import Catalogue
from gatecrash.errors import GatecrashError
from gatecrash.run import RunOptions, recorrelate, run_on_target
from gatecrash.runner.verdict import StepResult, Verdict
from gatecrash.scenario.model import Scenario
from gatecrash.target import LiveTarget

# A re-check looks only for logs that should have arrived by now; it must not hold the run up.
RECHECK_DEADLINE_S = 5.0


@dataclass(frozen=True, slots=True)
class Pending:
    """A run's UNCONFIRMED results, by position in the scenario, to look for again next run."""

    number: int
    positions: tuple[int, ...]
    results: tuple[StepResult, ...]
    started: datetime
    finished: datetime


def attempt(
    scenario: Scenario,
    target: LiveTarget,
    catalogue: Catalogue,
    retries: int,
    number: int,
    options: RunOptions,
    pending: Pending | None = None,
) -> tuple[CanaryRun, Pending | None]:
    started = datetime.now(UTC)
    clock = time.monotonic()
    try:
        results, attempts = _with_retries(scenario, target, catalogue, retries, options)
    except GatecrashError as exc:
        run = CanaryRun(number, scenario.name, started, time.monotonic() - clock, RunStatus.ERROR, note=str(exc))
        return run, None
    outcomes = [outcome_of(result, count) for result, count in zip(results, attempts, strict=True)]
    if pending is not None:
        outcomes = merge_rechecked(outcomes, pending.number, pending.positions, _recheck(pending, target, catalogue))
    run = CanaryRun(number, scenario.name, started, time.monotonic() - clock, RunStatus.COMPLETED, tuple(outcomes))
    return run, _pending(number, results, started, options)


def _with_retries(
    scenario: Scenario, target: LiveTarget, catalogue: Catalogue, retries: int, options: RunOptions
) -> tuple[list[StepResult], list[int]]:
    """A failed probe is run again, alone with the other failures, up to `retries` times before the
    run counts it failed (as Synthetics retries a failed canary). UNCONFIRMED is not a failure:
    retrying it would only send more requests while the logs are still on their way."""
    results: list[StepResult] = list(run_on_target(scenario, target, catalogue, options).results)
    attempts = [1] * len(results)
    for _ in range(retries):
        again = [i for i, result in enumerate(results) if not result.verdict.as_expected]
        if not again:
            break
        subset = replace(scenario, steps=tuple(scenario.steps[i] for i in again))
        for i, result in zip(again, run_on_target(subset, target, catalogue, options).results, strict=True):
            results[i] = result
            attempts[i] += 1
    return results, attempts


def _pending(number: int, results: list[StepResult], started: datetime, options: RunOptions) -> Pending | None:
    if not options.correlate:
        return None  # logs are not read at all: there is nothing to re-check
    positions = tuple(i for i, result in enumerate(results) if result.verdict is Verdict.UNCONFIRMED)
    if not positions:
        return None
    chosen = tuple(results[i] for i in positions)
    return Pending(number, positions, chosen, started, datetime.now(UTC))


def _recheck(pending: Pending, target: LiveTarget, catalogue: Catalogue) -> list[StepResult]:
    options = RunOptions(logs_deadline_s=RECHECK_DEADLINE_S)
    try:
        return recorrelate(pending.results, target, catalogue, pending.started, pending.finished, options)
    except GatecrashError:
        return list(pending.results)  # the logs cannot be read now: the probes stay as they are


def merge_rechecked(
    outcomes: list[ProbeOutcome], previous: int, positions: tuple[int, ...], rechecked: list[StepResult]
) -> list[ProbeOutcome]:
    """A probe UNCONFIRMED again in this run takes the verdict its previous request now has in the
    logs, so a late delivery settles it one run later instead of flapping; a probe this run
    already decided keeps its own, newer verdict."""
    merged = list(outcomes)
    for position, result in zip(positions, rechecked, strict=True):
        if position >= len(merged) or not merged[position].unconfirmed or result.verdict is Verdict.UNCONFIRMED:
            continue
        settled = outcome_of(result, merged[position].attempts)
        merged[position] = replace(settled, reason=f"re-checked from run #{previous}: {settled.reason}")
    return merged
