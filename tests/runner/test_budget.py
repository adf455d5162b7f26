"""The run's budget: one count of requests and one deadline that every sender draws from."""

from __future__ import annotations

from pathlib import Path

from gatecrash.catalogue import load_catalogue
from gatecrash.run import run_on_target
from gatecrash.runner.budget import Budget
from gatecrash.scenario import load_scenario
from gatecrash.target import open_target
from tests.conftest import ROOT

LOAD = ROOT / "scenarios" / "load"


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_requests_are_taken_all_or_none_and_charged_after_the_fact() -> None:
    budget = Budget(5, 60.0, Clock())
    assert budget.take(3) is None and budget.remaining == 2
    assert budget.take(3) == "not sent: the scenario's max-requests was reached"
    assert budget.remaining == 2  # a refused burst takes nothing
    budget.charge(2)  # a load phase capped at what was left
    assert budget.spent == 5 and budget.remaining == 0
    assert budget.refusal() == "not sent: the scenario's max-requests was reached"


def test_time_runs_out_for_every_sender_at_once() -> None:
    clock = Clock()
    budget = Budget(100, 2.0, clock)
    assert budget.time_left() == 2.0
    clock.now += 2.5
    assert budget.time_left() == 0.0
    assert budget.take() == "not sent: the scenario's max-duration was reached"
    assert budget.spent == 0


def test_a_closed_budget_sends_nothing_and_says_why() -> None:
    budget = Budget(100, 60.0, Clock(), requests_cap="the canary's hourly ceiling (8)")
    budget.close("the canary run was abandoned")
    budget.close("a later reason does not replace the first")
    assert budget.take() == "not sent: the canary run was abandoned"
    assert budget.remaining == 0 and budget.time_left() == 0.0
    other = Budget(1, 60.0, Clock(), requests_cap="the canary's hourly ceiling (8)")
    assert other.take(2) == "not sent: the canary's hourly ceiling (8) was reached"


def test_a_spent_budget_holds_back_probes_and_load_phases_alike(tmp_path: Path) -> None:
    # A load phase between probes: with nothing left, locust is not even started.
    scenario_file = tmp_path / "mixed.yaml"
    scenario_file.write_text(
        f"target: {{emulator: {{definition: {LOAD}/api.yaml, side-file: {LOAD}/stage.yaml}}}}\n"
        "limits: {max-requests: 100, max-duration: 60s}\n"
        "probes:\n"
        "  - {name: before, mode: ok, request: {method: GET, path: /limited}}\n"
        "  - name: load\n"
        "    mode: throttled\n"
        "    request: {method: GET, path: /limited}\n"
        "    rate: {rps: 10, duration: 2s}\n"
        "  - {name: after, mode: ok, request: {method: GET, path: /limited}}\n"
    )
    catalogue = load_catalogue()
    scenario = load_scenario(scenario_file, catalogue.ids)
    budget = Budget.of(scenario.limits)
    budget.charge(100)
    with open_target(scenario.target) as target:
        run = run_on_target(scenario, target, catalogue, budget=budget)
    assert [result.verdict.value for result in run.results] == ["ERROR"] * 3
    assert {result.reason for result in run.results} == {"not sent: the scenario's max-requests was reached"}
    assert run.loads == () and budget.spent == 100
