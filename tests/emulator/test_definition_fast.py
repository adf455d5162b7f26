"""Fast definition loading keeps every problem, warning and line: JSON through `json`, YAML through libyaml,
lines found only when a problem needs one, substitution skipped only where it changes nothing, and models
checked against the draft-4 meta-schema without jsonschema only where the answer is certain."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from hypothesis import given, settings, strategies as st

from gatecrash._yamlpos import LineIndex, LoadedDocument, _compose, _compose_with_lines, _PositionLoader, parse_text
from gatecrash.emulator.definition import (
    _SHAPE_RULES,
    _malformed_schema,
    _non_text_ref,
    _surely_well_formed,
    load_definition,
)
from gatecrash.errors import DefinitionError, Problem
from tests.fixtures.apis import DEFINITIONS

METHODS = 120


def _export(methods: int = METHODS) -> dict[str, Any]:
    """An export shaped like `aws apigateway get-export`'s, every method with its own model."""
    paths: dict[str, Any] = {}
    for index in range(methods):
        paths[f"/r{index}"] = {
            "post": {
                "x-amazon-apigateway-request-validator": "all",
                "requestBody": {
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["name"],
                                "properties": {
                                    "name": {"type": "string", "maxLength": 10 + index},
                                    "code": {"type": "string", "pattern": f"^[A-Z]{{{index % 5 + 1}}}$"},
                                },
                            }
                        }
                    }
                },
                "responses": {"200": {"description": "ok"}},
                "x-amazon-apigateway-integration": {"type": "mock", "requestTemplates": {"application/json": "{}"}},
            }
        }
    return {
        "openapi": "3.0.1",
        "info": {"title": "fast", "version": "1"},
        "x-amazon-apigateway-request-validators": {
            "all": {"validateRequestBody": True, "validateRequestParameters": True}
        },
        "paths": paths,
    }


def _line_of(text: str, needle: str) -> int:
    """The 1-based line of the only occurrence of `needle` in `text`."""
    assert text.count(needle) == 1, needle
    return text[: text.index(needle)].count("\n") + 1


def _only_problem(path: Path) -> Problem:
    with pytest.raises(DefinitionError) as caught:
        load_definition(path)
    (problem,) = caught.value.problems
    return problem


# --- problems and warnings still name their line ------------------------------------------------------


def test_a_problem_deep_in_a_large_json_definition_names_its_line(tmp_path: Path) -> None:
    document = _export()
    document["paths"]["/r97"]["post"]["x-amazon-apigateway-integration"]["type"] = "lambada"
    text = json.dumps(document, indent=2)
    (tmp_path / "api.json").write_text(text)
    problem = _only_problem(tmp_path / "api.json")
    assert problem.message == "unknown integration type 'lambada'"
    assert problem.pointer == "$.paths['/r97'].post.x-amazon-apigateway-integration.type"
    assert problem.line == _line_of(text, '"type": "lambada"')


def test_a_problem_deep_in_a_large_yaml_definition_names_its_line(tmp_path: Path) -> None:
    document = _export()
    document["paths"]["/r97"]["post"]["x-amazon-apigateway-integration"]["type"] = "lambada"
    text = yaml.safe_dump(document, sort_keys=False)
    (tmp_path / "api.yaml").write_text(text)
    problem = _only_problem(tmp_path / "api.yaml")
    assert problem.message == "unknown integration type 'lambada'"
    assert problem.line == _line_of(text, "type: lambada")


@pytest.mark.parametrize("dump", [lambda d: json.dumps(d, indent=1), lambda d: yaml.safe_dump(d, sort_keys=False)])
def test_a_malformed_model_in_a_large_definition_names_the_keyword_and_its_line(tmp_path: Path, dump: Any) -> None:
    document = _export()
    schema = document["paths"]["/r64"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    schema["properties"]["name"]["type"] = "strung"
    text = dump(document)
    (tmp_path / "api.def").write_text(text)
    problem = _only_problem(tmp_path / "api.def")
    assert problem.pointer == (
        "$.paths['/r64'].post.requestBody.content['application/json'].schema.properties.name.type"
    )
    assert problem.message.startswith("not a JSON Schema draft 4 model: ")
    assert problem.line == _line_of(text, "strung")


def test_an_import_warning_in_a_json_definition_names_its_line(tmp_path: Path) -> None:
    document = _export()
    content = document["paths"]["/r33"]["post"]["requestBody"]["content"]
    content["application/json"]["schema"] = {"$ref": "#/components/schemas/Missing"}
    text = json.dumps(document, indent=2)
    (tmp_path / "api.json").write_text(text)
    (warning,) = load_definition(tmp_path / "api.json").warnings
    assert warning.message.startswith("$ref '#/components/schemas/Missing' points to nothing")
    assert warning.line == _line_of(text, '"$ref": "#/components/schemas/Missing"')


def test_a_yaml_syntax_error_is_told_in_the_same_words_whichever_parser_read_it(tmp_path: Path) -> None:
    # libyaml says "mapping values are not allowed in this context"; the report is pyyaml's own.
    (tmp_path / "api.yaml").write_text('openapi: "3.0.1"\ninfo:\n  title: a: b\npaths: {}\n')
    problem = _only_problem(tmp_path / "api.yaml")
    assert problem.message == "not valid YAML or JSON: mapping values are not allowed here"
    assert problem.line == 3


# --- the fast readers read what the positional loader read ------------------------------------------------


@pytest.mark.parametrize("name", sorted(path.name for path in DEFINITIONS.iterdir()))
def test_libyaml_reads_each_fixture_as_the_pure_python_loader_does(name: str) -> None:
    text = (DEFINITIONS / name).read_text()
    data, lines = _compose_with_lines(text, with_lines=True)
    expected_data, expected_lines = _compose(_PositionLoader, text, with_lines=True)
    assert data == expected_data
    assert lines.lines == expected_lines.lines
    assert len(lines.lines) > 20


def test_a_json_documents_lines_are_found_when_first_asked_for_and_match_the_positional_loaders() -> None:
    text = json.dumps(_export(5), indent=2)
    loaded = parse_text(text, "api.json")
    assert isinstance(loaded, LoadedDocument) and loaded.lines is not None
    assert loaded.data == json.loads(text)
    _, expected = _compose(_PositionLoader, text, with_lines=True)
    assert loaded.lines.lines == expected.lines
    assert loaded.lines.line_of(("paths", "/r3", "post")) == _line_of(text, '"/r3"') + 1


def test_valid_json_that_yaml_cannot_read_loads_without_lines() -> None:
    text = '{"openapi"\n: "3.0.1"}'  # JSON allows a line break before the colon; YAML's flow mapping does not
    loaded = parse_text(text, "api.json")
    assert isinstance(loaded, LoadedDocument) and loaded.lines is not None
    assert loaded.data == {"openapi": "3.0.1"}
    assert loaded.lines.line_of(("openapi",)) is None


def test_json_indented_with_tabs_gets_its_lines_from_libyaml() -> None:
    # pyyaml refuses a tab where a token starts; libyaml reads it (before, such a file had no lines).
    loaded = parse_text('{\n\t"openapi": "3.0.1",\n\t"paths": {}\n}', "api.json")
    assert isinstance(loaded, LoadedDocument) and loaded.lines is not None
    assert loaded.lines.line_of(("paths",)) == 3


def test_text_libyaml_refuses_is_read_by_pyyaml() -> None:
    # libyaml refuses escaped surrogates; pyyaml reads them, as two code points, and so it did before.
    loaded = parse_text('title: "\\ud83d\\ude00"\n', "api.yaml")
    assert isinstance(loaded, LoadedDocument) and loaded.data == {"title": "\ud83d\ude00"}


def test_a_line_index_given_outright_is_used_as_given() -> None:
    index = LineIndex({(): 1, ("a",): 3})
    assert index.line_of(("a", "b", 0)) == 3 and index.line_of(("c",)) == 1


# --- substitution is skipped only where it changes nothing -----------------------------------------------

_SUBSTITUTED: list[tuple[str, Any, dict[str, str], str]] = [
    ("terraform placeholder", "${fn}", {"fn": "arn:one"}, "arn:one"),
    ("placeholder written with a JSON escape", "\\u0024{fn}", {"fn": "arn:one"}, "arn:one"),
    ("terraform escape", "$${literal}", {}, "${literal}"),
    ("Ref", {"Ref": "Fn"}, {"Fn": "arn:ref"}, "arn:ref"),
    ("Fn::Sub", {"Fn::Sub": "arn:${Fn}"}, {"Fn": "x"}, "arn:x"),
    ("Fn::GetAtt", {"Fn::GetAtt": ["Fn", "Arn"]}, {"Fn.Arn": "arn:att"}, "arn:att"),
    ("Fn::Join", {"Fn::Join": ["-", ["a", "b"]]}, {}, "a-b"),
    ("Fn::If", {"Fn::If": ["IsProd", "p", "q"]}, {"IsProd": "true"}, "p"),
]


def _with_uri(uri: Any) -> dict[str, Any]:
    integration = {"type": "http_proxy", "httpMethod": "GET", "uri": uri}
    return {
        "openapi": "3.0.1",
        "info": {"title": "t", "version": "1"},
        "paths": {"/a": {"get": {"responses": {}, "x-amazon-apigateway-integration": integration}}},
    }


@pytest.mark.parametrize(
    ("uri", "variables", "expected"), [case[1:] for case in _SUBSTITUTED], ids=[c[0] for c in _SUBSTITUTED]
)
def test_every_template_form_is_still_substituted(
    tmp_path: Path, uri: Any, variables: dict[str, str], expected: str
) -> None:
    text = json.dumps(_with_uri(uri)).replace("\\\\u0024", "\\u0024")
    (tmp_path / "api.json").write_text(text)
    (method,) = load_definition(tmp_path / "api.json", variables).methods
    assert method.integration is not None and method.integration.uri == expected


def test_a_yaml_short_form_intrinsic_is_still_substituted(tmp_path: Path) -> None:
    text = yaml.safe_dump(_with_uri("PLACE"), sort_keys=False).replace("PLACE", '!Sub "arn:${Fn}"')
    (tmp_path / "api.yaml").write_text(text)
    (method,) = load_definition(tmp_path / "api.yaml", {"Fn": "x"}).methods
    assert method.integration is not None and method.integration.uri == "arn:x"


def test_a_ref_to_another_file_is_still_followed(tmp_path: Path) -> None:
    document = _with_uri("https://example.com")
    get = document["paths"]["/a"]["get"]
    get["x-amazon-apigateway-integration"] = {"$ref": "./parts.json#/integration"}
    (tmp_path / "parts.json").write_text(json.dumps({"integration": {"type": "mock"}}))
    (tmp_path / "api.json").write_text(json.dumps(document))
    (method,) = load_definition(tmp_path / "api.json").methods
    assert method.integration is not None and method.integration.type.value == "MOCK"


def test_an_unresolved_placeholder_is_still_reported_with_its_line(tmp_path: Path) -> None:
    document = _export()
    document["paths"]["/r50"]["post"]["x-amazon-apigateway-integration"]["timeoutInMillis"] = "${timeout}"
    text = json.dumps(document, indent=2)
    (tmp_path / "api.json").write_text(text)
    problem = _only_problem(tmp_path / "api.json")
    assert problem.message == "unresolved template placeholder ${timeout}"
    assert problem.line == _line_of(text, "${timeout}")


def test_a_stage_variable_is_left_for_the_request_either_way(tmp_path: Path) -> None:
    (tmp_path / "api.json").write_text(json.dumps(_with_uri("https://${stageVariables.host}/x")))
    (method,) = load_definition(tmp_path / "api.json").methods
    assert method.integration is not None and method.integration.uri == "https://${stageVariables.host}/x"


# --- models judged without jsonschema only when certain --------------------------------------------------


def _reference_malformed(schema: Any) -> tuple[tuple[str | int, ...], str] | None:
    """`_malformed_schema` as it was: jsonschema on every model, then the `$ref` walk."""
    validator = jsonschema.Draft4Validator(jsonschema.Draft4Validator.META_SCHEMA)
    for error in validator.iter_errors(schema):
        if error.validator in _SHAPE_RULES:
            return tuple(error.absolute_path), error.message
    bad_ref = _non_text_ref(schema, ())
    if bad_ref is not None:
        return bad_ref, "a $ref must be a string such as '#/components/schemas/Pet'"
    return None


_SIMPLE = ["string", "object", "array", "integer", "number", "boolean", "null"]
_NAMES = st.sampled_from(["name", "size", "kind"])
# Wrong in shape for any keyword, or right for a few: what a hand-written model gets wrong.
_odd = st.one_of(
    st.none(), st.booleans(), st.integers(-2, 2), st.floats(-1, 1, allow_nan=False), st.sampled_from(["strung", ""])
)


def _keyword_values(schema: st.SearchStrategy[Any]) -> dict[str, st.SearchStrategy[Any]]:
    """Per draft-4 keyword, mostly values of its right shape, sometimes not."""
    count = st.one_of(st.integers(-1, 4), st.just(2.0))
    number = st.one_of(st.integers(-3, 3), st.floats(-2, 2, allow_nan=False))
    text = st.sampled_from(["^[a-z]+$", "date-time", "a title"])
    schemas = st.lists(schema, max_size=2)
    return {
        "type": st.one_of(st.sampled_from([*_SIMPLE, "strung"]), st.lists(st.sampled_from(_SIMPLE), max_size=3)),
        "properties": st.dictionaries(_NAMES, schema, max_size=3),
        "patternProperties": st.dictionaries(st.just("^x"), schema, max_size=1),
        "definitions": st.dictionaries(_NAMES, schema, max_size=2),
        "items": st.one_of(schema, schemas),
        "not": schema,
        "additionalProperties": st.one_of(st.booleans(), schema),
        "additionalItems": st.one_of(st.booleans(), schema),
        "allOf": schemas,
        "anyOf": schemas,
        "oneOf": schemas,
        "required": st.lists(_NAMES, max_size=3),
        "enum": st.lists(st.one_of(st.sampled_from(["a", "b"]), st.integers(0, 1), st.booleans()), max_size=3),
        "dependencies": st.dictionaries(_NAMES, st.one_of(schema, st.lists(_NAMES, max_size=2)), max_size=2),
        **dict.fromkeys(["minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties"], count),
        **dict.fromkeys(["minimum", "maximum"], number),
        "multipleOf": st.sampled_from([0, 0.5, 2, -1]),
        **dict.fromkeys(["exclusiveMinimum", "exclusiveMaximum", "uniqueItems"], st.booleans()),
        **dict.fromkeys(["pattern", "format", "title", "description", "id", "$schema"], text),
        "$ref": st.one_of(st.integers(0, 1), st.dictionaries(_NAMES, st.none(), max_size=1)),
        "default": _odd,
        "x-extra": _odd,
    }


def _schema_of(keys: list[str], odd: list[bool], schema: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    values = _keyword_values(schema)
    return st.fixed_dictionaries({key: _odd if wrong else values[key] for key, wrong in zip(keys, odd, strict=True)})


_KEYWORDS = sorted(_keyword_values(st.nothing()))
_schemas: st.SearchStrategy[dict[str, Any]] = st.deferred(
    lambda: st.lists(st.sampled_from(_KEYWORDS), unique=True, max_size=3).flatmap(
        lambda keys: st.lists(st.integers(0, 9).map(lambda n: n == 0), min_size=len(keys), max_size=len(keys)).flatmap(
            lambda odd: _schema_of(keys, odd, _schemas)
        )
    )
)


@settings(max_examples=600, deadline=None, derandomize=True)
@given(_schemas)
def test_the_shape_check_finds_what_jsonschema_finds(schema: dict[str, Any]) -> None:
    assert _malformed_schema(schema) == _reference_malformed(schema)
    if _surely_well_formed(schema):
        assert not list(jsonschema.Draft4Validator(jsonschema.Draft4Validator.META_SCHEMA).iter_errors(schema))


TYPICAL_MODELS: list[dict[str, Any]] = [
    {"type": "object", "required": ["name"], "properties": {"name": {"type": "string", "maxLength": 20}}},
    {"type": "array", "items": {"type": "object", "properties": {"id": {"type": "integer", "minimum": 1}}}},
    {"type": "object", "additionalProperties": False, "properties": {"kind": {"type": "string", "enum": ["a", "b"]}}},
    {"type": ["string", "null"], "pattern": "^[a-z]+$", "minLength": 1, "description": "a name"},
    {"anyOf": [{"type": "string"}, {"type": "number", "multipleOf": 0.5, "maximum": 9, "exclusiveMaximum": True}]},
    {"$schema": "http://json-schema.org/draft-04/schema#", "title": "Pet", "type": "object", "example": {"a": 1}},
]


@pytest.mark.parametrize("model", TYPICAL_MODELS)
def test_typical_models_are_judged_without_jsonschema(model: dict[str, Any]) -> None:
    assert _surely_well_formed(model)
    assert _reference_malformed(model) is None
