"""`gatecrash canary` as a process: SIGTERM mid-run leaves a consistent history; a restart continues it."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from gatecrash.canary.history import FILE_NAME, History
from gatecrash.canary.model import RunStatus

SLOW = """
name: canary-slow
target:
  emulator:
    definition: api.yaml
    side-file: stage.yaml
limits:
  max-requests: 60
  max-duration: 30s
probes:
  - name: no API key
    mode: missing-api-key
    request: {method: GET, path: /keyed}
  - name: get a pet, four times in a row
    mode: ok
    request: {method: GET, path: /pets/1}
    repeat: 4
"""


def _canary(directory: Path, *flags: str) -> list[str]:
    history = str(directory / "history")
    return [sys.executable, "-m", "gatecrash", "canary", "slow.yaml", "--history", history, "--no-metrics", *flags]


def _wait_for_runs(history_dir: Path, count: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60.0
    while time.monotonic() < deadline and process.poll() is None:
        if (history_dir / FILE_NAME).exists() and len(History(history_dir).runs()) >= count:
            return
        time.sleep(0.1)
    raise AssertionError(f"no {count} run(s) recorded in time")


def test_sigterm_mid_run_leaves_a_consistent_history_and_a_restart_continues_it(canary_dir: Path) -> None:
    (canary_dir / "slow.yaml").write_text(SLOW, encoding="utf-8")
    (canary_dir / "sleep.txt").write_text("0.6", encoding="utf-8")  # 4 x 0.6 s: a run takes over 2 s
    history_dir = canary_dir / "history"
    process = subprocess.Popen(
        _canary(canary_dir, "--every", "1s"), cwd=canary_dir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        _wait_for_runs(history_dir, 1, process)
        time.sleep(0.8)  # the second run started at once (the first overran 1 s) and is under way
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, output.decode()

    runs = History(history_dir).runs()
    assert [run.number for run in runs] == list(range(1, len(runs) + 1))
    assert runs[-1].status is RunStatus.ABANDONED and runs[-1].probes == ()
    assert all(run.status is RunStatus.COMPLETED and len(run.probes) == 2 for run in runs[:-1])
    with sqlite3.connect(history_dir / FILE_NAME) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)

    again = subprocess.run(_canary(canary_dir, "--once"), cwd=canary_dir, capture_output=True, timeout=60)
    assert again.returncode == 0, again.stdout.decode() + again.stderr.decode()
    after = History(history_dir).runs()
    assert after[:-1] == runs
    assert after[-1].number == len(runs) + 1 and after[-1].status is RunStatus.COMPLETED
