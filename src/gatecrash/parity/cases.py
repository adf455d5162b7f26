"""Parity case files: YAML in, frozen values out, every problem of a file reported at once. Pure.

One file is one small API and the answers AWS gave to requests sent to it:

```yaml
source:                       # the default source of every case below (each case may add to it)
  snapshot: test_apigateway_common.snapshot.json     # under localstack/localstack tests/aws/services/apigateway/
  test: TestApiGatewayCommon::test_input_path_template_formatting
category: mapping templates   # the default category (CATEGORIES)
definition:                   # OpenAPI 3 (or `swagger: "2.0"`); `openapi` and `info` are added when missing
  paths: {...}
side-file:                    # the emulator side file (stage name and variables, functions, keys...)
  stage: {stageName: dev}
cases:
  - key: dict-response        # the snapshot key; or `name:` for a case from a document or a capture
    request: {method: POST, path: /path, json: {foo: bar}}
    expect: {status: 200, body: "{foo=bar}"}
  - key: response-raw-body
    steps:                    # several requests recorded under one key
      - request: {...}
        expect: {...}
    known-difference: why the emulator answers otherwise (shown in docs/PARITY.md)
```

A request: `method` (GET), `path` (after the stage, may hold a query string), or `target` (the whole
path, stage included, as sent: `//stage/x`), `query`, `headers`, and `body` (text) or `json`. Unless a
case says otherwise, it carries the headers the recording's client (python-requests) sent.

An expectation: `status`; `body` (the exact text), `json` (the exact JSON value) or `json-subset`
(objects: these keys, recursively; arrays: same length, item by item). In JSON, the string `<any>`
matches any value; `{<exact>: X}` compares X exactly; `{<headers>: X}` too, but for the case of the
names; `{<json>: X}` is a string holding JSON that matches X. Then `headers` (name: value, or null
for "present with any value"; `<word>` in a value matches any text); `absent-headers`; `error-type`
(`x-amzn-ErrorType`); `execution-log` (lines that appear in this order, without the `(request-id) `
prefix; `<word>` matches any text); `execution-log-absent`; `access-log` (fields of the JSON record).
A case from a validated test that snapshotted nothing names the test's `assertion` instead of a key.
Where a recording replaced a value by a placeholder (ids, hosts, dates), the case writes `<any>`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gatecrash._yamlpos import ROOT, JsonPath, ProblemLog, choice_hint, describe_type, read_document
from gatecrash.errors import ConfigError, Problem

__all__ = [
    "ANY",
    "EMBEDDED",
    "EXACT",
    "HEADERS",
    "CATEGORIES",
    "LOCALSTACK_SNAPSHOTS",
    "Case",
    "CaseFile",
    "Expectation",
    "JsonValue",
    "ParityCaseError",
    "Request",
    "Source",
    "Step",
    "all_cases",
    "load_case_file",
    "load_cases",
    "parse_case_file",
]

CATEGORIES = (
    "routing",
    "validation",
    "mapping templates",
    "MOCK",
    "HTTP",
    "HTTP_PROXY",
    "Lambda proxy",
    "Lambda non-proxy",
    "gateway responses",
    "authorizers",
    "API keys and usage plans",
    "throttling",
    "logs",
)
# The snapshots' home: LocalStack's last commit before the repository was archived (March 2026).
LOCALSTACK_SNAPSHOTS = (
    "https://github.com/localstack/localstack/blob/8b9a79f05846835cf4dff63ab7eefdde9df83783/"
    "tests/aws/services/apigateway/"
)
ANY = "<any>"
EXACT = "<exact>"  # {"<exact>": value} inside a json-subset: this part compares exactly
EMBEDDED = "<json>"  # {"<json>": value}: a string holding JSON that matches value
HEADERS = "<headers>"  # {"<headers>": value}: an object of headers, exactly, names compared without case
# What python-requests sends unless told otherwise: the client behind the LocalStack recordings.
REQUESTS_HEADERS = (
    ("User-Agent", "python-requests/2.32.3"),
    ("Accept-Encoding", "gzip, deflate"),
    ("Accept", "*/*"),
    ("Connection", "keep-alive"),
)

_FILE_KEYS = ("source", "category", "definition", "side-file", "cases", "note")
_CASE_KEYS = ("key", "name", "source", "category", "request", "expect", "steps", "known-difference", "note")
_SOURCE_KEYS = ("snapshot", "test", "key", "assertion", "doc", "section", "capture", "note")
_STEP_KEYS = ("request", "expect")
_REQUEST_KEYS = ("method", "path", "target", "query", "headers", "body", "json")
_EXPECT_KEYS = (
    "status",
    "body",
    "json",
    "json-subset",
    "headers",
    "absent-headers",
    "error-type",
    "execution-log",
    "execution-log-absent",
    "access-log",
)


class ParityCaseError(ConfigError):
    """A parity case file (or the inventory) cannot be used as written."""


@dataclass(frozen=True, slots=True)
class JsonValue:
    """A JSON value an expectation holds (wrapped, so that `null` differs from "not given")."""

    value: Any


@dataclass(frozen=True, slots=True)
class Source:
    snapshot: str | None = None
    test: str | None = None
    key: str | None = None
    assertion: str | None = None  # what a validated test asserted, where it snapshotted nothing
    doc: str | None = None
    section: str | None = None
    capture: str | None = None
    note: str | None = None

    def describe(self) -> str:
        if self.snapshot is not None:
            recorded = f"[{self.key}]" if self.key is not None else f"(asserted: {self.assertion})"
            return f"{self.snapshot} {self.test} {recorded}"
        if self.doc is not None:
            return f"{self.doc} ({self.section})"
        return str(self.capture)

    def url(self) -> str:
        if self.snapshot is not None:
            return LOCALSTACK_SNAPSHOTS + self.snapshot
        return str(self.doc or self.capture)


@dataclass(frozen=True, slots=True)
class Request:
    method: str = "GET"
    path: str = "/"  # after the stage; may carry a query string
    target: str | None = None  # the whole request target as sent, stage included
    query: tuple[tuple[str, str], ...] = ()
    headers: tuple[tuple[str, str], ...] = REQUESTS_HEADERS
    body: bytes = b""


@dataclass(frozen=True, slots=True)
class Expectation:
    status: int | None = None
    body: str | None = None
    json: JsonValue | None = None
    json_subset: JsonValue | None = None
    headers: tuple[tuple[str, str | None], ...] = ()
    absent_headers: tuple[str, ...] = ()
    execution_log: tuple[str, ...] = ()
    execution_log_absent: tuple[str, ...] = ()
    access_log: Mapping[str, str] = field(default_factory=dict)

    @property
    def reads_logs(self) -> bool:
        return bool(self.execution_log or self.execution_log_absent or self.access_log)


@dataclass(frozen=True, slots=True)
class Step:
    request: Request
    expect: Expectation


@dataclass(frozen=True, slots=True)
class Case:
    id: str  # "<file stem>/<key or name>"
    category: str
    source: Source
    steps: tuple[Step, ...]
    known_difference: str | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class CaseFile:
    path: str
    definition: Mapping[str, Any]
    side_file: Mapping[str, Any]
    cases: tuple[Case, ...]

    @property
    def stem(self) -> str:
        return Path(self.path).stem


def load_cases(folder: Path) -> tuple[CaseFile, ...]:
    """Every `*.yaml` under `folder`, sorted by name; all problems of all files in one error."""
    files: list[CaseFile] = []
    problems: list[Problem] = []
    for path in sorted(folder.glob("*.yaml")):
        try:
            files.append(load_case_file(path))
        except ParityCaseError as error:
            problems.extend(error.problems)
    if problems:
        raise ParityCaseError(problems)
    return tuple(files)


def load_case_file(path: Path) -> CaseFile:
    loaded = read_document(path, str(path), ParityCaseError)
    return parse_case_file(loaded.data, str(path), ProblemLog(str(path), loaded.lines))


def parse_case_file(document: Any, source: str, log: ProblemLog | None = None) -> CaseFile:
    log = log or ProblemLog(source, None)
    if not isinstance(document, Mapping):
        log.add(ROOT, f"a case file must be a mapping, not {describe_type(document)}", hint="start with `cases:`")
        log.raise_if_any(ParityCaseError)
        raise AssertionError("unreachable")
    log.check_keys(document, ROOT, _FILE_KEYS)
    default_source = _mapping(log, document, "source", ROOT)
    default_category = document.get("category")
    definition = dict(_mapping(log, document, "definition", ROOT))
    if "swagger" not in definition:
        definition.setdefault("openapi", "3.0.1")
    definition.setdefault("info", {"title": Path(source).stem, "version": "1"})
    side_file = _mapping(log, document, "side-file", ROOT)
    entries = document.get("cases")
    cases: list[Case] = []
    if not isinstance(entries, list) or not entries:
        log.add(("cases",), "must be a non-empty list of cases", hint="add `cases:` with at least one case")
    else:
        stem = Path(source).stem
        ids: set[str] = set()
        for index, entry in enumerate(entries):
            case = _case(log, entry, ("cases", index), stem, default_source, default_category)
            if case is None:
                continue
            if case.id in ids:
                log.add(("cases", index), f"a second case named {case.id}", hint="give each case its own key or name")
            ids.add(case.id)
            cases.append(case)
    log.raise_if_any(ParityCaseError)
    return CaseFile(source, definition, side_file, tuple(cases))


def _mapping(log: ProblemLog, container: Mapping[str, Any], key: str, path: JsonPath) -> Mapping[str, Any]:
    value = container.get(key)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        log.add((*path, key), f"must be a mapping, not {describe_type(value)}")
        return {}
    return value


def _text(log: ProblemLog, container: Mapping[str, Any], key: str, path: JsonPath) -> str | None:
    value = container.get(key)
    if value is None:
        return None
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        log.add((*path, key), f"must be text, not {describe_type(value)}")
        return None
    return str(value)


def _case(
    log: ProblemLog,
    entry: Any,
    where: JsonPath,
    stem: str,
    default_source: Mapping[str, Any],
    default_category: Any,
) -> Case | None:
    if not isinstance(entry, Mapping):
        log.add(where, f"a case must be a mapping, not {describe_type(entry)}")
        return None
    log.check_keys(entry, where, _CASE_KEYS)
    key = _text(log, entry, "key", where)
    name = _text(log, entry, "name", where)
    if (key is None) == (name is None):
        log.add(where, "a case needs exactly one of `key` (a snapshot key) and `name`")
        return None
    own = _mapping(log, entry, "source", where)
    # A case naming a source of its own kind (a document, a capture, another snapshot) replaces the default.
    fields = own if any(kind in own for kind in ("snapshot", "doc", "capture")) else {**default_source, **own}
    source = _source(log, fields, key, where)
    category = entry.get("category", default_category)
    if category not in CATEGORIES:
        log.add((*where, "category"), f"unknown category {category!r}", hint=choice_hint(str(category), CATEGORIES))
    steps = _steps(log, entry, where)
    known = _text(log, entry, "known-difference", where)
    if source is None or steps is None or category not in CATEGORIES:
        return None
    return Case(f"{stem}/{key or name}", str(category), source, steps, known, _text(log, entry, "note", where))


def _source(log: ProblemLog, fields: Mapping[str, Any], key: str | None, where: JsonPath) -> Source | None:
    path = (*where, "source")
    log.check_keys(fields, path, _SOURCE_KEYS)
    text = {name: _text(log, fields, name, path) for name in _SOURCE_KEYS}
    if key is not None:
        text["key"] = key
    source = Source(**text)
    if source.snapshot is not None:
        if source.test is None or (source.key is None) == (source.assertion is None):
            log.add(path, "a snapshot source names the `test`, and the case's `key` or the test's `assertion`")
            return None
        if not source.snapshot.endswith(".snapshot.json"):
            log.add(
                (*path, "snapshot"),
                "must name a `*.snapshot.json` file",
                hint="e.g. test_apigateway_common.snapshot.json",
            )
            return None
    elif source.doc is not None:
        if source.section is None:
            log.add(path, "a document source names the `section` it comes from")
            return None
    elif source.capture is None:
        log.add(
            where,
            "every case names its source: `snapshot` with `test`, `doc` with `section`, or `capture`",
            hint="put a `source:` at the top of the file or in the case",
        )
        return None
    return source


def _steps(log: ProblemLog, entry: Mapping[str, Any], where: JsonPath) -> tuple[Step, ...] | None:
    if "steps" in entry:
        if "request" in entry or "expect" in entry:
            log.add(where, "give either `request` and `expect`, or `steps`, not both")
            return None
        raw = entry["steps"]
        if not isinstance(raw, list) or not raw:
            log.add((*where, "steps"), "must be a non-empty list of {request, expect}")
            return None
        steps = [_step(log, item, (*where, "steps", index)) for index, item in enumerate(raw)]
        return None if any(step is None for step in steps) else tuple(s for s in steps if s is not None)
    step = _step(log, entry, where, check=False)
    return None if step is None else (step,)


def _step(log: ProblemLog, item: Any, where: JsonPath, check: bool = True) -> Step | None:
    if not isinstance(item, Mapping):
        log.add(where, f"a step must be a mapping, not {describe_type(item)}")
        return None
    if check:
        log.check_keys(item, where, _STEP_KEYS)
    if "request" not in item or "expect" not in item:
        log.add(where, "needs a `request` and what AWS answered under `expect`")
        return None
    request = _request(log, item["request"], (*where, "request"))
    expect = _expectation(log, item["expect"], (*where, "expect"))
    if request is None or expect is None:
        return None
    return Step(request, expect)


def _pairs(log: ProblemLog, value: Any, where: JsonPath) -> list[tuple[str, str]]:
    if value is None:
        return []
    if not isinstance(value, Mapping):
        log.add(where, f"must be a mapping, not {describe_type(value)}")
        return []
    pairs: list[tuple[str, str]] = []
    for name, item in value.items():
        for single in item if isinstance(item, list) else [item]:
            if isinstance(single, Mapping | list) or single is None:
                log.add((*where, str(name)), f"must be text, not {describe_type(single)}")
            else:
                pairs.append((str(name), _scalar_text(single)))
    return pairs


def _scalar_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _request(log: ProblemLog, raw: Any, where: JsonPath) -> Request | None:
    if not isinstance(raw, Mapping):
        log.add(where, f"a request must be a mapping, not {describe_type(raw)}")
        return None
    log.check_keys(raw, where, _REQUEST_KEYS)
    method = (_text(log, raw, "method", where) or "GET").upper()
    path = _text(log, raw, "path", where) or "/"
    target = _text(log, raw, "target", where)
    if not path.startswith("/") or (target is not None and not target.startswith("/")):
        log.add(where, "`path` and `target` start with `/`")
    headers = _with_client_defaults(_pairs(log, raw.get("headers"), (*where, "headers")))
    body = b""
    if "body" in raw and "json" in raw:
        log.add(where, "give `body` or `json`, not both")
    elif "json" in raw:
        # As python-requests sends `json=`: json.dumps with its default separators.
        body = json.dumps(raw["json"]).encode()
        if not any(name.lower() == "content-type" for name, _ in headers):
            headers.append(("Content-Type", "application/json"))
    elif raw.get("body") is not None:
        text = _text(log, raw, "body", where)
        body = (text or "").encode()
    return Request(method, path, target, tuple(_pairs(log, raw.get("query"), (*where, "query"))), tuple(headers), body)


def _with_client_defaults(given: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    named = {name.lower() for name, _ in given}
    return [pair for pair in REQUESTS_HEADERS if pair[0].lower() not in named] + list(given)


def _strings(log: ProblemLog, raw: Mapping[str, Any], key: str, where: JsonPath) -> tuple[str, ...]:
    value = raw.get(key)
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        log.add((*where, key), "must be a list of text lines")
        return ()
    return tuple(value)


def _expectation(log: ProblemLog, raw: Any, where: JsonPath) -> Expectation | None:
    if not isinstance(raw, Mapping):
        log.add(where, f"an expectation must be a mapping, not {describe_type(raw)}")
        return None
    log.check_keys(raw, where, _EXPECT_KEYS)
    status = raw.get("status")
    if status is not None and (not isinstance(status, int) or isinstance(status, bool) or not 100 <= status < 600):
        log.add((*where, "status"), f"must be an HTTP status, not {status!r}")
    given = [name for name in ("body", "json", "json-subset") if name in raw]
    if len(given) > 1:
        log.add(where, f"give one of `body`, `json` and `json-subset`, not {' and '.join(given)}")
    headers: list[tuple[str, str | None]] = []
    header_map = _mapping(log, raw, "headers", where)
    for name, value in header_map.items():
        headers.append((str(name), None if value is None else _scalar_text(value)))
    error_type = _text(log, raw, "error-type", where)
    if error_type is not None:
        headers.append(("x-amzn-ErrorType", error_type))
    access = {str(name): _scalar_text(value) for name, value in _mapping(log, raw, "access-log", where).items()}
    body = raw.get("body")
    if body is not None and not isinstance(body, str):
        log.add((*where, "body"), f"must be the exact text, not {describe_type(body)}", hint="use `json:` for JSON")
        body = None
    return Expectation(
        status=status if isinstance(status, int) else None,
        body=body,
        json=JsonValue(raw["json"]) if "json" in raw else None,
        json_subset=JsonValue(raw["json-subset"]) if "json-subset" in raw else None,
        headers=tuple(headers),
        absent_headers=_strings(log, raw, "absent-headers", where),
        execution_log=_strings(log, raw, "execution-log", where),
        execution_log_absent=_strings(log, raw, "execution-log-absent", where),
        access_log=access,
    )


def all_cases(files: Iterable[CaseFile]) -> tuple[Case, ...]:
    return tuple(case for case_file in files for case in case_file.cases)
