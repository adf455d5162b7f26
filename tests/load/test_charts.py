"""Charts are inline SVG with escaped text: nothing a report's CSP would block, nothing that runs."""

from __future__ import annotations

from xml.etree import ElementTree as ET

from gatecrash.load.charts import Series, line_chart, stacked_bar


def test_a_line_chart_is_well_formed_svg_with_one_line_per_series() -> None:
    svg = line_chart(
        "Offered <vs> accepted", "rps", [Series("offered", [100, 100, 100]), Series("accepted", [100, 50, 50])]
    )
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg")
    assert len([e for e in root.iter() if e.tag.endswith("polyline")]) == 2
    assert "Offered &lt;vs&gt; accepted" in svg and "style=" not in svg and "<script" not in svg


def test_a_stacked_bar_shows_each_status_share() -> None:
    svg = stacked_bar("Status mix", {"200": 600, "429": 400})
    ET.fromstring(svg)
    assert "200: 600 (60.0%)" in svg and "429: 400 (40.0%)" in svg
