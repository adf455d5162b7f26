"""The canary loop: runs on a schedule against one open target, until stopped or done.

Each run executes in a worker thread so that the main thread stays free to notice a stop
(SIGINT/SIGTERM) or the per-run timeout. A stop with `OnStop.FINISH` (the default) lets the run
under way complete, recorded and published as usual, and then ends the loop; a second signal, or
the first with `OnStop.ABANDON`, abandons the run at once. An abandoned or timed-out run is
recorded as `abandoned` or `timed-out`, in one transaction, so the history is never half-written.
"""

from __future__ import annotations

import enum
import random
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

from gatecrash.canary import metrics
from gatecrash.canary.execute import Pending, attempt
from gatecrash.canary.history import History
from gatecrash.canary.model import CanaryRun, RunStatus
from gatecrash.canary.page import write_page
from gatecrash.canary.schedule import DEFAULT_HOURLY_CEILING, HourlyCeiling, next_start
from gatecrash.catalogue import Catalogue
from gatecrash.run import RunOptions
from gatecrash.runner.budget import SCENARIO_REQUESTS, Budget
from gatecrash.scenario.model import Scenario
from gatecrash.target import LiveTarget

DEFAULT_HISTORY = Path("reports/canary")
_POLL_S = 0.05  # how soon a stop or a timeout is noticed while a run is under way


class OnStop(enum.StrEnum):
    """What the first SIGINT/SIGTERM does to the run under way."""

    FINISH = "finish"  # let it complete (recorded, published), then stop; a second signal abandons it
    ABANDON = "abandon"  # abandon it at once (recorded as abandoned, no metrics)


@dataclass(frozen=True, slots=True)
class CanaryOptions:
    every_s: float | None = None  # None: one run (--once)
    jitter: float = 0.1
    timeout_s: float = 120.0
    retries: int = 2
    namespace: str = metrics.DEFAULT_NAMESPACE
    dimensions: frozenset[str] = frozenset()
    create_alarms: bool = False
    history_dir: Path = DEFAULT_HISTORY
    publish: bool = True
    max_runs: int | None = None  # stop after this many runs (tests; None: until stopped)
    on_stop: OnStop = OnStop.FINISH
    run: RunOptions = field(default_factory=RunOptions)
    # The schedule's own cap on requests in any hour, over every run and retry (and, through the
    # history, over restarts and --once runs of the same scenario).
    max_per_hour: int = DEFAULT_HOURLY_CEILING


OnRun = Callable[[CanaryRun], None]


def run_canary(
    scenario: Scenario,
    target: LiveTarget,
    catalogue: Catalogue,
    options: CanaryOptions,
    stop: threading.Event,
    on_run: OnRun | None = None,
    abandon: threading.Event | None = None,
) -> list[CanaryRun]:
    """Runs until `stop` is set, `max_runs` are done, or after one run with no `every_s`.

    `stop` ends the loop: with `OnStop.FINISH` after the run under way, with `OnStop.ABANDON` at
    once. `abandon` (a second signal, see `stop_on_signals`) abandons the run under way in any case.
    """

    def abandoning() -> bool:
        if abandon is not None and abandon.is_set():
            return True
        return options.on_stop is OnStop.ABANDON and stop.is_set()

    history = History(options.history_dir)
    client = metrics.cloudwatch_client(target) if options.publish else None
    if client is not None and options.create_alarms:
        metrics.create_alarm(client, metrics.alarm_request(options.namespace, scenario.name, options.every_s))
    done: list[CanaryRun] = []
    # What the last completed run left UNCONFIRMED, this process's or a previous one's (a restart).
    pending = history.pending(scenario, catalogue)
    ceiling = HourlyCeiling(options.max_per_hour, history.sends(scenario.name))
    needed = min(scenario.planned_requests, scenario.limits.max_requests, options.max_per_hour)
    start = time.monotonic()
    while not stop.is_set():
        late = ceiling.wait_for(needed, time.time())
        if late > 0 and options.every_s is not None:
            stop.wait(late)  # the schedule waits for the hour to free enough requests
            if stop.is_set():
                break
        if late > 0 and options.every_s is None:
            run, left = _not_run(scenario, history.next_number(), ceiling, needed), pending
        else:
            budget = _budget(scenario, ceiling.allowance(time.time()), options.max_per_hour)
            run, left = _one_run(
                scenario, target, catalogue, options, abandoning, history.next_number(), pending, budget
            )
            ceiling.record(time.time(), run.sent)
            if late > 0:
                run = _noted(run, f"started {late:.0f}s late: the hourly ceiling of {options.max_per_hour} requests")
        if run.status is RunStatus.COMPLETED:
            pending = left  # otherwise the re-check did not happen: it stays for the next run
        run = _published(run, client, options)
        history.record(run, pending)
        write_page(options.history_dir, history.runs())
        done.append(run)
        if on_run is not None:
            on_run(run)
        if _finished(options, done, run):
            break
        start = next_start(start, options.every_s or 0.0, options.jitter, random.random(), time.monotonic())
        stop.wait(max(0.0, start - time.monotonic()))
    return done


def _budget(scenario: Scenario, allowance: int, ceiling: int) -> Budget:
    """One run's budget: the scenario's limits, within what the hourly ceiling still allows."""
    limits = scenario.limits
    if allowance < limits.max_requests:
        return Budget(allowance, limits.max_duration_s, requests_cap=f"the canary's hourly ceiling ({ceiling})")
    return Budget(limits.max_requests, limits.max_duration_s, requests_cap=SCENARIO_REQUESTS)


def _not_run(scenario: Scenario, number: int, ceiling: HourlyCeiling, needed: int) -> CanaryRun:
    """A --once run the hourly ceiling leaves no room for: an error, so that cron's log shows it."""
    allowance = ceiling.allowance(time.time())
    note = (
        f"not run: the hourly ceiling of {ceiling.limit} requests leaves {allowance} this hour and a run needs "
        f"{needed} (--max-requests-per-hour, or a longer interval between runs)"
    )
    return CanaryRun(number, scenario.name, datetime.now(UTC), 0.0, RunStatus.ERROR, note=note)


def _noted(run: CanaryRun, note: str) -> CanaryRun:
    return replace(run, note=f"{run.note}; {note}" if run.note else note)


def _finished(options: CanaryOptions, done: list[CanaryRun], last: CanaryRun) -> bool:
    if last.status is RunStatus.ABANDONED or options.every_s is None:
        return True
    return options.max_runs is not None and len(done) >= options.max_runs


def _one_run(
    scenario: Scenario,
    target: LiveTarget,
    catalogue: Catalogue,
    options: CanaryOptions,
    abandoning: Callable[[], bool],
    number: int,
    pending: Pending | None,
    budget: Budget,
) -> tuple[CanaryRun, Pending | None]:
    started, clock = datetime.now(UTC), time.monotonic()
    box: list[tuple[CanaryRun, Pending | None]] = []

    def work() -> None:
        try:
            box.append(attempt(scenario, target, catalogue, options.retries, number, options.run, pending, budget))
        except Exception as exc:  # a canary outlives one bad run: record it and go on
            elapsed = time.monotonic() - clock
            run = CanaryRun(number, scenario.name, started, elapsed, RunStatus.ERROR, note=repr(exc), sent=budget.spent)
            box.append((run, None))

    # A daemon: an abandoned or timed-out run must not keep the process alive.
    worker = threading.Thread(target=work, name=f"canary-run-{number}", daemon=True)
    worker.start()
    while worker.is_alive():
        worker.join(_POLL_S)
        elapsed = time.monotonic() - clock
        if abandoning() and worker.is_alive():
            budget.close("the canary run was abandoned")  # the worker sends nothing more
            abandoned = CanaryRun(
                number,
                scenario.name,
                started,
                elapsed,
                RunStatus.ABANDONED,
                note="stopped by a signal",
                sent=budget.spent,
            )
            return abandoned, None
        if elapsed > options.timeout_s and worker.is_alive():
            note = f"ran past the {options.timeout_s:g}s timeout"
            budget.close(f"the canary run {note}")
            _drain(worker, abandoning)  # the next run must not overlap this one
            timed_out = CanaryRun(
                number, scenario.name, started, elapsed, RunStatus.TIMED_OUT, note=note, sent=budget.spent
            )
            return timed_out, None
    return box[0]


def _drain(worker: threading.Thread, abandoning: Callable[[], bool]) -> None:
    while worker.is_alive() and not abandoning():
        worker.join(_POLL_S)


def _published(run: CanaryRun, client: Any, options: CanaryOptions) -> CanaryRun:
    """Metrics for a run that ended (an abandoned run proved nothing either way: no datum)."""
    if client is None or run.status is RunStatus.ABANDONED:
        return run
    try:
        metrics.publish(client, options.namespace, metrics.metric_data(run, options.dimensions, options.every_s))
    except Exception as exc:  # the history still keeps the run; the note says why CloudWatch lacks it
        note = f"{run.note}; " if run.note else ""
        return replace(run, note=f"{note}metrics not published: {exc}")
    return run


@contextmanager
def stop_on_signals(stop: threading.Event, abandon: threading.Event | None = None) -> Iterator[None]:
    """SIGINT and SIGTERM set `stop` instead of raising mid-run, and any later one sets `abandon`;
    the previous handlers come back after."""

    def handler(signum: int, frame: FrameType | None) -> None:
        if stop.is_set() and abandon is not None:
            abandon.set()
        stop.set()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
