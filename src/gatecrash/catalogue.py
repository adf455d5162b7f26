"""The failure-mode catalogue: how each provoked failure looks on the wire and in API Gateway's logs.

One YAML file per mode under `probes/` (the format is described in `probes/README.md`). Each entry
gives the expected status, `x-amzn-ErrorType`, gateway response type, the access-log fields and
execution-log messages that confirm the cause, the traps that look alike, and the diagnosis, fix
and why for reports. Every expected value traces to `../shared/apigw-reference.md` (AWS docs and
recordings, named in each entry's `sources`); values the reference calls unverified are listed
in the entry's `unverified` mapping with the reason.

Loading reads the whole folder and reports every problem at once, each with file, line, key path
and the nearest valid value, as one `CatalogueError` (a `ConfigError`). The values are frozen
dataclasses; nothing here prints, and importing this module reads no file.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from types import MappingProxyType
from typing import Any

from gatecrash._yamlpos import (
    ROOT,
    JsonPath,
    ProblemLog,
    choice_hint,
    describe_type,
    did_you_mean,
    format_pointer,
    parse_text,
)
from gatecrash.errors import CatalogueError, Problem
from gatecrash.gateway_responses import GATEWAY_RESPONSE_TYPES

__all__ = [
    "DEFAULT_CATALOGUE_DIR",
    "MODE_ORDER",
    "Catalogue",
    "Evidence",
    "FailureMode",
    "load_catalogue",
    "value_matches",
]

# The repository's probes/ folder (src layout: src/gatecrash/catalogue.py -> parents[2]). An
# installed wheel has no such folder and reads the copy shipped as `gatecrash/probes` instead.
DEFAULT_CATALOGUE_DIR: Path = Path(__file__).resolve().parents[2] / "probes"

# DESIGN.md's order, which reports and `gatecrash modes` follow (plus lambda-error-mapped, the
# non-proxy form of lambda-error, beside it, and request-header-too-large, the front door's other
# refusal, beside request-too-large); ids not listed here (a custom catalogue's) come after
# these, sorted.
MODE_ORDER = (
    "missing-required-param",
    "invalid-body",
    "missing-api-key",
    "invalid-api-key",
    "unsigned-iam",
    "invalid-signature",
    "expired-signature",
    "iam-access-denied",
    "authorizer-deny",
    "authorizer-unauthorized",
    "authorizer-misconfigured",
    "throttled",
    "quota-exceeded",
    "integration-timeout",
    "malformed-lambda-response",
    "lambda-error",
    "lambda-error-mapped",
    "lambda-permission",
    "lambda-throttled",
    "backend-5xx",
    "integration-misconfigured",
    "mapping-error",
    "unknown-route",
    "request-too-large",
    "request-header-too-large",
    "ok",
)

# AWS docs "Gateway response types for API Gateway" (the table in apigw-reference.md).
RESPONSE_TYPES = GATEWAY_RESPONSE_TYPES

# `$context` variables an access-log record can carry (apigw-reference.md, "Access logs"; AWS docs
# "$context variables ... access logging"), plus the few more the emulator's records include.
ACCESS_LOG_FIELDS = frozenset(
    {
        "requestId",
        "extendedRequestId",
        "apiId",
        "stage",
        "accountId",
        "resourceId",
        "identity.sourceIp",
        "identity.caller",
        "identity.user",
        "identity.userArn",
        "identity.userAgent",
        "identity.apiKey",
        "identity.apiKeyId",
        "requestTime",
        "requestTimeEpoch",
        "httpMethod",
        "resourcePath",
        "path",
        "status",
        "protocol",
        "responseLength",
        "responseLatency",
        "error.message",
        "error.messageString",
        "error.responseType",
        "error.validationErrorString",
        "integration.status",
        "integration.integrationStatus",
        "integration.error",
        "integration.latency",
        "integration.requestId",
        "integrationStatus",
        "integrationLatency",
        "integrationErrorMessage",
        "authorizer.error",
        "authorizer.status",
        "authorizer.latency",
        "authorizer.integrationStatus",
        "authorizer.integrationLatency",
        "authorizer.requestId",
        "authorizer.principalId",
        "authenticate.error",
        "authenticate.latency",
        "authenticate.status",
        "authorize.error",
        "authorize.latency",
        "authorize.status",
        "waf.error",
        "waf.latency",
        "waf.status",
        "wafResponseCode",
        "xrayTraceId",
    }
)

_STATUS_PATTERN = re.compile(r"[1-5](?:\d\d|xx)")
_MODE_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_ERROR_TYPE = re.compile(r"[A-Z][A-Za-z0-9]*")
_SUFFIX = ".yaml"

_REQUIRED_KEYS = (
    "id",
    "title",
    "statuses",
    "error-type",
    "response-type",
    "before-integration",
    "evidence",
    "diagnosis",
    "fix",
    "why",
    "sources",
)
_KEYS = (*_REQUIRED_KEYS, "distinguish-from", "unverified")
_EVIDENCE_KEYS = (
    "access-log",
    "access-log-expected",
    "execution-log",
    "execution-log-expected",
    "execution-log-required",
)
# What an `unverified` mapping may name: the fields that state AWS behaviour.
_UNVERIFIABLE = (
    "statuses",
    "error-type",
    "response-type",
    "before-integration",
    *(f"evidence.{key}" for key in _EVIDENCE_KEYS),
)


def value_matches(expected: str, actual: str) -> bool:
    """An access-log value against the catalogue's form: exact text, or a regex written `/.../`."""
    if _is_regex(expected):
        return re.search(expected[1:-1], actual) is not None
    return actual == expected


def _is_regex(value: str) -> bool:
    return len(value) >= 2 and value.startswith("/") and value.endswith("/")


def _status_pattern_matches(pattern: str, status: int) -> bool:
    if pattern.endswith("xx"):
        return status // 100 == int(pattern[0])
    return status == int(pattern)


@dataclass(frozen=True, slots=True)
class Evidence:
    """What in the gateway's logs confirms the cause (semantics: probes/README.md)."""

    # Not hashed (a mapping is not hashable); still compared.
    access_log: Mapping[str, str] = field(hash=False)
    execution_log: tuple[str, ...]
    execution_log_expected: bool
    # False only where AWS writes no access-log record at all (the front door's 413).
    access_log_expected: bool = True
    # True where only an execution-log line tells the cause apart: without one, the mode does not fit.
    execution_log_required: bool = False

    def access_log_matches(self, record: Mapping[str, str]) -> bool:
        """Every listed field is in `record` and matches; a field the format omits does not match."""
        return all(name in record and value_matches(value, record[name]) for name, value in self.access_log.items())

    def execution_log_matches(self, messages: Iterable[str]) -> bool:
        """Some pattern finds some message (text after `(request-id) `); true when none are listed."""
        if not self.execution_log:
            return True
        texts = list(messages)
        return any(re.search(pattern, text) for pattern in self.execution_log for text in texts)


@dataclass(frozen=True, slots=True)
class FailureMode:
    id: str
    title: str
    statuses: tuple[str, ...]  # "429", or a class: "5xx"
    error_type: str | None  # None: the x-amzn-ErrorType header must be absent
    response_type: str | None  # None: the access log shows `-`, or there is no record
    before_integration: bool
    evidence: Evidence
    distinguish_from: tuple[str, ...]
    diagnosis: str
    fix: str
    why: str
    sources: tuple[str, ...]
    unverified: tuple[str, ...] = ()
    # The reason each `unverified` field is not confirmed, by field name.
    unverified_notes: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}), hash=False)

    def status_matches(self, status: int) -> bool:
        return any(_status_pattern_matches(pattern, status) for pattern in self.statuses)

    def expected_status_text(self) -> str:
        return " or ".join(self.statuses)


@dataclass(frozen=True, slots=True)
class Catalogue:
    """The failure modes by id, iterated in `MODE_ORDER` (as `load_catalogue` builds it)."""

    modes: tuple[FailureMode, ...]
    _index: Mapping[str, FailureMode] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        index: dict[str, FailureMode] = {}
        for mode in self.modes:
            if mode.id in index:
                raise ValueError(f"duplicate failure mode id {mode.id!r}")
            index[mode.id] = mode
        object.__setattr__(self, "_index", MappingProxyType(index))

    def __iter__(self) -> Iterator[FailureMode]:
        return iter(self.modes)

    def __len__(self) -> int:
        return len(self.modes)

    def __contains__(self, mode_id: object) -> bool:
        return isinstance(mode_id, str) and mode_id in self._index

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(mode.id for mode in self.modes)

    def get(self, mode_id: str) -> FailureMode:
        """The mode named `mode_id`; KeyError (with a suggestion) when there is none."""
        try:
            return self._index[mode_id]
        except KeyError:
            close = self.suggest(mode_id)
            hint = f" (did you mean {close!r}?)" if close is not None else ""
            raise KeyError(f"unknown failure mode {mode_id!r}{hint}") from None

    def suggest(self, word: str) -> str | None:
        """The id closest to `word`, for "did you mean"; None when nothing is close."""
        return did_you_mean(word, self.ids)


# --- loading ---------------------------------------------------------------------------------------


def load_catalogue(directory: Path | None = None) -> Catalogue:
    """Read every `*.yaml` entry of `directory` (default: the repository's or the package's probes/)."""
    root: Traversable = _default_directory() if directory is None else directory
    files = _entry_files(root)
    reads = [_read_file(entry) for entry in files]
    _check_duplicates(reads)
    problems = [problem for read in reads for problem in _in_line_order(read.log.problems)]
    if problems:
        raise CatalogueError(problems)
    modes = [read.mode for read in reads if read.mode is not None]
    return Catalogue(tuple(sorted(modes, key=_order_key)))


def _default_directory() -> Traversable:
    if DEFAULT_CATALOGUE_DIR.is_dir():
        return DEFAULT_CATALOGUE_DIR
    return resources.files("gatecrash") / "probes"


def _order_key(mode: FailureMode) -> tuple[int, str]:
    position = MODE_ORDER.index(mode.id) if mode.id in MODE_ORDER else len(MODE_ORDER)
    return position, mode.id


def _in_line_order(problems: list[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda problem: (problem.line is None, problem.line or 0))


def _entry_files(root: Traversable) -> list[Traversable]:
    source = str(root)
    if not root.is_dir():
        hint = "pass the folder that holds the <id>.yaml files"
        raise CatalogueError([Problem(source, format_pointer(ROOT), "not a folder", hint=hint)])
    files = sorted((entry for entry in root.iterdir() if entry.name.endswith(_SUFFIX)), key=lambda e: e.name)
    if not files:
        hint = "write one <id>.yaml file per failure mode (see probes/README.md)"
        raise CatalogueError([Problem(source, format_pointer(ROOT), "no *.yaml failure-mode files here", hint=hint)])
    return files


@dataclass
class _FileRead:
    """One file's outcome: its problems, the id it declares (for duplicates), the mode if sound."""

    log: ProblemLog
    id: str | None = None
    mode: FailureMode | None = None


def _read_file(entry: Traversable) -> _FileRead:
    source = str(entry)
    try:
        text = entry.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeError) as error:
        log = ProblemLog(source, None)
        log.add(ROOT, f"cannot be read as UTF-8 text: {error}", hint="check the file and save it as UTF-8")
        return _FileRead(log)
    loaded = parse_text(text, source)
    if isinstance(loaded, Problem):
        log = ProblemLog(source, None)
        log.problems.append(loaded)
        return _FileRead(log)
    log = ProblemLog(source, loaded.lines)
    read = _FileRead(log)
    _read_entry(read, loaded.data, entry.name.removesuffix(_SUFFIX))
    return read


def _check_duplicates(reads: list[_FileRead]) -> None:
    first: dict[str, str] = {}
    for read in reads:
        if read.id is None:
            continue
        if read.id in first:
            hint = "each failure mode is defined once; rename or remove one of them"
            read.log.add(("id",), f"duplicate id '{read.id}' (also in {first[read.id]})", hint=hint)
            read.mode = None
        else:
            first[read.id] = read.log.source


# --- one entry -------------------------------------------------------------------------------------


def _read_entry(read: _FileRead, document: Any, stem: str) -> None:
    log = read.log
    if not isinstance(document, Mapping):
        hint = "write one failure mode per file: `id:`, `title:`, `statuses:` ... at the top level"
        log.add(ROOT, f"an entry must be a mapping, not {describe_type(document)}", hint=hint)
        return
    log.check_keys(document, ROOT, _KEYS)
    for key in _REQUIRED_KEYS:
        if key not in document:
            log.add((key,), f"missing {key}", hint=_missing_hint(key))
    read.id = _read_id(log, document, stem)
    fields = _read_fields(log, document)
    if read.id is None or fields is None or log.problems:
        return
    mode = FailureMode(id=read.id, **fields)
    _check_consistency(log, mode)
    read.mode = None if log.problems else mode


def _missing_hint(key: str) -> str:
    if key in ("error-type", "response-type"):
        return f"add `{key}: ...`, or `{key}: null` when there is none"
    return f"add `{key}: ...`"


def _read_id(log: ProblemLog, document: Mapping[str, Any], stem: str) -> str | None:
    mode_id = _read_text(log, document, "id", ROOT, one_line=True)
    if mode_id is None:
        return None
    if not _MODE_ID.fullmatch(mode_id):
        log.add(("id",), f"'{mode_id}' is not a valid id", hint="use lower-case words joined by '-'")
        return None
    if mode_id != stem:
        log.add(("id",), f"id '{mode_id}' does not match the file name '{stem}{_SUFFIX}'", hint="name files <id>.yaml")
    return mode_id


def _read_fields(log: ProblemLog, document: Mapping[str, Any]) -> dict[str, Any] | None:
    """Every field but the id, each checked (so that one file's problems are all reported)."""
    unverified = _read_unverified(log, document)
    fields = {
        "title": _read_text(log, document, "title", ROOT, one_line=True),
        "statuses": _read_statuses(log, document),
        "error_type": _read_error_type(log, document),
        "response_type": _read_response_type(log, document),
        "before_integration": _read_bool(log, document, "before-integration", ROOT),
        "evidence": _read_evidence(log, document),
        "distinguish_from": _read_texts(log, document, "distinguish-from", ROOT),
        "diagnosis": _read_text(log, document, "diagnosis", ROOT),
        "fix": _read_text(log, document, "fix", ROOT),
        "why": _read_text(log, document, "why", ROOT),
        "sources": _read_texts(log, document, "sources", ROOT, non_empty=True),
        "unverified": tuple(unverified),
        "unverified_notes": MappingProxyType(unverified),
    }
    return None if fields["evidence"] is None else fields


def _wrong_type(log: ProblemLog, where: JsonPath, value: Any, expected: str, hint: str | None = None) -> None:
    log.add(where, f"must be {expected}, not {describe_type(value)}", hint=hint)


def _read_text(
    log: ProblemLog, container: Mapping[str, Any], key: str, path: JsonPath, *, one_line: bool = False
) -> str | None:
    value = container.get(key)
    where = (*path, key)
    if key not in container:
        return None  # reported once, as missing, by the caller
    if not isinstance(value, str) or not value.strip():
        _wrong_type(log, where, value, "a non-empty string")
        return None
    text = value.strip()  # folded blocks (`>`) end with a newline
    if one_line and "\n" in text:
        log.add(where, "must be one line", hint="shorten it; longer text belongs in diagnosis, fix or why")
        return None
    return text


def _read_bool(log: ProblemLog, container: Mapping[str, Any], key: str, path: JsonPath) -> bool | None:
    """True or false; None when absent (a required key's absence is reported by the caller)."""
    value = container.get(key)
    if isinstance(value, bool) or key not in container:
        return value
    _wrong_type(log, (*path, key), value, "true or false")
    return None


def _read_list(log: ProblemLog, container: Mapping[str, Any], key: str, path: JsonPath) -> list[Any] | None:
    """The list under `key` (null or absent: empty); None when it is something else (reported)."""
    value = container.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        _wrong_type(log, (*path, key), value, "a list")
        return None
    return value


def _read_texts(
    log: ProblemLog, container: Mapping[str, Any], key: str, path: JsonPath, *, non_empty: bool = False
) -> tuple[str, ...]:
    items = _read_list(log, container, key, path)
    if items is None:
        return ()
    texts: list[str] = []
    for index, item in enumerate(items):
        if isinstance(item, str) and item.strip():
            texts.append(item.strip())
        else:
            _wrong_type(log, (*path, key, index), item, "a non-empty string")
    if non_empty and not items and key in container:
        log.add((*path, key), f"{key} must list at least one item")
    return tuple(texts)


def _read_statuses(log: ProblemLog, document: Mapping[str, Any]) -> tuple[str, ...]:
    items = _read_list(log, document, "statuses", ROOT)
    if items is None:
        return ()
    statuses: list[str] = []
    for index, item in enumerate(items):
        where: JsonPath = ("statuses", index)
        if not isinstance(item, str):
            _wrong_type(log, where, item, "a quoted string", hint=f'write "{item}"; classes are "4xx", "5xx"')
        elif not _STATUS_PATTERN.fullmatch(item):
            log.add(where, f"'{item}' is not a status pattern", hint='write a status ("429") or a class ("5xx")')
        elif item in statuses:
            log.add(where, f"'{item}' is listed twice")
        else:
            statuses.append(item)
    if not items and "statuses" in document:
        log.add(("statuses",), "statuses must list at least one status", hint='e.g. statuses: ["429"]')
    return tuple(statuses)


def _read_nullable_name(log: ProblemLog, document: Mapping[str, Any], key: str) -> tuple[str | None, bool]:
    """The value under `key` when it is null or a string; the flag says whether it was usable."""
    value = document.get(key)
    if value is None or isinstance(value, str):
        return value, True
    _wrong_type(log, (key,), value, "a string or null")
    return None, False


def _read_error_type(log: ProblemLog, document: Mapping[str, Any]) -> str | None:
    value, usable = _read_nullable_name(log, document, "error-type")
    if usable and value is not None and not _ERROR_TYPE.fullmatch(value):
        log.add(("error-type",), f"'{value}' is not an error type", hint="e.g. TooManyRequestsException")
    return value


def _read_response_type(log: ProblemLog, document: Mapping[str, Any]) -> str | None:
    value, usable = _read_nullable_name(log, document, "response-type")
    if usable and value is not None and value not in RESPONSE_TYPES:
        hint = choice_hint(value, RESPONSE_TYPES, "gateway response types")
        log.add(("response-type",), f"unknown gateway response type '{value}'", hint=hint)
    return value


def _read_evidence(log: ProblemLog, document: Mapping[str, Any]) -> Evidence | None:
    value = document.get("evidence")
    if "evidence" not in document:
        return None
    if not isinstance(value, Mapping):
        _wrong_type(log, ("evidence",), value, "a mapping")
        return None
    path: JsonPath = ("evidence",)
    log.check_keys(value, path, _EVIDENCE_KEYS)
    if "execution-log-expected" not in value:
        log.add((*path, "execution-log-expected"), "missing execution-log-expected", hint="add true or false")
    expected = _read_bool(log, value, "execution-log-expected", path)
    access_log_expected = _read_bool(log, value, "access-log-expected", path)
    required = _read_bool(log, value, "execution-log-required", path)
    patterns = _read_patterns(log, value, path)
    if required and not patterns:
        log.add(
            (*path, "execution-log-required"),
            "execution-log-required needs execution-log patterns",
            hint="list the line that tells this cause apart, or drop execution-log-required",
        )
    return Evidence(
        access_log=_read_access_log(log, value, path),
        execution_log=patterns,
        execution_log_expected=bool(expected),
        access_log_expected=access_log_expected is not False,
        execution_log_required=required is True,
    )


def _read_access_log(log: ProblemLog, evidence: Mapping[str, Any], path: JsonPath) -> Mapping[str, str]:
    value = evidence.get("access-log")
    where = (*path, "access-log")
    if value is None:
        return MappingProxyType({})
    if not isinstance(value, Mapping):
        _wrong_type(log, where, value, "a mapping of $context field to value")
        return MappingProxyType({})
    fields: dict[str, str] = {}
    for name, expected in value.items():
        key_path = (*where, str(name))
        if name not in ACCESS_LOG_FIELDS:
            log.add(key_path, f"unknown access-log field '{name}'", hint=_field_hint(str(name)))
        elif not isinstance(expected, str):
            _wrong_type(log, key_path, expected, "a string", hint='quote it: status: "429"; regexes are "/.../"')
        elif not (_is_regex(expected) and _regex_problem(log, key_path, expected[1:-1])):
            fields[name] = expected
    return MappingProxyType(fields)


def _field_hint(name: str) -> str:
    # The field list is long; name the closest one, or say what a field looks like.
    close = did_you_mean(name, ACCESS_LOG_FIELDS)
    if close is not None:
        return f"did you mean '{close}'?"
    return "name a $context variable without `$context.`, e.g. error.responseType (see probes/README.md)"


def _read_patterns(log: ProblemLog, evidence: Mapping[str, Any], path: JsonPath) -> tuple[str, ...]:
    patterns: list[str] = []
    for index, item in enumerate(_read_list(log, evidence, "execution-log", path) or ()):
        where = (*path, "execution-log", index)
        if not isinstance(item, str) or not item:
            _wrong_type(log, where, item, "a regular expression (a string)")
        elif not _regex_problem(log, where, item):
            patterns.append(item)
    return tuple(patterns)


def _regex_problem(log: ProblemLog, where: JsonPath, pattern: str) -> bool:
    """Report `pattern` if Python's `re` cannot compile it; True when it was reported."""
    try:
        re.compile(pattern)
    except re.error as error:
        log.add(where, f"not a valid regular expression: {error}", hint="escape literal . ( ) [ ] with a backslash")
        return True
    return False


def _read_unverified(log: ProblemLog, document: Mapping[str, Any]) -> dict[str, str]:
    value = document.get("unverified")
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        _wrong_type(log, ("unverified",), value, "a mapping of field name to the reason")
        return {}
    notes: dict[str, str] = {}
    for name, note in value.items():
        where: JsonPath = ("unverified", str(name))
        if name not in _UNVERIFIABLE:
            log.add(
                where, f"'{name}' is not a field that can be unverified", hint=choice_hint(str(name), _UNVERIFIABLE)
            )
        elif not isinstance(note, str) or not note.strip():
            _wrong_type(log, where, note, "a note saying what is not confirmed, and why")
        else:
            notes[name] = note.strip()
    return notes


def _check_consistency(log: ProblemLog, mode: FailureMode) -> None:
    """The evidence must not contradict the entry's own expectations."""
    access = mode.evidence.access_log
    where: JsonPath = ("evidence", "access-log")
    logged_type = access.get("error.responseType")
    if logged_type is not None and not _is_regex(logged_type) and logged_type != (mode.response_type or "-"):
        message = f"error.responseType '{logged_type}' contradicts response-type {mode.response_type or 'null'}"
        log.add((*where, "error.responseType"), message, hint="`-` goes with response-type: null")
    status = access.get("status")
    if status is not None and status.isdigit() and not mode.status_matches(int(status)):
        log.add((*where, "status"), f"status '{status}' is not one of statuses {', '.join(mode.statuses)}")
    if access and not mode.evidence.access_log_expected:
        log.add(where, "access-log fields are listed but access-log-expected is false", hint="remove one of them")
