"""Bodies from real models: combinators, patterns and formats give a body the model accepts."""

from __future__ import annotations

from typing import Any

import pytest

from gatecrash.emulator.validation import body_validator
from gatecrash.generate.bodies import NoValidBody, invalid_bodies, string_matching, valid_body

# The shape of export 04's template model: allOf of a base and a oneOf of template kinds.
TEMPLATE: dict[str, Any] = {
    "allOf": [
        {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]},
        {
            "oneOf": [
                {
                    "type": "object",
                    "properties": {"templateType": {"enum": ["SMS"]}, "message": {"type": "string"}},
                    "required": ["templateType", "message"],
                },
                {
                    "type": "object",
                    "properties": {"templateType": {"enum": ["EMAIL"]}, "subject": {"type": "string"}},
                    "required": ["templateType", "subject"],
                },
            ]
        },
    ]
}


def test_all_of_and_one_of_fold_into_a_body_the_model_accepts() -> None:
    body = valid_body(TEMPLATE)
    assert body == {"name": "example", "templateType": "SMS", "message": "example"}
    assert body_validator(TEMPLATE).is_valid(body)


def test_a_one_of_whose_first_choice_fails_the_whole_takes_the_next() -> None:
    schema = {
        "type": "object",
        "properties": {"a": {"type": "string"}, "b": {"type": "string"}},
        "additionalProperties": False,
        # The first choice alone would also satisfy the second: oneOf refuses a body matching both.
        "oneOf": [{"required": []}, {"required": ["a"]}],
    }
    body = valid_body(schema)
    assert body_validator(schema).is_valid(body)


def test_formats_and_patterns_give_well_formed_strings() -> None:
    schema = {
        "type": "object",
        "required": ["id", "code"],
        "properties": {
            "id": {"type": "string", "format": "uuid"},
            "code": {"type": "string", "pattern": r"^[A-Z]{2}-\d{3}$"},
        },
    }
    body = valid_body(schema)
    assert body["id"] == "00000000-0000-4000-8000-000000000000"
    assert body_validator(schema).is_valid(body)
    assert string_matching(r"^Bearer [A-Za-z0-9-]+$") is not None


def test_invalid_bodies_of_a_combined_model_are_each_refused() -> None:
    body = valid_body(TEMPLATE)
    broken = invalid_bodies(TEMPLATE, body)
    assert broken
    assert all(not body_validator(TEMPLATE).is_valid(b.body) for b in broken)


def test_a_model_no_body_satisfies_is_reported() -> None:
    contradictory = {
        "type": "object",
        "required": ["a"],
        "properties": {"a": {"type": "string", "minLength": 3, "maxLength": 1}},
    }
    with pytest.raises(NoValidBody):
        valid_body(contradictory)


# Patterns as models and authorizer identity sources write them; some whose simplest string does not fit
# (lengths, an optional part, a class whose simplest member is not printable) and one hypothesis cannot read.
PATTERNS = [
    "^[A-Z]{2}-7[0-9]*$",
    "^[a-z]+$",
    "^\\d{3}-\\d{4}$",
    "[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}",
    "^(foo|bar)$",
    "^.{5,10}$",
    "x*",
    "^$",
    "\\w+\\s\\w+",
    "^[^a]+$",
    "^a{3,}b?$",
    "^Bearer [-0-9a-zA-Z._]+$",
    "(?<=a)b",
]
LENGTHS = [(1, None), (0, None), (3, 5), (12, 20)]


def _found_by_find(pattern: str, shortest: int, longest: int | None) -> str | None:
    """What `_matching` answered before it tried the simplest string itself: `find` alone."""
    from hypothesis import HealthCheck, Phase, find, settings, strategies as st

    from gatecrash.emulator.validation import java_pattern

    compiled = java_pattern(pattern)
    if compiled is None:
        return None

    def fits(text: str) -> bool:
        within = shortest <= len(text) <= (longest if longest is not None else len(text))
        return within and text.isprintable() and bool(compiled.search(text))

    quiet = settings(
        database=None,
        derandomize=True,
        max_examples=100,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
        deadline=None,
    )
    try:
        return find(st.from_regex(compiled), fits, settings=quiet)
    except Exception:
        return None


@pytest.mark.parametrize("pattern", PATTERNS)
def test_a_patterns_string_is_the_one_hypothesis_find_gives(pattern: str) -> None:
    from gatecrash.generate.bodies import _matching

    for shortest, longest in LENGTHS:
        _matching.cache_clear()
        assert _matching(pattern, shortest, longest) == _found_by_find(pattern, shortest, longest), (shortest, longest)


def test_the_simplest_draw_is_what_answers_for_a_plain_pattern() -> None:
    # Pins that the fast path is taken (the agreement above would hold with `find` alone too).
    from hypothesis import strategies as st

    from gatecrash.generate.bodies import _simplest

    assert _simplest(st.from_regex("^[A-Z]{2}-7[0-9]*$")) == "AA-7"
    assert _simplest(st.from_regex("^(foo|bar)$")) == "foo"
