"""The run history: SQLite under reports/canary/, one transaction per run.

A run and its probes are written in one transaction, so a stop (SIGTERM, a crash, a power cut)
leaves either the whole run or none of it; a restart reads the last number and continues.

The same transaction replaces `pending`: the requests a run left UNCONFIRMED (with their answers),
so that a restarted canary re-checks them in the logs in its first run, as the loop would have.
The schema is versioned with `PRAGMA user_version`; opening a history migrates it in place.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

from gatecrash.canary.execute import Pending
from gatecrash.canary.model import CanaryRun, ProbeOutcome, RunStatus
from gatecrash.catalogue import Catalogue
from gatecrash.errors import EnvironmentProblem, FileError, GatecrashError, Problem
from gatecrash.outputs import make_folder
from gatecrash.runner.fire import StepRecord
from gatecrash.runner.record import Observation, SentRequest
from gatecrash.runner.verdict import StepResult, Verdict
from gatecrash.scenario.model import Scenario, Step

FILE_NAME = "history.sqlite3"

# Version 1: runs and probes (histories written before versioning have user_version 0 and these
# tables: the IF NOT EXISTS makes version 1 a no-op on them).
_V1 = """
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
# Version 2: what the last completed run left UNCONFIRMED, by position in the scenario.
_V2 = """
CREATE TABLE IF NOT EXISTS pending (
    position INTEGER PRIMARY KEY,
    run INTEGER NOT NULL,
    scenario TEXT NOT NULL,
    name TEXT NOT NULL,
    mode TEXT NOT NULL,
    started TEXT NOT NULL,
    finished TEXT NOT NULL,
    result TEXT NOT NULL
);
"""
# Version 3: how many requests each run (and its retries) sent, for the schedule's hourly ceiling.
_V3 = "ALTER TABLE runs ADD COLUMN sent INTEGER NOT NULL DEFAULT 0;"
_MIGRATIONS = (_V1, _V2, _V3)
SCHEMA_VERSION = len(_MIGRATIONS)


class History:
    """The history in `directory`; each call opens and closes its own connection, so nothing is
    held open across a run (another process may read the file meanwhile)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.path = directory / FILE_NAME
        make_folder(directory, "--history")
        try:
            with closing(sqlite3.connect(self.path, timeout=10.0, isolation_level=None)) as connection:
                _migrate(connection)
        except sqlite3.DatabaseError as error:
            raise _unusable(self.path, str(error)) from None

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        with closing(sqlite3.connect(self.path, timeout=10.0)) as connection:
            with connection:  # one transaction: committed on success, rolled back on error
                yield connection

    def next_number(self) -> int:
        with self._connection() as connection:
            (last,) = connection.execute("SELECT COALESCE(MAX(number), 0) FROM runs").fetchone()
        return int(last) + 1

    def record(self, run: CanaryRun, pending: Pending | None = None) -> None:
        """`run`, and `pending` in place of what was pending, in one transaction."""
        with self._connection() as connection:
            connection.execute(
                "INSERT INTO runs (number, scenario, started, duration_s, status, note, sent) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    run.number,
                    run.scenario,
                    run.started.isoformat(),
                    run.duration_s,
                    run.status.value,
                    run.note,
                    run.sent,
                ),
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
            connection.execute("DELETE FROM pending")
            if pending is not None:
                connection.executemany(
                    "INSERT INTO pending VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        (
                            position,
                            pending.number,
                            run.scenario,
                            result.name,
                            result.mode.id,
                            pending.started.isoformat(),
                            pending.finished.isoformat(),
                            json.dumps(result_document(result)),
                        )
                        for position, result in zip(pending.positions, pending.results, strict=True)
                    ],
                )

    def pending(self, scenario: Scenario, catalogue: Catalogue) -> Pending | None:
        """What the last completed run of `scenario` left UNCONFIRMED, or None. An entry whose position
        no longer holds the same probe (the scenario was edited since) is dropped: its answers
        would be judged against another probe."""
        with self._connection() as connection:
            rows = connection.execute(
                "SELECT position, run, name, mode, started, finished, result FROM pending "
                "WHERE scenario = ? ORDER BY position",
                (scenario.name,),
            ).fetchall()
        kept: list[tuple[int, StepResult]] = []
        for position, _, name, mode, _, _, result in rows:
            if position >= len(scenario.steps) or mode not in catalogue:
                continue
            step = scenario.steps[position]
            if (step.name, step.mode) != (name, mode):
                continue
            kept.append((position, result_from_document(json.loads(result), step, catalogue)))
        if not kept:
            return None
        _, number, _, _, started, finished, _ = rows[0]
        return Pending(
            number,
            tuple(position for position, _ in kept),
            tuple(result for _, result in kept),
            datetime.fromisoformat(started),
            datetime.fromisoformat(finished),
        )

    def runs(self) -> list[CanaryRun]:
        with self._connection() as connection:
            rows = connection.execute(
                "SELECT number, scenario, started, duration_s, status, note, sent FROM runs ORDER BY number"
            ).fetchall()
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
                sent,
            )
            for number, scenario, started, duration_s, status, note, sent in rows
        ]

    def sends(self, scenario: str) -> list[tuple[float, int]]:
        """Per run of `scenario` that sent anything: when it ended (epoch seconds) and how many requests
        it sent, for the hourly ceiling of a canary restarted (or run --once) within the hour."""
        with self._connection() as connection:
            rows = connection.execute(
                "SELECT started, duration_s, sent FROM runs WHERE scenario = ? AND sent > 0", (scenario,)
            ).fetchall()
        return [(datetime.fromisoformat(started).timestamp() + duration_s, sent) for started, duration_s, sent in rows]


def _unusable(path: Path, reason: str) -> GatecrashError:
    if "locked" in reason:  # another canary writing the same history for longer than the timeout
        return EnvironmentProblem(f"{path}: the history is locked by another process ({reason}); try again")
    return FileError(
        [
            Problem(
                str(path),
                "$",
                f"not a canary history gatecrash can use: {reason}",
                hint="move it away or give --history another folder; a new history starts where there is none",
            )
        ]
    )


# Columns every version has: a database that has these tables without them is someone else's file.
_REQUIRED_COLUMNS = {
    "runs": {"number", "scenario", "started", "duration_s", "status", "note"},
    "probes": {"run", "position", "name", "mode", "verdict", "reason", "evidence", "attempts", "statuses"},
}


def _migrate(connection: sqlite3.Connection) -> None:
    """Brings the file to SCHEMA_VERSION, keeping every run (each step only adds).

    One IMMEDIATE transaction reads the version and applies the steps, so two processes opening a
    new history at once (a canary and a reader) cannot both apply a step: the second waits, then
    finds the file current. `executescript` would commit midway, hence one statement at a time.
    """
    connection.execute("BEGIN IMMEDIATE")
    try:
        _migrate_locked(connection)
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")


def _migrate_locked(connection: sqlite3.Connection) -> None:
    (version,) = connection.execute("PRAGMA user_version").fetchone()
    if int(version) > SCHEMA_VERSION:
        raise sqlite3.DatabaseError(
            f"written by a newer gatecrash (schema version {version}; this one reads up to {SCHEMA_VERSION})"
        )
    for table, required in _REQUIRED_COLUMNS.items():
        columns = {row[1] for row in connection.execute(f"PRAGMA table_info({table})")}
        if columns and not required <= columns:
            raise sqlite3.DatabaseError(f"its {table} table lacks {', '.join(sorted(required - columns))}")
    for number in range(int(version), SCHEMA_VERSION):
        for statement in _MIGRATIONS[number].split(";"):
            if statement.strip():
                connection.execute(statement)
        connection.execute(f"PRAGMA user_version = {number + 1}")


# --- a pending result as JSON: its answers and verdict; the step and the mode come from the scenario --


def result_document(result: StepResult) -> dict[str, Any]:
    return {
        "verdict": result.verdict.value,
        "reason": result.reason,
        "observed_cause": result.observed_cause,
        "evidence": list(result.evidence),
        "release_spread_ms": result.record.release_spread_ms,
        "observations": [asdict(observation) for observation in result.record.observations],
    }


def result_from_document(document: dict[str, Any], step: Step, catalogue: Catalogue) -> StepResult:
    observations = tuple(_observation(raw) for raw in document["observations"])
    return StepResult(
        StepRecord(step, observations, document["release_spread_ms"]),
        catalogue.get(step.mode),
        Verdict(document["verdict"]),
        document["reason"],
        document["observed_cause"],
        tuple(document["evidence"]),
    )


def _observation(raw: dict[str, Any]) -> Observation:
    request = raw["request"]
    return Observation(
        step=raw["step"],
        index=raw["index"],
        request=SentRequest(
            request["method"],
            request["url"],
            tuple((name, value) for name, value in request["headers"]),
            request["body_excerpt"],
            request["body_size"],
        ),
        sent_at=raw["sent_at"],
        received_at=raw["received_at"],
        status=raw["status"],
        headers=tuple((name, value) for name, value in raw["headers"]),
        body_excerpt=raw["body_excerpt"],
        error=raw["error"],
    )
