"""`reports/canary/index.html`: the run timeline, SuccessPercent and Duration charts (inline SVG)
and the evidence of each probe's latest failure.

Self-contained like report.html: inline CSS admitted by hash, no script, nothing fetched, every
value escaped (reasons and log lines come from the target). Written to a temporary file and
renamed, so a reader never sees half a page.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import UTC, datetime
from html import escape
from pathlib import Path

from gatecrash.canary.model import CanaryRun, ProbeOutcome, RunStatus
from gatecrash.report.style import BASE_CSS, csp_hash

PAGE_NAME = "index.html"
_RECENT = 50  # rows in the timeline table; the charts show every run

_CSS = (
    BASE_CSS
    + """
h3 { margin: 14px 0 6px; font-size: 15px; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
.strip { display: flex; gap: 2px; flex-wrap: wrap; }
.strip span { width: 10px; height: 22px; border-radius: 2px; }
.ok { background: var(--ok); color: #fff; }
.bad { background: var(--bad); color: #fff; }
.warn { background: var(--warn); color: #fff; }
.gone { background: var(--muted); color: #fff; }
.badge { display: inline-block; padding: 1px 7px; border-radius: 3px; font-size: 12px; font-weight: 600; }
.charts { display: flex; gap: 24px; flex-wrap: wrap; }
svg text { font: 11px system-ui, sans-serif; fill: #5b6670; }
"""
)


CONTENT_SECURITY_POLICY = (
    f"default-src 'none'; style-src {csp_hash(_CSS)}; img-src 'none'; base-uri 'none'; form-action 'none'"
)


def write_page(directory: Path, runs: Sequence[CanaryRun]) -> Path:
    path = directory / PAGE_NAME
    partial = directory / f".{PAGE_NAME}.{os.getpid()}.tmp"
    partial.write_text(render(runs), encoding="utf-8")
    os.replace(partial, path)  # atomic on one file system
    return path


def render(runs: Sequence[CanaryRun]) -> str:
    names = sorted({run.scenario for run in runs})
    title = f"gatecrash canary: {', '.join(names) or 'no runs yet'}"
    body = [_header(title, runs)]
    for name in names:
        mine = [run for run in runs if run.scenario == name]
        body.append(_scenario_section(name, mine, len(names) > 1))
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{escape(CONTENT_SECURITY_POLICY)}">'
        f"<title>{escape(title)}</title><style>{_CSS}</style></head><body>" + "".join(body) + "</body></html>\n"
    )


def _header(title: str, runs: Sequence[CanaryRun]) -> str:
    last = runs[-1] if runs else None
    state = "no runs yet"
    if last is not None:
        state = f"last run #{last.number} at {_time(last.started)}: {_summary(last)}"
    rendered = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return f"<header><h1>{escape(title)}</h1><p>{escape(state)}. Rendered {rendered}.</p></header><main>"


def _scenario_section(name: str, runs: Sequence[CanaryRun], titled: bool) -> str:
    parts = [f"<h2>{escape(name)}</h2>"] if titled else []
    parts.append("<h2>Timeline</h2>" + _strip(runs))
    percent = [(run.number, run.success_percent) for run in runs]
    duration = [(run.number, run.duration_s) for run in runs if run.status is not RunStatus.ABANDONED]
    parts.append(
        '<div class="charts">'
        + _chart("SuccessPercent", "%", percent, percent_axis([v for _, v in percent if v is not None]))
        + _chart("Duration", "s", duration, duration_axis([v for _, v in duration if v is not None]))
        + "</div>"
    )
    parts.append(_table(runs[-_RECENT:]))
    parts.append("<h2>Latest failure of each probe</h2>" + _failures(runs))
    return "".join(parts) + "</main>"


def _kind(run: CanaryRun) -> str:
    if run.status is RunStatus.ABANDONED:
        return "gone"
    if not run.ok:
        return "bad"
    return "warn" if run.unconfirmed else "ok"


def _summary(run: CanaryRun) -> str:
    if run.status is not RunStatus.COMPLETED:
        return f"{run.outcome}{' (' + run.note + ')' if run.note else ''}"
    return f"{run.outcome}: {run.succeeded} confirmed, {run.failed} failed, {run.unconfirmed} unconfirmed"


def _time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _strip(runs: Sequence[CanaryRun]) -> str:
    cells = "".join(
        f'<span class="{_kind(run)}" title="#{run.number} {escape(_time(run.started))}: {escape(_summary(run))}">'
        "</span>"
        for run in runs
    )
    return f'<div class="strip">{cells}</div>'


def percent_axis(values: Sequence[float]) -> tuple[float, float]:
    """SuccessPercent's axis: up to 100 always, down to a multiple of 5 a little below the lowest
    value, so that runs at 95-100% are told apart instead of one flat line at the top; a run at 0
    (timed out, an error) brings the axis down to 0."""
    lowest = min(values, default=100.0)
    floor = (lowest - 0.1 * (100.0 - lowest) - 1.0) // 5.0 * 5.0
    return max(0.0, min(floor, 95.0)), 100.0


def duration_axis(values: Sequence[float]) -> tuple[float, float]:
    return 0.0, max([*values, 0.001]) * 1.1


def _chart(title: str, unit: str, points: Sequence[tuple[int, float | None]], axis: tuple[float, float]) -> str:
    """A line over run numbers; runs with no value (all unconfirmed, abandoned) leave a gap. The y
    axis runs from `axis[0]` to `axis[1]`, both labelled, and the title says where it starts when
    that is not 0."""
    width, height, pad = 520.0, 180.0, 34.0
    low, ceiling = axis
    count = max(len(points) - 1, 1)

    def x(i: int) -> float:
        return pad + (width - 2 * pad) * i / count

    def y(value: float) -> float:
        return height - pad - (height - 2 * pad) * (value - low) / (ceiling - low)

    segments: list[list[str]] = [[]]
    for i, (_, value) in enumerate(points):
        if value is None:
            segments.append([])
        else:
            segments[-1].append(f"{x(i):.1f},{y(value):.1f}")
    lines = "".join(
        f'<polyline points="{" ".join(s)}" fill="none" stroke="#0969da" stroke-width="2"/>' for s in segments if s
    )
    dots = "".join(
        f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="2.5" fill="#0969da"><title>#{n}: {v:.4g} {unit}</title></circle>'
        for i, (n, v) in enumerate(points)
        if v is not None
    )
    start = f", axis from {low:.4g}" if low else ""
    axes = (
        f'<line x1="{pad}" y1="{height - pad}" x2="{width - pad}" y2="{height - pad}" stroke="#d8dee4"/>'
        f'<line x1="{pad}" y1="{pad}" x2="{pad}" y2="{height - pad}" stroke="#d8dee4"/>'
        f'<text x="2" y="{pad + 4}">{ceiling:.4g}</text><text x="2" y="{height - pad}">{low:.4g}</text>'
        f'<text x="{pad}" y="18">{escape(title)} ({escape(unit)}) by run{escape(start)}</text>'
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" role="img" '
        f'aria-label="{escape(title)}">{axes}{lines}{dots}</svg>'
    )


def _table(runs: Sequence[CanaryRun]) -> str:
    rows = "".join(
        f"<tr><td>#{run.number}</td><td>{escape(_time(run.started))}</td><td>{run.duration_s:.2f}s</td>"
        f'<td><span class="badge {_kind(run)}">{escape(run.outcome)}</span></td>'
        f"<td>{run.succeeded}</td><td>{run.failed}</td><td>{run.unconfirmed}</td><td>{escape(run.note)}</td></tr>"
        for run in reversed(runs)
    )
    head = "<tr><th>run</th><th>started</th><th>duration</th><th>result</th><th>confirmed</th><th>failed</th>"
    return f"<h2>Recent runs</h2><table><thead>{head}<th>unconfirmed</th><th>note</th></tr></thead>{rows}</table>"


def _failures(runs: Sequence[CanaryRun]) -> str:
    latest: dict[str, tuple[CanaryRun, ProbeOutcome]] = {}
    for run in runs:
        for probe in run.probes:
            if probe.failed:
                latest[probe.name] = (run, probe)
    if not latest:
        return "<p>No probe has failed.</p>"
    return "".join(_failure(run, probe) for run, probe in sorted(latest.values(), key=lambda pair: pair[1].name))


def _failure(run: CanaryRun, probe: ProbeOutcome) -> str:
    evidence = "".join(f"<pre>{escape(line)}</pre>" for line in probe.evidence) or "<p>No log evidence.</p>"
    statuses = ", ".join(map(str, probe.statuses)) or "no answer"
    return (
        f"<h3>{escape(probe.name)} <small>({escape(probe.mode)})</small></h3>"
        f'<p>Run #{run.number} at {escape(_time(run.started))}: <span class="badge bad">{escape(probe.verdict)}'
        f"</span> after {probe.attempts} attempt(s); got {escape(statuses)}. {escape(probe.reason)}</p>{evidence}"
    )
