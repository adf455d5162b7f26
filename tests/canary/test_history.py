"""The history file: a database written before `pending` existed migrates in place, keeping its runs;
what a run leaves pending is stored with it and read back against the scenario."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from gatecrash.canary.execute import Pending
from gatecrash.canary.history import FILE_NAME, SCHEMA_VERSION, History
from gatecrash.canary.model import CanaryRun, ProbeOutcome, RunStatus
from gatecrash.catalogue import load_catalogue
from gatecrash.runner.fire import StepRecord
from gatecrash.runner.record import Observation, SentRequest
from gatecrash.runner.verdict import AWAITING_LOGS, StepResult, Verdict
from gatecrash.scenario import load_scenario

# The schema as the first release wrote it (no user_version, no pending table).
OLD_SCHEMA = """
CREATE TABLE runs (number INTEGER PRIMARY KEY, scenario TEXT NOT NULL, started TEXT NOT NULL,
    duration_s REAL NOT NULL, status TEXT NOT NULL, note TEXT NOT NULL);
CREATE TABLE probes (run INTEGER NOT NULL REFERENCES runs(number), position INTEGER NOT NULL,
    name TEXT NOT NULL, mode TEXT NOT NULL, verdict TEXT NOT NULL, reason TEXT NOT NULL,
    evidence TEXT NOT NULL, attempts INTEGER NOT NULL, statuses TEXT NOT NULL, PRIMARY KEY (run, position));
INSERT INTO runs VALUES (1, 'canary-test', '2026-01-02T03:04:05+00:00', 1.5, 'completed', '');
INSERT INTO probes VALUES (1, 0, 'get a pet', 'ok', 'CONFIRMED', 'confirmed', '["line"]', 1, '[200]');
"""


def test_an_old_history_migrates_keeping_its_runs_and_pending_round_trips(canary_dir: Path) -> None:
    history_dir = canary_dir / "history"
    history_dir.mkdir()
    with sqlite3.connect(history_dir / FILE_NAME) as connection:
        connection.executescript(OLD_SCHEMA)

    history = History(history_dir)
    assert history.runs() == [
        CanaryRun(
            1,
            "canary-test",
            datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
            1.5,
            RunStatus.COMPLETED,
            (ProbeOutcome("get a pet", "ok", "CONFIRMED", "confirmed", ("line",), 1, (200,)),),
        )
    ]
    with sqlite3.connect(history_dir / FILE_NAME) as connection:
        assert connection.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
    assert History(history_dir).next_number() == 2  # opening again migrates nothing twice

    catalogue = load_catalogue()
    scenario = load_scenario(canary_dir / "scenario.yaml", catalogue.ids)
    step = scenario.steps[1]  # no API key
    request = SentRequest("GET", "http://127.0.0.1:1/demo/keyed", (("accept", "*/*"),), "", 0)
    observation = Observation(
        step.name, 0, request, 1.0, 1.25, 403, (("x-amzn-requestid", "r-1"), ("x-amzn-errortype", "Forbidden"))
    )
    result = StepResult(StepRecord(step, (observation,)), catalogue.get(step.mode), Verdict.UNCONFIRMED, AWAITING_LOGS)
    started, finished = datetime(2026, 1, 2, 4, tzinfo=UTC), datetime(2026, 1, 2, 4, 0, 3, tzinfo=UTC)
    pending = Pending(2, (1,), (result,), started, finished)
    history.record(CanaryRun(2, scenario.name, started, 3.0, RunStatus.COMPLETED), pending)

    assert history.pending(scenario, catalogue) == pending
    assert [run.number for run in history.runs()] == [1, 2]
    # Another scenario, or this one edited so that position 1 holds another probe: nothing to re-check.
    assert history.pending(replace(scenario, name="another"), catalogue) is None
    assert history.pending(replace(scenario, steps=scenario.steps[1:] + scenario.steps[:1]), catalogue) is None
    # The next completed run replaces it; with nothing left pending, nothing stays.
    history.record(CanaryRun(3, scenario.name, finished, 1.0, RunStatus.COMPLETED), None)
    assert history.pending(scenario, catalogue) is None


def test_processes_opening_a_new_history_at_once_migrate_it_once(tmp_path: Path) -> None:
    # A canary creates its history while `gatecrash canary --status` (or a test) opens it: each
    # opener must find the file either untouched or current, never apply a step twice.
    script = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from gatecrash.canary.history import History\n"
        "start = float(sys.argv[2])\n"
        "time.sleep(max(0.0, start - time.time()))\n"
        "print(len(History(Path(sys.argv[1])).runs()))\n"
    )
    for attempt in range(3):
        directory = tmp_path / f"history-{attempt}"
        start = time.time() + 1.5
        openers = [
            subprocess.Popen(
                [sys.executable, "-c", script, str(directory), str(start)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(6)
        ]
        for opener in openers:
            out, err = opener.communicate(timeout=60)
            assert opener.returncode == 0, err
            assert out.strip() == "0"
        with sqlite3.connect(directory / FILE_NAME) as connection:
            assert connection.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
