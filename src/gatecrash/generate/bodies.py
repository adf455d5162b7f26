"""Request bodies from a method's JSON Schema model: one that passes, and ones that break one rule each.

The valid body is the schema's own `example` when it has one (a person wrote it; it reads best),
else the minimal instance derived from the schema by hand: required properties only, each the
first enum value, its example, the minimum, or the shortest string the length rules allow; a
string with a `pattern` is drawn from hypothesis's `from_regex`, derandomized; a common `format`
(uuid, date-time, email...) gets a well-formed value; `allOf` is folded into one schema and each
`oneOf`/`anyOf` choice tried in order until the whole model accepts the body. It is deterministic
by construction, so regenerating gives the same bytes.

Why not hypothesis-jsonschema, as the issue suggests: it installs from PyPI, but version 0.23.1
fails on the hypothesis this project pins (6.170: `AttributeError: 'many' object has no attribute
'more'` in `from_object_schema`, an internal API it relies on). Deriving by hand also names exactly
which rule each invalid body breaks. The invalid bodies are the valid one with one rule broken (a
required property dropped, a property of the wrong type, a property the model does not allow);
every body is checked with the Draft 4 validator API Gateway uses (`emulator/validation.py`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import jsonschema

from gatecrash.emulator.model import JsonSchema
from gatecrash.emulator.validation import body_validator, java_pattern

# A value of another JSON type than the schema asks for, per declared type.
_WRONG_VALUE: Mapping[str, Any] = {
    "string": 12345,
    "integer": "not a number",
    "number": "not a number",
    "boolean": "not a boolean",
    "array": "not an array",
    "object": "not an object",
    "null": "not null",
}
EXTRA_PROPERTY = "gatecrashUnexpected"


@dataclass(frozen=True, slots=True)
class InvalidBody:
    """A body breaking one rule of the model, and a few words naming the rule."""

    what: str
    body: Any


class NoValidBody(Exception):
    """The schema admits no instance derived here (an unreadable pattern, contradictory rules)."""


def valid_body(schema: JsonSchema) -> Any:
    """A body the model accepts: its example first, else the minimal instance derived from the schema."""
    return json.loads(_valid_body_text(_canonical(schema)))


def invalid_bodies(schema: JsonSchema, valid: Any) -> tuple[InvalidBody, ...]:
    """Up to three bodies, each `valid` with one rule broken, in a fixed order; only those the model refuses."""
    if not isinstance(valid, dict) or schema.get("type", "object") != "object":
        return _refused(schema, (InvalidBody(f"a body of the wrong type (the model wants {_type_of(schema)})", []),))
    # With combinators, the rules to break are those of the folded choice the valid body satisfies;
    # each candidate is still checked against the whole model.
    rules = next((flat for flat in _flattened(schema) if _accepts(flat, valid)), schema)
    candidates = (_missing_required(rules, valid), _wrong_type(rules, valid), _extra_property(rules, valid))
    return _refused(schema, tuple(c for c in candidates if c is not None))


def _canonical(schema: JsonSchema) -> str:
    # A stable text key: equal models share one search (exports repeat the same model on many methods).
    return json.dumps(schema, sort_keys=True, separators=(",", ":"))


@lru_cache(maxsize=512)
def _valid_body_text(schema_text: str) -> str:
    schema = json.loads(schema_text)
    if "example" in schema and _accepts(schema, schema["example"]):
        return json.dumps(schema["example"])
    try:
        found = _instance(schema, depth=0)
        accepted = _accepts(schema, found)
    except jsonschema.SchemaError as error:
        raise NoValidBody(f"the model is not valid JSON Schema: {error.message}") from error
    if not accepted:
        raise NoValidBody("the model has rules (pattern, format, combinators) a body cannot be derived from")
    return json.dumps(found)


MAX_DEPTH = 8  # a recursive model stops here; the validator then says whether the body passes


def _instance(schema: Any, depth: int) -> Any:
    """The smallest value `schema` describes, examples and enums first."""
    if not isinstance(schema, Mapping) or depth > MAX_DEPTH:
        return {}
    if "example" in schema:
        return schema["example"]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return schema["enum"][0]
    if any(key in schema for key in _COMBINATORS):
        return _combined(schema, depth)
    declared = schema.get("type")
    kind = declared[0] if isinstance(declared, list) and declared else declared
    if kind is None:
        kind = "object" if "properties" in schema else "string"
    return _BUILDERS.get(str(kind), _string)(schema, depth)


_COMBINATORS = ("allOf", "oneOf", "anyOf")
_MAX_ALTERNATIVES = 16  # of oneOf/anyOf choices tried per schema; the first that validates is kept


def _combined(schema: Mapping[str, Any], depth: int) -> Any:
    """An instance of a schema with allOf/oneOf/anyOf: each choice folded into one plain schema, tried in order."""
    for index, flat in enumerate(_flattened(schema)):
        if index >= _MAX_ALTERNATIVES:
            break
        value = _instance(flat, depth)
        if _accepts(schema, value):
            return value
    return _instance(_plain(schema), depth)


def _flattened(schema: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """Plain schemas (no combinators) whose instances may satisfy `schema`: allOf merged, one choice each."""
    base = _plain(schema)
    parts = [part for part in schema.get("allOf", []) if isinstance(part, Mapping)]
    choices = [c for c in (*schema.get("oneOf", []), *schema.get("anyOf", [])) if isinstance(c, Mapping)]

    def merged_parts(acc: dict[str, Any], rest: list[Mapping[str, Any]]) -> Iterator[dict[str, Any]]:
        if not rest:
            yield acc
            return
        for flat in _flattened(rest[0]):
            yield from merged_parts(_merge(acc, flat), rest[1:])

    for merged in merged_parts(base, parts):
        if not choices:
            yield merged
        for choice in choices:
            for flat in _flattened(choice):
                yield _merge(merged, flat)


def _plain(schema: Mapping[str, Any]) -> dict[str, Any]:
    """The schema without its combinators (and `not`, which no instance is built from)."""
    return {k: v for k, v in schema.items() if k not in (*_COMBINATORS, "not")}


def _merge(first: Mapping[str, Any], second: Mapping[str, Any]) -> dict[str, Any]:
    merged = {**second, **first}
    properties = {**second.get("properties", {}), **first.get("properties", {})}
    for name in set(first.get("properties", {})) & set(second.get("properties", {})):
        properties[name] = _merge(first["properties"][name], second["properties"][name])
    if properties:
        merged["properties"] = properties
    required = list(dict.fromkeys([*first.get("required", []), *second.get("required", [])]))
    if required:
        merged["required"] = required
    return merged


def _object(schema: Mapping[str, Any], depth: int) -> Any:
    properties = schema.get("properties", {})
    required = [name for name in schema.get("required", ()) if isinstance(name, str)]
    return {name: _instance(properties.get(name, {}), depth + 1) for name in required}


def _array(schema: Mapping[str, Any], depth: int) -> Any:
    count = int(schema.get("minItems", 0))
    return [_instance(schema.get("items", {}), depth + 1) for _ in range(count)]


def _string(schema: Mapping[str, Any], _depth: int) -> Any:
    shortest, longest = int(schema.get("minLength", 0)), schema.get("maxLength")
    if isinstance(schema.get("pattern"), str):
        found = _matching(schema["pattern"], shortest, int(longest) if longest is not None else None)
        if found is not None:
            return found
    known = _FORMATS.get(str(schema.get("format")))
    if known is not None and shortest <= len(known) <= (int(longest) if longest is not None else len(known)):
        return known
    text = "example" if longest is None or int(longest) >= len("example") else "x"
    return text.ljust(shortest, "x")


# A well-formed value per common `format` (RFC 4122, RFC 3339, RFC 5322, RFC 3986); API Gateway's
# validator does not check formats, but a backend reading the body may.
_FORMATS: Mapping[str, str] = {
    "uuid": "00000000-0000-4000-8000-000000000000",
    "date-time": "2026-01-01T00:00:00Z",
    "date": "2026-01-01",
    "email": "someone@example.com",
    "uri": "https://example.com/",
}


def string_matching(pattern: str) -> str | None:
    """A non-empty printable string `pattern` matches (as API Gateway's Java regex reads it), or None.

    Non-empty: it is sent as an identity source, and an empty one counts as missing.
    """
    return _matching(pattern, 1, None)


@lru_cache(maxsize=256)
def _matching(pattern: str, shortest: int, longest: int | None) -> str | None:
    """A simple string the pattern matches within the lengths: hypothesis's `from_regex`.

    Derandomized and without an example database, so the same pattern gives the same string on
    every machine (regeneration is byte-identical).
    """
    from hypothesis import HealthCheck, Phase, find, settings, strategies as st

    compiled = java_pattern(pattern)
    if compiled is None:
        return None

    def fits(text: str) -> bool:
        within = shortest <= len(text) <= (longest if longest is not None else len(text))
        return within and text.isprintable() and bool(compiled.search(text))

    strategy = st.from_regex(compiled)
    first = _simplest(strategy)
    if first is not None and fits(first):
        return first  # what `find` returns: the first string it tries, and it fits
    # Generation only: derandomized, hypothesis tries the simplest string first; shrinking adds
    # time and nothing readable.
    quiet = settings(
        database=None,
        derandomize=True,
        max_examples=100,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
        deadline=None,
    )
    try:
        return find(strategy, fits, settings=quiet)
    except Exception:  # NoSuchExample, or a regex hypothesis cannot draw from: the caller falls back
        return None


def _simplest(strategy: Any) -> str | None:
    """The string `find` tries first: the draw of every choice at its simplest (the engine's "zero
    data", which its generate phase runs before any random one). About 1 ms against `find`'s 3 to 13
    (its engine set up per pattern). None when the draw fails, or hypothesis's internals are no longer
    where this version found them: `find` then answers, as before. tests/generate/test_bodies.py checks
    the two agree."""
    try:
        from hypothesis.control import BuildContext
        from hypothesis.internal.conjecture.choice import ChoiceTemplate
        from hypothesis.internal.conjecture.data import ConjectureData

        data = ConjectureData.for_choices((ChoiceTemplate("simplest", count=None),))
        with BuildContext(data, wrapped_test=_simplest):
            value = data.draw(strategy)
    except Exception:  # an overrun, a rejected draw, or other internals: `find` decides
        return None
    return value if isinstance(value, str) else None


def _number(schema: Mapping[str, Any], _depth: int) -> Any:
    low, high = schema.get("minimum"), schema.get("maximum")
    value = low if isinstance(low, int | float) else (min(high, 1) if isinstance(high, int | float) else 1)
    if schema.get("exclusiveMinimum") is True and isinstance(low, int | float):
        value = low + 1
    return int(value) if schema.get("type") == "integer" else value


def _boolean(_schema: Mapping[str, Any], _depth: int) -> Any:
    return False


def _null(_schema: Mapping[str, Any], _depth: int) -> Any:
    return None


_BUILDERS: Mapping[str, Callable[[Mapping[str, Any], int], Any]] = {
    "object": _object,
    "array": _array,
    "string": _string,
    "integer": _number,
    "number": _number,
    "boolean": _boolean,
    "null": _null,
}


def _missing_required(schema: JsonSchema, valid: dict[str, Any]) -> InvalidBody | None:
    required = [name for name in schema.get("required", ()) if name in valid]
    if not required:
        return None
    dropped = required[0]
    return InvalidBody(f"without required property '{dropped}'", {k: v for k, v in valid.items() if k != dropped})


def _wrong_type(schema: JsonSchema, valid: dict[str, Any]) -> InvalidBody | None:
    properties = schema.get("properties", {})
    for name in valid:
        declared = properties.get(name, {}).get("type") if isinstance(properties.get(name), Mapping) else None
        if isinstance(declared, str) and declared in _WRONG_VALUE:
            return InvalidBody(f"with '{name}' not of type {declared}", {**valid, name: _WRONG_VALUE[declared]})
    return None


def _extra_property(schema: JsonSchema, valid: dict[str, Any]) -> InvalidBody | None:
    if schema.get("additionalProperties", True) is not False:
        return None
    return InvalidBody(f"with property '{EXTRA_PROPERTY}' the model does not allow", {**valid, EXTRA_PROPERTY: 1})


def _refused(schema: JsonSchema, candidates: tuple[InvalidBody, ...]) -> tuple[InvalidBody, ...]:
    return tuple(c for c in candidates if not _accepts(schema, c.body))


def _accepts(schema: Mapping[str, Any], body: Any) -> bool:
    return body_validator(schema).is_valid(body)


def _type_of(schema: JsonSchema) -> str:
    declared = schema.get("type")
    return declared if isinstance(declared, str) else "something else"
