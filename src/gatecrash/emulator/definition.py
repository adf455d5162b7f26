"""Load an API definition: OpenAPI 3.0.x or Swagger 2.0 with AWS's `x-amazon-apigateway-*` extensions.

The input is what `aws apigateway get-export --extensions integrations,authorizers,apigateway`
prints, or a hand-written file in the same shape; the output is a `model.Api`. Every problem
found is collected and raised together as one `DefinitionError`; each names the file, the
location (`$.paths['/pets/{petId}'].get...`), the line when known, what is wrong and the fix.

Templates that a deployment tool fills in (Terraform `${...}`, CloudFormation `Fn::Sub`, `Ref`)
are filled by `load_definition` from the user's variables in a pre-pass (`substitute`), which
reports what stays unresolved. `parse_definition` on its own still meets raw templates: a
placeholder is left as is where the emulator does not interpret the value (a `uri`, a title);
where it does (integration type, timeout, passthrough behaviour) or where a string is required
and a CloudFormation intrinsic object stands instead, it is a Problem.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from gatecrash._yamlpos import (
    ROOT,
    JsonPath,
    LineIndex,
    ProblemLog,
    choice_hint,
    describe_type,
    format_pointer,
    read_document,
)
from gatecrash.emulator.model import (
    Api,
    Authorization,
    AuthorizationType,
    GatewayResponse,
    Integration,
    IntegrationResponse,
    IntegrationType,
    JsonSchema,
    Method,
    Parameter,
    ParameterLocation,
    RequestValidator,
)
from gatecrash.emulator.substitute import Sibling, substitute, substitute_partially
from gatecrash.errors import DefinitionError, Problem
from gatecrash.gateway_responses import GATEWAY_RESPONSE_TYPES

if TYPE_CHECKING:
    import jsonschema

__all__ = ["GATEWAY_RESPONSE_TYPES", "load_definition", "load_variables", "parse_definition"]

# Operation keys of a path item, and the HTTP method API Gateway gives each.
_OPERATIONS: Mapping[str, str] = {
    "get": "GET",
    "put": "PUT",
    "post": "POST",
    "delete": "DELETE",
    "options": "OPTIONS",
    "head": "HEAD",
    "patch": "PATCH",
    "x-amazon-apigateway-any-method": "ANY",
}


_INTEGRATION_TYPES = tuple(member.value for member in IntegrationType)
_PASSTHROUGH_BEHAVIORS = ("WHEN_NO_MATCH", "WHEN_NO_TEMPLATES", "NEVER")
_CONTENT_HANDLINGS = ("CONVERT_TO_TEXT", "CONVERT_TO_BINARY")
_API_KEY_SOURCES = ("HEADER", "AUTHORIZER")
_AUTHORIZER_TYPES = ("token", "request", "cognito_user_pools")
_MIN_TIMEOUT_MILLIS = 50
_LOCATIONS: Mapping[str, ParameterLocation] = {
    "path": ParameterLocation.PATH,
    "query": ParameterLocation.QUERYSTRING,
    "header": ParameterLocation.HEADER,
}
# Valid `in` values that are not method request parameters in API Gateway's sense.
_IGNORED_LOCATIONS = ("cookie", "body", "formData")

_INTEGRATION = "x-amazon-apigateway-integration"
_VALIDATORS = "x-amazon-apigateway-request-validators"
_VALIDATOR = "x-amazon-apigateway-request-validator"
_AUTHORIZER = "x-amazon-apigateway-authorizer"
_AUTHTYPE = "x-amazon-apigateway-authtype"

# Terraform/templatefile placeholders; `${stageVariables.x}` is API Gateway's own syntax.
_PLACEHOLDER = re.compile(r"\$\{(?!stageVariables\.)[^}]*\}")
_TEMPLATE_HINT = (
    "render the template first (e.g. Terraform templatefile) or load the deployed API's "
    "`aws apigateway get-export` output; the emulator needs this value"
)
_INTRINSIC_HINT = (
    "write the literal value, or load the deployed API's `aws apigateway get-export` output "
    "instead of the CloudFormation template"
)


def load_definition(path: str | Path, variables: Mapping[str, str] | None = None, *, strict: bool = False) -> Api:
    """Read an OpenAPI 3.0.x / Swagger 2.0 file (YAML or JSON) and build its `Api`.

    `variables` fill the template placeholders and CloudFormation intrinsics first
    (see `substitute`); sibling files named by `$ref` are read relative to `path`. Every problem of
    both steps is reported at once. Unless `strict`, what AWS's import passes over with a warning
    (`import-rest-api` with failonwarnings=false, its default) is a warning here too, in `Api.warnings`:
    a schema `$ref` that resolves to nothing makes that schema accept anything.
    """
    source = str(path)
    loaded = read_document(Path(path), source, DefinitionError)
    if not _templated(loaded.data):
        return parse_definition(loaded.data, source, loaded.lines, strict=strict)
    try:
        document = substitute(loaded.data, variables or {}, source, loaded.lines, _load_sibling)
    except DefinitionError as unresolved:
        # Read the rest anyway, so that its problems come in the same report, not in a second wave.
        partial = substitute_partially(loaded.data, variables or {}, source, loaded.lines, _load_sibling)
        try:
            parse_definition(partial, source, loaded.lines, strict=strict)
        except DefinitionError as more:
            raise DefinitionError(_merged(unresolved.problems, more.problems)) from None
        raise
    return parse_definition(document, source, loaded.lines, strict=strict)


# What `substitute` acts on, as `json.dumps` writes it: a placeholder or its escape (`${`, `$${`), a
# CloudFormation intrinsic's key (`Ref`, `Fn::Sub`..., the short forms `!Sub` read as those) and a `$ref`
# to another file. Escapes cannot hide one: `json.dumps` writes `$`, `{`, `:` and letters as they are.
_TEMPLATE_MARK = re.compile(r'\$\{|"(?:Ref|Fn::[^"]*)": |"\$ref": "(?!#)')


def _templated(document: Any) -> bool:
    """Whether `substitute` could change `document`. One that it would only copy (any export of a
    deployed API) skips it: walking a large definition in Python costs more than its JSON text to
    search; False only when certain."""
    try:
        text = json.dumps(document)
    except (TypeError, ValueError, RecursionError):  # not JSON's data model (a YAML set, bytes): walk it
        return True
    return _TEMPLATE_MARK.search(text) is not None


def _merged(unresolved: Sequence[Problem], parsed: Sequence[Problem]) -> list[Problem]:
    """Both steps' problems, less what the second says again about a place the first reported."""
    reported = [(problem.file, problem.pointer) for problem in unresolved]
    merged = list(unresolved)
    for problem in parsed:
        if problem.message.startswith("unresolved "):
            continue  # a placeholder or intrinsic the substitution step reported, seen again
        near = (p for f, p in reported if f == problem.file)
        if not any(problem.pointer.startswith(pointer) or pointer.startswith(problem.pointer) for pointer in near):
            merged.append(problem)
    return sorted(merged, key=lambda problem: (problem.file, problem.line is None, problem.line or 0))


def _load_sibling(name: str, referrer: str) -> Sibling | Problem:
    """The file a `$ref: './other.yaml#/...'` names, relative to the file holding the $ref."""
    path = Path(referrer).parent / unquote(name)
    try:
        loaded = read_document(path, str(path), DefinitionError)
    except DefinitionError as error:
        return error.problems[0]
    return Sibling(loaded.data, loaded.lines, str(path))


def load_variables(path: Path) -> dict[str, str]:
    """A `--vars` file: a YAML or JSON mapping of names to values, as the text `--var` gives."""
    loaded = read_document(path, str(path), DefinitionError)
    if not isinstance(loaded.data, Mapping):
        raise DefinitionError(
            [
                Problem(
                    str(path),
                    "$",
                    f"must be a mapping of names to values, not {describe_type(loaded.data)}",
                    line=1,
                    hint="write one `NAME: value` per line",
                )
            ]
        )
    log = ProblemLog(str(path), loaded.lines)
    variables: dict[str, str] = {}
    for name, value in loaded.data.items():
        if isinstance(value, bool):  # YAML reads `IsProd: true` as a boolean; Fn::If wants the text
            variables[str(name)] = "true" if value else "false"
        elif isinstance(value, str | int | float):
            variables[str(name)] = str(value)
        else:
            log.add((str(name),), f"must be text or a number, not {describe_type(value)}", hint="quote the value")
    log.raise_if_any(DefinitionError)
    return variables


def parse_definition(
    document: Mapping[str, Any], source: str, lines: LineIndex | None = None, *, strict: bool = False
) -> Api:
    """Build an `Api` from an already parsed document; `source` names it in every Problem (see
    `load_definition` for `strict`)."""
    log = ProblemLog(source, lines)
    warnings = None if strict else ProblemLog(source, lines)
    if not isinstance(document, Mapping):
        log.add(
            ROOT,
            f"the definition must be a mapping, not {describe_type(document)}",
            hint='an API definition starts with `openapi: "3.0.1"` or `swagger: "2.0"`',
        )
        raise DefinitionError(log.problems)
    dialect = _detect_dialect(document, log)
    if dialect is None:  # nothing else can be read without knowing the dialect
        raise DefinitionError(log.problems)
    base = _Context(document, log, dialect, warnings=warnings)
    context = replace(base, validators=_read_validators(base), schemes=_read_security_schemes(base))
    api = Api(
        source=source,
        title=_read_title(document),
        methods=_read_methods(context),
        api_key_source=_read_choice(
            context,
            document,
            "x-amazon-apigateway-api-key-source",
            ROOT,
            _API_KEY_SOURCES,
            "HEADER",
            "API key source",
        ),
        gateway_responses=_read_gateway_responses(context),
        binary_media_types=_read_binary_media_types(context),
        authorizers=_read_authorizers(context),
        warnings=tuple(warnings.problems) if warnings is not None else (),
    )
    log.raise_if_any(DefinitionError)
    return api


@dataclass(frozen=True, slots=True)
class _Dialect:
    swagger2: bool
    # Where the security schemes live, and the name users know that place by.
    schemes_path: JsonPath
    schemes_label: str


_OPENAPI3 = _Dialect(False, ("components", "securitySchemes"), "components.securitySchemes")
_SWAGGER2 = _Dialect(True, ("securityDefinitions",), "securityDefinitions")


@dataclass(frozen=True, slots=True)
class _Context:
    document: Mapping[str, Any]
    log: ProblemLog
    dialect: _Dialect
    validators: Mapping[str, RequestValidator] = field(default_factory=dict)
    schemes: Mapping[str, tuple[Mapping[str, Any], JsonPath]] = field(default_factory=dict)
    warnings: ProblemLog | None = None  # None: strict, a warning is a problem

    def warn(self) -> ProblemLog:
        """Where what AWS's import passes over with a warning goes."""
        return self.warnings if self.warnings is not None else self.log


def _detect_dialect(document: Mapping[str, Any], log: ProblemLog) -> _Dialect | None:
    openapi = document.get("openapi")
    if openapi is not None:
        # `openapi: 3.0` without quotes reads as the float 3.0.
        if re.fullmatch(r"3\.0(\.\d+)?", str(openapi)):
            return _OPENAPI3
        log.add(
            ("openapi",),
            f"unsupported OpenAPI version {openapi}",
            hint='API Gateway imports OpenAPI 3.0.x and Swagger 2.0; write `openapi: "3.0.1"`',
        )
        return None
    swagger = document.get("swagger")
    if swagger is not None:
        if str(swagger) == "2.0":  # also the float 2.0 of an unquoted `swagger: 2.0`
            return _SWAGGER2
        log.add(("swagger",), f"unsupported Swagger version {swagger}", hint='write `swagger: "2.0"`')
        return None
    log.add(
        ROOT,
        "neither `openapi: 3.0.x` nor `swagger: 2.0` found",
        hint='start the document with `openapi: "3.0.1"` (OpenAPI 3) or `swagger: "2.0"` (Swagger 2)',
    )
    return None


def _read_title(document: Mapping[str, Any]) -> str:
    info = document.get("info")
    title = info.get("title") if isinstance(info, Mapping) else None
    return title if isinstance(title, str) else ""


# --- values that a template tool should have filled in ---------------------------------------


def _intrinsic_name(value: Any) -> str | None:
    """`Fn::Sub`, `Ref`... when `value` is a CloudFormation intrinsic function object."""
    if isinstance(value, Mapping) and len(value) == 1:
        (key,) = value
        if isinstance(key, str) and (key in ("Ref", "Condition") or key.startswith("Fn::")):
            return key
    return None


def _report_wrong_type(context: _Context, where: JsonPath, value: Any, expected: str) -> None:
    intrinsic = _intrinsic_name(value)
    if intrinsic is not None:
        context.log.add(where, f"unresolved CloudFormation intrinsic {intrinsic}", hint=_INTRINSIC_HINT)
    else:
        context.log.add(where, f"must be {expected}, not {describe_type(value)}")


def _report_placeholder(context: _Context, where: JsonPath, text: str) -> bool:
    found = _PLACEHOLDER.search(text)
    if found is None:
        return False
    context.log.add(where, f"unresolved template placeholder {found.group(0)}", hint=_TEMPLATE_HINT)
    return True


# --- generic field readers ---------------------------------------------------------------------


def _read_text(context: _Context, container: Mapping[str, Any], key: str, path: JsonPath) -> str | None:
    value = container.get(key)
    if value is None or isinstance(value, str):
        return value
    _report_wrong_type(context, (*path, key), value, "a string")
    return None


def _read_choice(
    context: _Context,
    container: Mapping[str, Any],
    key: str,
    path: JsonPath,
    choices: tuple[str, ...],
    default: str,
    label: str,
) -> str:
    """An enumerated value, matched case-insensitively (exports write `aws_proxy` and `AWS_PROXY`)."""
    text = _read_text(context, container, key, path)
    if text is None:
        return default
    where = (*path, key)
    if _report_placeholder(context, where, text):
        return default
    if text.upper() in choices:
        return text.upper()
    context.log.add(where, f"unknown {label} '{text}'", hint=choice_hint(text, choices))
    return default


def _read_bool(context: _Context, container: Mapping[str, Any], key: str, path: JsonPath) -> bool:
    value = container.get(key, False)
    if isinstance(value, bool):
        return value
    _report_wrong_type(context, (*path, key), value, "true or false")
    return False


def _read_string_map(
    context: _Context, container: Mapping[str, Any], key: str, path: JsonPath, *, null_is_empty: bool = False
) -> dict[str, str]:
    value = container.get(key)
    if value is None:
        return {}
    where = (*path, key)
    if not isinstance(value, Mapping):
        _report_wrong_type(context, where, value, "a mapping of strings")
        return {}
    result: dict[str, str] = {}
    for name, text in value.items():
        if text is None and null_is_empty:
            text = ""
        if isinstance(text, str):
            result[str(name)] = text
        else:
            _report_wrong_type(context, (*where, str(name)), text, "a string")
    return result


def _read_mapping(context: _Context, value: Any, where: JsonPath, what: str) -> Mapping[str, Any] | None:
    if isinstance(value, Mapping):
        return value
    _report_wrong_type(context, where, value, f"a mapping ({what})")
    return None


# --- $ref ---------------------------------------------------------------------------------------


def _pointer_segments(fragment: str) -> list[str]:
    """`#/components/schemas/A~1B` -> ["components", "schemas", "A/B"] (RFC 6901 unescaping)."""
    body = unquote(fragment[1:])
    if not body:
        return []
    return [part.replace("~1", "/").replace("~0", "~") for part in body.lstrip("/").split("/")]


def _child(node: Any, segment: str) -> tuple[bool, Any, str | int]:
    if isinstance(node, Mapping):
        for key, value in node.items():
            if str(key) == segment:  # YAML may have read a `200:` key as an int
                return True, value, str(key)
    elif isinstance(node, list) and segment.isdigit() and int(segment) < len(node):
        return True, node[int(segment)], int(segment)
    return False, None, segment


# A model named by its API Gateway URL, as one model refers to another (AWS docs "Data models for REST
# APIs": `"$ref": "https://apigateway.amazonaws.com/restapis/{restapi_id}/models/{model_name}"`;
# recorded: LocalStack test_api_gateway_request_validator_with_ref_models and ..._one_ofmodels).
_MODEL_URL = re.compile(r"^https://apigateway\.amazonaws\.com/restapis/[^/]+/models/([^/#?]+)$")


def _lookup_ref(
    context: _Context, ref: str, where: JsonPath, log: ProblemLog | None = None
) -> tuple[Any, JsonPath] | None:
    """The value a local `$ref` points to and its own path; None, reported (to `log`, by default the
    context's problems), when there is none."""
    log = log or context.log
    model = _MODEL_URL.match(ref)
    if model is not None:
        ref = ("#/definitions/" if context.dialect.swagger2 else "#/components/schemas/") + model.group(1)
    if not ref.startswith("#"):
        log.add(
            where,
            f"external $ref not supported yet: '{ref}'",
            hint="inline it: copy the referenced object into this file (e.g. under components) "
            "and point the $ref at it with '#/...'",
        )
        return None
    node: Any = context.document
    path: JsonPath = ROOT
    for segment in _pointer_segments(ref):
        found, child, key = _child(node, segment)
        if not found:
            siblings = [str(k) for k in node] if isinstance(node, Mapping) else []
            log.add(
                where,
                f"$ref '{ref}' points to nothing: {format_pointer(path)} has no '{segment}'",
                hint=choice_hint(segment, siblings, "it has") if siblings else "fix the reference",
            )
            return None
        node, path = child, (*path, key)
    return node, path


def _resolve(context: _Context, value: Any, path: JsonPath) -> tuple[Any, JsonPath] | None:
    """Follow `$ref` objects (a chain of them too) to the value they name."""
    seen: set[str] = set()
    while isinstance(value, Mapping) and "$ref" in value:
        ref = value["$ref"]
        where = (*path, "$ref")
        if not isinstance(ref, str):
            _report_wrong_type(context, where, ref, "a string")
            return None
        if ref in seen:
            context.log.add(where, f"$ref '{ref}' refers back to itself", hint="point it at a real object")
            return None
        seen.add(ref)
        target = _lookup_ref(context, ref, where)
        if target is None:
            return None
        value, path = target
    return value, path


def _inline_schema(context: _Context, schema: Any, path: JsonPath, expanding: tuple[str, ...] = ()) -> Any:
    """A copy of `schema` with every local `$ref` replaced by its target, for draft-4 validation.

    A `$ref` met again while its own target is being expanded (a recursive schema) becomes `{}`,
    which accepts anything: a bounded, slightly looser schema instead of endless recursion.
    """
    # `dict` first: the ABC check of `Mapping` costs more than the rest of the walk of a plain value.
    if isinstance(schema, dict) or isinstance(schema, Mapping):
        ref = schema.get("$ref")
        if isinstance(ref, str):
            if ref in expanding:
                return {}
            # A schema that names nothing accepts anything: an import warning, not an error (unless strict).
            target = _lookup_ref(context, ref, (*path, "$ref"), context.warn())
            if target is None:
                return {}
            value, target_path = target
            return _inline_schema(context, value, target_path, (*expanding, ref))
        inlined: dict[str, Any] = {}
        for key, value in schema.items():
            name = str(key)
            inlined[name] = (
                value if type(value) in _SCALARS else _inline_schema(context, value, (*path, name), expanding)
            )
        return inlined
    if isinstance(schema, list):
        return [
            item if type(item) in _SCALARS else _inline_schema(context, item, (*path, index), expanding)
            for index, item in enumerate(schema)
        ]
    return schema


_SCALARS = frozenset({str, int, float, bool, type(None)})


def _read_schema(context: _Context, schema: Any, where: JsonPath) -> JsonSchema | None:
    inlined = _inline_schema(context, schema, where)
    if not isinstance(inlined, Mapping):
        _report_wrong_type(context, where, schema, "a schema object")
        return None
    malformed = _malformed_schema(inlined)
    if malformed is None:
        return inlined
    path, message = malformed
    context.log.add(
        _source_path(context, schema, where, path),
        f"not a JSON Schema draft 4 model: {message}",
        hint="write it as JSON Schema draft 4: API Gateway's CreateModel refuses others with "
        "'Invalid model schema specified'",
    )
    return None


# Keywords whose value has the wrong shape (`properties: [...]`, `type: 4.8`, `items: 5`): a model
# CreateModel refuses with "Invalid model specified: ... errors : [Invalid model schema specified]"
# (aws-apigateway-importer#75, #126), and one no validator can apply. Other draft-4 rules broken
# (`required: []`) are left alone: whether API Gateway refuses those is not recorded.
_SHAPE_RULES = frozenset({"type", "anyOf", "enum"})


@cache
def _meta_validator() -> jsonschema.Draft4Validator:
    # Imported here: jsonschema is read only when a definition has a model to check.
    import jsonschema

    return jsonschema.Draft4Validator(jsonschema.Draft4Validator.META_SCHEMA)


def _malformed_schema(schema: Mapping[str, Any]) -> tuple[tuple[str | int, ...], str] | None:
    """Where in `schema` a keyword's value has the wrong shape, and what is wrong; None if none does."""
    if _surely_well_formed(schema):
        return None
    for error in _meta_validator().iter_errors(schema):
        if error.validator in _SHAPE_RULES:
            return tuple(error.absolute_path), error.message
    bad_ref = _non_text_ref(schema, ())
    if bad_ref is not None:  # the meta-schema leaves `$ref` alone; a string one was inlined already
        return bad_ref, "a $ref must be a string such as '#/components/schemas/Pet'"
    return None


# The draft-4 meta-schema's keywords (jsonschema's Draft4Validator.META_SCHEMA) by the shape of their value.
_TEXT_KEYWORDS = frozenset({"id", "$schema", "title", "description", "format", "pattern"})
_COUNT_KEYWORDS = frozenset({"maxLength", "minLength", "maxItems", "minItems", "maxProperties", "minProperties"})
_SIMPLE_TYPES = frozenset({"array", "boolean", "integer", "null", "number", "object", "string"})
_EXCLUSIVE_BOUNDS = {"exclusiveMinimum": "minimum", "exclusiveMaximum": "maximum"}


def _surely_well_formed(schema: Any) -> bool:
    """True only when `schema` meets the whole draft-4 meta-schema, judged here for the keywords models
    use; False when in doubt, and jsonschema decides. Checking a model with jsonschema costs about a
    millisecond, most of a definition's load; this walk costs a few microseconds.

    A rule broken inside an `anyOf` of the meta-schema (an `items` or `additionalProperties` object)
    fails the `anyOf`, a shape rule: so every rule is checked, not only the shape ones. A `$ref` left
    (one that is not a string, the string ones being inlined) is in doubt too: `_non_text_ref` names it.
    """
    if not isinstance(schema, dict):
        return False
    for key, value in schema.items():
        if key in _TEXT_KEYWORDS:
            fits = isinstance(value, str)
        elif key == "type":
            fits = value in _SIMPLE_TYPES if isinstance(value, str) else _distinct_texts(value, _SIMPLE_TYPES)
        elif key in ("properties", "patternProperties", "definitions"):
            fits = isinstance(value, dict) and all(_surely_well_formed(item) for item in value.values())
        elif key in ("items", "not"):
            fits = _surely_well_formed(value)  # a list of `items` is left to jsonschema
        elif key in ("additionalProperties", "additionalItems"):
            fits = isinstance(value, bool) or _surely_well_formed(value)
        elif key in ("allOf", "anyOf", "oneOf"):
            fits = isinstance(value, list) and bool(value) and all(_surely_well_formed(item) for item in value)
        elif key in ("required", "enum"):
            fits = _distinct_texts(value)  # an enum of other values is left to jsonschema
        elif key in _COUNT_KEYWORDS:
            fits = type(value) is int and value >= 0
        elif key in ("minimum", "maximum"):
            fits = type(value) in (int, float)
        elif key == "multipleOf":
            fits = type(value) in (int, float) and value > 0
        elif key in _EXCLUSIVE_BOUNDS:
            fits = isinstance(value, bool) and _EXCLUSIVE_BOUNDS[key] in schema
        elif key == "uniqueItems":
            fits = isinstance(value, bool)
        elif key in ("dependencies", "$ref"):
            fits = False
        else:
            fits = True  # a keyword draft 4 does not define: the meta-schema does not look at it
        if not fits:
            return False
    return True


def _distinct_texts(value: Any, allowed: frozenset[str] | None = None) -> bool:
    """A non-empty list of distinct strings (each one of `allowed`, if given)."""
    if not isinstance(value, list) or not value or not all(isinstance(item, str) for item in value):
        return False
    return len(set(value)) == len(value) and (allowed is None or allowed.issuperset(value))


_ONE_SCHEMA = ("not", "items", "additionalItems", "additionalProperties")
_SCHEMA_LIST = ("allOf", "anyOf", "oneOf", "items")
_SCHEMA_MAP = ("properties", "patternProperties", "definitions", "dependencies")


def _non_text_ref(schema: Any, path: tuple[str | int, ...]) -> tuple[str | int, ...] | None:
    """The path of a `$ref` whose value is not a string, in `schema` or the schemas it holds."""
    if not isinstance(schema, Mapping):
        return None
    if "$ref" in schema:
        return (*path, "$ref")
    children: list[tuple[tuple[str | int, ...], Any]] = []
    for key in _ONE_SCHEMA:
        children.append(((*path, key), schema.get(key)))
    for key in _SCHEMA_LIST:
        if isinstance(schema.get(key), list):
            children.extend(((*path, key, index), item) for index, item in enumerate(schema[key]))
    for key in _SCHEMA_MAP:
        if isinstance(schema.get(key), Mapping):
            children.extend(((*path, key, str(name)), item) for name, item in schema[key].items())
    for child_path, child in children:
        found = _non_text_ref(child, child_path)
        if found is not None:
            return found
    return None


def _source_path(context: _Context, schema: Any, where: JsonPath, path: tuple[str | int, ...]) -> JsonPath:
    """The place in the document of `path` inside the schema at `where`, following the `$ref`s inlined."""
    node, location = schema, where
    for segment in path:
        if isinstance(node, Mapping) and isinstance(node.get("$ref"), str):
            target = _lookup_ref(context, node["$ref"], (*location, "$ref"))
            if target is None:
                break
            node, location = target
        if isinstance(node, Mapping) and segment in node:
            node, location = node[segment], (*location, str(segment))
        elif isinstance(node, list) and isinstance(segment, int) and segment < len(node):
            node, location = node[segment], (*location, segment)
        else:
            break
    return location


# --- document-level extensions --------------------------------------------------------------------


def _read_validators(context: _Context) -> dict[str, RequestValidator]:
    raw = context.document.get(_VALIDATORS)
    if raw is None:
        return {}
    table = _read_mapping(context, raw, (_VALIDATORS,), "validator name -> settings")
    validators: dict[str, RequestValidator] = {}
    for name, settings in (table or {}).items():
        path = (_VALIDATORS, str(name))
        body = _read_mapping(context, settings, path, "validateRequestBody, validateRequestParameters")
        if body is not None:
            validators[str(name)] = RequestValidator(
                name=str(name),
                validate_request_body=_read_bool(context, body, "validateRequestBody", path),
                validate_request_parameters=_read_bool(context, body, "validateRequestParameters", path),
            )
    return validators


def _read_security_schemes(context: _Context) -> dict[str, tuple[Mapping[str, Any], JsonPath]]:
    places = [context.dialect.schemes_path]
    if not context.dialect.swagger2:
        # API Gateway's importer also reads a Swagger-2 `securityDefinitions` block left in an
        # OpenAPI 3 document (AWS's own url-shortener sample deploys that way), so the emulator does.
        places.append(_SWAGGER2.schemes_path)
    schemes: dict[str, tuple[Mapping[str, Any], JsonPath]] = {}
    for where in places:
        table: Any = context.document
        for segment in where:
            table = table.get(segment) if isinstance(table, Mapping) else None
        if table is None:
            continue
        table = _read_mapping(context, table, where, "scheme name -> scheme")
        for name, raw in (table or {}).items():
            if str(name) in schemes:  # components.securitySchemes wins over the Swagger-2 block
                continue
            resolved = _resolve(context, raw, (*where, str(name)))
            if resolved is None:
                continue
            scheme = _read_mapping(context, resolved[0], resolved[1], "a security scheme")
            if scheme is not None:
                schemes[str(name)] = (scheme, resolved[1])
    return schemes


def _read_authorizers(context: _Context) -> dict[str, Mapping[str, Any]]:
    authorizers: dict[str, Mapping[str, Any]] = {}
    for name, (scheme, path) in context.schemes.items():
        raw = scheme.get(_AUTHORIZER)
        if raw is None:
            continue
        authorizer = _read_mapping(context, raw, (*path, _AUTHORIZER), "the authorizer's settings")
        if authorizer is None:
            continue
        _read_authorizer_type(context, authorizer, (*path, _AUTHORIZER))
        entry = dict(authorizer)
        if isinstance(scheme.get("name"), str):
            entry["headerName"] = scheme["name"]
        authorizers[name] = entry
    return authorizers


def _read_authorizer_type(context: _Context, authorizer: Mapping[str, Any], path: JsonPath) -> str | None:
    kind = _read_text(context, authorizer, "type", path)
    if kind is None:
        context.log.add(
            (*path, "type"),
            "the authorizer has no type",
            hint="valid values: " + ", ".join(_AUTHORIZER_TYPES),
        )
        return None
    if kind.lower() in _AUTHORIZER_TYPES:
        return kind.lower()
    if not _report_placeholder(context, (*path, "type"), kind):
        context.log.add((*path, "type"), f"unknown authorizer type '{kind}'", hint=choice_hint(kind, _AUTHORIZER_TYPES))
    return None


def _read_gateway_responses(context: _Context) -> dict[str, GatewayResponse]:
    key = "x-amazon-apigateway-gateway-responses"
    raw = context.document.get(key)
    if raw is None:
        return {}
    table = _read_mapping(context, raw, (key,), "response type -> response")
    responses: dict[str, GatewayResponse] = {}
    for response_type, settings in (table or {}).items():
        path = (key, str(response_type))
        if response_type not in GATEWAY_RESPONSE_TYPES:
            context.log.add(
                path,
                f"unknown gateway response type '{response_type}'",
                hint=choice_hint(str(response_type), GATEWAY_RESPONSE_TYPES),
            )
            continue
        body = _read_mapping(context, settings, path, "statusCode, responseParameters, responseTemplates")
        if body is not None:
            responses[response_type] = GatewayResponse(
                response_type=response_type,
                status_code=_read_status_code(context, body, path),
                response_parameters=_read_string_map(context, body, "responseParameters", path),
                response_templates=_read_string_map(context, body, "responseTemplates", path, null_is_empty=True),
            )
    return responses


def _read_status_code(context: _Context, body: Mapping[str, Any], path: JsonPath) -> int | None:
    value = body.get("statusCode")
    where = (*path, "statusCode")
    if value is None:
        return None
    if isinstance(value, str) and _report_placeholder(context, where, value):
        return None
    # AWS writes "403"; hand-written files often have 403.
    if isinstance(value, int) and not isinstance(value, bool):
        code: int | None = value
    elif isinstance(value, str) and value.isdigit():
        code = int(value)
    else:
        code = None
    if code is None or not 100 <= code <= 599:
        context.log.add(where, f"statusCode must be an HTTP status from 100 to 599, not {value!r}", hint='e.g. "403"')
        return None
    return code


def _read_binary_media_types(context: _Context) -> tuple[str, ...]:
    key = "x-amazon-apigateway-binary-media-types"
    raw = context.document.get(key)
    if raw is None:
        return ()
    if not isinstance(raw, list):
        _report_wrong_type(context, (key,), raw, "a list of media types")
        return ()
    media_types: list[str] = []
    for index, item in enumerate(raw):
        if isinstance(item, str):
            media_types.append(item)
        else:
            _report_wrong_type(context, (key, index), item, "a media type string")
    return tuple(media_types)


# --- operations ---------------------------------------------------------------------------------


def _read_methods(context: _Context) -> tuple[Method, ...]:
    if context.document.get("paths") is None:
        context.log.add(ROOT, "the definition has no `paths`", hint="add at least one path with an operation")
        return ()
    paths = _read_mapping(context, context.document["paths"], ("paths",), "resource path -> path item")
    if paths is None:
        return ()
    methods: list[Method] = []
    seen: dict[tuple[str, str], str] = {}
    for raw_key, raw_item in paths.items():
        key = str(raw_key)
        resolved = _resolve(context, raw_item, ("paths", key))
        if resolved is None:
            continue
        item_path = resolved[1]
        item = _read_mapping(context, resolved[0], item_path, "operations of this path")
        if item is None:
            continue
        resource_path = key if key.startswith("/") else f"/{key}"
        for operation_key, http_method in _OPERATIONS.items():
            if operation_key not in item:
                continue
            method = _read_method(context, resource_path, http_method, item, item_path, operation_key)
            if method is None:
                continue
            earlier = seen.setdefault((resource_path, http_method), method.pointer)
            if earlier != method.pointer:
                context.log.add(
                    (*item_path, operation_key),
                    f"{http_method} {resource_path} is defined twice (also at {earlier})",
                    hint="keep one of them",
                )
                continue
            methods.append(method)
    return tuple(methods)


def _read_method(
    context: _Context,
    resource_path: str,
    http_method: str,
    item: Mapping[str, Any],
    item_path: JsonPath,
    operation_key: str,
) -> Method | None:
    path = (*item_path, operation_key)
    operation = _read_mapping(context, item[operation_key], path, "an operation")
    if operation is None:
        return None
    parameters, body_schema = _read_parameters(context, item, item_path, operation, path)
    api_key_required, authorization = _read_security(context, operation, path)
    operation_id = operation.get("operationId")
    return Method(
        resource_path=resource_path,
        http_method=http_method,
        pointer=format_pointer(path),
        operation_name=operation_id if isinstance(operation_id, str) else None,
        api_key_required=api_key_required,
        authorization=authorization,
        parameters=parameters,
        request_models=_read_request_models(context, operation, path, body_schema),
        validator=_read_method_validator(context, operation, path),
        integration=_read_integration(context, operation, path),
        response_status_codes=_read_response_codes(context, operation, path),
    )


def _read_response_codes(context: _Context, operation: Mapping[str, Any], path: JsonPath) -> tuple[str, ...]:
    if operation.get("responses") is None:
        return ()
    responses = _read_mapping(context, operation["responses"], (*path, "responses"), "status code -> response")
    return tuple(str(code) for code in responses or ())


# --- parameters and request bodies -------------------------------------------------------------


_ParameterObject = tuple[Mapping[str, Any], JsonPath]


def _parameter_objects(context: _Context, owner: Mapping[str, Any], owner_path: JsonPath) -> list[_ParameterObject]:
    raw = owner.get("parameters")
    if raw is None:
        return []
    where = (*owner_path, "parameters")
    if not isinstance(raw, list):
        _report_wrong_type(context, where, raw, "a list of parameters")
        return []
    objects: list[_ParameterObject] = []
    for index, entry in enumerate(raw):
        resolved = _resolve(context, entry, (*where, index))
        if resolved is None:
            continue
        parameter = _read_mapping(context, resolved[0], resolved[1], "a parameter")
        if parameter is not None:
            objects.append((parameter, resolved[1]))
    return objects


def _read_parameters(
    context: _Context,
    item: Mapping[str, Any],
    item_path: JsonPath,
    operation: Mapping[str, Any],
    operation_path: JsonPath,
) -> tuple[tuple[Parameter, ...], _ParameterObject | None]:
    """Method request parameters, and the Swagger 2 `in: body` parameter if there is one."""
    merged: dict[tuple[str, str], _ParameterObject] = {}
    # Path-item parameters first, so that an operation's own declaration replaces them.
    for parameter, path in _parameter_objects(context, item, item_path) + _parameter_objects(
        context, operation, operation_path
    ):
        merged[(str(parameter.get("name")), str(parameter.get("in")))] = (parameter, path)
    parameters: list[Parameter] = []
    body: _ParameterObject | None = None
    for parameter, path in merged.values():
        location = parameter.get("in")
        if location == "body":
            body = (parameter, path)
        converted = _read_parameter(context, parameter, path)
        if converted is not None:
            parameters.append(converted)
    return tuple(parameters), body


def _read_parameter(context: _Context, parameter: Mapping[str, Any], path: JsonPath) -> Parameter | None:
    name = _read_text(context, parameter, "name", path)
    location = _read_text(context, parameter, "in", path)
    if parameter.get("in") is None:
        context.log.add((*path, "in"), "the parameter has no `in`", hint="add `in: path`, `query` or `header`")
    if location is None or location in _IGNORED_LOCATIONS:
        return None
    if location not in _LOCATIONS:
        valid = (*_LOCATIONS, *_IGNORED_LOCATIONS)
        context.log.add((*path, "in"), f"unknown parameter location '{location}'", hint=choice_hint(location, valid))
        return None
    if not name:
        if parameter.get("name") in (None, ""):
            context.log.add((*path, "name"), "the parameter has no name", hint="add `name: <parameter name>`")
        return None
    is_path = _LOCATIONS[location] is ParameterLocation.PATH
    # API Gateway always requires path parameters, whatever `required` says.
    required = True if is_path else _read_bool(context, parameter, "required", path)
    return Parameter(name=name, location=_LOCATIONS[location], required=required)


def _read_request_models(
    context: _Context, operation: Mapping[str, Any], path: JsonPath, body: _ParameterObject | None
) -> dict[str, JsonSchema]:
    if context.dialect.swagger2:
        return _swagger2_request_models(context, operation, path, body)
    return _openapi3_request_models(context, operation, path)


def _openapi3_request_models(context: _Context, operation: Mapping[str, Any], path: JsonPath) -> dict[str, JsonSchema]:
    if operation.get("requestBody") is None:
        return {}
    resolved = _resolve(context, operation["requestBody"], (*path, "requestBody"))
    if resolved is None:
        return {}
    body_path = resolved[1]
    request_body = _read_mapping(context, resolved[0], body_path, "a request body")
    if request_body is None or request_body.get("content") is None:
        return {}
    content = _read_mapping(context, request_body["content"], (*body_path, "content"), "content type -> media type")
    models: dict[str, JsonSchema] = {}
    for content_type, raw_media in (content or {}).items():
        media_path = (*body_path, "content", str(content_type))
        media = _read_mapping(context, raw_media, media_path, "a media type object")
        if media is None:
            continue
        if media.get("schema") is None:
            continue
        schema = _read_schema(context, media["schema"], (*media_path, "schema"))
        if schema is not None:
            models[str(content_type)] = schema
    return models


def _swagger2_request_models(
    context: _Context, operation: Mapping[str, Any], path: JsonPath, body: _ParameterObject | None
) -> dict[str, JsonSchema]:
    if body is None:
        return {}
    parameter, parameter_path = body
    if parameter.get("schema") is None:
        return {}
    schema = _read_schema(context, parameter["schema"], (*parameter_path, "schema"))
    if schema is None:
        return {}
    return dict.fromkeys(_consumes(context, operation, path), schema)


def _consumes(context: _Context, operation: Mapping[str, Any], path: JsonPath) -> list[str]:
    if "consumes" in operation:
        raw, where = operation["consumes"], (*path, "consumes")
    elif "consumes" in context.document:
        raw, where = context.document["consumes"], ("consumes",)
    else:
        return ["application/json"]
    if not isinstance(raw, list) or not all(isinstance(item, str) for item in raw):
        _report_wrong_type(context, where, raw, "a list of media types")
        return ["application/json"]
    return raw or ["application/json"]


def _read_method_validator(context: _Context, operation: Mapping[str, Any], path: JsonPath) -> RequestValidator | None:
    if _VALIDATOR in operation:
        owner, owner_path = operation, path
    else:
        owner, owner_path = context.document, ROOT
    name = _read_text(context, owner, _VALIDATOR, owner_path)
    if name is None:
        return None
    validator = context.validators.get(name)
    if validator is None:
        known = tuple(context.validators)
        hint = (
            choice_hint(name, known, f"validators defined in {_VALIDATORS}")
            if known
            else f"define it under {_VALIDATORS} at the document root"
        )
        context.log.add((*owner_path, _VALIDATOR), f"unknown request validator '{name}'", hint=hint)
    return validator


# --- security ----------------------------------------------------------------------------------


def _read_security(context: _Context, operation: Mapping[str, Any], path: JsonPath) -> tuple[bool, Authorization]:
    """Whether an API key is required, and the one authorization API Gateway allows per method."""
    if "security" in operation:
        requirements, where = operation["security"], (*path, "security")
    else:
        requirements, where = context.document.get("security"), ("security",)
    if requirements is None:
        return False, Authorization()
    if not isinstance(requirements, list):
        _report_wrong_type(context, where, requirements, "a list of security requirements")
        return False, Authorization()
    api_key_required = False
    authorizations: list[tuple[Authorization, JsonPath]] = []
    for index, raw_requirement in enumerate(requirements):
        requirement = _read_mapping(context, raw_requirement, (*where, index), "scheme name -> scopes")
        for name, scopes in (requirement or {}).items():
            entry_path = (*where, index, str(name))
            kind = _classify_scheme(context, str(name), _read_scopes(context, scopes, entry_path), entry_path)
            if kind == "api_key":
                api_key_required = True
            elif isinstance(kind, Authorization):
                authorizations.append((kind, entry_path))
    return api_key_required, _single_authorization(context, authorizations)


def _read_scopes(context: _Context, scopes: Any, where: JsonPath) -> tuple[str, ...]:
    if scopes is None:
        return ()
    if isinstance(scopes, list) and all(isinstance(scope, str) for scope in scopes):
        return tuple(scopes)
    _report_wrong_type(context, where, scopes, "a list of scopes")
    return ()


def _classify_scheme(
    context: _Context, name: str, scopes: tuple[str, ...], where: JsonPath
) -> Authorization | str | None:
    """An `Authorization`, "api_key", or None for a scheme API Gateway does not enforce."""
    entry = context.schemes.get(name)
    if entry is None:
        _report_unknown_scheme(context, name, where)
        return None
    scheme, scheme_path = entry
    authtype = scheme.get(_AUTHTYPE)
    if isinstance(authtype, str) and authtype.lower() == "awssigv4":
        return Authorization(AuthorizationType.AWS_IAM)
    authorizer = scheme.get(_AUTHORIZER)
    if isinstance(authorizer, Mapping):
        kind = authorizer.get("type")
        kind = kind.lower() if isinstance(kind, str) else None
        if kind in ("token", "request"):
            return Authorization(AuthorizationType.CUSTOM, authorizer=name)
        if kind == "cognito_user_pools":
            return Authorization(AuthorizationType.COGNITO_USER_POOLS, authorizer=name, scopes=scopes)
        return None  # its bad type is reported once, with the scheme
    header = scheme.get("name")
    if (
        scheme.get("type") == "apiKey"
        and scheme.get("in") == "header"
        and isinstance(header, str)
        and header.lower() == "x-api-key"
        and authtype is None
    ):
        return "api_key"
    return None


def _report_unknown_scheme(context: _Context, name: str, where: JsonPath) -> None:
    label = context.dialect.schemes_label
    misplaced = not context.dialect.swagger2 and isinstance(context.document.get("securityDefinitions"), Mapping)
    if misplaced and name in context.document["securityDefinitions"]:
        hint = f"it is under securityDefinitions, which is Swagger 2.0; move it to {label}"
    else:
        hint = (
            choice_hint(name, tuple(context.schemes), f"schemes in {label}")
            if context.schemes
            else f"define it in {label}"
        )
    context.log.add(where, f"security scheme '{name}' is not defined in {label}", hint=hint)


def _single_authorization(context: _Context, found: list[tuple[Authorization, JsonPath]]) -> Authorization:
    if not found:
        return Authorization()
    first, _ = found[0]
    for other, where in found[1:]:
        if (other.type, other.authorizer) != (first.type, first.authorizer):
            context.log.add(
                where,
                f"a method has one authorization in API Gateway, but this security lists both "
                f"{_describe_authorization(first)} and {_describe_authorization(other)}",
                hint="keep one of them (an API key may accompany either)",
            )
    return first


def _describe_authorization(authorization: Authorization) -> str:
    if authorization.authorizer is None:
        return authorization.type.value
    return f"{authorization.type.value} ({authorization.authorizer})"


# --- integration -------------------------------------------------------------------------------


def _read_integration(context: _Context, operation: Mapping[str, Any], path: JsonPath) -> Integration | None:
    raw = operation.get(_INTEGRATION)
    if raw is None:
        return None
    where = (*path, _INTEGRATION)
    integration = _read_mapping(context, raw, where, "the integration's settings")
    if integration is None:
        return None
    kind = _read_integration_type(context, integration, where)
    uri = _read_text(context, integration, "uri", where)
    if kind not in (None, IntegrationType.MOCK) and "uri" not in integration:
        context.log.add((*where, "uri"), f"the {kind} integration has no uri", hint="add `uri: ...`")
    http_method = _read_text(context, integration, "httpMethod", where)
    # Every field is read even when the type is bad, so that all their problems are reported.
    result = Integration(
        type=kind or IntegrationType.MOCK,
        uri=uri or "",
        http_method=http_method.upper() if http_method is not None else None,
        timeout_in_millis=_read_timeout(context, integration, where),
        passthrough_behavior=_read_choice(
            context,
            integration,
            "passthroughBehavior",
            where,
            _PASSTHROUGH_BEHAVIORS,
            "WHEN_NO_MATCH",
            "passthrough behavior",
        ),
        request_templates=_read_string_map(context, integration, "requestTemplates", where, null_is_empty=True),
        request_parameters=_read_string_map(context, integration, "requestParameters", where),
        responses=_read_integration_responses(context, integration, where),
        credentials=_read_text(context, integration, "credentials", where),
        content_handling=_read_content_handling(context, integration, where),
    )
    return result if kind is not None else None


def _read_integration_type(
    context: _Context, integration: Mapping[str, Any], where: JsonPath
) -> IntegrationType | None:
    if integration.get("type") is None:
        context.log.add(
            (*where, "type"),
            "the integration has no type",
            hint="valid values: " + ", ".join(value.lower() for value in _INTEGRATION_TYPES),
        )
        return None
    kind = _read_choice(context, integration, "type", where, _INTEGRATION_TYPES, "", "integration type")
    return IntegrationType(kind) if kind else None


def _read_timeout(context: _Context, integration: Mapping[str, Any], where: JsonPath) -> int:
    default = 29_000
    value = integration.get("timeoutInMillis")
    if value is None:
        return default
    path = (*where, "timeoutInMillis")
    if isinstance(value, str) and _report_placeholder(context, path, value):
        return default
    if not isinstance(value, int) or isinstance(value, bool):
        _report_wrong_type(context, path, value, "a whole number of milliseconds")
        return default
    # Above 29,000 is allowed: since 2024 Regional APIs may raise it with a quota increase.
    if value < _MIN_TIMEOUT_MILLIS:
        context.log.add(
            path,
            f"timeoutInMillis {value} is below API Gateway's minimum of {_MIN_TIMEOUT_MILLIS}",
            hint="use 50 or more (the default is 29000)",
        )
        return default
    return value


def _read_content_handling(context: _Context, owner: Mapping[str, Any], where: JsonPath) -> str | None:
    if owner.get("contentHandling") is None:
        return None
    value = _read_choice(context, owner, "contentHandling", where, _CONTENT_HANDLINGS, "", "content handling")
    return value or None


def _read_integration_responses(
    context: _Context, integration: Mapping[str, Any], where: JsonPath
) -> tuple[IntegrationResponse, ...]:
    if integration.get("responses") is None:
        return ()
    responses_path = (*where, "responses")
    table = _read_mapping(context, integration["responses"], responses_path, "selection pattern -> response")
    responses: list[IntegrationResponse] = []
    for pattern, settings in (table or {}).items():
        path = (*responses_path, str(pattern))
        body = _read_mapping(context, settings, path, "statusCode, responseParameters, responseTemplates")
        if body is None:
            continue
        status = body.get("statusCode")
        if isinstance(status, int) and not isinstance(status, bool):
            status = str(status)
        if not isinstance(status, str):
            if status is None:
                context.log.add(
                    (*path, "statusCode"),
                    "the integration response has no statusCode",
                    hint='add e.g. `statusCode: "200"`',
                )
            else:
                _report_wrong_type(context, (*path, "statusCode"), status, "a status code string")
            continue
        responses.append(
            IntegrationResponse(
                selection_pattern=str(pattern),
                status_code=status,
                response_parameters=_read_string_map(context, body, "responseParameters", path),
                response_templates=_read_string_map(context, body, "responseTemplates", path, null_is_empty=True),
                content_handling=_read_content_handling(context, body, path),
            )
        )
    return tuple(responses)
