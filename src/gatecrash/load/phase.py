"""One load phase end to end: run it on locust, fit the buckets, read the gateway's logs, judge it."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any

from gatecrash.catalogue import FailureMode
from gatecrash.correlate.fetch import LogLocation, fetch_requests, logs_client
from gatecrash.credentials import Secrets
from gatecrash.load import histogram
from gatecrash.load.engine import EngineOptions, EngineRun, run_phase
from gatecrash.load.estimate import estimate_bucket
from gatecrash.load.limits import ConfiguredLimit, aws_plan_limit, aws_stage_limit, plan_limit, stage_limit
from gatecrash.load.live import LiveSecond
from gatecrash.load.logs import LogSummary, summarise
from gatecrash.load.records import LoadRecord, Second, per_second, status_mix
from gatecrash.load.scrub import scrub_kept_files, scrubbed_outcome
from gatecrash.load.verify import (
    AWS_TOLERANCE,
    EMULATOR_TOLERANCE,
    BucketFit,
    Check,
    cause_check,
    health_check,
    status_checks,
    throttle_checks,
    verdict,
)
from gatecrash.runner import redact
from gatecrash.runner.fire import StepRecord
from gatecrash.runner.record import Observation, SentRequest
from gatecrash.runner.verdict import StepResult, Verdict
from gatecrash.scenario.model import AuthKind, CredentialKind, LimitSource, LoadPhase, MixEntry
from gatecrash.target import LiveTarget

SAMPLES_PER_ANSWER = 3  # exchanges kept per (status, error type) for the report's table


@dataclass(frozen=True, slots=True)
class LoadOutcome:
    """What a load phase did, measured: the series the report charts and results.json carries."""

    phase: LoadPhase
    started: float  # epoch of the first due arrival
    planned: int
    sent: int
    offered_rps: float  # the schedule's mean rate
    achieved_rps: float  # measured: requests sent per second of the phase
    lag_p99_ms: float  # how late the 99th-percentile request left against its due time
    seconds: tuple[Second, ...]
    latency: tuple[histogram.LatencyPoint, ...]
    latency_overall: dict[str, float]
    mix: dict[str, int]
    fits: tuple[BucketFit, ...]
    checks: tuple[Check, ...]
    logs: LogSummary | None
    stopped: tuple[str, ...]
    processes: int
    users_per_process: int
    complete: bool
    per_process: dict[int, int]  # records collected from each locust process (worker index -> count)


# Called about once a second while a phase runs: the phase, and the second that just completed.
LoadProgress = Callable[[LoadPhase, LiveSecond], None]


@dataclass(frozen=True, slots=True)
class LoadOptions:
    engine: EngineOptions = EngineOptions()
    work_dir: Path | None = None  # keep the locustfile, logs and records here
    progress: LoadProgress | None = None  # live offered, accepted and throttled per second

    def with_progress(self, progress: LoadProgress) -> LoadOptions:
        return replace(self, progress=progress)


def run_load(
    phase: LoadPhase,
    mode: FailureMode,
    target: LiveTarget,
    secrets: Secrets,
    run_id: str,
    options: LoadOptions,
    logs_deadline_s: float | None,
) -> tuple[StepResult, LoadOutcome]:
    """Run `phase` and judge it; `logs_deadline_s` None skips the gateway's logs."""
    work_dir = options.work_dir / _safe(phase.name) if options.work_dir is not None else None
    progress = options.progress
    live = partial(progress, phase) if progress is not None else None
    tag = f"{run_id}/{phase.name}"
    secrets = with_phase_tokens(phase, secrets)
    # The run's secrets as its ledger holds them, and the tokens minted for the phase: whatever the
    # phase keeps is scrubbed of them (scrub.py).
    ledger = redact.Ledger(secrets.values())
    try:
        run = run_phase(phase, target.base_url, target.region, secrets, tag, options.engine, work_dir, live)
    finally:
        if work_dir is not None:
            scrub_kept_files(work_dir, ledger.scrub)
    records = run.records
    fits = _fits(phase, records, target, secrets) if phase.expect_throttle is not None else ()
    checks = [*status_checks(phase, records), health_check(phase, records, run.stopped)]
    checks += throttle_checks(fits, on_aws=target.emulated is None)
    logs = _logs(records, target, run, logs_deadline_s) if logs_deadline_s is not None else None
    if logs is not None:
        checks.append(cause_check(mode.statuses, mode.response_type, logs))
    confirmed = logs is not None and logs.found == logs.wanted and logs.wanted > 0
    outcome = scrubbed_outcome(_outcome(phase, run, fits, checks, logs), ledger.scrub)
    result_verdict, reason = verdict(checks, confirmed)
    cause = _cause(logs, mode)
    record = StepRecord(phase, _samples(phase, records, ledger.scrub))
    evidence = outcome.logs.evidence if outcome.logs else ()
    return StepResult(record, mode, result_verdict, ledger.scrub(reason), cause, evidence), outcome


def with_phase_tokens(phase: LoadPhase, secrets: Secrets) -> Secrets:
    """`secrets` with one valid token minted for each emulator-token credential the phase sends as a JWT.

    A probe mints a token per request (runner/build.py); a phase's locust processes send one token, given
    them through their environment like any other secret (engine.py), so it is minted here, once."""
    minted: dict[str, str] = {}
    for entry in phase.mix:
        credential = entry.request.auth.credential
        if entry.request.auth.kind is not AuthKind.JWT or credential is None or credential in secrets.strings:
            continue
        reference = secrets.references.get(credential)
        if reference is not None and reference.kind is CredentialKind.EMULATOR_TOKEN and secrets.mint is not None:
            minted[credential] = secrets.mint(reference, None)
    return replace(secrets, strings={**secrets.strings, **minted}) if minted else secrets


def failed_load(phase: LoadPhase, mode: FailureMode, error: Exception) -> StepResult:
    """A phase locust could not run: an ERROR result naming why."""
    return StepResult(StepRecord(phase, ()), mode, Verdict.ERROR, str(error))


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in name)[:60]


def _outcome(
    phase: LoadPhase, run: EngineRun, fits: Sequence[BucketFit], checks: Sequence[Check], logs: LogSummary | None
) -> LoadOutcome:
    records = run.records
    sent_times = sorted(r.sent for r in records)
    span = max(phase.duration_s, 1e-9)
    schedule_span = run.schedule[-1] if run.schedule else 0.0
    offered = len(run.schedule) / span if run.schedule else 0.0
    # Achieved: requests per second over the same span the schedule covers (first to last send,
    # stretched by one interval so that N evenly spaced sends at rate r read as r).
    achieved = 0.0
    if len(sent_times) > 1 and schedule_span > 0:
        interval = schedule_span / (len(run.schedule) - 1)
        achieved = len(sent_times) / (sent_times[-1] - sent_times[0] + interval)
    lags = sorted((r.sent - r.intended) * 1000 for r in records)
    return LoadOutcome(
        phase,
        run.started,
        len(run.schedule),
        len(records),
        offered,
        achieved,
        lags[min(len(lags) - 1, int(len(lags) * 0.99))] if lags else 0.0,
        per_second(records, run.started, run.schedule),
        histogram.latency_over_time(records, run.started),
        histogram.overall(records),
        status_mix(records),
        tuple(fits),
        tuple(checks),
        logs,
        run.stopped,
        run.processes,
        run.users_per_process,
        run.complete,
        dict(sorted(Counter(r.worker for r in records).items())),
    )


def _fits(
    phase: LoadPhase, records: Sequence[LoadRecord], target: LiveTarget, secrets: Secrets
) -> tuple[BucketFit, ...]:
    expectation = phase.expect_throttle
    assert expectation is not None
    tolerance = expectation.tolerance
    if tolerance is None:
        tolerance = EMULATOR_TOLERANCE if target.emulated is not None else AWS_TOLERANCE
    groups = _groups(phase, expectation.source)
    lookup = limit_lookup(target, secrets)
    fits = []
    for label, entries in groups.items():
        chosen = [r for r in records if r.entry in entries]
        first = phase.mix[entries[0]]
        configured: ConfiguredLimit | None = None
        missing = ""
        if expectation.source is LimitSource.GIVEN:
            assert expectation.rate is not None and expectation.burst is not None
            configured = ConfiguredLimit(expectation.rate, expectation.burst, "given in the scenario")
        else:
            try:
                configured = lookup(expectation.source, first)
            except Exception as exc:  # botocore raises many types: each is a finding, not a crash
                missing = f"reading the configured limits failed: {type(exc).__name__}: {exc}"
        fits.append(BucketFit(label, len(chosen), configured, estimate_bucket(chosen), tolerance, missing))
    return tuple(fits)


def _groups(phase: LoadPhase, source: LimitSource) -> dict[str, list[int]]:
    """Mix entries that draw from one bucket: one per method for stage limits, one per API key for plans."""
    groups: dict[str, list[int]] = {}
    for index, entry in enumerate(phase.mix):
        request = entry.request
        if source is LimitSource.USAGE_PLAN and request.auth.kind is AuthKind.API_KEY:
            label = f"key {request.auth.credential}"
        else:
            label = f"{request.method} {request.path}"
        groups.setdefault(label, []).append(index)
    return groups


def limit_lookup(target: LiveTarget, secrets: Secrets) -> Callable[[LimitSource, MixEntry], ConfiguredLimit | None]:
    """Where configured limits come from: the emulator's side file, or the stage on AWS."""
    stage = target.emulated
    if stage is not None:

        def local(source: LimitSource, entry: MixEntry) -> ConfiguredLimit | None:
            request = entry.request
            if source is LimitSource.STAGE:
                return stage_limit(stage, target.api, request.path, request.method)
            key = secrets.strings.get(request.auth.credential or "")
            return plan_limit(stage, target.api, key, request.path, request.method) if key else None

        return local
    client = _apigateway(target)

    def remote(source: LimitSource, entry: MixEntry) -> ConfiguredLimit | None:
        request = entry.request
        if source is LimitSource.STAGE:
            return aws_stage_limit(client, target.rest_api_id, target.stage, request.path, request.method)
        key = secrets.strings.get(request.auth.credential or "")
        if not key:
            return None
        return aws_plan_limit(client, target.rest_api_id, target.stage, key, request.path, request.method)

    return remote


def _apigateway(target: LiveTarget) -> Any:
    import boto3

    session = boto3.Session(profile_name=target.profile, region_name=target.region)
    return session.client("apigateway")


def _logs(records: Sequence[LoadRecord], target: LiveTarget, run: EngineRun, deadline_s: float) -> LogSummary:
    if target.flush_logs is not None:
        target.flush_logs()
    location = LogLocation(
        target.region,
        target.execution_log_group,
        target.access_log_group,
        target.logs_endpoint,
        target.profile,
        local=target.local_logs,
    )
    ids = {r.request_id for r in records if r.request_id}
    start_ms = int(run.started * 1000) - 1000
    end_ms = int(max((r.received or r.sent for r in records), default=time.time()) * 1000) + 1000
    found = fetch_requests(logs_client(location), location, ids, start_ms, end_ms, deadline_s)
    return summarise(records, found, target.stage)


def _cause(logs: LogSummary | None, mode: FailureMode) -> str | None:
    if logs is None:
        return None
    ours = [c for c in logs.counts if c.response_type == mode.response_type]
    if not ours:
        return None
    limits = sorted({c.limit for c in ours if c.limit})
    return f"{mode.id}: {sum(c.count for c in ours)}x {mode.response_type}" + (
        f" from {'; '.join(limits)}" if limits else ""
    )


def _samples(phase: LoadPhase, records: Sequence[LoadRecord], scrub: Callable[[str], str]) -> tuple[Observation, ...]:
    """A few exchanges per kind of answer, for the report's table: the first of each."""
    kept: dict[tuple[int | None, str | None], int] = {}
    samples = []
    for record in records:
        key = (record.status, record.error_type)
        if kept.get(key, 0) >= SAMPLES_PER_ANSWER:
            continue
        kept[key] = kept.get(key, 0) + 1
        spec = phase.mix[record.entry].request
        sent = SentRequest(spec.method, spec.path, (), "", len(spec.body or b""))
        headers = tuple(
            (name, value)
            for name, value in (("x-amzn-requestid", record.request_id), ("x-amzn-errortype", record.error_type))
            if value is not None
        )
        samples.append(
            Observation(
                phase.name,
                record.arrival,
                sent,
                record.sent,
                record.received,
                record.status,
                headers,
                "",
                scrub(record.error) if record.error is not None else None,
            )
        )
    return tuple(samples)
