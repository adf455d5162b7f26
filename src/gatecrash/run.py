"""One run of one scenario: open the target, resolve credentials, fire, judge. Returns a value."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime

from gatecrash import __version__
from gatecrash.catalogue import Catalogue
from gatecrash.credentials import IamLookup, TokenMinter, resolve
from gatecrash.runner.fire import Progress, Runner
from gatecrash.runner.verdict import StepResult, judge
from gatecrash.scenario.model import Scenario
from gatecrash.target import LiveTarget, open_target


@dataclass(frozen=True, slots=True)
class RunResult:
    scenario: Scenario
    target: LiveTarget
    run_id: str
    started: datetime
    finished: datetime
    results: tuple[StepResult, ...]
    version: str = __version__

    @property
    def as_expected(self) -> bool:
        return all(result.verdict.as_expected for result in self.results)

    @property
    def unreachable(self) -> bool:
        """Every request that was sent failed to connect."""
        sent = [o for r in self.results for o in r.record.observations if not (o.error or "").startswith("not sent")]
        return bool(sent) and all(o.status is None and o.error is not None for o in sent)


def run_scenario(scenario: Scenario, catalogue: Catalogue, progress: Progress | None = None) -> RunResult:
    with open_target(scenario.target) as target:
        secrets = resolve(
            scenario.credentials,
            str(scenario.source),
            stage=target.emulated,
            iam=_emulator_iam(target),
            mint=_emulator_minter(target),
        )
        runner = Runner(scenario, target, secrets, progress)
        started = datetime.now(UTC)
        records = asyncio.run(runner.run())
        finished = datetime.now(UTC)
    results = tuple(judge(record, catalogue.get(record.step.mode)) for record in records)
    return RunResult(scenario, target, runner.run_id, started, finished, results)


def _emulator_iam(target: LiveTarget) -> IamLookup | None:
    """The emulator's IAM credentials table, once the emulator authorizes (issue 3)."""
    return None


def _emulator_minter(target: LiveTarget) -> TokenMinter | None:
    return None
