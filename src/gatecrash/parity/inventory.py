"""The inventory: every entry of LocalStack's AWS-validated API Gateway snapshots, and what became of it. Pure.

`tests/parity/inventory.yaml` lists each snapshot file's entries (one per test) with their keys. An
entry is `control-plane` (management calls, not invocations), `out-of-scope` (invocations the emulator
does not answer, such as AWS service integrations), or lists its keys as `case` or the reason a key is
not one (the set-up calls). `check` ties it to the case files both ways: every `case` key has a case,
and every snapshot case is an inventoried `case` key.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gatecrash._yamlpos import ROOT, ProblemLog, describe_type, read_document
from gatecrash.errors import Problem
from gatecrash.parity.cases import Case, ParityCaseError

__all__ = ["CASE", "Entry", "check", "load_inventory", "parse_inventory"]

CASE = "case"
_ENTRY_KEYS = ("validated", "control-plane", "out-of-scope", "keys")


@dataclass(frozen=True, slots=True)
class Entry:
    snapshot: str
    test: str
    keys: tuple[tuple[str, str], ...]  # (key, CASE or why it is not a case)
    control_plane: str | None = None
    out_of_scope: str | None = None
    validated: bool = True

    @property
    def case_keys(self) -> tuple[str, ...]:
        return tuple(key for key, disposition in self.keys if disposition == CASE)


def load_inventory(path: Path) -> tuple[Entry, ...]:
    loaded = read_document(path, str(path), ParityCaseError)
    return parse_inventory(loaded.data, ProblemLog(str(path), loaded.lines))


def parse_inventory(document: Any, log: ProblemLog) -> tuple[Entry, ...]:
    if not isinstance(document, Mapping):
        log.add(ROOT, f"the inventory must be a mapping of snapshot files, not {describe_type(document)}")
        log.raise_if_any(ParityCaseError)
        raise AssertionError("unreachable")
    entries: list[Entry] = []
    for snapshot, tests in document.items():
        if not isinstance(tests, Mapping):
            log.add((str(snapshot),), f"must map test names to entries, not {describe_type(tests)}")
            continue
        for test, raw in tests.items():
            entry = _entry(log, str(snapshot), str(test), raw)
            if entry is not None:
                entries.append(entry)
    log.raise_if_any(ParityCaseError)
    return tuple(entries)


def _entry(log: ProblemLog, snapshot: str, test: str, raw: Any) -> Entry | None:
    where = (snapshot, test)
    if not isinstance(raw, Mapping):
        log.add(where, f"an entry must be a mapping, not {describe_type(raw)}")
        return None
    log.check_keys(raw, where, _ENTRY_KEYS)
    control = raw.get("control-plane")
    outside = raw.get("out-of-scope")
    keys = raw.get("keys")
    if control is not None or outside is not None:
        if control is not None and outside is not None:
            log.add(where, "an entry is `control-plane` or `out-of-scope`, not both")
        if not isinstance(keys, list) or not keys:
            log.add((*where, "keys"), "list the entry's keys, so that they are counted")
            return None
        reason = str(control if control is not None else outside)
        pairs = tuple((str(key), reason) for key in keys)
    elif isinstance(keys, Mapping) and keys:
        pairs = tuple((str(key), str(value)) for key, value in keys.items())
        if CASE not in (value for _, value in pairs):
            log.add((*where, "keys"), "no key is a `case`", hint="mark the entry `control-plane: <why>` instead")
    else:
        log.add(where, "give `control-plane: <why>`, `out-of-scope: <why>`, or `keys: {key: case | <why not>}`")
        return None
    return Entry(
        snapshot,
        test,
        pairs,
        None if control is None else str(control),
        None if outside is None else str(outside),
        raw.get("validated", True) is not False,
    )


def check(entries: Iterable[Entry], cases: Iterable[Case], source: str) -> tuple[Problem, ...]:
    """Each inventoried `case` key has a case, and each snapshot case is an inventoried `case` key."""
    listed = {(entry.snapshot, entry.test, key) for entry in entries for key in entry.case_keys}
    covered: set[tuple[str, str, str]] = set()
    problems: list[Problem] = []
    for case in cases:
        origin = case.source
        if origin.snapshot is None or origin.test is None or origin.key is None:
            continue
        triple = (origin.snapshot, origin.test, origin.key)
        covered.add(triple)
        if triple not in listed:
            problems.append(
                Problem(
                    source,
                    "$",
                    f"case {case.id} names {origin.describe()}, which the inventory does not list as a `case`",
                    hint="mark that key `case` in the inventory, or fix the case's source",
                )
            )
    for snapshot, test, key in sorted(listed - covered):
        problems.append(
            Problem(
                source,
                f"$.{snapshot}['{test}'].keys.{key}",
                "marked `case`, but no case file has it",
                hint="write the case, or give the reason it is not one",
            )
        )
    return tuple(problems)
