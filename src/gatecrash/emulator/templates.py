"""VTL mapping templates as API Gateway evaluates them: `$input`, `$util`, `$context`, `$stageVariables`.

The engine is airspeed-ext (import name `airspeed`), the VTL engine LocalStack uses for AWS's
dialect; this module only supplies the variables AWS defines (AWS docs, "Variables for data
transformations for API Gateway" / "API Gateway mapping template and access logging variable
reference") and compiles each template once (`TemplateCache`).

How values print, from LocalStack's recordings against AWS (`test_input_path_template_formatting`,
`test_input_body_formatting` in tests/aws/services/apigateway/test_apigateway_common.snapshot.json):
- `$input.path(...)` of an object prints as a Java map, `{foo=bar}`; of an array as compact JSON,
  `[{"foo":"bar"}]`; an array inside an object stays JSON, `{foo=[{"nested":"bar"}]}`; a path that
  matches nothing prints as nothing and equals `$null`.
- `$input.body` of an empty body is `{}`.
- `$util.urlEncode` is Java's URLEncoder: `{"some": "value"}` -> `%7B%22some%22%3A+%22value%22%7D`.
Where AWS says nothing (the value of `$input.json` for a path that matches nothing), LocalStack's
choice is kept and marked.
"""

from __future__ import annotations

import base64
import functools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote_plus, unquote_plus

import airspeed  # type: ignore[import-untyped]
from airspeed import operators
from jsonpath_ng.exceptions import JsonPathParserError
from jsonpath_ng.ext.parser import parse as parse_jsonpath

__all__ = ["TemplateCache", "TemplateError", "TemplateVariables", "escape_javascript", "nested_context"]


class TemplateError(Exception):
    """A template that does not compile or evaluate: AWS answers "Unable to transform ..."."""


class JavaMap(dict[str, Any]):
    """A JSON object as VTL prints it: `{a=1, b=[...]}` (Java's Map.toString)."""

    def __str__(self) -> str:
        return "{" + ", ".join(f"{key}={_text(value)}" for key, value in self.items()) + "}"


class JsonList(list[Any]):
    """A JSON array as VTL prints it: compact JSON, its objects as JSON too (recorded)."""

    def __str__(self) -> str:
        return json.dumps(self, separators=(",", ":"), ensure_ascii=False)


class _Missing(str):
    """What `$input.path` gives for a path that matches nothing: prints as nothing and equals both
    `$null` and `""` (recorded: `"isNull": "true", "isEmptyString": "true"`)."""

    def __eq__(self, other: object) -> bool:
        return other is None or other == ""

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    __hash__ = str.__hash__


MISSING = _Missing("")


def _text(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _vtl(value: Any) -> Any:
    if isinstance(value, dict):
        return JavaMap((key, _vtl(item)) for key, item in value.items())
    if isinstance(value, list):
        return JsonList(_vtl(item) for item in value)
    return value


def _register_methods() -> None:
    # airspeed looks Java-style methods (`.size()`, `.put()`, `.toString()`) up by exact class.
    additional = operators.__additional_methods__
    # A JSON object is a java.util.Map on AWS: `.size()` counts its keys (AWS docs, "Examples using
    # variables for mapping template transformations", Example 5: `$input.path('$.things').size()`).
    additional.setdefault(
        JavaMap,
        {
            **additional[dict],
            "size": lambda self: len(self),
            "isEmpty": lambda self: len(self) == 0,
            "containsKey": lambda self, key: key in self,
            "get": lambda self, key: self.get(key),
        },
    )
    additional.setdefault(JsonList, additional[list])


# Jayway JsonPath (what AWS's Java evaluates) returns a list for an indefinite path (wildcards,
# deep scans, filters, unions, slices) and the value itself for a definite one.
_INDEFINITE = re.compile(r"\*|\.\.|\[\?|,|:")


@functools.lru_cache(maxsize=1024)
def _parsed_path(path: str) -> Any:
    """jsonpath-ng's parser costs about a millisecond: a template's paths are parsed once, not per request."""
    try:
        return parse_jsonpath(path)
    except (JsonPathParserError, Exception) as exc:
        raise TemplateError(f"invalid JSONPath {path!r}: {exc}") from exc


def _jsonpath(document: Any, path: str) -> Any:
    expression = _parsed_path(path or "$")
    found = [match.value for match in expression.find(document)]
    if _INDEFINITE.search(path or ""):
        return found
    return found[0] if found else None


@dataclass(frozen=True, slots=True)
class TemplateVariables:
    """What one evaluation sees: the payload, the method request parameters, `$context`, stage variables."""

    body: str
    path: Mapping[str, str] = field(default_factory=dict)
    querystring: Mapping[str, str] = field(default_factory=dict)
    header: Mapping[str, str] = field(default_factory=dict)
    context: Mapping[str, Any] = field(default_factory=dict)
    stage_variables: Mapping[str, str] = field(default_factory=dict)


class InputVariable:
    """`$input`: the payload (`body`, `json`, `path`) and the method request parameters (`params`)."""

    def __init__(self, variables: TemplateVariables) -> None:
        self._variables = variables
        self._parsed: Any = None
        self._has_parsed = False

    def _document(self) -> Any:
        if not self._has_parsed:
            text = self._variables.body
            try:
                self._parsed = json.loads(text) if text.strip() else {}
            except ValueError as exc:
                # AWS answers a body it cannot parse as JSON with a parse error of its own
                # (Jackson's wording, not reproduced): here the template fails to evaluate.
                raise TemplateError(f"body is not JSON: {exc}") from exc
            self._has_parsed = True
        return self._parsed

    def _is_json(self) -> bool:
        try:
            self._document()
        except TemplateError:
            return False
        return True

    @property
    def body(self) -> str:
        return self._variables.body or "{}"  # recorded: an empty body is `{}`

    def json(self, path: str = "$") -> str:
        found = _jsonpath(self._document(), path)
        # A path matching nothing: AWS undocumented; LocalStack renders `""`.
        # Compact, as Java's JSON writers print (an unrecorded choice).
        return json.dumps("" if found is None else found, ensure_ascii=False, separators=(",", ":"))

    def path(self, path: str = "$") -> Any:
        if (path or "$") == "$" and self._variables.body.strip() and not self._is_json():
            # A body that is not JSON (an HTML form post): `$input.path('$')` is its raw text, the
            # usual form-parsing recipe `$input.path('$').split('&')` relies on it (AWS forums
            # recipe, Stack Overflow 32057053; gatecrash issue 14).
            return self._variables.body
        found = _jsonpath(self._document(), path)
        return MISSING if found is None else _vtl(found)

    def params(self, name: str | None = None) -> Any:
        variables = self._variables
        if name is None:
            return {
                "path": dict(variables.path),
                "querystring": dict(variables.querystring),
                "header": dict(variables.header),
            }
        # AWS docs: "from the path, query string, or header value (searched in that order)".
        for source in (variables.path, variables.querystring, variables.header):
            if name in source:
                return source[name]
        lowered = name.lower()
        for key, value in variables.header.items():
            if key.lower() == lowered:
                return value
        return ""

    def __str__(self) -> str:
        return self.body


def _java_url_encode(value: str) -> str:
    # java.net.URLEncoder: letters, digits and `.-*_` stay; a space is `+`; `~` is escaped.
    return quote_plus(value, safe="*").replace("~", "%7E")


def escape_javascript(value: Any) -> str:
    """Apache Commons Lang 2 `StringEscapeUtils.escapeJavaScript`, which AWS's `$util` wraps.

    AWS docs: it "will turn any regular single quotes (') into escaped ones (\\')" (so the output is
    not always valid JSON). Non-ASCII characters become `\\uXXXX` in upper-case hex, per UTF-16 unit.
    """
    text = _text(value)
    out: list[str] = []
    named = {"\b": "\\b", "\n": "\\n", "\t": "\\t", "\f": "\\f", "\r": "\\r"}
    for character in text:
        code = ord(character)
        if code > 0xFFFF:
            high, low = divmod(code - 0x10000, 0x400)
            out.append(f"\\u{0xD800 + high:04X}\\u{0xDC00 + low:04X}")
        elif code > 0x7F:
            out.append(f"\\u{code:04X}")
        elif code < 32:
            out.append(named.get(character) or f"\\u{code:04X}")
        elif character in "'\"\\/":
            out.append("\\" + character)
        else:
            out.append(character)
    return "".join(out)


class UtilVariable:
    """`$util` (AWS docs, "$util variables")."""

    def escapeJavaScript(self, value: Any) -> str:
        return escape_javascript(value)

    def parseJson(self, text: str) -> Any:
        try:
            return _vtl(json.loads(text))
        except (TypeError, ValueError) as exc:
            raise TemplateError(f"parseJson: {exc}") from exc

    def urlEncode(self, value: Any) -> str:
        # recorded: `$util.urlEncode($input.body.testAccess)` (no such value) is empty.
        return "" if value is None else _java_url_encode(_text(value))

    def urlDecode(self, value: Any) -> str:
        return unquote_plus(_text(value))

    def base64Encode(self, value: Any) -> str:
        return base64.b64encode(_text(value).encode("utf-8")).decode("ascii")

    def base64Decode(self, value: Any) -> str:
        try:
            return base64.b64decode(_text(value), validate=False).decode("utf-8", errors="replace")
        except ValueError as exc:
            raise TemplateError(f"base64Decode: {exc}") from exc


def nested_context(values: Mapping[str, str]) -> dict[str, Any]:
    """`$context` as VTL navigates it: `identity.sourceIp` -> {"identity": {"sourceIp": ...}}."""
    root: dict[str, Any] = {}
    for dotted, value in values.items():
        node = root
        *parents, leaf = dotted.split(".")
        for part in parents:
            child = node.get(part)
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
        node.setdefault(leaf, value)
    return root


def is_static(source: str) -> bool:
    """A template with no reference (`$`) and no directive (`#`) renders to itself in VTL."""
    return "$" not in source and "#" not in source


class TemplateCache:
    """Templates compiled once, by their text; evaluation errors become `TemplateError`."""

    def __init__(self) -> None:
        _register_methods()
        self._compiled: dict[str, airspeed.Template | TemplateError] = {}
        self._util = UtilVariable()

    def compile(self, source: str) -> airspeed.Template | TemplateError:
        compiled = self._compiled.get(source)
        if compiled is None:
            try:
                template = airspeed.Template(source)
                template.ensure_compiled()
                compiled = template
            except Exception as exc:  # a template is user input: any parse failure is its fault
                compiled = TemplateError(f"template does not compile: {exc}")
            self._compiled[source] = compiled
        return compiled

    def render(self, source: str, variables: TemplateVariables) -> str:
        compiled = self.compile(source)
        if isinstance(compiled, TemplateError):
            raise compiled
        namespace = {
            "input": InputVariable(variables),
            "util": self._util,
            "context": variables.context,
            "stageVariables": dict(variables.stage_variables),
        }
        try:
            return str(compiled.merge(namespace))
        except TemplateError:
            raise
        except Exception as exc:  # airspeed wraps errors; a RecursionError or worse stays user input
            cause = exc.__cause__ if isinstance(exc.__cause__, TemplateError) else None
            raise cause or TemplateError(f"template failed: {exc}") from exc
