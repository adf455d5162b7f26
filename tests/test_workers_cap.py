"""--workers is bounded: local workers are processes on this machine, four per CPU core at most.

Without the bound, `--workers 10000` (or GATECRASH_WORKERS=10000) forked ten thousand locust
processes before the first request. Beyond the bound a run is a usage error (exit 2) before any
report folder is made or anything is sent.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import DEMO

GATECRASH = [sys.executable, "-m", "gatecrash"]
BOUND = 4 * (os.cpu_count() or 1)


def run_with(tmp_path: Path, *args: str, environ: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **(environ or {})}
    return subprocess.run(
        [*GATECRASH, "run", str(DEMO / "scenario.yaml"), "--reports", str(tmp_path / "reports"), *args],
        cwd=tmp_path,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_workers_past_four_per_core_is_a_usage_error_before_anything_is_made(tmp_path: Path) -> None:
    result = run_with(tmp_path, "--workers", str(BOUND + 1))
    assert result.returncode == 2, result.stderr
    assert f"--workers {BOUND + 1}: more than this machine's {BOUND} (four per CPU core)" in result.stderr
    assert "--remote-workers" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "reports").exists()


def test_the_environment_variable_is_held_to_the_same_bound(tmp_path: Path) -> None:
    result = run_with(tmp_path, environ={"GATECRASH_WORKERS": "10000"})
    assert result.returncode == 2, result.stderr
    assert f"--workers 10000: more than this machine's {BOUND}" in result.stderr
    assert not (tmp_path / "reports").exists()


def test_the_help_states_the_bound() -> None:
    result = subprocess.run([*GATECRASH, "run", "--help"], capture_output=True, text=True, timeout=60)
    assert f"at most {BOUND}" in " ".join(result.stdout.split())
