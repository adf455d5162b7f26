"""One run of one scenario: open the target, resolve credentials, fire, judge. Returns a value."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from gatecrash import __version__
from gatecrash.catalogue import Catalogue
from gatecrash.correlate.classify import classify
from gatecrash.correlate.fetch import (
    FetchProgress,
    LogLocation,
    access_log_group_of_stage,
    fetch_requests,
    logs_client,
)
from gatecrash.correlate.model import Classification, RequestLogs
from gatecrash.correlate.retention import past_retention
from gatecrash.correlate.verdicts import answers_of, confirm, mark_skipped
from gatecrash.credentials import IamLookup, Secrets, TokenMinter, resolve
from gatecrash.emulator.auth.cognito import mint_token
from gatecrash.emulator.cloudwatch import DEFAULT_LOGS_RETENTION_S
from gatecrash.emulator.routing import Router
from gatecrash.errors import EnvironmentProblem, LogsError
from gatecrash.load.phase import LoadOptions, LoadOutcome, failed_load, run_load
from gatecrash.runner import redact
from gatecrash.runner.budget import Budget
from gatecrash.runner.fire import Progress, Runner, StepRecord
from gatecrash.runner.signing import AwsKeys
from gatecrash.runner.verdict import StepResult, Verdict, judge
from gatecrash.scenario.model import CredentialRef, LoadPhase, Scenario, Step
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
    loads: tuple[LoadOutcome, ...] = ()  # what each load phase measured, by phase name

    def load_of(self, name: str) -> LoadOutcome | None:
        return next((load for load in self.loads if load.phase.name == name), None)

    @property
    def as_expected(self) -> bool:
        """No answer contradicts its probe (UNCONFIRMED probes aside: see `passes`)."""
        return all(result.verdict.as_expected for result in self.results)

    @property
    def unconfirmed(self) -> int:
        return sum(result.verdict is Verdict.UNCONFIRMED for result in self.results)

    def passes(self, allow_unconfirmed: bool = False) -> bool:
        """What the run's exit status says: as expected, and, unless allowed, every probe proven. A run
        whose logs never came (every probe UNCONFIRMED) proved nothing and does not pass."""
        return self.as_expected and (allow_unconfirmed or self.unconfirmed == 0)

    @property
    def unreachable(self) -> bool:
        """Every request that was sent failed to connect."""
        sent = [o for r in self.results for o in r.record.observations if not (o.error or "").startswith("not sent")]
        return bool(sent) and all(o.status is None and o.error is not None for o in sent)


# How long to wait for log events: the emulator stores them within a second; CloudWatch on AWS
# delivers within seconds to minutes.
EMULATOR_LOGS_DEADLINE_S = 10.0
AWS_LOGS_DEADLINE_S = 300.0


@dataclass(frozen=True, slots=True)
class RunOptions:
    correlate: bool = True
    logs_deadline_s: float | None = None  # None: the target's default
    progress: Progress | None = None
    fetch_progress: FetchProgress | None = None
    load: LoadOptions = LoadOptions()  # how load phases run: local workers, master host


def run_scenario(scenario: Scenario, catalogue: Catalogue, options: RunOptions = RunOptions()) -> RunResult:
    with open_target(scenario.target, run_logs_retention_s(scenario)) as target:
        return run_on_target(scenario, target, catalogue, options)


def run_logs_retention_s(scenario: Scenario, every_s: float | None = None) -> float:
    """An emulator's log retention for one run: its default, or longer when the run may last longer, so
    that the logs of the run's first request are still there when the run reads them at its end. A
    canary running every `every_s` re-checks a run's UNCONFIRMED probes in the next run (up to twice
    that later, with jitter): their logs are kept until then."""
    longest = scenario.limits.max_duration_s + AWS_LOGS_DEADLINE_S + (2 * every_s if every_s else 0.0)
    return max(DEFAULT_LOGS_RETENTION_S, longest)


def run_on_target(
    scenario: Scenario,
    target: LiveTarget,
    catalogue: Catalogue,
    options: RunOptions = RunOptions(),
    budget: Budget | None = None,
) -> RunResult:
    """One run against a target that is already open: a canary keeps one open for all its runs.

    `budget` caps everything the run sends (a canary passes one that also covers the run's retries);
    by default the scenario's `limits`."""
    secrets = resolve_secrets(scenario, target)
    budget = budget if budget is not None else Budget.of(scenario.limits)
    # Every secret resolved now or minted while sending: whatever the run keeps is scrubbed of them.
    ledger = redact.Ledger(secrets.values())
    run_id = uuid.uuid4().hex[:12]
    started = datetime.now(UTC)
    records, loads = _fire(scenario, target, secrets, run_id, catalogue, options, budget, ledger)
    finished = datetime.now(UTC)
    results = [judge(record, catalogue.get(record.step.mode)) for record in records if record is not None]
    if not options.correlate:
        results = [mark_skipped(result) for result in results]
    elif not _none_reached(results):
        results = _correlated(results, target, catalogue, started, finished, options)
    results = [scrubbed(result, ledger) for result in _in_order(scenario.steps, results, [r for r, _ in loads])]
    return RunResult(scenario, target, run_id, started, finished, tuple(results), loads=tuple(o for _, o in loads if o))


def recorrelate(
    results: Sequence[StepResult],
    target: LiveTarget,
    catalogue: Catalogue,
    started: datetime,
    finished: datetime,
    options: RunOptions = RunOptions(),
) -> list[StepResult]:
    """UNCONFIRMED results looked for in the logs again: CloudWatch may deliver them minutes late,
    so a canary's next run re-checks them rather than counting them failed. The run that sent them
    is over, and its secrets with it: what the logs hold is scrubbed of anything shaped like one."""
    shapes_only = redact.Ledger()
    return [scrubbed(r, shapes_only) for r in _correlated(list(results), target, catalogue, started, finished, options)]


def _fire(
    scenario: Scenario,
    target: LiveTarget,
    secrets: Secrets,
    run_id: str,
    catalogue: Catalogue,
    options: RunOptions,
    budget: Budget,
    ledger: redact.Ledger,
) -> tuple[list[StepRecord], list[tuple[StepResult, LoadOutcome | None]]]:
    """Probes and bursts on the httpx runner, load phases on locust, in the scenario's order, all
    drawing on one budget."""
    records: list[StepRecord] = []
    loads: list[tuple[StepResult, LoadOutcome | None]] = []
    batch: list[Step] = []
    for step in (*scenario.steps, None):
        if step is not None and not isinstance(step, LoadPhase):
            batch.append(step)
            continue
        if batch:
            part = Runner(
                replace(scenario, steps=tuple(batch)), target, secrets, options.progress, run_id, budget, ledger
            )
            records.extend(asyncio.run(part.run()))
            batch = []
        if step is not None:
            loads.append(_load(step, target, secrets, run_id, catalogue, options, budget))
    return records, loads


def _load(
    step: LoadPhase,
    target: LiveTarget,
    secrets: Secrets,
    run_id: str,
    catalogue: Catalogue,
    options: RunOptions,
    budget: Budget,
) -> tuple[StepResult, LoadOutcome | None]:
    mode = catalogue.get(step.mode)
    refusal = budget.refusal()
    if refusal is not None:
        return StepResult(StepRecord(step, ()), mode, Verdict.ERROR, refusal), None
    # What is left of the run's budget bounds the phase; what it sent is charged after.
    phase = replace(
        step,
        max_requests=min(step.max_requests, budget.remaining),
        max_duration_s=min(step.max_duration_s, budget.time_left()),
    )
    deadline = None
    if options.correlate:
        deadline = options.logs_deadline_s
        if deadline is None:
            deadline = EMULATOR_LOGS_DEADLINE_S if target.local_logs else AWS_LOGS_DEADLINE_S
    try:
        result, outcome = run_load(phase, mode, target, secrets, run_id, options.load, deadline)
    except EnvironmentProblem as exc:
        return failed_load(phase, mode, exc), None
    budget.charge(outcome.sent)
    if options.progress is not None:
        options.progress(phase, outcome.sent)
    return result, outcome


def _in_order(steps: Sequence[Step], fired: Sequence[StepResult], loads: Sequence[StepResult]) -> list[StepResult]:
    """Probe and load results back in the scenario's order."""
    probes, phases = iter(fired), iter(loads)
    return [next(phases) if isinstance(step, LoadPhase) else next(probes) for step in steps]


def resolve_secrets(scenario: Scenario, target: LiveTarget) -> Secrets:
    """The scenario's credentials, with the emulator's IAM table and token minting when it is the target."""
    return resolve(
        scenario.credentials,
        str(scenario.source),
        stage=target.emulated,
        iam=_emulator_iam(target),
        mint=_emulator_minter(target),
    )


def scrubbed(result: StepResult, ledger: redact.Ledger) -> StepResult:
    """`result` with every text it keeps (answers, reason, evidence) scrubbed of the ledger's secrets:
    a gateway's error quotes the Authorization header, a log line the request's, whatever minted them."""
    scrub = ledger.scrub
    observations = tuple(
        replace(
            o,
            request=replace(
                o.request,
                url=scrub(o.request.url),
                headers=tuple((n, scrub(v)) for n, v in o.request.headers),
                body_excerpt=scrub(o.request.body_excerpt),
            ),
            headers=tuple((n, scrub(v)) for n, v in o.headers),
            all_headers=tuple((n, scrub(v)) for n, v in o.all_headers),
            body_excerpt=scrub(o.body_excerpt),
            error=scrub(o.error) if o.error is not None else None,
        )
        for o in result.record.observations
    )
    return replace(
        result,
        record=replace(result.record, observations=observations),
        reason=scrub(result.reason),
        evidence=tuple(scrub(line) for line in result.evidence),
        decisive=tuple(
            replace(d, value=scrub(d.value), matched=scrub(d.matched) if d.matched is not None else None)
            for d in result.decisive
        ),
    )


def _none_reached(results: Sequence[StepResult]) -> bool:
    """No request got an answer (none was sent, or every one failed): nothing to look for in the logs."""
    return all(o.status is None for r in results for o in r.record.observations)


def _correlated(
    results: list[StepResult],
    target: LiveTarget,
    catalogue: Catalogue,
    started: datetime,
    finished: datetime,
    options: RunOptions,
) -> list[StepResult]:
    lost = _flush_logs(target)
    if lost is not None:
        # The front door's own answers need no log; every other probe is left without evidence.
        classify_lost = _classifier(catalogue, target)
        return [_logs_lost(confirm(r, {}, classify_lost, target.access_log_group is not None), lost) for r in results]
    access_group = target.access_log_group
    if access_group is None and not target.local_logs:
        # Not named in the scenario: ask the stage (needs apigateway:GET; without it, execution logs decide).
        probe = LogLocation(target.region, target.execution_log_group, None, None, target.profile)
        access_group = access_log_group_of_stage(probe, target.rest_api_id, target.stage)
    location = LogLocation(
        target.region,
        target.execution_log_group,
        access_group,
        target.logs_endpoint,
        target.profile,
        local=target.local_logs,
    )
    # Every answered request: a wrong status is worth explaining too.
    request_ids = {o.request_id for r in results for o in r.record.observations if o.request_id}
    deadline = options.logs_deadline_s
    if deadline is None:
        deadline = EMULATOR_LOGS_DEADLINE_S if target.local_logs else AWS_LOGS_DEADLINE_S
    logs = fetch_requests(
        logs_client(location),
        location,
        request_ids,
        int(started.timestamp() * 1000),
        int(finished.timestamp() * 1000),
        deadline,
        options.fetch_progress,
    )
    read_at = time.time()
    classifier = _classifier(catalogue, target)
    access_logging = target.access_log_group is not None
    answers = answers_of(results)
    confirmed = [confirm(result, logs, classifier, access_logging, answers) for result in results]
    retention = target.logs_retention_s
    if retention is None:
        return confirmed
    # The emulator's logs keep a window: a request older than it has no events because they expired.
    return [past_retention(result, logs, retention, read_at) for result in confirmed]


def _flush_logs(target: LiveTarget) -> str | None:
    """Wait until the emulator's logs are stored: None once they are, else why they are lost."""
    trouble = None
    if target.flush_logs is not None:
        try:
            target.flush_logs()
        except LogsError as exc:
            trouble = str(exc)
    if target.logs_trouble is not None:
        trouble = target.logs_trouble() or trouble
    return trouble


def _logs_lost(result: StepResult, trouble: str) -> StepResult:
    """A probe whose evidence went with the emulator's logs: UNCONFIRMED, saying why."""
    if result.verdict is not Verdict.UNCONFIRMED:
        return result
    return replace(result, reason=f"the emulator's logs were lost, so nothing can confirm it: {trouble}")


def _classifier(catalogue: Catalogue, target: LiveTarget) -> Callable[[RequestLogs], Classification]:
    """`classify`, told whether the request's route exists when the definition is at hand."""
    router = Router(target.api.methods) if target.api is not None else None
    prefix = f"/{target.stage}"

    def run(logs: RequestLogs) -> Classification:
        known: bool | None = None
        if router is not None and logs.access is not None:
            method = logs.access.fields.get("httpMethod", "-")
            path = logs.access.fields.get("path", "-").removeprefix(prefix) or "/"
            known = router.match(path, method) is not None
        return classify(logs, catalogue, method_known=known)

    return run


def _emulator_iam(target: LiveTarget) -> IamLookup | None:
    """The emulator's IAM credentials table, for `emulator-iam` credentials."""
    stage = target.emulated
    if stage is None:
        return None

    def lookup(access_key_id: str) -> AwsKeys | None:
        found = next((c for c in stage.iam_credentials if c.access_key_id == access_key_id), None)
        return AwsKeys(found.access_key_id, found.secret_access_key, found.session_token) if found else None

    return lookup


def _emulator_minter(target: LiveTarget) -> TokenMinter | None:
    """Tokens of the emulator's local user pools, for `emulator-token` credentials (faults minted in)."""
    stage = target.emulated
    if stage is None or not stage.user_pools:
        return None

    def mint(reference: CredentialRef, fault: str | None) -> str:
        return mint_token(
            stage, reference.reference, client_id=reference.client_id, scopes=reference.scopes, fault=fault
        )

    return mint
