"""Reading user files as YAML/JSON with line numbers, and collecting `Problem`s against them.

Shared by `definition` and `sidefile`. A location inside a document is a `JsonPath`, a tuple
of mapping keys and sequence indexes; `format_pointer` renders it the one way every error
message shows it: `$.paths['/pets/{petId}'].get.x-amazon-apigateway-integration.type`.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

import yaml

from gatecrash.errors import ConfigError, Problem
from gatecrash.inputs import read_text_file

JsonPath = tuple[str | int, ...]
ROOT: JsonPath = ()

# Keys that read well after a dot; anything else (slashes, braces, spaces) is bracketed.
_PLAIN_KEY = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$-]*$")


def format_pointer(path: JsonPath) -> str:
    parts = ["$"]
    for segment in path:
        if isinstance(segment, int):
            parts.append(f"[{segment}]")
        elif _PLAIN_KEY.match(segment):
            parts.append(f".{segment}")
        else:
            escaped = segment.replace("\\", "\\\\").replace("'", "\\'")
            parts.append(f"['{escaped}']")
    return "".join(parts)


class LineIndex:
    """1-based line of each mapping key and sequence item, by its `JsonPath`.

    Either given outright, or `deferred`: read from the document's text the first time a line is asked
    for. Lines are only ever wanted for a problem or a warning, and finding them means composing the
    whole document as YAML, many times the cost of reading its data; a document without problems
    never pays it.
    """

    __slots__ = ("_lines", "_text")

    def __init__(self, lines: Mapping[JsonPath, int]) -> None:
        self._lines: Mapping[JsonPath, int] | None = lines
        self._text: str | None = None

    @classmethod
    def deferred(cls, text: str) -> LineIndex:
        index = cls({})
        index._lines, index._text = None, text
        return index

    @property
    def lines(self) -> Mapping[JsonPath, int]:
        if self._lines is None:
            assert self._text is not None
            self._lines, self._text = _lines_of(self._text), None
        return self._lines

    def line_of(self, path: JsonPath) -> int | None:
        # A value built by the loader (a default, a resolved $ref) may have no line of its
        # own; the nearest enclosing key still points the reader to the right place.
        lines = self.lines
        for length in range(len(path), -1, -1):
            line = lines.get(path[:length])
            if line is not None:
                return line
        return None


@dataclass(frozen=True, slots=True)
class LoadedDocument:
    data: Any
    lines: LineIndex | None


class _PositionLoader(yaml.SafeLoader):
    """SafeLoader that keeps timestamps as text and reads CloudFormation short-form tags.

    OpenAPI is a JSON data model, so `2016-11-17` must stay a string; `!Sub x` becomes
    `{"Fn::Sub": x}` so that the parser can name the intrinsic instead of YAML failing.
    """


def _construct_timestamp_as_text(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    return loader.construct_scalar(node)  # type: ignore[arg-type]


def _construct_short_form_intrinsic(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    name = suffix if suffix in ("Ref", "Condition") else f"Fn::{suffix}"
    value: Any
    if isinstance(node, yaml.MappingNode):
        value = loader.construct_mapping(node, deep=True)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_scalar(node)  # type: ignore[arg-type]
    return {name: value}


_PositionLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp_as_text)
_PositionLoader.add_multi_constructor("!", _construct_short_form_intrinsic)

# The same loader over libyaml's parser (pyyaml's CSafeLoader), where pyyaml was built with it: the
# same nodes, marks and values, composed two to five times faster. Its error messages are libyaml's
# own, so a document it refuses is read again by `_PositionLoader`, whose refusal (or acceptance) is
# the one reported: what a user sees of a bad document does not depend on how pyyaml was built.
if TYPE_CHECKING:  # CSafeLoader exists only where pyyaml was built with libyaml
    _Loader: TypeAlias = yaml.SafeLoader | yaml.CSafeLoader
_FAST_LOADERS: tuple[type[_Loader], ...] = ()
if hasattr(yaml, "CSafeLoader"):

    class _FastPositionLoader(yaml.CSafeLoader):
        pass

    _FastPositionLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp_as_text)
    _FastPositionLoader.add_multi_constructor("!", _construct_short_form_intrinsic)
    _FAST_LOADERS = (_FastPositionLoader,)


def _index_node(loader: _Loader, node: yaml.Node, path: JsonPath, out: dict[JsonPath, int]) -> None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node) if isinstance(key_node, yaml.ScalarNode) else None
            if not isinstance(key, str | int) or isinstance(key, bool):
                continue
            child = (*path, str(key))
            out.setdefault(child, key_node.start_mark.line + 1)
            _index_node(loader, value_node, child, out)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            child = (*path, index)
            out.setdefault(child, item.start_mark.line + 1)
            _index_node(loader, item, child, out)


# How many values aliases (`*name`) may add to a document beyond those written in it. Composing a
# document is linear in its text, but every alias is expanded by whatever walks the data (the line
# index, the loaders), so nine aliases of nine aliases of ... (an "alias bomb") make a few lines
# into millions of values. The largest real definitions hold about 4,000 values in all.
MAX_ALIAS_EXPANSION = 100_000


class AliasExpansionError(ValueError):
    """A document whose aliases expand it past MAX_ALIAS_EXPANSION values, or into itself."""

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.line = line


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def check_alias_expansion(root: yaml.Node, limit: int = MAX_ALIAS_EXPANSION) -> None:
    """Raise AliasExpansionError when expanding `root`'s aliases would add more than `limit` values.

    Counts without expanding: each distinct node's expanded size once (an alias is the node it
    names, shared), iteratively so that deep nesting cannot exhaust the stack. The line named is
    that of the first node whose expansion alone passes the limit: the place to rewrite.
    """
    sizes: dict[int, int] = {}
    distinct: dict[int, yaml.Node] = {}
    in_progress: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        key = id(node)
        if expanded:
            in_progress.discard(key)
            sizes[key] = 1 + sum(sizes[id(child)] for child in _children(node))
            continue
        if key in sizes:
            continue
        if key in in_progress:
            raise AliasExpansionError(
                "an alias refers to a node that contains it, so the document never ends",
                node.start_mark.line + 1,
            )
        in_progress.add(key)
        distinct[key] = node
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node) if id(child) not in sizes)
    added = sizes[id(root)] - len(distinct)
    if added <= limit:
        return
    crossing = min(
        (node for key, node in distinct.items() if sizes[key] > limit),
        key=lambda node: (sizes[id(node)], node.start_mark.index),
    )
    raise AliasExpansionError(
        f"its aliases (*name) expand it to {sizes[id(root)]:,} values, {added:,} more than are written "
        f"(at most {limit:,} more are read): refusing to expand it",
        crossing.start_mark.line + 1,
    )


def _compose(loader_type: type[_Loader], text: str, *, with_lines: bool) -> tuple[Any, LineIndex]:
    loader = loader_type(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, LineIndex({ROOT: 1})
        check_alias_expansion(node)
        data = loader.construct_document(node)
        if not with_lines:
            return data, LineIndex.deferred(text)
        lines: dict[JsonPath, int] = {ROOT: node.start_mark.line + 1}
        _index_node(loader, node, ROOT, lines)
        return data, LineIndex(lines)
    finally:
        loader.dispose()


def _compose_with_lines(text: str, *, with_lines: bool = False) -> tuple[Any, LineIndex]:
    """The document's data and its line index (`deferred` unless `with_lines`): through libyaml when it
    reads the text, else through the pure-Python loader, whose exceptions are the ones raised."""
    for fast in _FAST_LOADERS:
        try:
            return _compose(fast, text, with_lines=with_lines)
        except (yaml.YAMLError, ValueError, RecursionError):
            break
    return _compose(_PositionLoader, text, with_lines=with_lines)


def _lines_of(text: str) -> Mapping[JsonPath, int]:
    """Every line of `text` by its JsonPath; none when YAML cannot read it (valid JSON YAML refuses)."""
    try:
        _, index = _compose_with_lines(text, with_lines=True)
    except (yaml.YAMLError, ValueError, RecursionError):
        return {}
    return index.lines


def _syntax_problem(source: str, error: yaml.YAMLError) -> Problem:
    mark = getattr(error, "problem_mark", None)
    detail = getattr(error, "problem", None) or str(error)
    return Problem(
        file=source,
        pointer=format_pointer(ROOT),
        message=f"not valid YAML or JSON: {detail}",
        line=mark.line + 1 if mark is not None else None,
        hint="fix the syntax at that line",
    )


def parse_text(text: str, source: str) -> LoadedDocument | Problem:
    """YAML or JSON by content; JSON text is read by `json` so its numbers keep JSON's meaning."""
    if text.lstrip().startswith(("{", "[")):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            json_problem = Problem(
                file=source,
                pointer=format_pointer(ROOT),
                message=f"not valid JSON: {error.msg}",
                line=error.lineno,
                hint="fix the syntax at that line",
            )
            loaded = _parse_yaml(text, source)  # YAML flow style also starts with "{"
            return loaded if isinstance(loaded, LoadedDocument) else json_problem
        except RecursionError:
            return Problem(
                source, format_pointer(ROOT), "not valid JSON: nested too deeply to read", hint="flatten the nesting"
            )
        # Lines are found only if a problem needs one (valid JSON that YAML cannot read has none).
        return LoadedDocument(data, LineIndex.deferred(text))
    return _parse_yaml(text, source)


def _parse_yaml(text: str, source: str) -> LoadedDocument | Problem:
    try:
        data, lines = _compose_with_lines(text)
    except yaml.YAMLError as error:
        return _syntax_problem(source, error)
    except AliasExpansionError as error:
        return Problem(
            source,
            format_pointer(ROOT),
            str(error),
            line=error.line,
            hint="write the repeated part out, or nest fewer aliases inside aliases",
        )
    except (ValueError, RecursionError) as error:
        return Problem(source, format_pointer(ROOT), f"not valid YAML: {error}", hint="fix the value")
    return LoadedDocument(data, lines)


def read_document(path: Path, source: str, error_type: type[ConfigError]) -> LoadedDocument:
    """Read and parse `path`, raising `error_type` with one Problem when that is impossible (a folder,
    a device, binary, not UTF-8, too large: `inputs.read_text_file`)."""
    text = read_text_file(path, source, error_type=error_type)
    loaded = parse_text(text, source)
    if isinstance(loaded, Problem):
        raise error_type([loaded])
    return loaded


def did_you_mean(word: str, choices: Collection[str]) -> str | None:
    # Compared without case: "aws_proxi" should still suggest "AWS_PROXY".
    lowered = {choice.lower(): choice for choice in choices}
    close = difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=0.6)
    return lowered[close[0]] if close else None


def choice_hint(word: str, choices: Collection[str], noun: str = "valid values") -> str:
    listing = ", ".join(choices)
    close = did_you_mean(word, choices)
    if close is not None:
        return f"did you mean '{close}'? {noun}: {listing}"
    return f"{noun}: {listing}"


def describe_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


@dataclass
class ProblemLog:
    """Collects every Problem of one file, once each, in the order found."""

    source: str
    lines: LineIndex | None
    problems: list[Problem] = field(default_factory=list)

    def add(self, path: JsonPath, message: str, hint: str | None = None) -> None:
        line = self.lines.line_of(path) if self.lines is not None else None
        problem = Problem(self.source, format_pointer(path), message, line=line, hint=hint)
        if problem not in self.problems:
            self.problems.append(problem)

    def check_keys(self, mapping: Mapping[Any, Any], path: JsonPath, allowed: Collection[str]) -> None:
        for key in mapping:
            if key not in allowed:
                self.add((*path, str(key)), f"unknown key '{key}'", choice_hint(str(key), allowed, "valid keys"))

    def raise_if_any(self, error_type: type[ConfigError]) -> None:
        if self.problems:
            # In file order, so that the list reads top to bottom; the sort is stable.
            raise error_type(sorted(self.problems, key=lambda problem: (problem.line is None, problem.line or 0)))
