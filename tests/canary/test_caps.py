"""Caps are absolute: a canary, with its retries, timeouts and signals, never sends more than its caps.

Every probe goes through the emulator to a backend that counts what it gets (tests/fixtures/counting),
so what is counted is what gatecrash sent; the canary runs as a user runs it, in a subprocess.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from gatecrash.canary.history import History
from gatecrash.canary.model import RunStatus
from tests.conftest import ROOT

COUNTING = ROOT / "tests" / "fixtures" / "counting"
GATECRASH = [sys.executable, "-m", "gatecrash"]


def scenario(tmp_path: Path, limits: str, probe: str) -> Path:
    path = tmp_path / "caps.yaml"
    path.write_text(
        "name: caps\n"
        f"target: {{emulator: {{definition: {COUNTING}/api.yaml, backends: {{backend: {COUNTING}/backend.py:app}}}}}}\n"
        f"limits: {limits}\n"
        f"probes:\n  - {probe}\n"
    )
    return path


def counted(count_file: Path) -> int:
    return len(count_file.read_text().splitlines()) if count_file.exists() else 0


def canary(tmp_path: Path, *args: str) -> tuple[subprocess.Popen[str], Path]:
    count_file = tmp_path / "counts.txt"
    environ = {**os.environ, "GATECRASH_COUNT_FILE": str(count_file)}
    command = [*GATECRASH, "canary", *args, "--no-metrics", "--history", str(tmp_path / "history")]
    process = subprocess.Popen(
        command, env=environ, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    return process, count_file


def finished(process: subprocess.Popen[str], timeout: float = 120) -> tuple[int, str]:
    out, err = process.communicate(timeout=timeout)
    return process.returncode, out + err


def test_retries_share_the_runs_max_requests(tmp_path: Path) -> None:
    # 3 requests a try: the first try and one retry fit in 7, a second retry would need 9.
    path = scenario(
        tmp_path,
        "{max-requests: 7, max-duration: 60s}",
        "{name: failing, mode: ok, repeat: 3, request: {method: GET, path: /count/status/503}}",
    )
    process, count_file = canary(tmp_path, str(path), "--once", "--retries", "5")
    code, output = finished(process)
    assert code == 1, output
    assert counted(count_file) == 6
    [run] = History(tmp_path / "history").runs()
    assert run.sent == 6
    [probe] = run.probes
    assert probe.attempts == 2 and probe.verdict == "WRONG_STATUS"
    assert "not retried: the scenario's max-requests covers the run and its retries (1 requests left)" in probe.reason


def test_retries_stop_at_the_runs_max_duration(tmp_path: Path) -> None:
    # The first try's one request takes longer than the whole run may: no retry is sent.
    path = scenario(
        tmp_path,
        "{max-requests: 50, max-duration: 1s}",
        "{name: slow and failing, mode: ok, request: {method: GET, path: /count/sleep/1500/503}}",
    )
    process, count_file = canary(tmp_path, str(path), "--once", "--retries", "3")
    code, output = finished(process)
    assert code == 1, output
    assert counted(count_file) == 1
    [run] = History(tmp_path / "history").runs()
    assert run.sent == 1 and run.probes[0].attempts == 1
    assert "not retried: the scenario's max-duration covers the run and its retries" in run.probes[0].reason


def test_a_run_past_its_timeout_sends_nothing_more(tmp_path: Path) -> None:
    # Six slow requests (and their retries) would outlast the 1 s timeout: the run is cut there.
    path = scenario(
        tmp_path,
        "{max-requests: 50, max-duration: 60s}",
        "{name: slow, mode: ok, repeat: 6, request: {method: GET, path: /count/sleep/400/503}}",
    )
    process, count_file = canary(tmp_path, str(path), "--once", "--timeout", "1s", "--retries", "2")
    code, output = finished(process)
    assert code == 1, output
    [run] = History(tmp_path / "history").runs()
    assert run.status is RunStatus.TIMED_OUT
    sent = counted(count_file)
    assert sent < 6, "the timed-out run went on sending"
    assert run.sent == sent


def test_a_schedule_stops_at_its_hourly_ceiling_and_a_signal_ends_it(tmp_path: Path) -> None:
    # Each run sends 4 (2, and one retry of 2): the hourly ceiling of 8 allows two runs, then waits.
    path = scenario(
        tmp_path,
        "{max-requests: 4, max-duration: 60s}",
        "{name: failing, mode: ok, repeat: 2, request: {method: GET, path: /count/status/503}}",
    )
    process, count_file = canary(tmp_path, str(path), "--every", "1s", "--max-requests-per-hour", "8")
    try:
        deadline = time.monotonic() + 90
        while counted(count_file) < 8 and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(3)  # three more intervals: a schedule without its ceiling would have run again
        process.send_signal(signal.SIGTERM)
        code, output = finished(process)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=30)
    assert code == 0, output
    assert counted(count_file) == 8
    runs = History(tmp_path / "history").runs()
    assert [run.sent for run in runs] == [4, 4]


def test_a_retried_load_phase_draws_on_what_its_first_try_left(tmp_path: Path) -> None:
    # Each try of the phase sends its 10 requests to a failing backend: 25 leave room for one retry,
    # and a second would need 10 of the 5 left (before the budget: 40, four tries of 10).
    path = tmp_path / "caps.yaml"
    path.write_text(
        "name: caps\n"
        f"target: {{emulator: {{definition: {COUNTING}/api.yaml, backends: {{backend: {COUNTING}/backend.py:app}}}}}}\n"
        "limits: {max-requests: 25, max-duration: 60s}\n"
        "probes:\n"
        "  - name: load\n"
        "    mode: ok\n"
        "    rate: {rps: 10, duration: 1s}\n"
        "    request: {method: GET, path: /count/status/503}\n"
        '    expect: {status: {"200": [1.0, 1.0]}}\n'
    )
    process, count_file = canary(tmp_path, str(path), "--once", "--retries", "3")
    code, output = finished(process, timeout=300)
    assert code == 1, output
    [run] = History(tmp_path / "history").runs()
    assert counted(count_file) == run.sent == 20
    [phase] = run.probes
    assert phase.attempts == 2
    assert "not retried: the scenario's max-requests covers the run and its retries (5 requests left)" in phase.reason
