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
