"""One canary run on an open target: run the scenario, retry what failed, keep the final verdicts,
and re-check in the logs what the previous run left UNCONFIRMED."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from gatecrash.canary import refill
from gatecrash.canary.model import CanaryRun, ProbeOutcome, RunStatus, outcome_of
from gatecrash.catalogue import Catalogue
from gatecrash.credentials import Secrets
from gatecrash.errors import GatecrashError
from gatecrash.run import RunOptions, recorrelate, resolve_secrets, run_on_target
from gatecrash.runner.budget import SCENARIO_DURATION, Budget
from gatecrash.runner.verdict import StepResult, Verdict
from gatecrash.scenario.model import Scenario, planned_requests
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
    budget: Budget | None = None,
) -> tuple[CanaryRun, Pending | None]:
    """One canary run and its retries, all within `budget` (by default the scenario's limits)."""
    started = datetime.now(UTC)
    clock = time.monotonic()
    budget = budget if budget is not None else Budget.of(scenario.limits)
    try:
        results, attempts = _with_retries(scenario, target, catalogue, retries, options, budget=budget)
    except GatecrashError as exc:
        run = CanaryRun(
            number, scenario.name, started, time.monotonic() - clock, RunStatus.ERROR, note=str(exc), sent=budget.spent
        )
        return run, None
    outcomes = [outcome_of(result, count) for result, count in zip(results, attempts, strict=True)]
    if pending is not None:
        outcomes = merge_rechecked(outcomes, pending.number, pending.positions, _recheck(pending, target, catalogue))
    run = CanaryRun(
        number,
        scenario.name,
        started,
        time.monotonic() - clock,
        RunStatus.COMPLETED,
        tuple(outcomes),
        sent=budget.spent,
    )
    return run, _pending(number, results, started, options)


def _with_retries(
    scenario: Scenario,
    target: LiveTarget,
    catalogue: Catalogue,
    retries: int,
    options: RunOptions,
    sleep: Callable[[float], None] = time.sleep,
    budget: Budget | None = None,
) -> tuple[list[StepResult], list[int]]:
    """A failed probe is run again, alone with the other failures, up to `retries` times before the
    run counts it failed (as Synthetics retries a failed canary). UNCONFIRMED is not a failure:
    retrying it would only send more requests while the logs are still on their way.

    A throttle probe's retry first waits for the buckets its attempt emptied to refill, so that it
    never fails because of the attempt before it; a quota probe is not retried (see `refill`).

    The run and its retries share one budget (by default the scenario's limits): a retry that its
    requests, or its wait, would take past it is not made, and its probe says so."""
    budget = budget if budget is not None else Budget.of(scenario.limits)
    results: list[StepResult] = list(run_on_target(scenario, target, catalogue, options, budget).results)
    attempts = [1] * len(results)
    for _ in range(retries):
        failed = [i for i, result in enumerate(results) if not result.verdict.as_expected]
        for i in failed:
            if refill.spends_a_quota(results[i]) and refill.QUOTA_NOT_RETRIED not in results[i].reason:
                results[i] = replace(results[i], reason=f"{results[i].reason}; {refill.QUOTA_NOT_RETRIED}")
        again = [i for i in failed if not refill.spends_a_quota(results[i])]
        waits = _refills(scenario, target, {i: results[i] for i in again})
        waited = max((wait for wait, _ in waits.values()), default=0.0)
        again = _within(budget, scenario, again, waited, results)
        if not again:
            break
        if waited > 0:
            sleep(waited)
        subset = replace(scenario, steps=tuple(scenario.steps[i] for i in again))
        for i, result in zip(again, run_on_target(subset, target, catalogue, options, budget).results, strict=True):
            if _held_back(result):
                # The budget ran out while the retry was under way: the attempt before it stands.
                results[i] = _noted(results[i], f"retry {result.reason}")
                continue
            results[i] = result
            if i in waits:
                results[i] = refill.retried_after(result, waited, waits[i][1])
            attempts[i] += 1
    return results, attempts


def _within(
    budget: Budget, scenario: Scenario, again: list[int], wait_s: float, results: list[StepResult]
) -> list[int]:
    """The failed probes (by position) whose retry fits what is left of the run's budget, in the
    scenario's order; the others' results say why they were not retried."""
    if again and wait_s >= budget.time_left():
        note = f"not retried: {SCENARIO_DURATION} covers the run and its retries"
        for i in again:
            results[i] = _noted(results[i], note)
        return []
    left = budget.remaining
    chosen: list[int] = []
    for i in again:
        needed = planned_requests(scenario.steps[i])
        if needed <= left:
            chosen.append(i)
            left -= needed
        else:
            note = f"not retried: {budget.requests_cap} covers the run and its retries ({left} requests left)"
            results[i] = _noted(results[i], note)
    return chosen


def _held_back(result: StepResult) -> bool:
    """A result the budget kept from sending anything."""
    observations = result.record.observations
    if not observations:
        return result.reason.startswith("not sent")
    return all((o.error or "").startswith("not sent") for o in observations)


def _noted(result: StepResult, note: str) -> StepResult:
    return result if note in result.reason else replace(result, reason=f"{result.reason}; {note}")


def _refills(
    scenario: Scenario, target: LiveTarget, failed: dict[int, StepResult]
) -> dict[int, tuple[float, refill.Refill]]:
    """Per failed probe that emptied a bucket (by position): how long to wait before its retry, and for what."""
    draining = {i: result for i, result in failed.items() if refill.drains_a_bucket(result)}
    if not draining:
        return {}
    secrets, unknown = _secrets(scenario, target)
    now = time.time()
    waits: dict[int, tuple[float, refill.Refill]] = {}
    for i, result in draining.items():
        limits, missing = refill.configured_limits(result, target, secrets) if secrets is not None else ([], unknown)
        needed = refill.refill_time(limits, missing)
        waits[i] = (refill.wait_needed(needed, refill.last_request_at(result), now), needed)
    return waits


def _secrets(scenario: Scenario, target: LiveTarget) -> tuple[Secrets | None, str]:
    """The run's secrets, for the API keys whose usage plans the limits come from."""
    try:
        return resolve_secrets(scenario, target), ""
    except GatecrashError as exc:
        return None, f"credentials: {exc}"


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
