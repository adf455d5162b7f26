"""`results.json`: every probe, its verdict, and every exchange (redacted), for machines."""

from __future__ import annotations

import json
from typing import Any

from gatecrash.run import RunResult
from gatecrash.runner.record import Observation
from gatecrash.runner.verdict import StepResult
from gatecrash.scenario.model import Burst

FORMAT_VERSION = 1


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


def _step(result: StepResult) -> dict[str, Any]:
    step = result.record.step
    mode = result.mode
    entry: dict[str, Any] = {
        "name": step.name,
        "mode": mode.id,
        "kind": "burst" if isinstance(step, Burst) else "probe",
        "expected": {
            "statuses": list(mode.statuses),
            "error_type": mode.error_type,
            "response_type": mode.response_type,
        },
        "verdict": result.verdict.value,
        "as_expected": result.verdict.as_expected,
        "reason": result.reason,
        "observed_cause": result.observed_cause,
        "evidence": list(result.evidence),
        "exchanges": [_observation(o) for o in result.record.observations],
    }
    if result.record.release_spread_ms is not None:
        entry["release_spread_ms"] = result.record.release_spread_ms
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
        "summary": {
            verdict: sum(r.verdict.value == verdict for r in run.results)
            for verdict in sorted({r.verdict.value for r in run.results})
        },
        "probes": [_step(result) for result in run.results],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
