"""A definition is read once per command: the check before anything starts builds the `Api`, and opening
the target (run, demo, compare, canary) or generating from it uses that one, never the file again."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import httpx

from gatecrash import cli
from gatecrash.catalogue import load_catalogue
from gatecrash.generate import generate
from gatecrash.scenario.model import EmulatorTarget
from gatecrash.target import CheckedEmulatorTarget, check_definition, open_target
from tests.conftest import DEMO


def _demo_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "demo"
    shutil.copytree(DEMO, folder)
    return folder


def test_scenarios_sharing_a_definition_carry_the_one_api_read_for_them(tmp_path: Path) -> None:
    folder = _demo_copy(tmp_path)
    shutil.copy(folder / "scenario.yaml", folder / "second.yaml")
    _, scenarios = cli._load([folder])
    assert len(scenarios) == 2
    first, second = (scenario.target for scenario in scenarios)
    assert isinstance(first, CheckedEmulatorTarget) and isinstance(second, CheckedEmulatorTarget)
    assert first.api is second.api
    assert first.api == check_definition(EmulatorTarget(folder / "api.yaml")).api


def test_an_opened_target_serves_the_checked_api_without_reading_the_file_again(tmp_path: Path) -> None:
    folder = _demo_copy(tmp_path)
    _, (scenario,) = cli._load([folder / "scenario.yaml"])
    target = scenario.target
    assert isinstance(target, CheckedEmulatorTarget)
    (folder / "api.yaml").unlink()  # reading it now would fail: opening must not
    with open_target(target) as live:
        assert live.api is target.api
        method = next(m for m in target.api.methods if "{" not in m.resource_path)
        answer = httpx.request(method.http_method, f"{live.base_url}{method.resource_path}", timeout=10)
        # A route the emulator does not know is AWS's 403 MissingAuthenticationTokenException; this one it knows.
        assert answer.headers.get("x-amzn-ErrorType", "") != "MissingAuthenticationTokenException"
        unknown = httpx.get(f"{live.base_url}/no-such-route-here", timeout=10)
        assert unknown.headers.get("x-amzn-ErrorType") == "MissingAuthenticationTokenException"


def test_generate_uses_the_api_it_is_given(tmp_path: Path) -> None:
    folder = _demo_copy(tmp_path)
    catalogue = load_catalogue()
    expected = generate(folder / "api.yaml", catalogue, output=folder / "scenario.yaml").text
    api = check_definition(EmulatorTarget(folder / "api.yaml")).api
    (folder / "api.yaml").unlink()
    assert generate(folder / "api.yaml", catalogue, output=folder / "scenario.yaml", api=api).text == expected


def test_a_checked_target_is_still_the_emulator_target_it_was() -> None:
    target = EmulatorTarget(DEMO / "api.yaml", side_file=DEMO / "stage.yaml", variables={"a": "b"})
    checked = check_definition(target)
    assert isinstance(checked, EmulatorTarget)
    assert (checked.definition, checked.side_file, dict(checked.variables)) == (
        target.definition,
        target.side_file,
        {"a": "b"},
    )
    assert replace(checked, side_file=None).api is checked.api  # compare's sides replace fields, keeping it
