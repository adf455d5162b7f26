"""`results.json`: every probe, its verdict, and every exchange (redacted), for machines.

Format 2 (format 1 held each access record as a JSON string): a probe's `evidence` lists the log
lines its cause rests on, an access record as an object (the record as logged; a Common Log Format
line as its `$context` fields) and an execution line as a string; `decisive` lists what in them
decided the cause (`{"log": "access", "field", "value"}` or `{"log": "execution", "value", "matched"}`);
`summary` counts every verdict, 0 included.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from gatecrash.correlate.model import DecisiveEvidence
from gatecrash.load.estimate import Band
from gatecrash.load.phase import LoadOutcome
from gatecrash.report.evidence import AccessRecordView, evidence_view
from gatecrash.run import RunResult
from gatecrash.runner.record import Observation
from gatecrash.runner.verdict import StepResult, Verdict
from gatecrash.scenario.model import Burst, LoadPhase

FORMAT_VERSION = 2


def _observation(observation: Observation) -> dict[str, Any]:
    return {
        "index": observation.index,
        "request": {
            "method": observation.request.method,
            "url": observation.request.url,
            "headers": [list(pair) for pair in observation.request.headers],
            "body_excerpt": observation.request.body_excerpt,
            "body_size": observation.request.body_size,
        },
        "sent_at": observation.sent_at,
        "received_at": observation.received_at,
        "elapsed_ms": observation.elapsed_ms,
        "status": observation.status,
        "request_id": observation.request_id,
        "extended_request_id": observation.extended_request_id,
        "error_type": observation.error_type,
        "headers": dict(observation.headers),
        "body_excerpt": observation.body_excerpt,
        "error": observation.error,
    }


def _evidence(result: StepResult) -> list[Any]:
    return [
        dict(item.document) if isinstance(item, AccessRecordView) else item.text for item in evidence_view(result).items
    ]


def _decisive(item: DecisiveEvidence) -> dict[str, str]:
    if item.field is not None:
        return {"log": "access", "field": item.field, "value": item.value}
    entry = {"log": "execution", "value": item.value}
    if item.matched is not None:
        entry["matched"] = item.matched  # what the mode's catalogue pattern matched in the message
    return entry


def _kind(result: StepResult) -> str:
    step = result.record.step
    if isinstance(step, LoadPhase):
        return step.kind.value
    return "burst" if isinstance(step, Burst) else "probe"


def _band(band: Band | None) -> dict[str, float] | None:
    return None if band is None else {"value": band.value, "low_95": band.low, "high_95": band.high}


def _load(load: LoadOutcome) -> dict[str, Any]:
    """A load phase's measurements: the series per second, the fitted buckets and each expectation."""
    phase = load.phase
    return {
        "schedule": [asdict(segment) for segment in phase.segments],
        "mix": [{"weight": e.weight, "method": e.request.method, "path": e.request.path} for e in phase.mix],
        "planned": load.planned,
        "sent": load.sent,
        "offered_rps": load.offered_rps,
        "achieved_rps": load.achieved_rps,
        "schedule_lag_p99_ms": load.lag_p99_ms,
        "processes": load.processes,
        "users_per_process": load.users_per_process,
        "complete": load.complete,
        "records_per_process": {str(worker): count for worker, count in load.per_process.items()},
        "stopped": list(load.stopped),
        "status_mix": load.mix,
        "latency_ms": load.latency_overall,
        "series": {
            "start_epoch": load.started,
            "per_second": [asdict(second) for second in load.seconds],
            "latency_per_second": [asdict(point) for point in load.latency],
        },
        "buckets": [
            {
                "group": fit.group,
                "requests": fit.requests,
                "configured": asdict(fit.configured) if fit.configured else None,
                "tolerance": fit.tolerance,
                "estimate": {
                    "rate": _band(fit.estimate.rate),
                    "burst": _band(fit.estimate.burst),
                    "passed": fit.estimate.passed,
                    "throttled": fit.estimate.throttled,
                    "saturated_s": fit.estimate.saturated_s,
                    "note": fit.estimate.note,
                },
            }
            for fit in load.fits
        ],
        "expectations": [asdict(check) for check in load.checks],
        "logs": asdict(load.logs) if load.logs is not None else None,
    }


def _step(result: StepResult, run: RunResult) -> dict[str, Any]:
    step = result.record.step
    mode = result.mode
    entry: dict[str, Any] = {
        "name": step.name,
        "mode": mode.id,
        "kind": _kind(result),
        "expected": {
            "statuses": list(mode.statuses),
            "error_type": mode.error_type,
            "response_type": mode.response_type,
        },
        "verdict": result.verdict.value,
        "as_expected": result.verdict.as_expected,
        "reason": result.reason,
        "observed_cause": result.observed_cause,
        "evidence": _evidence(result),
        "decisive": [_decisive(item) for item in result.decisive],
        "exchanges": [_observation(o) for o in result.record.observations],
    }
    if result.record.release_spread_ms is not None:
        entry["release_spread_ms"] = result.record.release_spread_ms
    load = run.load_of(step.name) if isinstance(step, LoadPhase) else None
    if load is not None:
        entry["load"] = _load(load)
    return entry


def render(run: RunResult) -> str:
    document = {
        "format": FORMAT_VERSION,
        "gatecrash": run.version,
        "run_id": run.run_id,
        "scenario": {"name": run.scenario.name, "file": str(run.scenario.source)},
        "target": {
            "description": run.target.description,
            "base_url": run.target.base_url,
            "rest_api_id": run.target.rest_api_id,
            "stage": run.target.stage,
            "region": run.target.region,
            "execution_log_group": run.target.execution_log_group,
            "access_log_group": run.target.access_log_group,
        },
        "started": run.started.isoformat(),
        "finished": run.finished.isoformat(),
        "as_expected": run.as_expected,
        "summary": {verdict.value: sum(r.verdict is verdict for r in run.results) for verdict in Verdict},
        "probes": [_step(result, run) for result in run.results],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
