"""`gatecrash emulator --logs-retention`: the local logs' window, said when the emulator starts."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

import httpx
import pytest

from tests.conftest import ROOT

GATECRASH = [sys.executable, "-m", "gatecrash"]
API = "scenarios/demo/api.yaml"


def _first_lines(*args: str) -> str:
    """What the emulator prints before "Press Ctrl-C to stop.", then stop it as a user would."""
    process = subprocess.Popen(
        [*GATECRASH, "emulator", "--definition", API, *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    lines = []
    try:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            if "Press Ctrl-C" in line:
                break
        # Stop it once it serves, as a user would: not while it is still starting.
        base = re.search(r"at (http://127\.0\.0\.1:\d+/\S+)", lines[0])
        assert base, lines
        give_up = time.monotonic() + 30
        while True:
            try:
                httpx.get(base.group(1) + "/pets", timeout=5)
                break
            except httpx.TransportError:
                assert time.monotonic() < give_up, "the emulator never answered"
                time.sleep(0.05)
    finally:
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    return "".join(lines)


def test_the_emulator_says_how_long_its_logs_are_kept() -> None:
    assert "Log events are kept for 1m30s (--logs-retention)" in _first_lines("--logs-retention", "90s")
    assert "Log events are kept for 5m (--logs-retention)" in _first_lines()  # the default


@pytest.mark.parametrize(
    ("value", "message"),
    [("0s", "longer than zero"), ("15", "write a duration such as 30s"), ("1d", "write a duration such as 30s")],
)
def test_a_retention_that_is_not_a_positive_duration_is_a_usage_error(value: str, message: str) -> None:
    result = subprocess.run(
        [*GATECRASH, "emulator", "--definition", API, "--logs-retention", value],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr


def test_a_retention_with_an_endpoint_url_is_a_usage_error() -> None:
    result = subprocess.run(
        [*GATECRASH, "emulator", "--definition", API, "--endpoint-url", "http://127.0.0.1:9", "--logs-retention", "1m"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert result.returncode == 2
    assert "--logs-retention is for the local logs server" in result.stderr
