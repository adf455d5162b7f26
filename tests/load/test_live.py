"""Live progress of a load phase: each second's offered, accepted and throttled counts while it runs.

The counting is pure (`LiveCounter`); the end-to-end test runs a short capped phase (4 s at twice a
50 rps stage limit) on loopback against the load emulator, with locust in a child process.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gatecrash.catalogue import load_catalogue
from gatecrash.load.engine import EngineOptions
from gatecrash.load.live import LAG_S, LiveCounter, LiveSecond, live_text
from gatecrash.load.phase import LoadOptions
from gatecrash.load.records import QUOTA_TYPE, THROTTLED_TYPE, LoadRecord
from gatecrash.run import RunOptions, run_scenario
from gatecrash.scenario import LoadPhase, load_scenario
from tests.conftest import ROOT

START = 1_700_000_000.0


def _record(arrival: int, due: float, answered: float, status: int, error_type: str | None = None) -> LoadRecord:
    return LoadRecord(arrival, 0, START + due, START + due, START + answered, status, "id", error_type, None, 0)


def test_seconds_are_reported_once_their_answers_had_time_to_arrive() -> None:
    schedule = [0.0, 0.5, 1.0, 1.5, 2.0, 2.5]
    counter = LiveCounter(schedule)
    assert counter.complete(START + 10) == []  # nothing answered: the phase's start is not known yet
    counter.add([_record(1, 0.5, 0.6, 200), _record(0, 0.0, 0.1, 200), _record(2, 1.0, 1.1, 429, THROTTLED_TYPE)])
    assert counter.start == START
    assert counter.complete(START + 1.0 + LAG_S - 0.01) == []  # second 0 ended, its answers may still come
    assert counter.complete(START + 1.0 + LAG_S) == [LiveSecond(0, 3, 2, 2, 0, 0)]
    counter.add([_record(3, 1.5, 2.2, 429, QUOTA_TYPE)])  # answered in second 2, where it is counted
    assert counter.complete(START + 2.0 + LAG_S) == [LiveSecond(1, 3, 2, 0, 1, 0)]
    assert counter.complete(START + 2.0 + LAG_S) == []  # each second once
    counter.add([_record(4, 2.0, 2.1, 502), _record(5, 2.5, 2.6, 200)])
    assert counter.rest() == [LiveSecond(2, 3, 2, 1, 0, 2)]
    assert live_text("p", LiveSecond(2, 3, 2, 1, 0, 2)) == "p: offered 2/s, accepted 1/s, throttled 0/s, other 2/s"


SCENARIO = """
name: live
target:
  emulator: {definition: api.yaml, side-file: stage.yaml}
limits: {max-requests: 500, max-duration: 30s}
probes:
  - name: twice the stage limit, briefly
    mode: throttled
    rate: {rps: 100, duration: 4s}
    request: {method: GET, path: /limited}
    max-requests: 400
    max-duration: 6s
"""


@pytest.mark.parametrize("workers", [0, 2], ids=["one process", "master and two workers"])
def test_a_running_phase_reports_each_second_to_the_progress_callback(tmp_path: Path, workers: int) -> None:
    for name in ("api.yaml", "stage.yaml"):
        shutil.copy(ROOT / "scenarios" / "load" / name, tmp_path / name)
    (tmp_path / "live.yaml").write_text(SCENARIO, encoding="utf-8")
    kept = tmp_path / "kept"
    seen: list[tuple[str, LiveSecond, bool]] = []

    def progress(phase: LoadPhase, second: LiveSecond) -> None:
        # The child writes its summary when the phase is over: before that, the figures are live.
        seen.append((phase.name, second, (kept / "twice-the-stage-limit--briefly" / "summary.json").exists()))

    catalogue = load_catalogue()
    scenario = load_scenario(tmp_path / "live.yaml", catalogue.ids)
    load_options = LoadOptions(EngineOptions(workers=workers), work_dir=kept, progress=progress)
    options = RunOptions(correlate=False, load=load_options)
    run = run_scenario(scenario, catalogue, options)
    [load] = run.loads

    assert {name for name, _, _ in seen} == {"twice the stage limit, briefly"}
    seconds = [second for _, second, _ in seen]
    assert [s.second for s in seconds] == list(range(len(seconds))) and len(seconds) >= 4
    assert not seen[0][2], "the first second was reported only after the phase had ended"
    assert [s.offered for s in seconds[:4]] == [100, 100, 100, 100] and sum(s.offered for s in seconds) == 400
    # Every answer is counted once, in some second: the live totals are the report's.
    assert sum(s.accepted for s in seconds) == load.mix["200"]
    assert sum(s.throttled for s in seconds) == load.mix["429"] > 0
    assert sum(s.other for s in seconds) == 0
    # The burst of 100 covers the first second; from then on the 50 rps limit turns some away.
    assert seconds[0].throttled == 0 and seconds[0].accepted > 50
    assert any(s.throttled > 0 and s.accepted > 0 for s in seconds[1:])
    assert all(s.seconds == 4 for s in seconds), seconds


def test_a_kept_folder_from_an_earlier_run_does_not_add_its_records(tmp_path: Path) -> None:
    """The child appends to records.jsonl: a file left by an earlier run must not count again."""
    for name in ("api.yaml", "stage.yaml"):
        shutil.copy(ROOT / "scenarios" / "load" / name, tmp_path / name)
    (tmp_path / "live.yaml").write_text(SCENARIO.replace("400", "30").replace("4s", "1s"), encoding="utf-8")
    kept = tmp_path / "kept"
    folder = kept / "twice-the-stage-limit--briefly"
    folder.mkdir(parents=True)
    stale = _record(7, 0.0, 0.1, 200)
    (folder / "records.jsonl").write_text(
        "".join(
            f"[{7 + i}, 0, {stale.intended}, {stale.sent}, {stale.received}, 200, null, null, null, 0]\n"
            for i in range(50)
        ),
        encoding="utf-8",
    )
    catalogue = load_catalogue()
    scenario = load_scenario(tmp_path / "live.yaml", catalogue.ids)
    run = run_scenario(scenario, catalogue, RunOptions(correlate=False, load=LoadOptions(work_dir=kept)))
    [load] = run.loads
    assert load.sent == load.planned == 30


def test_gatecrash_run_on_a_terminal_shows_the_phase_live(tmp_path: Path) -> None:
    """The CLI's progress display, on a pseudo-terminal (rich shows none to a pipe)."""
    for name in ("api.yaml", "stage.yaml"):
        shutil.copy(ROOT / "scenarios" / "load" / name, tmp_path / name)
    (tmp_path / "live.yaml").write_text(SCENARIO.replace("400", "200").replace("4s", "2s"), encoding="utf-8")
    controller, terminal = os.openpty()
    environment = {**os.environ, "COLUMNS": "200", "LINES": "40", "TERM": "xterm"}
    command = [sys.executable, "-m", "gatecrash", "run", "live.yaml", "--no-logs", "--reports", "reports"]
    child = subprocess.Popen(command, cwd=tmp_path, stdin=terminal, stdout=terminal, stderr=terminal, env=environment)
    os.close(terminal)
    output = bytearray()
    deadline = time.monotonic() + 90
    try:
        while time.monotonic() < deadline:
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # the child closed the terminal: it has ended
                break
            if not chunk:
                break
            output += chunk
    finally:
        os.close(controller)
        child.wait(timeout=30)
    text = output.decode("utf-8", errors="replace")
    shown = re.findall(r"twice the stage limit, briefly: offered (\d+)/s, accepted (\d+)/s, throttled (\d+)/s", text)
    assert ("100", "0") in {(offered, throttled) for offered, _, throttled in shown}, text[-3000:]
