"""The two sides of a comparison, as `--target-a` and `--target-b` name them. Pure.

A side is one of:
- `emulator`: the scenario's own target, which must be an emulator;
- `aws`: the scenario's own target, which must be a deployed stage;
- `aws:INVOKE_URL`: a deployed stage by its invoke URL, `https://{rest-api-id}.execute-api.{region}.amazonaws.com/{stage}`
  (the form the API Gateway console and `aws apigateway get-stage` show); its id, region and stage are read
  from the URL, so a scenario written for the local mirror needs no second copy;
- a path to another scenario file: its `target:` (its probes are not used), for a custom domain, a second
  emulator, or an aws target with its profile and access-log group written down.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, replace
from pathlib import Path

from gatecrash.errors import ConfigError, Problem
from gatecrash.scenario.model import AwsTarget, EmulatorTarget, Scenario, Target

# execute-api's default endpoint (API Gateway developer guide, "Invoking a REST API in Amazon API Gateway":
# https://{restapi_id}.execute-api.{region}.amazonaws.com/{stage_name}/), China regions included.
_INVOKE_URL = re.compile(
    r"^https://(?P<id>[a-z0-9]+)\.execute-api\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/(?P<stage>[^/?#]+)/?$"
)
_FORMS = "emulator, aws, aws:INVOKE_URL or the path of another scenario file"


class SideError(ConfigError):
    """A `--target-a`/`--target-b` value that names no usable target."""


class SideKind(enum.StrEnum):
    EMULATOR = "emulator"  # the scenario's emulator target
    AWS = "aws"  # the scenario's aws target
    INVOKE_URL = "aws:"  # a deployed stage by its invoke URL
    FILE = "file"  # another scenario file's target


@dataclass(frozen=True, slots=True)
class SideSpec:
    """What the user wrote for one side, read but not yet resolved against the scenario."""

    option: str  # "--target-a" or "--target-b"
    text: str
    kind: SideKind
    path: Path | None = None  # FILE
    target: AwsTarget | None = None  # INVOKE_URL


@dataclass(frozen=True, slots=True)
class Side:
    label: str  # as written: "emulator", "aws:https://...", "other.yaml"
    target: Target


@dataclass(frozen=True, slots=True)
class AwsOverrides:
    """--region and --profile: they override every aws side's, as they do for `gatecrash run`."""

    region: str | None = None
    profile: str | None = None


def read_side(option: str, text: str, scenario_file: Path) -> SideSpec:
    """One side's spec; a path is relative to the working directory, as on any command line."""
    if text in (SideKind.EMULATOR.value, SideKind.AWS.value):
        return SideSpec(option, text, SideKind(text))
    if text.startswith(SideKind.INVOKE_URL.value):
        return SideSpec(option, text, SideKind.INVOKE_URL, target=_invoke_url(option, text, scenario_file))
    path = Path(text)
    if path.suffix.lower() not in (".yaml", ".yml", ".json"):
        raise SideError([Problem(str(scenario_file), option, f"{text!r} names no target", hint=f"give {_FORMS}")])
    return SideSpec(option, text, SideKind.FILE, path=path)


def _invoke_url(option: str, text: str, scenario_file: Path) -> AwsTarget:
    url = text.removeprefix(SideKind.INVOKE_URL.value)
    match = _INVOKE_URL.match(url)
    if match is None:
        raise SideError(
            [
                Problem(
                    str(scenario_file),
                    option,
                    f"{url!r} is not an execute-api invoke URL (https://ID.execute-api.REGION.amazonaws.com/STAGE)",
                    hint="for a custom domain, write `target: {aws: {invoke-url, region, rest-api-id, stage}}` in a "
                    "scenario file and pass its path",
                )
            ]
        )
    return AwsTarget(url.rstrip("/"), match["region"], match["id"], match["stage"])


def resolve_side(spec: SideSpec, scenario: Scenario, other: Scenario | None, overrides: AwsOverrides) -> Side:
    """The target a spec names: the scenario's own, the invoke URL's, or `other`'s (the FILE spec's scenario)."""
    target: Target
    if spec.kind is SideKind.FILE:
        assert other is not None
        target = other.target
    elif spec.kind is SideKind.INVOKE_URL:
        assert spec.target is not None
        target = spec.target
    else:
        target = _own(spec, scenario)
    if isinstance(target, AwsTarget):
        target = replace(target, region=overrides.region or target.region, profile=overrides.profile or target.profile)
    return Side(spec.text, target)


def _own(spec: SideSpec, scenario: Scenario) -> Target:
    target = scenario.target
    wanted = EmulatorTarget if spec.kind is SideKind.EMULATOR else AwsTarget
    if isinstance(target, wanted):
        return target
    if spec.kind is SideKind.AWS:
        hint = f"name the deployed stage: {spec.option} aws:https://ID.execute-api.REGION.amazonaws.com/STAGE"
    else:
        hint = f"name an emulator: {spec.option} with the path of a scenario file whose target is the emulator"
    kind = "an emulator" if isinstance(target, EmulatorTarget) else "a deployed stage (aws)"
    raise SideError(
        [
            Problem(
                str(scenario.source),
                spec.option,
                f"{spec.text!r} means the scenario's own target, and it is {kind}",
                hint=hint,
            )
        ]
    )


def describe(target: Target) -> str:
    """A side for a heading and a recording's source, before it is opened."""
    if isinstance(target, AwsTarget):
        return f"AWS {target.rest_api_id}/{target.stage} ({target.region})"
    side_file = f" with {target.side_file.name}" if target.side_file is not None else ""
    return f"emulator of {target.definition.name}{side_file}"
