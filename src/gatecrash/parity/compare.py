"""An emulator answer against the answer AWS recorded. Pure.

`differences` returns one line per thing that differs (empty: reproduced). Header names compare
without case and repeated headers are joined with ", " (as python-requests showed them to the
recordings); JSON compares by value; `<any>` in an expected value matches any value that is
there; `{"<exact>": X}` inside a subset compares X exactly; `{"<json>": X}` matches a string that
holds JSON matching X (a Lambda proxy body); `{"<headers>": X}` compares an object of headers
exactly but for the case of their names; `<word>` in an expected header value or log line
matches any text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from gatecrash.parity.cases import ANY, EMBEDDED, EXACT, HEADERS, Case, Expectation

__all__ = ["Answer", "CaseResult", "differences", "line_pattern"]

_PLACEHOLDER = re.compile(r"<[A-Za-z][A-Za-z0-9_-]*>")
_SHOWN = 160  # characters of a body shown in a difference


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    execution_log: tuple[str, ...] = ()
    access_log: Mapping[str, Any] = field(default_factory=dict)

    def header(self, name: str) -> str | None:
        values = [value for key, value in self.headers if key.lower() == name.lower()]
        return ", ".join(values) if values else None


@dataclass(frozen=True, slots=True)
class CaseResult:
    case: Case
    differences: tuple[str, ...]  # empty: AWS's answer reproduced

    @property
    def reproduced(self) -> bool:
        return not self.differences


def differences(expect: Expectation, answer: Answer) -> tuple[str, ...]:
    found: list[str] = []
    if expect.status is not None and answer.status != expect.status:
        found.append(f"status {answer.status}, AWS {expect.status}")
    found.extend(_body_differences(expect, answer))
    for name, value in expect.headers:
        actual = answer.header(name)
        if actual is None:
            found.append(f"header {name} missing" + ("" if value is None else f" (AWS: {value!r})"))
        elif value is not None and not line_pattern(value).fullmatch(actual):
            found.append(f"header {name} is {actual!r}, AWS {value!r}")
    for name in expect.absent_headers:
        if answer.header(name) is not None:
            found.append(f"header {name} present ({answer.header(name)!r}); AWS sends none")
    found.extend(_log_differences(expect, answer))
    return tuple(found)


def _short(text: str) -> str:
    return text if len(text) <= _SHOWN else text[:_SHOWN] + "..."


def _body_differences(expect: Expectation, answer: Answer) -> list[str]:
    text = answer.body.decode("utf-8", errors="replace")
    if expect.body is not None:
        if text != expect.body and not (expect.body == ANY and text):
            return [f"body {_short(text)!r}, AWS {_short(expect.body)!r}"]
        return []
    wanted = expect.json if expect.json is not None else expect.json_subset
    if wanted is None:
        return []
    try:
        actual = json.loads(text)
    except ValueError:
        return [f"body is not JSON: {_short(text)!r}"]
    mismatches = _json_differences(wanted.value, actual, "$", exact=expect.json is not None)
    return [f"body {line}" for line in mismatches]


def _json_differences(expected: Any, actual: Any, where: str, *, exact: bool) -> list[str]:
    if expected == ANY:
        return []
    if isinstance(expected, Mapping) and len(expected) == 1 and EXACT in expected:
        return _json_differences(expected[EXACT], actual, where, exact=True)
    if isinstance(expected, Mapping) and len(expected) == 1 and HEADERS in expected:
        if not isinstance(actual, Mapping):
            return [f"{where} is {_short(json.dumps(actual))}, AWS an object of headers"]
        wanted = {str(key).lower(): value for key, value in expected[HEADERS].items()}
        have = {str(key).lower(): value for key, value in actual.items()}
        return _json_differences(wanted, have, where, exact=True)
    if isinstance(expected, Mapping) and len(expected) == 1 and EMBEDDED in expected:
        if not isinstance(actual, str):
            return [f"{where} is {_short(json.dumps(actual))}, AWS a string holding JSON"]
        try:
            parsed = json.loads(actual)
        except ValueError:
            return [f"{where} is {_short(actual)!r}, AWS a string holding JSON"]
        return _json_differences(expected[EMBEDDED], parsed, f"{where}<json>", exact=exact)
    if isinstance(expected, Mapping):
        if not isinstance(actual, Mapping):
            return [f"{where} is {_short(json.dumps(actual))}, AWS an object"]
        found: list[str] = []
        for key, value in expected.items():
            if key not in actual:
                found.append(f"{where}.{key} missing (AWS {_short(json.dumps(value))})")
            else:
                found.extend(_json_differences(value, actual[key], f"{where}.{key}", exact=exact))
        if exact:
            found.extend(f"{where}.{key} present; AWS has none" for key in actual if key not in expected)
        return found
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return [f"{where} is {_short(json.dumps(actual))}, AWS {_short(json.dumps(expected))}"]
        found = []
        for index, (want, have) in enumerate(zip(expected, actual, strict=True)):
            found.extend(_json_differences(want, have, f"{where}[{index}]", exact=exact))
        return found
    # JSON compares 1 and 1.0 equal, but not true and 1.
    if actual != expected or isinstance(actual, bool) != isinstance(expected, bool):
        return [f"{where} is {_short(json.dumps(actual))}, AWS {_short(json.dumps(expected))}"]
    return []


def line_pattern(expected: str) -> re.Pattern[str]:
    """An expected log line as a regular expression: literal, but `<word>` matches any text."""
    parts: list[str] = []
    last = 0
    for match in _PLACEHOLDER.finditer(expected):
        parts.append(re.escape(expected[last : match.start()]))
        parts.append(".*?")
        last = match.end()
    parts.append(re.escape(expected[last:]))
    return re.compile("".join(parts), re.DOTALL)


def _log_differences(expect: Expectation, answer: Answer) -> list[str]:
    found: list[str] = []
    lines = answer.execution_log
    position = 0
    for expected in expect.execution_log:
        index = _find(lines, line_pattern(expected), position)
        if index is None:
            later = " (out of order)" if _find(lines, line_pattern(expected), 0) is not None else ""
            found.append(f"execution log has no line {expected!r}{later}")
        else:
            position = index + 1
    for unwanted in expect.execution_log_absent:
        index = _find(lines, line_pattern(unwanted), 0)
        if index is not None:
            found.append(f"execution log has {lines[index]!r}; AWS writes no such line")
    for name, value in expect.access_log.items():
        actual = answer.access_log.get(name)
        if actual is None:
            found.append(f"access log has no {name} (AWS {value!r})")
        elif value != ANY and str(actual) != value:
            found.append(f"access log {name} is {str(actual)!r}, AWS {value!r}")
    return found


def _find(lines: Sequence[str], pattern: re.Pattern[str], start: int) -> int | None:
    for index in range(start, len(lines)):
        if pattern.fullmatch(lines[index]):
            return index
    return None
