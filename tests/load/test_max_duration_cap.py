"""A load phase sends nothing after its max-duration, even when slow answers leave it behind schedule.

Found by bench/fuzz.py's caps cases: a rate phase of 10 rps against answers that take 800 ms, capped at
2 s, kept sending the arrivals due before 2 s until 3.5 s, as its users came free. An arrival whose
turn comes after max-duration is not sent. The bound is checked on locust's own clock: every record
was sent within max-duration of the phase's first due arrival (both read from the same time.time()
in the same process), so this is a cap, not a speed.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from gatecrash.catalogue import load_catalogue
from gatecrash.load.engine import run_phase
from gatecrash.run import resolve_secrets
from gatecrash.scenario import LoadPhase, load_scenario
from gatecrash.target import open_target
from tests.conftest import ROOT

COUNTING = ROOT / "tests" / "fixtures" / "counting"
MAX_DURATION_S = 2.0


def test_arrivals_whose_turn_comes_after_max_duration_are_not_sent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GATECRASH_COUNT_FILE", str(tmp_path / "counts.txt"))
    path = tmp_path / "slow.yaml"
    path.write_text(
        "name: slow\n"
        f"target: {{emulator: {{definition: {COUNTING}/api.yaml, backends: {{backend: {COUNTING}/backend.py:app}}}}}}\n"
        "limits: {max-requests: 40, max-duration: 30s}\n"
        "probes:\n"
        "  - name: slow load\n"
        "    mode: ok\n"
        "    rate: {rps: 10, duration: 4s}\n"
        "    users: 2\n"
        "    request: {method: GET, path: /count/sleep/800/200}\n"
        '    expect: {status: {"200": [1.0, 1.0]}}\n'
    )
    scenario = load_scenario(path, load_catalogue().ids)
    [step] = scenario.steps
    assert isinstance(step, LoadPhase)
    # As a run bounds a phase by what is left of its max-duration (run.py).
    phase = replace(step, max_duration_s=MAX_DURATION_S)
    with open_target(scenario.target) as target:
        run = run_phase(phase, target.base_url, target.region, resolve_secrets(scenario, target), "slow")
    assert run.records, "the phase sent nothing"
    late = [r for r in run.records if r.sent - run.started > MAX_DURATION_S]
    assert late == []
    assert len(run.records) < len(run.schedule)  # two users on 800 ms answers could not keep up
    counted = (tmp_path / "counts.txt").read_text().splitlines()
    assert len(counted) == len(run.records)
