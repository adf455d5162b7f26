"""Where a run's reports go: `reports/<UTC timestamp>-<run id>/`."""

from __future__ import annotations

from pathlib import Path

from gatecrash.report import json as json_report
from gatecrash.run import RunResult


def run_folder(root: Path, run: RunResult) -> Path:
    return root / f"{run.started.strftime('%Y%m%dT%H%M%SZ')}-{run.scenario.name}-{run.run_id}"


def write_report(root: Path, run: RunResult) -> Path:
    """Write results.json for `run`; returns its path."""
    folder = run_folder(root, run)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "results.json"
    path.write_text(json_report.render(run), encoding="utf-8")
    return path
