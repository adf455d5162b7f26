"""The diagnose corpus (tests/diagnose_corpus/excerpts): every development excerpt is diagnosed as the
cause its source established, unless it carries `known-miss: <reason>`; the held-out fifth is only
checked for well-formedness here (bench/diagnose_corpus.py scores it)."""

from __future__ import annotations

import pytest

from gatecrash.catalogue import load_catalogue
from gatecrash.diagnose import Diagnosis, diagnose_text
from tests.diagnose_corpus.scoring import (
    NEW_CAUSES,
    OK,
    Excerpt,
    is_held_out,
    load,
    predicted_cause,
    source_key,
)

CATALOGUE = load_catalogue()
EXCERPTS = load()
DEVELOPMENT = [excerpt for excerpt in EXCERPTS if not excerpt.held_out]


def run(excerpt: Excerpt) -> Diagnosis:
    return diagnose_text(excerpt.lines, excerpt.name, CATALOGUE)


@pytest.mark.parametrize("excerpt", DEVELOPMENT, ids=[excerpt.name for excerpt in DEVELOPMENT])
def test_development_excerpt_is_diagnosed_as_its_established_cause(excerpt: Excerpt) -> None:
    predicted = predicted_cause(run(excerpt))
    if excerpt.known_miss is not None:
        assert predicted != excerpt.cause, f"{excerpt.name} is diagnosed right now: remove its known-miss"
        return
    assert predicted == excerpt.cause, f"{excerpt.name}: diagnosed {predicted}, the source established {excerpt.cause}"


def test_every_cause_is_a_catalogue_mode_or_a_named_new_cause() -> None:
    known = {mode.id for mode in CATALOGUE} | set(NEW_CAUSES) | {OK}
    assert sorted({excerpt.cause for excerpt in EXCERPTS} - known) == []
    assert sorted({excerpt.trap for excerpt in EXCERPTS if excerpt.trap} - known) == []


def test_the_held_out_mark_is_the_hash_rule_for_every_source() -> None:
    wrong = sorted(
        {
            excerpt.name.split("#")[0]
            for excerpt in EXCERPTS
            if excerpt.held_out != is_held_out(source_key(excerpt.source, excerpt.path))
        }
    )
    assert wrong == []
    held = {source_key(excerpt.source, excerpt.path) for excerpt in EXCERPTS if excerpt.held_out}
    assert held, "no source is held out"


def test_every_excerpt_names_its_source_and_has_lines() -> None:
    for excerpt in EXCERPTS:
        assert excerpt.source.startswith("https://"), excerpt.name
        assert excerpt.lines.strip(), excerpt.name
        assert excerpt.status is None or 100 <= excerpt.status <= 599, excerpt.name


def test_predicted_cause_tells_unread_ok_and_mixed_apart() -> None:
    from gatecrash.diagnose import Finding

    assert predicted_cause(Diagnosis((), 0)) == "unread"
    assert predicted_cause(Diagnosis((), 1)) == "ok"
    one = Finding("r1", 502, "lambda-error", (), None)
    other = Finding("r2", 500, None, (), None)
    assert predicted_cause(Diagnosis((one,), 1)) == "lambda-error"
    assert predicted_cause(Diagnosis((one, other), 2)) == "mixed:lambda-error+unknown"
