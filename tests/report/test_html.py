"""report.html, rendered by headless Chromium: the DOM after the page's script ran, and a screenshot.

Chromium is Debian's (`apt-get install chromium`; `.ci/run` installs it). Without it these tests
fail, never skip: a report nobody saw render is not tested.
"""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest

from gatecrash.report import html
from gatecrash.report.style import csp_hash
from gatecrash.run import RunResult
from tests.report import MALFORMED, MALFORMED_RECORD, constructed_run, demo_run

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"})


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    children: list[Node | str] = field(default_factory=list)

    def walk(self) -> Iterator[Node]:
        yield self
        for child in self.children:
            if isinstance(child, Node):
                yield from child.walk()

    def text(self) -> str:
        return "".join(child if isinstance(child, str) else child.text() for child in self.children)

    def find_all(self, tag: str, **attrs: str) -> list[Node]:
        return [
            node
            for node in self.walk()
            if node.tag == tag and all(node.attrs.get(k.replace("_", "-")) == v for k, v in attrs.items())
        ]

    def by_id(self, element_id: str) -> Node:
        [node] = [node for node in self.walk() if node.attrs.get("id") == element_id]
        return node


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {name: value or "" for name, value in attrs})
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse(markup: str) -> Node:
    builder = _TreeBuilder()
    builder.feed(markup)
    builder.close()
    return builder.root


@pytest.fixture(scope="module")
def chromium() -> str:
    found = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(found).exists():
        pytest.fail(
            "Debian's chromium is needed to test report.html and was not found (looked for `chromium` on PATH "
            "and /usr/bin/chromium). Install it: apt-get update && apt-get install -y --no-install-recommends "
            "chromium (.ci/run does this)."
        )
    return found


@dataclass(frozen=True)
class Browser:
    executable: str
    profile: Path

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        command = [self.executable, *CHROMIUM_FLAGS, f"--user-data-dir={self.profile}", *args]
        result = subprocess.run(command, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, f"chromium exited {result.returncode}: {result.stderr[-2000:]}"
        return result

    def dom(self, page: Path, suffix: str = "") -> Node:
        """The page's DOM once loaded (its script has run), opened with `suffix` (?query or #hash)."""
        return parse(self.run("--dump-dom", page.as_uri() + suffix).stdout)


@pytest.fixture(scope="module")
def browser(chromium: str, tmp_path_factory: pytest.TempPathFactory) -> Browser:
    return Browser(chromium, tmp_path_factory.mktemp("chromium-profile"))


def _write(run: RunResult, folder: Path) -> Path:
    page = folder / "report.html"
    page.write_text(html.render(run), encoding="utf-8")
    return page


@pytest.fixture(scope="module")
def demo_page(tmp_path_factory: pytest.TempPathFactory) -> tuple[RunResult, Path]:
    run = demo_run()
    return run, _write(run, tmp_path_factory.mktemp("demo"))


@pytest.fixture(scope="module")
def hand_made_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _write(constructed_run(), tmp_path_factory.mktemp("hand-made"))


def _rows(dom: Node) -> list[Node]:
    return dom.by_id("verdict-table").find_all("tr", data_filtered="")


def _visible(nodes: list[Node]) -> list[str]:
    return [node.attrs["id"] for node in nodes if "hidden" not in node.attrs]


def test_the_demo_report_shows_a_row_and_a_section_per_probe(
    browser: Browser, demo_page: tuple[RunResult, Path]
) -> None:
    run, page = demo_page
    dom = browser.dom(page)
    assert len(_rows(dom)) == len(run.results) == len(run.scenario.steps)
    assert [row.find_all("td")[0].text() for row in _rows(dom)] == [step.name for step in run.scenario.steps]
    assert len(_visible(_rows(dom))) == len(run.results)
    assert len(dom.find_all("article")) == len(run.results)
    # The script ran: it reveals the filters and counts the rows.
    assert "hidden" not in dom.by_id("filters").attrs
    assert dom.by_id("shown").text() == f"{len(run.results)} of {len(run.results)} probes shown"
    assert "all" in dom.find_all("header")[0].text() and "as expected" in dom.find_all("header")[0].text()


def test_the_demo_report_lists_every_exchange_with_its_request_id(
    browser: Browser, demo_page: tuple[RunResult, Path]
) -> None:
    run, page = demo_page
    dom = browser.dom(page)
    for position, result in enumerate(run.results, 1):
        article = dom.by_id(f"probe-{position}")
        [table] = article.find_all("table")
        assert len(table.find_all("tr")) == 1 + len(result.record.observations)
        text = article.text()
        assert all(o.request_id in text for o in result.record.observations if o.request_id)


def test_summary_counts_every_verdict(browser: Browser, hand_made_page: Path) -> None:
    dom = browser.dom(hand_made_page)
    counts = {
        item.attrs["data-count"]: item.find_all("b")[0].text()
        for item in dom.find_all("li")
        if "data-count" in item.attrs
    }
    assert counts == {"CONFIRMED": "1", "WRONG_CAUSE": "1", "WRONG_STATUS": "1", "UNCONFIRMED": "1", "ERROR": "1"}
    assert "3 of 5 probes NOT as expected" in dom.find_all("header")[0].text()
    summary = dom.by_id("summary").text()
    for fact in ("hand-made", "abc123 / prod / eu-west-1", "2026-01-02 03:04:05.000 UTC", "1.50 s", "run0"):
        assert fact in summary


def test_a_verdict_in_the_query_shows_only_those_probes(browser: Browser, hand_made_page: Path) -> None:
    dom = browser.dom(hand_made_page, "?verdict=WRONG_STATUS")
    assert _visible(_rows(dom)) == ["row-1"]
    assert _visible(dom.find_all("article")) == ["probe-1"]
    assert dom.by_id("shown").text() == "1 of 5 probes shown"
    pressed = [b.attrs["data-verdict"] for b in dom.find_all("button") if b.attrs.get("aria-pressed") == "true"]
    assert pressed == ["WRONG_STATUS"]


def test_the_hash_filters_by_not_as_expected_and_by_text(browser: Browser, hand_made_page: Path) -> None:
    dom = browser.dom(hand_made_page, "#verdict=not-as-expected")
    assert _visible(_rows(dom)) == ["row-1", "row-2", "row-4"]
    # A pasted request id finds its probe.
    dom = browser.dom(hand_made_page, "#q=REQ-E-2")
    assert _visible(_rows(dom)) == ["row-5"]
    assert browser.dom(hand_made_page, "#q=malformed&verdict=ERROR").by_id("no-match").attrs.get("hidden") is None


def test_untrusted_text_stays_text(browser: Browser, hand_made_page: Path) -> None:
    dom = browser.dom(hand_made_page)
    assert len(dom.find_all("script")) == 1
    assert dom.find_all("img") == []
    assert '<script>alert("gotcha")</script><img src=x onerror=alert(1)>' in dom.by_id("probe-1").text()
    # The probe's name is text, not markup: its link holds one string and no <b> element.
    [link] = dom.by_id("row-1").find_all("a")
    assert link.children == ["limited <b>burst</b>"]


def test_evidence_marks_what_decided_the_cause_the_logs_show(browser: Browser, hand_made_page: Path) -> None:
    dom = browser.dom(hand_made_page)
    marks = {position: [m.text() for m in dom.by_id(f"probe-{position}").find_all("mark")] for position in (1, 3, 4)}
    assert marks == {
        # A 200 where a throttle was expected: what made it ok, as the reason says.
        1: ["200", "-", "Method completed with status: 200"],
        3: ["403", "MISSING_AUTHENTICATION_TOKEN"],
        # The logs show another cause than lambda-error: what decided that one.
        4: ["502", MALFORMED],
    }
    notes = [p.text() for p in dom.by_id("probe-4").find_all("p") if "Highlighted" in p.text()]
    assert notes == ["Highlighted: what decided malformed-lambda-response."]


def _pairs(record: Node) -> list[tuple[str, str, bool]]:
    [fields] = record.find_all("dl", **{"class": "record"})
    return [
        (pair.find_all("dt")[0].text(), pair.find_all("dd")[0].text(), pair.attrs.get("class") == "decisive")
        for pair in fields.children
        if isinstance(pair, Node)
    ]


def test_an_access_record_is_a_key_value_view_with_the_deciding_field_marked(
    browser: Browser, hand_made_page: Path
) -> None:
    article = browser.dom(hand_made_page).by_id("probe-4")
    [record] = article.find_all("div", **{"class": "access-record"})
    pairs = _pairs(record)
    # Every field that holds a value, in the record's order; the nine logged "-" are counted, not shown.
    assert [name for name, _, _ in pairs[:3]] == ["requestId", "extendedRequestId", "identity.sourceIp"]
    assert len(pairs) == 19 and all(value != "-" for _, value, _ in pairs)
    assert '(10 fields logged "-" not shown)' in record.text()
    assert [(name, value) for name, value, decisive in pairs if decisive] == [("status", "502")]
    assert ("error.responseType", "API_CONFIGURATION_ERROR", False) in pairs
    # The line as written only behind "the record as logged", never as the view.
    [details] = record.find_all("details")
    assert details.find_all("pre")[0].text() == MALFORMED_RECORD
    assert all('"requestId"' not in node.text() for node in article.find_all("code"))
    assert all('"requestId"' not in node.text() for node in article.find_all("dd"))


def test_the_demo_reports_records_mark_their_deciding_fields(
    browser: Browser, demo_page: tuple[RunResult, Path]
) -> None:
    run, page = demo_page
    dom = browser.dom(page)
    position = next(i for i, r in enumerate(run.results, 1) if r.mode.id == "lambda-error")
    [record] = dom.by_id(f"probe-{position}").find_all("div", **{"class": "access-record"})
    marked = {name: value for name, value, decisive in _pairs(record) if decisive}
    assert marked["error.responseType"] == "INTEGRATION_FAILURE"
    assert marked["integration.error"].startswith("Lambda Customer Function Error:")
    assert set(marked) == {"status", "error.responseType", "integration.error"}


def test_highlight_escapes_inside_and_around_the_marks() -> None:
    assert html.highlight("a<b>c", [(1, 4)]) == "a<mark>&lt;b&gt;</mark>c"


def test_diagnosis_fix_and_why_open_only_where_not_as_expected(browser: Browser, hand_made_page: Path) -> None:
    dom = browser.dom(hand_made_page)
    opened = {}
    for article in dom.find_all("article"):
        [details] = [node for node in article.find_all("details") if node.attrs.get("class") == "catalogue"]
        opened[article.attrs["id"]] = "open" in details.attrs
        assert ["Diagnosis", "Fix", "Why", "Sources"] == [h.text() for h in details.find_all("h5")]
    assert opened == {"probe-1": True, "probe-2": True, "probe-3": False, "probe-4": True, "probe-5": False}


def test_the_page_needs_no_network(hand_made_page: Path) -> None:
    dom = parse(hand_made_page.read_text(encoding="utf-8"))
    assert [node.tag for node in dom.walk() if "src" in node.attrs] == []
    assert dom.find_all("link") == [] and dom.find_all("iframe") == []
    assert all("url(" not in style.text() and "@import" not in style.text() for style in dom.find_all("style"))
    assert all(a.attrs["href"].startswith(("#", "https://")) for a in dom.find_all("a"))
    [policy] = [
        m.attrs["content"] for m in dom.find_all("meta") if m.attrs.get("http-equiv") == "Content-Security-Policy"
    ]
    assert policy.startswith("default-src 'none'")
    # The policy admits exactly the page's own style and script.
    [style], [script] = dom.find_all("style"), dom.find_all("script")
    sources = dict(re.findall(r"(style-src|script-src) ([^;]+);", policy))
    assert sources == {"style-src": csp_hash(style.text()), "script-src": csp_hash(script.text())}


def test_chromium_applies_the_style_and_script_without_a_policy_violation(
    browser: Browser, hand_made_page: Path
) -> None:
    # Chromium logs a refused inline style or script to the console: "... violates the following
    # Content Security Policy directive ...".
    result = browser.run("--enable-logging=stderr", "--v=0", "--dump-dom", hand_made_page.as_uri())
    assert '<dl class="record">' in result.stdout
    assert "Content Security Policy" not in result.stderr, result.stderr[-2000:]


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_a_screenshot_of_the_report(browser: Browser, hand_made_page: Path) -> None:
    shot = hand_made_page.with_name("report.png")
    browser.run(f"--screenshot={shot}", "--window-size=1400,1000", hand_made_page.as_uri())
    data = shot.read_bytes()
    assert _png_size(data) == (1400, 1000)
    # A blank or unstyled page compresses to a few kilobytes; the rendered report does not.
    assert len(data) > 40_000
