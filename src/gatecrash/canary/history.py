"""The run history: SQLite under reports/canary/, one transaction per run.

A run and its probes are written in one transaction, so a stop (SIGTERM, a crash, a power cut)
leaves either the whole run or none of it; a restart reads the last number and continues.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import datetime
from pathlib import Path

from gatecrash.canary.model import CanaryRun, ProbeOutcome, RunStatus

FILE_NAME = "history.sqlite3"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    number INTEGER PRIMARY KEY,
    scenario TEXT NOT NULL,
    started TEXT NOT NULL,
    duration_s REAL NOT NULL,
    status TEXT NOT NULL,
    note TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS probes (
    run INTEGER NOT NULL REFERENCES runs(number),
    position INTEGER NOT NULL,
    name TEXT NOT NULL,
    mode TEXT NOT NULL,
    verdict TEXT NOT NULL,
    reason TEXT NOT NULL,
    evidence TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    statuses TEXT NOT NULL,
    PRIMARY KEY (run, position)
);
"""


class History:
    """The history in `directory`; each call opens and closes its own connection, so nothing is
    held open across a run (another process may read the file meanwhile)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.path = directory / FILE_NAME
        directory.mkdir(parents=True, exist_ok=True)
        with self._connection() as connection:
            connection.executescript(_SCHEMA)

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        with closing(sqlite3.connect(self.path, timeout=10.0)) as connection:
            with connection:  # one transaction: committed on success, rolled back on error
                yield connection

    def next_number(self) -> int:
        with self._connection() as connection:
            (last,) = connection.execute("SELECT COALESCE(MAX(number), 0) FROM runs").fetchone()
        return int(last) + 1

    def record(self, run: CanaryRun) -> None:
        with self._connection() as connection:
            connection.execute(
                "INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?)",
                (run.number, run.scenario, run.started.isoformat(), run.duration_s, run.status.value, run.note),
            )
            connection.executemany(
                "INSERT INTO probes VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        run.number,
                        position,
                        p.name,
                        p.mode,
                        p.verdict,
                        p.reason,
                        json.dumps(list(p.evidence)),
                        p.attempts,
                        json.dumps(list(p.statuses)),
                    )
                    for position, p in enumerate(run.probes)
                ],
            )

    def runs(self) -> list[CanaryRun]:
        with self._connection() as connection:
            rows = connection.execute("SELECT * FROM runs ORDER BY number").fetchall()
            probes = connection.execute("SELECT * FROM probes ORDER BY run, position").fetchall()
        by_run: dict[int, list[ProbeOutcome]] = {}
        for run, _, name, mode, verdict, reason, evidence, attempts, statuses in probes:
            outcome = ProbeOutcome(
                name, mode, verdict, reason, tuple(json.loads(evidence)), attempts, tuple(json.loads(statuses))
            )
            by_run.setdefault(run, []).append(outcome)
        return [
            CanaryRun(
                number,
                scenario,
                datetime.fromisoformat(started),
                duration_s,
                RunStatus(status),
                tuple(by_run.get(number, ())),
                note,
            )
            for number, scenario, started, duration_s, status, note in rows
        ]
