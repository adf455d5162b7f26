"""`gatecrash canary` as a process: a signal mid-run leaves a consistent history; a restart continues it.

With `--on-stop finish` (the default) the first signal lets the run under way complete, recorded and
published, and a second abandons it; with `--on-stop abandon` the first abandons it.
"""

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


def _canary(directory: Path, *flags: str, metrics: bool = False) -> list[str]:
    history = str(directory / "history")
    command = [sys.executable, "-m", "gatecrash", "canary", "slow.yaml", "--history", history, *flags]
    return command if metrics else [*command, "--no-metrics"]


def _signalled_mid_run(canary_dir: Path, signals: list[signal.Signals], *flags: str, metrics: bool = False) -> str:
    """Starts the slow canary every second, sends `signals` (1 s apart) while its second run is
    under way, and returns its output once it exited 0."""
    (canary_dir / "slow.yaml").write_text(SLOW, encoding="utf-8")
    (canary_dir / "sleep.txt").write_text("0.6", encoding="utf-8")  # 4 x 0.6 s: a run takes over 2 s
    command = _canary(canary_dir, "--every", "1s", *flags, metrics=metrics)
    process = subprocess.Popen(command, cwd=canary_dir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        _wait_for_runs(canary_dir / "history", 1, process)
        time.sleep(0.8)  # the second run started at once (the first overran 1 s) and is under way
        for number, sent in enumerate(signals):
            if number:
                time.sleep(1.0)
                assert process.poll() is None, "the first signal ended the canary"
            process.send_signal(sent)
        output, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=30)  # reaps it and closes its pipe: no leak into later tests
    assert process.returncode == 0, output.decode()
    return output.decode()


def _consistent(history_dir: Path) -> None:
    with sqlite3.connect(history_dir / FILE_NAME) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def _wait_for_runs(history_dir: Path, count: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60.0
    while time.monotonic() < deadline and process.poll() is None:
        if (history_dir / FILE_NAME).exists() and len(History(history_dir).runs()) >= count:
            return
        time.sleep(0.1)
    raise AssertionError(f"no {count} run(s) recorded in time")


def test_sigterm_with_on_stop_abandon_abandons_the_run_and_a_restart_continues_the_history(
    canary_dir: Path,
) -> None:
    _signalled_mid_run(canary_dir, [signal.SIGTERM], "--on-stop", "abandon")
    history_dir = canary_dir / "history"

    runs = History(history_dir).runs()
    assert [run.number for run in runs] == list(range(1, len(runs) + 1))
    assert runs[-1].status is RunStatus.ABANDONED and runs[-1].probes == ()
    assert all(run.status is RunStatus.COMPLETED and len(run.probes) == 2 for run in runs[:-1])
    _consistent(history_dir)

    again = subprocess.run(_canary(canary_dir, "--once"), cwd=canary_dir, capture_output=True, timeout=60)
    assert again.returncode == 0, again.stdout.decode() + again.stderr.decode()
    after = History(history_dir).runs()
    assert after[:-1] == runs
    assert after[-1].number == len(runs) + 1 and after[-1].status is RunStatus.COMPLETED


def test_sigterm_with_on_stop_finish_lets_the_run_under_way_complete_and_publish(canary_dir: Path) -> None:
    """The default: the run signalled mid-way completes (its probes recorded, its metrics published:
    a failed put_metric_data would be in its note), then the canary exits 0 without starting another."""
    output = _signalled_mid_run(canary_dir, [signal.SIGTERM], metrics=True)
    history_dir = canary_dir / "history"

    runs = History(history_dir).runs()
    assert [run.number for run in runs] == [1, 2], output
    for run in runs:
        assert (run.status, run.note) == (RunStatus.COMPLETED, "")
        assert [(p.name, p.verdict) for p in run.probes] == [
            ("no API key", "CONFIRMED"),
            ("get a pet, four times in a row", "CONFIRMED"),
        ]
    assert runs[-1].duration_s > 2.0  # the whole run: four requests of 0.6 s each
    assert "run #2 completed" in output
    _consistent(history_dir)


def test_a_second_signal_abandons_the_run_the_first_let_finish(canary_dir: Path) -> None:
    output = _signalled_mid_run(canary_dir, [signal.SIGINT, signal.SIGINT])
    history_dir = canary_dir / "history"

    runs = History(history_dir).runs()
    assert [(run.number, run.status) for run in runs] == [(1, RunStatus.COMPLETED), (2, RunStatus.ABANDONED)], output
    assert len(runs[0].probes) == 2 and runs[1].probes == ()
    assert runs[1].note == "stopped by a signal"
    assert runs[1].duration_s > 1.5  # abandoned at the second signal (about 1.8 s in), not at the first
    _consistent(history_dir)
