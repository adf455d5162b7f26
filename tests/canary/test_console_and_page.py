"""The console line names the failed probes; the page's badges and SuccessPercent axis say what happened."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest

from gatecrash.canary.model import CanaryRun, ProbeOutcome, RunStatus
from gatecrash.canary.page import percent_axis, render
from gatecrash.canary.summary import NAMED_FAILURES, run_line

STARTED = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
PASSED = ProbeOutcome("no key", "missing-api-key", "CONFIRMED", "proven", statuses=(403,))
WRONG = ProbeOutcome("get a pet", "ok", "WRONG_STATUS", "expected 200, got 502", statuses=(502,))
BROKEN = ProbeOutcome("burst past the limit", "throttled", "ERROR", "connection refused")
PENDING = ProbeOutcome("route", "unknown-route", "UNCONFIRMED", "awaiting logs", statuses=(403,))


def _run(number: int, *probes: ProbeOutcome, status: RunStatus = RunStatus.COMPLETED, note: str = "") -> CanaryRun:
    return CanaryRun(number, "demo", STARTED, 2.34, status, probes, note)


def test_the_console_line_names_each_failed_probe_and_its_verdict() -> None:
    line = run_line(_run(4, PASSED, WRONG, PENDING, BROKEN))
    assert line == (
        "run #4 completed in 2.3s: 1 confirmed, 2 failed, 1 unconfirmed; SuccessPercent 25%; "
        "failed: get a pet (WRONG_STATUS), burst past the limit (ERROR)"
    )
    # Nothing failed, nothing named; the UNCONFIRMED probe proved nothing, so it is not a success.
    assert run_line(_run(5, PASSED, PENDING)).endswith("SuccessPercent 50%")
    timed_out = run_line(_run(6, status=RunStatus.TIMED_OUT, note="ran past the 2s timeout"))
    assert timed_out == (
        "run #6 timed-out in 2.3s: 0 confirmed, 0 failed, 0 unconfirmed; SuccessPercent 0% (ran past the 2s timeout)"
    )


def test_many_failures_are_counted_past_the_first_few_and_long_names_shortened() -> None:
    many = [ProbeOutcome(f"probe {i}", "ok", "WRONG_STATUS", "") for i in range(NAMED_FAILURES + 3)]
    line = run_line(_run(1, *many))
    named = re.findall(r"probe \d+ \(WRONG_STATUS\)", line)
    assert len(named) == NAMED_FAILURES and line.endswith(" and 3 more")
    long = ProbeOutcome("x" * 200, "ok", "WRONG_CAUSE", "")
    assert len(run_line(_run(1, long))) < 160 and "… (WRONG_CAUSE)" in run_line(_run(1, long))


class _Cells(HTMLParser):
    """The badges of the recent-runs table, and each chart's dots and labels."""

    def __init__(self) -> None:
        super().__init__()
        self.badges: list[str] = []
        self.charts: list[dict[str, list[str]]] = []
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "span" and "badge" in (found.get("class") or ""):
            self._in = "badge"
        elif tag == "svg":
            self.charts.append({"cy": [], "text": []})
        elif tag == "circle":
            self.charts[-1]["cy"].append(found["cy"] or "")
        elif tag == "text":
            self._in = "text"

    def handle_data(self, data: str) -> None:
        if self._in == "badge":
            self.badges.append(data)
        elif self._in == "text":
            self.charts[-1]["text"].append(data)
        self._in = None


def _parsed(runs: list[CanaryRun]) -> _Cells:
    cells = _Cells()
    cells.feed(render(runs))
    return cells


def test_a_failed_run_s_badge_says_failed() -> None:
    runs = [
        _run(1, PASSED),
        _run(2, PASSED, WRONG),
        _run(3, PASSED, PENDING),
        _run(4, status=RunStatus.TIMED_OUT, note="ran past the 2s timeout"),
        _run(5, status=RunStatus.ERROR, note="no credentials"),
        _run(6, status=RunStatus.ABANDONED, note="stopped by a signal"),
    ]
    # The table lists the newest first; the latest failure's own badge (its verdict) follows.
    assert _parsed(runs).badges == [
        "abandoned",
        "failed: error",
        "failed: timed out",
        "unconfirmed",
        "failed",
        "passed",
        "WRONG_STATUS",
    ]
    assert "last run #2 at 2026-01-02 03:04:05 UTC: failed: 1 confirmed, 1 failed" in render(runs[:2])


def test_the_success_percent_axis_is_scaled_to_the_data_and_labelled() -> None:
    near_full = [_run(1, PASSED), _run(2, *[PASSED] * 19, WRONG), _run(3, *[PASSED] * 39, WRONG)]  # 100, 95, 97.5
    percent, _ = _parsed(near_full).charts
    assert {"100", "90"} <= set(percent["text"]) and any("axis from 90" in t for t in percent["text"])
    full, five_off, half_off = (float(cy) for cy in percent["cy"])
    # 5 points of 10 on the axis: half the plot's height (112 px) apart, not 5% of it.
    assert five_off - full == pytest.approx(56.0, abs=0.2)
    assert five_off - half_off == pytest.approx(28.0, abs=0.2)


def test_the_success_percent_axis_keeps_100_and_reaches_0_when_a_run_proved_nothing() -> None:
    assert percent_axis([100.0]) == (95.0, 100.0)
    assert percent_axis([99.0, 100.0]) == (95.0, 100.0)
    assert percent_axis([95.0, 100.0]) == (90.0, 100.0)
    assert percent_axis([60.0]) == (55.0, 100.0)
    assert percent_axis([0.0, 100.0]) == (0.0, 100.0)
    assert percent_axis([]) == (95.0, 100.0)
    percent, _ = _parsed([_run(1, PASSED), _run(2, status=RunStatus.TIMED_OUT)]).charts
    assert {"100", "0"} <= set(percent["text"]) and not any("axis from" in t for t in percent["text"])


def test_gatecrash_canary_prints_the_failed_probes_on_its_run_line(canary_dir: Path) -> None:
    (canary_dir / "failing.flag").touch()  # the function behind "get a pet" raises: 502, not the 200 intended
    command = [sys.executable, "-m", "gatecrash", "canary", "scenario.yaml", "--once", "--retries", "0"]
    command += ["--no-metrics", "--history", str(canary_dir / "history")]
    narrow = {**os.environ, "COLUMNS": "60"}  # the line stays whole, as a log line must
    done = subprocess.run(command, cwd=canary_dir, env=narrow, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 1, done.stdout + done.stderr
    [line] = [line for line in done.stdout.splitlines() if line.startswith("run #1 ")]
    assert line.endswith("; failed: get a pet (WRONG_STATUS)"), done.stdout
