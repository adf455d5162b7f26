"""Inline SVG charts of a load phase, for report.html: no script, no image, no network. Pure.

The report's Content-Security-Policy allows no inline style attributes, so colours and widths are
SVG presentation attributes. Every text is escaped.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from html import escape

_Scale = Callable[[float], float]
WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 44, 30
PALETTE = {
    "offered": "#4f6f8f",
    "sent": "#9aa7b3",
    "accepted": "#1a7f37",
    "throttled": "#b42318",
    "quota": "#b54708",
    "other": "#6e3fb0",
    "p50": "#1a7f37",
    "p90": "#b54708",
    "p99": "#b42318",
    "raw p99": "#9aa7b3",
}


@dataclass(frozen=True, slots=True)
class Series:
    name: str
    points: Sequence[float]  # one value per second
    dashed: bool = False


# What was sent, split by outcome, bottom to top. These series are drawn as stacked bands, so that
# accepted and throttled stay apart where their counts coincide (as lines, one would hide the other)
# and the stack's top is the sent line.
STACKED = ("accepted", "throttled", "quota", "other")


def line_chart(title: str, unit: str, series: Sequence[Series]) -> str:
    """Lines over seconds 0..n-1, a y axis from 0 to a round maximum, and a legend. Series named in
    `STACKED` are drawn as bands stacked in that order, each over the sum of those below it."""
    bands = sorted((s for s in series if s.name in STACKED), key=lambda s: STACKED.index(s.name))
    lines = [s for s in series if s.name not in STACKED]
    count = max((len(s.points) for s in series), default=0)
    tops = _stack(bands, count)
    peaks = [max(s.points, default=0.0) for s in lines] + [max(t, default=0.0) for t in tops[-1:]]
    top = _nice(max(peaks, default=0.0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(i: float) -> float:
        return LEFT + (plot_w * i / max(count - 1, 1))

    def y(v: float) -> float:
        return TOP + plot_h - (plot_h * v / top if top else 0.0)

    caption = "; outcomes stacked, summing to sent" if bands else ""
    parts = [_frame(title), _axes(top, unit + caption, count, x, y)]
    bottom = [0.0] * count
    for band, upper in zip(bands, tops, strict=True):
        if any(upper[i] > bottom[i] for i in range(count)):
            edge = [f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(upper)]
            base = [f"{x(i):.1f},{y(v):.1f}" for i, v in reversed(list(enumerate(bottom)))]
            parts.append(
                f'<polygon points="{" ".join(edge + base)}" fill="{PALETTE.get(band.name, "#22303c")}" '
                f'fill-opacity="0.6"><title>{escape(band.name)}</title></polygon>'
            )
        bottom = upper
    for line in lines:
        colour = PALETTE.get(line.name, "#22303c")
        coords = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(line.points))
        dash = ' stroke-dasharray="4 3"' if line.dashed else ""
        if coords:
            parts.append(
                f'<polyline points="{coords}" fill="none" stroke="{colour}" stroke-width="1.8"{dash}>'
                f"<title>{escape(line.name)}</title></polyline>"
            )
    for index, named in enumerate(series):
        parts.append(_legend(index, named.name, PALETTE.get(named.name, "#22303c")))
    return _svg(title, parts)


def _stack(bands: Sequence[Series], count: int) -> list[list[float]]:
    """Each band's upper edge: the running sum of the bands up to it, second by second."""
    tops: list[list[float]] = []
    running = [0.0] * count
    for band in bands:
        running = [running[i] + (band.points[i] if i < len(band.points) else 0.0) for i in range(count)]
        tops.append(running)
    return tops


def stacked_bar(title: str, counts: Mapping[str, int]) -> str:
    """One horizontal bar split by status, with each part's count and share."""
    total = sum(counts.values()) or 1
    parts = [_frame(title)]
    position = float(LEFT)
    span = WIDTH - LEFT - RIGHT
    colours = {"2": "#1a7f37", "4": "#b54708", "5": "#b42318"}
    for index, (status, count) in enumerate(counts.items()):
        width = span * count / total
        colour = "#b42318" if status == "429" else colours.get(status[:1], "#6e3fb0")
        label = f"{status}: {count} ({count / total:.1%})"
        parts.append(
            f'<rect x="{position:.1f}" y="{TOP + 10}" width="{max(width, 0.5):.1f}" height="40" fill="{colour}">'
            f"<title>{escape(label)}</title></rect>"
        )
        parts.append(
            f'<text x="{LEFT + 150 * (index % 4)}" y="{TOP + 75 + 16 * (index // 4)}" font-size="12" '
            f'fill="{colour}">{escape(label)}</text>'
        )
        position += width
    return _svg(title, parts, height=TOP + 75 + 16 * ((len(counts) + 3) // 4) + 10)


def _svg(title: str, parts: Sequence[str], height: int = HEIGHT) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}" font-family="system-ui, sans-serif">'
        f"<title>{escape(title)}</title>{''.join(parts)}</svg>"
    )


def _frame(title: str) -> str:
    return f'<text x="{LEFT}" y="15" font-size="13" font-weight="600" fill="#1d232a">{escape(title)}</text>'


def _axes(top: float, unit: str, count: int, x: _Scale, y: _Scale) -> str:
    lines = []
    for step in range(5):
        value = top * step / 4
        lines.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(value):.1f}" y2="{y(value):.1f}" stroke="#d8dee4"/>'
            f'<text x="{LEFT - 6}" y="{y(value) + 4:.1f}" font-size="10" text-anchor="end" fill="#5b6670">'
            f"{value:g}</text>"
        )
    ticks = max(1, count // 10)
    for second in range(0, count, ticks):
        lines.append(
            f'<text x="{x(second):.1f}" y="{HEIGHT - BOTTOM + 14}" font-size="10" text-anchor="middle" '
            f'fill="#5b6670">{second}s</text>'
        )
    lines.append(
        f'<text x="{WIDTH - RIGHT}" y="{HEIGHT - 4}" font-size="10" text-anchor="end" fill="#5b6670">'
        f"seconds into the phase; y: {escape(unit)}</text>"
    )
    return "".join(lines)


def _legend(index: int, name: str, colour: str) -> str:
    left = LEFT + 85 * index
    return (
        f'<rect x="{left}" y="22" width="10" height="10" fill="{colour}"/>'
        f'<text x="{left + 14}" y="31" font-size="11" fill="#1d232a">{escape(name)}</text>'
    )


def _nice(value: float) -> float:
    """A round axis maximum at or above `value`."""
    if value <= 0:
        return 1.0
    magnitude = 10.0 ** (len(str(int(value))) - 1)
    for factor in (1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0):
        if factor * magnitude >= value:
            return factor * magnitude
    return float(value)
