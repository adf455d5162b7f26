"""Charts are inline SVG with escaped text: nothing a report's CSP would block, nothing that runs."""

from __future__ import annotations

from xml.etree import ElementTree as ET

import pytest

from gatecrash.load.charts import HEIGHT, STACKED, Series, line_chart, stacked_bar

SVG = "{http://www.w3.org/2000/svg}"


def _shapes(svg: str, tag: str) -> dict[str, list[tuple[float, float]]]:
    """Each `tag` element's points by its title (the series it draws)."""
    shapes = {}
    for element in ET.fromstring(svg).iter(SVG + tag):
        title = element.find(SVG + "title")
        assert title is not None and title.text is not None
        pairs = (point.split(",") for point in (element.get("points") or "").split())
        shapes[title.text] = [(float(px), float(py)) for px, py in pairs]
    return shapes


def test_a_line_chart_is_well_formed_svg_with_one_line_per_series() -> None:
    svg = line_chart(
        "Offered <vs> sent", "rps", [Series("offered", [100, 100, 100]), Series("sent", [100, 50, 50], dashed=True)]
    )
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg")
    assert sorted(_shapes(svg, "polyline")) == ["offered", "sent"]
    assert "Offered &lt;vs&gt; sent" in svg and "style=" not in svg and "<script" not in svg


def test_accepted_and_throttled_are_stacked_so_equal_counts_stay_apart() -> None:
    """50 accepted and 50 throttled a second: as two lines they would lie on each other."""
    svg = line_chart(
        "Offered vs accepted vs throttled",
        "requests per second",
        [
            Series("offered", [100, 100, 100, 100]),
            Series("sent", [100, 100, 100, 100], dashed=True),
            Series("accepted", [50, 50, 50, 50]),
            Series("throttled", [50, 50, 50, 50]),
            Series("quota", [0, 0, 0, 0]),
            Series("other", [0, 0, 10, 0]),
        ],
    )
    bands, lines = _shapes(svg, "polygon"), _shapes(svg, "polyline")
    assert sorted(bands) == ["accepted", "other", "throttled"]  # an empty band draws nothing
    assert "quota" in svg  # but keeps its legend entry
    sent_y = [py for _, py in lines["sent"]]

    def edges(name: str) -> tuple[list[float], list[float]]:
        ys = [py for _, py in bands[name]]
        return ys[:4], ys[4:][::-1]  # the upper edge left to right, then the lower edge back

    accepted_top, accepted_bottom = edges("accepted")
    throttled_top, throttled_bottom = edges("throttled")
    zero = HEIGHT - 30  # the x axis: BOTTOM above the foot
    assert accepted_bottom == [pytest.approx(zero)] * 4
    assert throttled_bottom == accepted_top  # throttled sits on accepted
    assert throttled_top == sent_y  # and the stack ends where sent is: accepted + throttled = sent
    assert all(bottom - top > 50 for top, bottom in zip(throttled_top, throttled_bottom, strict=True))
    other_top, other_bottom = edges("other")
    assert other_bottom == throttled_top and other_top[2] < sent_y[2]  # 10 more than were sent that second
    assert "outcomes stacked, summing to sent" in svg
    assert STACKED == ("accepted", "throttled", "quota", "other")


def test_the_axis_reaches_the_top_of_the_stack() -> None:
    svg = line_chart("t", "rps", [Series("accepted", [60, 60]), Series("throttled", [60, 60])])
    labels = [e.text for e in ET.fromstring(svg).iter(SVG + "text")]
    assert "120" in labels  # not 60, the highest single series


def test_a_stacked_bar_shows_each_status_share() -> None:
    svg = stacked_bar("Status mix", {"200": 600, "429": 400})
    ET.fromstring(svg)
    assert "200: 600 (60.0%)" in svg and "429: 400 (40.0%)" in svg
