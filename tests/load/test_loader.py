"""Load phases in scenario files: rate, ramp, mixes, caps, stop conditions and expectations."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from gatecrash.catalogue import load_catalogue
from gatecrash.errors import ScenarioError
from gatecrash.scenario import (
    AuthKind,
    LimitSource,
    LoadKind,
    LoadPhase,
    RateSegment,
    ShareBounds,
    ThrottleExpectation,
    load_scenario,
)
from tests.conftest import ROOT

LOAD = ROOT / "scenarios" / "load"
HEAD = """\
target: {emulator: {definition: api.yaml}}
credentials: {key: {emulator-api-key: k1}}
limits: {max-requests: 5000, max-duration: 60s}
probes:
"""


def write(tmp_path: Path, probes: str) -> Path:
    (tmp_path / "api.yaml").write_text("openapi: 3.0.1\ninfo: {title: t, version: '1'}\npaths: {}\n")
    path = tmp_path / "scenario.yaml"
    path.write_text(HEAD + textwrap.indent(textwrap.dedent(probes), "  "))
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path, load_catalogue().ids)
    return [str(problem) for problem in caught.value.problems]


@pytest.mark.parametrize("path", sorted(LOAD.glob("*.yaml")), ids=lambda p: p.name)
def test_every_load_scenario_loads(path: Path) -> None:
    if path.name in ("api.yaml", "stage.yaml"):
        return
    scenario = load_scenario(path, load_catalogue().ids)
    assert all(isinstance(step, LoadPhase) for step in scenario.steps)
    assert scenario.planned_requests <= scenario.limits.max_requests


def test_a_rate_phase_with_every_key(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        - name: stage
          mode: throttled
          rate: {rps: 100, duration: 10s}
          mix:
            - {weight: 3, request: {method: GET, path: /a}}
            - {weight: 1, request: {method: GET, path: /b, auth: {api-key: key}}}
          max-requests: 900
          max-duration: 9s
          stop: {backend-5xx-share: 0.1}
          users: 12
          expect:
            status: {"200": [0.5, 0.7], "4xx": [0, 0.5]}
            throttle: {limit: stage, tolerance: 0.05}
        """,
    )
    [phase] = load_scenario(path, load_catalogue().ids).steps
    assert isinstance(phase, LoadPhase)
    assert phase.kind is LoadKind.RATE
    assert phase.segments == (RateSegment(100.0, 100.0, 10.0),)
    assert [entry.weight for entry in phase.mix] == [3, 1]
    assert phase.mix[1].request.auth.kind is AuthKind.API_KEY
    assert (phase.max_requests, phase.max_duration_s, phase.stop_backend_5xx_share, phase.users) == (900, 9.0, 0.1, 12)
    assert phase.expect_statuses == (ShareBounds("200", 0.5, 0.7), ShareBounds("4xx", 0.0, 0.5))
    assert phase.expect_throttle == ThrottleExpectation(LimitSource.STAGE, 0.05)
    assert phase.planned_requests == 900  # the cap, below the schedule's 1000


def test_ramps_from_to_or_in_steps(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        - {name: linear, mode: throttled, ramp: {from: 10, to: 30, duration: 10s}, request: {method: GET, path: /}}
        - name: steps
          mode: throttled
          ramp: {steps: [{rps: 5, duration: 2s}, {rps: 20, duration: 3s}]}
          request: {method: GET, path: /}
          expect: {throttle: {limit: given, rate: 10, burst: 20}}
        """,
    )
    linear, steps = load_scenario(path, load_catalogue().ids).steps
    assert isinstance(linear, LoadPhase) and isinstance(steps, LoadPhase)
    assert linear.kind is LoadKind.RAMP and linear.segments == (RateSegment(10.0, 30.0, 10.0),)
    assert linear.planned_requests == 200 and linear.max_duration_s == 10.0
    assert steps.segments == (RateSegment(5.0, 5.0, 2.0), RateSegment(20.0, 20.0, 3.0))
    assert steps.planned_requests == 70
    assert steps.expect_throttle == ThrottleExpectation(LimitSource.GIVEN, None, 10.0, 20)


def test_mistakes_come_back_together_with_line_path_and_hint(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        - name: a
          mode: throttled
          rate: {rps: 100, duraton: 10s}
          request: {method: GET, path: /}
          stop: {backend-5xx-share: 5}
          expect: {status: {"200": [0.7, 0.5]}, throttle: {limit: stages}}
        - name: b
          mode: throttled
          ramp: {from: 10, to: 20, duration: 5s}
          burst: {requests: 3, request: {method: GET, path: /}}
        """,
    )
    found = problems(path)
    source = str(path)
    assert f"{source}:7: $.probes[0].rate.duraton: unknown key 'duraton' (did you mean 'duration'?" in found[0]
    assert any(p.startswith(f"{source}:7: $.probes[0].rate: missing 'duration'") for p in found)
    assert any("backend-5xx-share: expected a share from 0 to 1, found 5 (did you mean 0.05 (5%)?" in p for p in found)
    assert any(
        "$.probes[0].expect.status['200']: minimum 0.7 is above maximum 0.5 (write [0.5, 0.7])" in p for p in found
    )
    assert any("$.probes[0].expect.throttle.limit: unknown limit 'stages' (did you mean 'stage'?" in p for p in found)
    assert any(f"{source}:14: $.probes[1].burst: 'burst' does not go with a load phase" in p for p in found)
    assert any("$.probes[1]: missing 'request' or 'mix'" in p for p in found)


def test_a_phase_planning_more_than_the_scenario_allows_is_refused(tmp_path: Path) -> None:
    path = write(
        tmp_path, "- {name: a, mode: throttled, rate: {rps: 1000, duration: 10s}, request: {method: GET, path: /}}\n"
    )
    assert any("the probes plan 10000 requests, more than max-requests 5000" in p for p in problems(path))


def test_load_keys_on_a_plain_probe_say_what_they_belong_to(tmp_path: Path) -> None:
    path = write(tmp_path, "- {name: a, mode: throttled, request: {method: GET, path: /}, mix: []}\n")
    assert any("$.probes[0].mix: 'mix' goes with a load phase" in p for p in problems(path))
