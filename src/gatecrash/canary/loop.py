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
from gatecrash.canary.schedule import next_start
from gatecrash.catalogue import Catalogue
from gatecrash.run import RunOptions
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
    start = time.monotonic()
    while not stop.is_set():
        run, left = _one_run(scenario, target, catalogue, options, abandoning, history.next_number(), pending)
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
) -> tuple[CanaryRun, Pending | None]:
    started, clock = datetime.now(UTC), time.monotonic()
    box: list[tuple[CanaryRun, Pending | None]] = []

    def work() -> None:
        try:
            box.append(attempt(scenario, target, catalogue, options.retries, number, options.run, pending))
        except Exception as exc:  # a canary outlives one bad run: record it and go on
            elapsed = time.monotonic() - clock
            box.append((CanaryRun(number, scenario.name, started, elapsed, RunStatus.ERROR, note=repr(exc)), None))

    # A daemon: an abandoned or timed-out run must not keep the process alive.
    worker = threading.Thread(target=work, name=f"canary-run-{number}", daemon=True)
    worker.start()
    while worker.is_alive():
        worker.join(_POLL_S)
        elapsed = time.monotonic() - clock
        if abandoning() and worker.is_alive():
            abandoned = CanaryRun(
                number, scenario.name, started, elapsed, RunStatus.ABANDONED, note="stopped by a signal"
            )
            return abandoned, None
        if elapsed > options.timeout_s and worker.is_alive():
            _drain(worker, abandoning)  # the next run must not overlap this one
            note = f"ran past the {options.timeout_s:g}s timeout"
            return CanaryRun(number, scenario.name, started, elapsed, RunStatus.TIMED_OUT, note=note), None
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
