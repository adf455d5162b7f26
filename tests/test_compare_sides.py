"""What `--target-a`/`--target-b` name: the scenario's own target, an invoke URL, or another scenario's."""

from __future__ import annotations

from pathlib import Path

import pytest

from gatecrash.compare.sides import AwsOverrides, SideError, SideKind, read_side, resolve_side
from gatecrash.scenario.model import AwsTarget, EmulatorTarget, Limits, Scenario

SCENARIO_FILE = Path("scenarios/mirror.yaml")
EMULATOR = EmulatorTarget(Path("/apis/api.yaml"), Path("/apis/stage.yaml"))
DEPLOYED = AwsTarget("https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/prod", "eu-west-1", "a1b2c3d4e5", "prod")


def scenario(target: EmulatorTarget | AwsTarget) -> Scenario:
    return Scenario(SCENARIO_FILE, "mirror", target, Limits(10, 10.0), ())


def test_emulator_and_aws_name_the_scenarios_own_target() -> None:
    emulator = resolve_side(
        read_side("--target-a", "emulator", SCENARIO_FILE), scenario(EMULATOR), None, AwsOverrides()
    )
    assert emulator.target == EMULATOR and emulator.label == "emulator"
    aws = resolve_side(read_side("--target-b", "aws", SCENARIO_FILE), scenario(DEPLOYED), None, AwsOverrides())
    assert aws.target == DEPLOYED


def test_an_invoke_url_gives_the_api_id_region_and_stage() -> None:
    # API Gateway developer guide, "Invoking a REST API": https://{restapi_id}.execute-api.{region}.amazonaws.com/{stage}
    spec = read_side("--target-b", "aws:https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/prod/", SCENARIO_FILE)
    assert spec.kind is SideKind.INVOKE_URL
    side = resolve_side(spec, scenario(EMULATOR), None, AwsOverrides())
    assert side.target == DEPLOYED
    assert side.label == "aws:https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/prod/"


def test_region_and_profile_override_an_aws_side_only() -> None:
    overrides = AwsOverrides(region="us-west-2", profile="prod-reader")
    aws = resolve_side(read_side("--target-b", "aws", SCENARIO_FILE), scenario(DEPLOYED), None, overrides)
    assert isinstance(aws.target, AwsTarget)
    assert (aws.target.region, aws.target.profile) == ("us-west-2", "prod-reader")
    emulator = resolve_side(read_side("--target-a", "emulator", SCENARIO_FILE), scenario(EMULATOR), None, overrides)
    assert emulator.target == EMULATOR


def test_a_scenario_file_lends_its_target() -> None:
    spec = read_side("--target-b", "other/stack.yaml", SCENARIO_FILE)
    assert spec.kind is SideKind.FILE and spec.path == Path("other/stack.yaml")
    side = resolve_side(spec, scenario(EMULATOR), scenario(DEPLOYED), AwsOverrides())
    assert side.target == DEPLOYED


@pytest.mark.parametrize(
    ("text", "own", "message", "hint"),
    [
        ("aws", EMULATOR, "it is an emulator", "--target-b aws:https://ID.execute-api.REGION.amazonaws.com/STAGE"),
        ("emulator", DEPLOYED, "it is a deployed stage", "a scenario file whose target is the emulator"),
    ],
)
def test_the_scenarios_own_target_of_the_other_kind_is_refused_with_the_way_out(
    text: str, own: EmulatorTarget | AwsTarget, message: str, hint: str
) -> None:
    spec = read_side("--target-b", text, SCENARIO_FILE)
    with pytest.raises(SideError) as raised:
        resolve_side(spec, scenario(own), None, AwsOverrides())
    [problem] = raised.value.problems
    assert problem.file == str(SCENARIO_FILE) and problem.pointer == "--target-b"
    assert message in problem.message and problem.hint is not None and hint in problem.hint


def test_a_custom_domain_is_not_an_invoke_url_and_says_how_to_name_it() -> None:
    with pytest.raises(SideError) as raised:
        read_side("--target-b", "aws:https://api.example.com/v1", SCENARIO_FILE)
    [problem] = raised.value.problems
    assert "is not an execute-api invoke URL" in problem.message
    assert problem.hint is not None and "scenario file" in problem.hint


def test_a_word_that_is_no_target_lists_the_forms() -> None:
    with pytest.raises(SideError) as raised:
        read_side("--target-a", "emulater", SCENARIO_FILE)
    [problem] = raised.value.problems
    assert problem.pointer == "--target-a" and "'emulater' names no target" in problem.message
    assert problem.hint == "give emulator, aws, aws:INVOKE_URL or the path of another scenario file"
