"""The inventory of snapshot entries, and its agreement with the case files both ways."""

from __future__ import annotations

import pytest
import yaml

from gatecrash._yamlpos import ProblemLog
from gatecrash.parity.cases import Case, ParityCaseError, Source
from gatecrash.parity.inventory import CASE, check, parse_inventory

INVENTORY = """
a.snapshot.json:
  "T::test_crud":
    control-plane: management calls
    keys: [create, get]
  "test_s3":
    out-of-scope: AWS service integration (S3)
    keys: [get-object]
  "test_invoke":
    validated: false
    keys: {deploy: "control plane: set-up", answer: case, other: case}
"""


def case(key: str | None, test: str = "test_invoke", assertion: str | None = None) -> Case:
    return Case(f"f/{key}", "MOCK", Source(snapshot="a.snapshot.json", test=test, key=key, assertion=assertion), ())


def test_entries_keep_their_kind_keys_and_reasons() -> None:
    crud, s3, invoke = parse_inventory(yaml.safe_load(INVENTORY), ProblemLog("inventory.yaml", None))
    assert crud.control_plane == "management calls" and crud.keys == (
        ("create", "management calls"),
        ("get", "management calls"),
    )
    assert s3.out_of_scope == "AWS service integration (S3)" and s3.case_keys == ()
    assert invoke.case_keys == ("answer", "other") and not invoke.validated and crud.validated
    assert dict(invoke.keys)["deploy"] == "control plane: set-up" != CASE


def test_check_finds_cases_the_inventory_lacks_and_case_keys_without_a_case() -> None:
    entries = parse_inventory(yaml.safe_load(INVENTORY), ProblemLog("inventory.yaml", None))
    problems = check(entries, [case("answer"), case("create", test="T::test_crud"), case(None, assertion="x")], "inv")
    assert [problem.message for problem in problems] == [
        "case f/create names a.snapshot.json T::test_crud [create], which the inventory does not list as a `case`",
        "marked `case`, but no case file has it",
    ]
    assert problems[1].pointer == "$.a.snapshot.json['test_invoke'].keys.other"
    assert check(entries, [case("answer"), case("other")], "inv") == ()


def test_an_entry_without_a_kind_or_without_a_case_key_is_refused() -> None:
    document = {
        "a.snapshot.json": {
            "t1": {"keys": {"deploy": "set-up"}},
            "t2": {"control-plane": "why"},
            "t3": {"validated": True},
        }
    }
    with pytest.raises(ParityCaseError) as raised:
        parse_inventory(document, ProblemLog("inventory.yaml", None))
    assert [problem.message for problem in raised.value.problems] == [
        "no key is a `case`",
        "list the entry's keys, so that they are counted",
        "give `control-plane: <why>`, `out-of-scope: <why>`, or `keys: {key: case | <why not>}`",
    ]
