"""The parity table and docs/PARITY.md from case results."""

from __future__ import annotations

from gatecrash.parity.cases import Case, Source
from gatecrash.parity.compare import CaseResult
from gatecrash.parity.inventory import Entry
from gatecrash.parity.report import markdown, summarize, table

SNAPSHOT = Source(snapshot="test_apigateway_common.snapshot.json", test="T::t", key="k")
DOC = Source(doc="https://docs.aws.amazon.com/a.html", section="Example 2")


def result(name: str, category: str, found: tuple[str, ...] = (), known: str | None = None) -> CaseResult:
    source = DOC if name.startswith("doc") else SNAPSHOT
    return CaseResult(Case(f"f/{name}", category, source, (), known), found)


RESULTS = [
    result("ok-1", "MOCK"),
    result("ok-2", "MOCK"),
    result("known", "routing", ("status 403, AWS 200",), known="the greedy path is not tried"),
    result("doc-unexpected", "routing", ("status 500, AWS 200",)),
    result("stale", "logs", (), known="no longer differs"),
]
ENTRIES = [
    Entry("a.snapshot.json", "T::crud", (("c", "calls"), ("g", "calls")), control_plane="calls"),
    Entry("a.snapshot.json", "test_s3", (("o", "S3"),), out_of_scope="S3"),
    Entry("a.snapshot.json", "T::t", (("deploy", "set-up"), ("k", "case"))),
]


def test_counts_by_category_and_the_failures() -> None:
    summary = summarize(RESULTS)
    rows = {row.category: (row.cases, row.reproduced, row.differs) for row in summary.rows}
    assert rows["MOCK"] == (2, 2, 0) and rows["routing"] == (2, 0, 2) and rows["logs"] == (1, 1, 0)
    assert (summary.cases, summary.reproduced, summary.differs) == (5, 3, 2)
    assert summary.failures == (
        "f/doc-unexpected differs from AWS (https://docs.aws.amazon.com/a.html (Example 2)): status 500, AWS 200",
        "f/stale now reproduces AWS's answer: remove its known-difference",
    )


def test_the_table_and_the_markdown_give_totals_reasons_and_what_is_out_of_scope() -> None:
    summary = summarize(RESULTS)
    text = table(summary, ENTRIES)
    assert "total" in text and "reproduced: 60.0% of the in-scope cases" in text
    assert (
        "out of scope: 1 entries of AWS service integrations (1 keys), 1 control-plane entries (2 keys), 1 set-up keys"
        in text
    )
    page = markdown(summary, RESULTS, ENTRIES)
    assert "| routing | 2 | 0 | 2 |" in page and "| **total** | **5** | **3** | **2** |" in page
    assert "- **f/known** (routing; [test_apigateway_common.snapshot.json T::t [k]](https://github.com/" in page
    assert ": the greedy path is not tried\n  - status 403, AWS 200" in page
    assert "no reason given (a failure of `make parity`)" in page
    assert "- a.snapshot.json `test_s3`: 1 keys" in page and "- calls: 1 entries, 2 keys" in page
    assert page == markdown(summary, RESULTS, ENTRIES)  # deterministic
