"""Where a run's reports go: `reports/<UTC timestamp>-<scenario>-<run id>/`."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path

from gatecrash.report import html as html_report, json as json_report, junit as junit_report
from gatecrash.run import RunResult

# Format name -> (file name, renderer). results.json comes first: the CLI names it.
RENDERERS: dict[str, tuple[str, Callable[[RunResult], str]]] = {
    "json": ("results.json", json_report.render),
    "junit": ("junit.xml", junit_report.render),
    "html": ("report.html", html_report.render),
}
FORMATS: tuple[str, ...] = tuple(RENDERERS)


def run_folder(root: Path, run: RunResult) -> Path:
    return root / f"{run.started.strftime('%Y%m%dT%H%M%SZ')}-{folder_name(run.scenario.name)}-{run.run_id}"


def folder_name(name: str) -> str:
    """`name` as one path segment a shell takes unquoted: `my demo API` -> `my-demo-API`."""
    return re.sub(r"[^\w.]+", "-", name).strip("-.") or "scenario"


def write_reports(root: Path, run: RunResult, formats: Sequence[str] = FORMATS) -> tuple[Path, ...]:
    """Write each of `formats` for `run` into its run folder; returns the paths in the order asked."""
    unknown = [name for name in formats if name not in RENDERERS]
    if unknown:
        raise ValueError(f"unknown report format(s) {', '.join(unknown)}; known: {', '.join(FORMATS)}")
    # Render everything before writing anything, so a renderer's bug leaves no half-written folder.
    texts = [(RENDERERS[name][0], RENDERERS[name][1](run)) for name in formats]
    folder = run_folder(root, run)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for file_name, text in texts:
        path = folder / file_name
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return tuple(paths)


def write_report(root: Path, run: RunResult) -> Path:
    """Write results.json for `run`; returns its path."""
    return write_reports(root, run, ("json",))[0]
