"""Running one scenario's probes on both sides of a comparison. The I/O edge of `gatecrash compare`.

Side A runs first, then side B, each on a target opened for it alone (an emulator is started and stopped;
a deployed stage is named), through `run.run_on_target`: the same runner, credentials, safety rails and
log correlation as `gatecrash run`. Load phases are left out: they measure rates, not answers.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from gatecrash.catalogue import Catalogue
from gatecrash.compare.diff import Comparison, comparable, compare_runs
from gatecrash.compare.sides import Side
from gatecrash.errors import CredentialError, Problem, TargetUnreachable
from gatecrash.parity.record import Mirror, read_mirror, record, write_recording
from gatecrash.run import RunOptions, RunResult, resolve_secrets, run_on_target
from gatecrash.scenario.model import AuthKind, AwsTarget, Burst, CredentialKind, EmulatorTarget, Probe, Scenario
from gatecrash.target import LiveTarget, open_target

_EMULATOR_ONLY = (CredentialKind.EMULATOR_API_KEY, CredentialKind.EMULATOR_IAM, CredentialKind.EMULATOR_TOKEN)


@dataclass(frozen=True, slots=True)
class CompareOptions:
    run: RunOptions = RunOptions()  # correlate, logs deadline, progress: as for `gatecrash run`
    logs_endpoint: str | None = None  # where an aws side's logs are read (None: the region's CloudWatch Logs)
    starting: Callable[[Side], None] | None = None  # told before each side runs


@dataclass(frozen=True, slots=True)
class SideRun:
    side: Side
    result: RunResult
    # The API key each api-key credential sent, by credential name: a recording writes a stand-in for it.
    api_keys: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class Compared:
    comparison: Comparison
    a: SideRun
    b: SideRun


def compare(scenario: Scenario, a: Side, b: Side, catalogue: Catalogue, options: CompareOptions) -> Compared:
    emulator_only_credentials(scenario, (a, b))
    probes, phases = comparable(scenario)
    run_a = run_side(probes, a, catalogue, options)
    run_b = run_side(probes, b, catalogue, options)
    comparison = compare_runs(
        run_a.result, run_b.result, a.label, b.label, causes=options.run.correlate, not_compared=phases
    )
    return Compared(comparison, run_a, run_b)


def emulator_only_credentials(scenario: Scenario, sides: Sequence[Side]) -> None:
    """Before anything is sent: a credential only an emulator can resolve, with a deployed stage as a side."""
    deployed = [side.label for side in sides if isinstance(side.target, AwsTarget)]
    if not deployed:
        return
    problems = [
        Problem(
            str(scenario.source),
            f"$.credentials.{name}",
            f"{reference.kind.value} is resolved by an emulator only, and side {deployed[0]} is a deployed stage",
            hint="reference a secret both sides can use: {env: NAME}, with `valueFrom: {env: NAME}` in the "
            "emulator's side file (or profile, random-api-key)",
        )
        for name, reference in scenario.credentials.items()
        if reference.kind in _EMULATOR_ONLY
    ]
    if problems:
        raise CredentialError(problems)


def run_side(scenario: Scenario, side: Side, catalogue: Catalogue, options: CompareOptions) -> SideRun:
    if options.starting is not None:
        options.starting(side)
    scenario = replace(scenario, target=side.target)
    with open_target(side.target) as live:
        if options.logs_endpoint is not None and not live.local_logs:
            live = replace(live, logs_endpoint=options.logs_endpoint)
        api_keys = _api_keys(scenario, live)
        result = run_on_target(scenario, live, catalogue, options.run)
    if result.unreachable:
        raise TargetUnreachable(
            f"{side.label}: no request reached {live.base_url}: is the target up and the URL right?"
        )
    return SideRun(side, result, api_keys)


def _api_keys(scenario: Scenario, live: LiveTarget) -> dict[str, str]:
    names = {
        step.request.auth.credential
        for step in scenario.steps
        if isinstance(step, Probe | Burst) and step.request.auth.kind is AuthKind.API_KEY
    }
    strings = resolve_secrets(scenario, live).strings
    return {name: strings[name] for name in names if name is not None and name in strings}


@dataclass(frozen=True, slots=True)
class Recorded:
    path: Path
    cases: int
    skipped: tuple[tuple[str, str], ...]  # (probe, why it was not recorded)


def record_side_b(compared: Compared, folder: Path) -> Recorded:
    """Side B's answers as a parity case file in `folder`, named after the scenario (replaced if there)."""
    run = compared.b.result
    captured = f"{run.target.description}, {_timestamp(run.started)}"
    mirror = _mirror(compared)
    recording = record(run, compared.b.api_keys, mirror, f"gatecrash compare --record: {captured}")
    heading = (
        f"Answers of {compared.b.side.label} ({captured}) to the probes of {run.scenario.source},\n"
        "recorded by `gatecrash compare --record`: secrets are stand-ins, never the values sent."
    )
    path = folder / f"{_file_stem(run.scenario.name)}.yaml"
    written = write_recording(path, recording, heading, mirror)
    return Recorded(path, len(written.cases), recording.skipped)


def _mirror(compared: Compared) -> Mirror | None:
    """The emulator that stands for side B: side B itself, else side A (the local mirror of a deployed stage)."""
    for run in (compared.b, compared.a):
        live = run.result.target
        if isinstance(run.side.target, EmulatorTarget) and live.emulated is not None and live.api is not None:
            return read_mirror(run.side.target, live.emulated, live.api)
    return None


def _timestamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _file_stem(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.") or "recorded"
