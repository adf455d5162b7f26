"""Every parity case replayed against real emulators on loopback (`make parity` runs the same).

A case passes when the emulator gives AWS's recorded answer, or differs for the reason its file
gives (`known-difference`, listed in docs/PARITY.md); a reason that no longer applies fails too.
"""

from __future__ import annotations

import pytest

from gatecrash.emulator.cloudwatch import LocalLogsServer
from gatecrash.parity.cases import all_cases, load_cases
from gatecrash.parity.compare import CaseResult
from gatecrash.parity.inventory import check, load_inventory
from gatecrash.parity.report import markdown, summarize
from gatecrash.parity.runner import run_cases
from tests.conftest import ROOT

PARITY = ROOT / "tests" / "parity"
FILES = load_cases(PARITY / "cases")
CASES = all_cases(FILES)


@pytest.fixture(scope="module")
def results(logs_server: LocalLogsServer) -> dict[str, CaseResult]:
    return {result.case.id: result for result in run_cases(FILES, logs_server.endpoint_url)}


@pytest.mark.parametrize("case_id", [case.id for case in CASES])
def test_the_emulator_answers_as_aws_recorded(case_id: str, results: dict[str, CaseResult]) -> None:
    result = results[case_id]
    case = result.case
    if case.known_difference is None:
        assert result.differences == (), f"{case.source.describe()}: " + "; ".join(result.differences)
    else:
        assert result.differences != (), f"{case_id} reproduces AWS now: remove `known-difference`"


def test_the_inventory_and_the_cases_agree() -> None:
    entries = load_inventory(PARITY / "inventory.yaml")
    assert check(entries, CASES, "inventory.yaml") == ()
    assert len(entries) == 210  # the 17 snapshot files' entries, every one listed


def test_docs_parity_md_is_the_generated_report(results: dict[str, CaseResult]) -> None:
    ordered = [results[case.id] for case in CASES]
    expected = markdown(summarize(ordered), ordered, load_inventory(PARITY / "inventory.yaml"))
    assert (ROOT / "docs" / "PARITY.md").read_text(encoding="utf-8") == expected, "run `make parity`"


def test_at_least_95_percent_of_the_in_scope_cases_are_reproduced(results: dict[str, CaseResult]) -> None:
    summary = summarize(list(results.values()))
    assert summary.share >= 0.95, f"{summary.reproduced} of {summary.cases}"
