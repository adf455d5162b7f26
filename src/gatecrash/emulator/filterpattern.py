"""CloudWatch Logs filter patterns, as FilterLogEvents, metric and subscription filters and Live Tail read them.

Pure: `compile_pattern(text)` parses once and returns a matcher whose `matches(message)` is called per
event; a pattern AWS would refuse raises `FilterPatternError` carrying AWS's message. The local moto
server uses it for FilterLogEvents (moto matches plain terms only and returns every event for a JSON
pattern), so `aws logs filter-log-events --filter-pattern ...` answers locally as it does on AWS.

Sources. AWS docs "Filter pattern syntax for metric filters, subscription filters, filter log events,
and Live Tail" (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html;
its earlier full text, examples included, in awsdocs/amazon-cloudwatch-logs-user-guide,
doc_source/FilterAndPatternSyntax.md). The four kinds of pattern:

- Terms (`ERROR Exception`): every term must occur in the message, case-sensitive, anywhere (`ERROR`
  matches `ERRORCODE`); `"an exact phrase"`; `?term` alternatives, of which one must occur; `-term`
  exclusions. Unquoted terms hold letters, digits and underscores only ("terms that include characters
  other than alphanumeric or underscore must be placed inside double quotes"); the empty pattern matches
  everything, while `""` is refused (recorded: DefangLabs/defang issue 1008).
- Regular expressions, `%regex%`, searched in the message; only the documented characters (letters,
  digits, `_ # = @ / ; , - :` and the operators `^ $ ? [ ] { } | \\ * + .`), no parentheses, no
  multi-byte characters. Also a value in JSON and space-delimited conditions, at most two per pattern.
- JSON, `{ $.selector OP value }`: the message must be JSON; selectors `$.a.b`, `$.a[0]`, `$.a[0][1]`;
  `=`/`!=` against a string, quoted or not, with `*` only at its start or end (`*Event`, `Event*`;
  `Ev*ent` is the literal text) or a number; `<`, `>`, `<=`, `>=` against a number; `IS NULL`,
  `NOT EXISTS`, `IS TRUE`, `IS FALSE`; `&&` binding tighter than `||`, and parentheses. A selector
  that points at an object or an array matches neither `=` nor `!=` ("JSON special considerations").
- Space-delimited, `[ip, user, ..., status_code = 4*, bytes > 1000]`: the message splits at spaces, a
  `[...]` or `"..."` run being one field; one named (or, between commas, empty) slot per field and
  `...` for any number of them; a slot's conditions name that slot's field only (AWS refuses
  `[..., status_code = 4* && bytes > 1000]`, awsdocs/amazon-cloudwatch-logs-user-guide issue 21).

Errors as AWS words them: `Invalid filter pattern` (aws/aws-toolkit-jetbrains issue 3219, awsdocs issue
21); `Invalid character(s) in term '<term>'` (dougmoscrop/serverless-plugin-log-subscription issue 47,
DefangLabs/defang issue 1008); `If a filter pattern starts with '{' it must end with '}'`
(jorgebastida/awslogs issue 210).

Not documented, so chosen here and marked where decided: terms mixed with `?` alternatives need all
plain terms and one alternative; a `-` may stand apart from its term (the docs' own example writes
`"ERROR" - "Exiting"`); a missing JSON field matches neither `=` nor `!=`; a JSON string that is a plain
decimal number compares as a number (API Gateway's JSON access logs quote `$context.status`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache, partial
from typing import Protocol

from gatecrash.errors import GatecrashError

INVALID = "Invalid filter pattern"
_UNCLOSED_BRACE = "If a filter pattern starts with '{' it must end with '}'"
_MAX_REGEXES = 2  # "a limit of 2 regex for each filter pattern" (JSON and space-delimited)

_TERM_CHARS = re.compile(r"[A-Za-z0-9_]+")
_REGEX_CHARS = re.compile(r"[A-Za-z0-9_#=@/;,:\-^$?\[\]{}|\\*+.]+")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_PLAIN_DECIMAL = re.compile(r"-?\d+(?:\.\d+)?")
_NAME = re.compile(r"[A-Za-z0-9_-]+")
_FIELD_NAME = re.compile(r"[A-Za-z0-9_]+")


class FilterPatternError(GatecrashError):
    """A pattern CloudWatch Logs refuses (InvalidParameterException); the message is AWS's."""


class FilterPattern(Protocol):
    def matches(self, message: str) -> bool:
        """Whether one log event's message matches."""


@lru_cache(maxsize=256)
def compile_pattern(text: str) -> FilterPattern:
    """Parse a filter pattern once; raise FilterPatternError for one AWS refuses."""
    pattern = text.strip()
    if not pattern:
        return _Everything()
    if pattern.startswith("{"):
        if not pattern.endswith("}"):
            raise FilterPatternError(_UNCLOSED_BRACE)
        return _JsonPattern(_JsonParser(pattern[1:-1]).parse())
    if pattern.startswith("["):
        if not pattern.endswith("]"):
            raise FilterPatternError(INVALID)
        return _parse_delimited(pattern[1:-1])
    if len(pattern) > 2 and pattern.startswith("%") and pattern.endswith("%"):
        return _RegexPattern(_compile_regex(pattern[1:-1]))
    return _parse_terms(pattern)


# --------------------------------------------------------------------------------------------
# Values shared by JSON and space-delimited conditions
# --------------------------------------------------------------------------------------------


def _compile_regex(body: str) -> re.Pattern[str]:
    if not body.isascii() or not _REGEX_CHARS.fullmatch(body):
        raise FilterPatternError(INVALID)
    try:
        return re.compile(body)
    except re.error as exc:
        raise FilterPatternError(INVALID) from exc


def _number(text: str) -> Decimal | None:
    return Decimal(text) if _NUMBER.fullmatch(text) else None


def _wildcard_equals(pattern: str, text: str) -> bool:
    """`*` at the start, the end or both; one in the middle is literal (`Ev*ent` matches only itself)."""
    if pattern == "*":
        return True
    leading, trailing = pattern.startswith("*"), pattern.endswith("*")
    core = pattern[1 if leading else 0 : len(pattern) - 1 if trailing else len(pattern)]
    if leading and trailing:
        return core in text
    if leading:
        return text.endswith(core)
    if trailing:
        return text.startswith(core)
    return text == core


@dataclass(frozen=True, slots=True)
class _Value:
    """The right-hand side of a condition: a string (quoted or not), a number or a regex."""

    text: str
    number: Decimal | None = None  # an unquoted numeric literal
    regex: re.Pattern[str] | None = None


def _text_number(text: str) -> Decimal | None:
    """A field's text as a number, when it is a plain decimal (decided here: see the module docstring)."""
    return Decimal(text) if _PLAIN_DECIMAL.fullmatch(text) else None


def _compare(operator: str, field: str | Decimal, value: _Value) -> bool:
    """One condition against a field's value: its text, or a number when the field is a JSON number."""
    if value.regex is not None:
        found = value.regex.search(str(field)) is not None
        return found if operator == "=" else not found
    field_number = field if isinstance(field, Decimal) else _text_number(field)
    if operator in ("<", ">", "<=", ">="):
        if field_number is None or value.number is None:
            return False
        return _ORDER[operator](field_number, value.number)
    if value.number is not None and field_number is not None:
        equal = field_number == value.number
    else:
        equal = _wildcard_equals(value.text, str(field))
    return equal if operator == "=" else not equal


_ORDER: dict[str, Callable[[Decimal, Decimal], bool]] = {
    "<": lambda a, b: a < b,
    ">": lambda a, b: a > b,
    "<=": lambda a, b: a <= b,
    ">=": lambda a, b: a >= b,
}


# --------------------------------------------------------------------------------------------
# Terms and regular expressions
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Everything:
    def matches(self, message: str) -> bool:
        return True


@dataclass(frozen=True, slots=True)
class _RegexPattern:
    regex: re.Pattern[str]

    def matches(self, message: str) -> bool:
        return self.regex.search(message) is not None


@dataclass(frozen=True, slots=True)
class _TermPattern:
    required: tuple[str, ...]
    alternatives: tuple[str, ...]
    excluded: tuple[str, ...]

    def matches(self, message: str) -> bool:
        return (
            all(term in message for term in self.required)
            and not any(term in message for term in self.excluded)
            and (not self.alternatives or any(term in message for term in self.alternatives))
        )


def _parse_terms(pattern: str) -> _TermPattern:
    terms: dict[str, list[str]] = {"": [], "?": [], "-": []}
    position, end = 0, len(pattern)
    while position < end:
        if pattern[position].isspace():
            position += 1
            continue
        prefix = ""
        if pattern[position] in "?-":
            prefix = pattern[position]
            position += 1
            while position < end and pattern[position].isspace():  # `"ERROR" - "Exiting"`, as the docs write it
                position += 1
            if position == end:
                raise FilterPatternError(f"Invalid character(s) in term '{prefix}'")
        if pattern[position] == '"':
            closing = pattern.find('"', position + 1)
            if closing < 0:
                raise FilterPatternError(INVALID)
            term = pattern[position + 1 : closing]
            if not term:
                raise FilterPatternError("Invalid character(s) in term '\"\"'")
            position = closing + 1
            if position < end and not pattern[position].isspace():
                raise FilterPatternError(INVALID)
        else:
            start = position
            while position < end and not pattern[position].isspace():
                position += 1
            term = pattern[start:position]
            if not _TERM_CHARS.fullmatch(term):
                raise FilterPatternError(f"Invalid character(s) in term '{term}'")
        terms[prefix].append(term)
    return _TermPattern(tuple(terms[""]), tuple(terms["?"]), tuple(terms["-"]))


# --------------------------------------------------------------------------------------------
# Tokens of JSON and space-delimited conditions
# --------------------------------------------------------------------------------------------

_OPERATORS = ("!=", "<=", ">=", "=", "<", ">")
_STOP = set(' \t\r\n()&|=!<>,"')


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # "op", "and", "or", "(", ")", "string" (quoted), "regex", "word"
    text: str


def _tokenize(source: str) -> list[_Token]:
    tokens: list[_Token] = []
    position, end = 0, len(source)
    while position < end:
        char = source[position]
        if char.isspace():
            position += 1
        elif source.startswith("&&", position):
            tokens.append(_Token("and", "&&"))
            position += 2
        elif source.startswith("||", position):
            tokens.append(_Token("or", "||"))
            position += 2
        elif char in "()":
            tokens.append(_Token(char, char))
            position += 1
        elif operator := next((op for op in _OPERATORS if source.startswith(op, position)), None):
            tokens.append(_Token("op", operator))
            position += len(operator)
        elif char == '"':
            closing = source.find('"', position + 1)
            if closing < 0:
                raise FilterPatternError(INVALID)
            tokens.append(_Token("string", source[position + 1 : closing]))
            position = closing + 1
        elif char == "%":
            closing = source.find("%", position + 1)
            if closing < 0:
                raise FilterPatternError(INVALID)
            tokens.append(_Token("regex", source[position + 1 : closing]))
            position = closing + 1
        else:
            start = position
            while position < end and source[position] not in _STOP:
                position += 1
            if position == start:
                raise FilterPatternError(INVALID)
            tokens.append(_Token("word", source[start:position]))
    return tokens


class _Tokens:
    def __init__(self, tokens: Sequence[_Token]) -> None:
        self._tokens = tokens
        self._at = 0
        self.regexes = 0

    def peek(self) -> _Token | None:
        return self._tokens[self._at] if self._at < len(self._tokens) else None

    def take(self, kind: str | None = None, text: str | None = None) -> _Token:
        token = self.peek()
        if token is None or (kind is not None and token.kind != kind) or (text is not None and token.text != text):
            raise FilterPatternError(INVALID)
        self._at += 1
        return token

    def done(self) -> bool:
        return self._at == len(self._tokens)

    def value(self, operator: str) -> _Value:
        token = self.take()
        if token.kind == "regex":
            self.regexes += 1
            if operator not in ("=", "!=") or self.regexes > _MAX_REGEXES:
                raise FilterPatternError(INVALID)
            return _Value(token.text, regex=_compile_regex(token.text))
        if token.kind == "string":
            if operator not in ("=", "!="):
                raise FilterPatternError(INVALID)
            return _Value(token.text)
        if token.kind != "word":
            raise FilterPatternError(INVALID)
        number = _number(token.text)
        if number is None and operator not in ("=", "!="):
            raise FilterPatternError(INVALID)  # `<`, `>`, `<=`, `>=` compare numbers only
        return _Value(token.text, number)


Condition = Callable[[object], bool]  # evaluated against a parsed JSON document or a field's text


def _parse_or(tokens: _Tokens, leaf: Callable[[_Tokens], Condition]) -> Condition:
    """`||` of `&&` of leaves or parenthesised expressions: && binds tighter ("() > && > ||")."""
    branches = [_parse_and(tokens, leaf)]
    while (token := tokens.peek()) is not None and token.kind == "or":
        tokens.take()
        branches.append(_parse_and(tokens, leaf))
    if len(branches) == 1:
        return branches[0]
    return lambda subject: any(branch(subject) for branch in branches)


def _parse_and(tokens: _Tokens, leaf: Callable[[_Tokens], Condition]) -> Condition:
    parts = [_parse_primary(tokens, leaf)]
    while (token := tokens.peek()) is not None and token.kind == "and":
        tokens.take()
        parts.append(_parse_primary(tokens, leaf))
    if len(parts) == 1:
        return parts[0]
    return lambda subject: all(part(subject) for part in parts)


def _parse_primary(tokens: _Tokens, leaf: Callable[[_Tokens], Condition]) -> Condition:
    token = tokens.peek()
    if token is not None and token.kind == "(":
        tokens.take()
        inner = _parse_or(tokens, leaf)
        tokens.take(")")
        return inner
    return leaf(tokens)


# --------------------------------------------------------------------------------------------
# JSON patterns
# --------------------------------------------------------------------------------------------

_MISSING = object()


@dataclass(frozen=True, slots=True)
class _Selector:
    steps: tuple[str | int, ...]

    def resolve(self, document: object) -> object:
        """The selected value, or _MISSING when the path does not exist."""
        current = document
        for step in self.steps:
            if isinstance(step, int):
                if not isinstance(current, list) or step >= len(current):
                    return _MISSING
            elif not isinstance(current, dict) or step not in current:
                return _MISSING
            current = current[step]  # type: ignore[index]
        return current


def _parse_selector(text: str) -> _Selector:
    if not text.startswith("$"):
        raise FilterPatternError(INVALID)
    steps: list[str | int] = []
    position, end = 1, len(text)
    while position < end:
        if text[position] == ".":
            match = _NAME.match(text, position + 1)
            if match is None:
                raise FilterPatternError(INVALID)
            steps.append(match.group())
            position = match.end()
        elif text[position] == "[":
            closing = text.find("]", position)
            index = text[position + 1 : closing] if closing > 0 else ""
            if not index.isdigit():
                raise FilterPatternError(INVALID)
            steps.append(int(index))
            position = closing + 1
        else:
            raise FilterPatternError(INVALID)
    if not steps:
        raise FilterPatternError(INVALID)
    return _Selector(tuple(steps))


class _JsonParser:
    def __init__(self, body: str) -> None:
        self._tokens = _Tokens(_tokenize(body))

    def parse(self) -> Condition:
        condition = _parse_or(self._tokens, self._condition)
        if not self._tokens.done():
            raise FilterPatternError(INVALID)
        return condition

    def _condition(self, tokens: _Tokens) -> Condition:
        selector = _parse_selector(tokens.take("word").text)
        token = tokens.take()
        if token.kind == "op":
            return _json_comparison(selector, token.text, tokens.value(token.text))
        if token.kind == "word" and token.text == "IS":
            state = tokens.take("word").text
            if state == "NULL":
                return lambda document: selector.resolve(document) is None
            if state in ("TRUE", "FALSE"):
                wanted = state == "TRUE"
                return lambda document: selector.resolve(document) is wanted
            raise FilterPatternError(INVALID)
        if token.kind == "word" and token.text == "NOT":
            tokens.take("word", "EXISTS")
            return lambda document: selector.resolve(document) is _MISSING
        raise FilterPatternError(INVALID)


def _json_comparison(selector: _Selector, operator: str, value: _Value) -> Condition:
    def condition(document: object) -> bool:
        found = selector.resolve(document)
        # Only value nodes compare: a missing field, an object, an array, null or a boolean matches
        # neither `=` nor `!=` ("The SELECTOR must point to a value node (string or number)").
        if isinstance(found, str):
            return _compare(operator, found, value)
        if isinstance(found, int | float) and not isinstance(found, bool):
            return _compare(operator, Decimal(repr(found)) if isinstance(found, float) else Decimal(found), value)
        return False

    return condition


@dataclass(frozen=True, slots=True)
class _JsonPattern:
    condition: Condition

    def matches(self, message: str) -> bool:
        try:
            document = json.loads(message)
        except ValueError:
            return False  # a JSON pattern never matches a message that is not JSON
        return self.condition(document)


# --------------------------------------------------------------------------------------------
# Space-delimited patterns
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Slot:
    """One field of the pattern: any value (no condition) or a condition on that field's text."""

    condition: Condition | None

    def accepts(self, field: str) -> bool:
        return self.condition is None or self.condition(field)


_ELLIPSIS = "..."


def _split_slots(body: str) -> list[str]:
    """Split at commas outside quotes and regexes."""
    slots, current, quote = [], [], ""
    for char in body:
        if quote:
            current.append(char)
            if char == quote:
                quote = ""
        elif char in '"%':
            quote = char
            current.append(char)
        elif char == ",":
            slots.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    if quote:
        raise FilterPatternError(INVALID)
    slots.append("".join(current).strip())
    return slots


def _parse_delimited(body: str) -> _DelimitedPattern:
    texts = _split_slots(body)
    if texts == [""]:
        raise FilterPatternError(INVALID)
    slots: list[_Slot | None] = []  # None: `...`
    regexes = 0
    for text in texts:
        if text == _ELLIPSIS:
            slots.append(None)
        elif not text or _FIELD_NAME.fullmatch(text):
            slots.append(_Slot(None))  # a named field, or an unnamed one between two commas
        else:
            tokens = _Tokens(_tokenize(text))
            names: set[str] = set()
            condition = _parse_or(tokens, partial(_field_condition, names=names))
            regexes += tokens.regexes
            if not tokens.done() or len(names) != 1 or regexes > _MAX_REGEXES:
                raise FilterPatternError(INVALID)  # a slot's conditions name that slot's field only
            slots.append(_Slot(condition))
    return _DelimitedPattern(tuple(slots))


def _field_condition(tokens: _Tokens, names: set[str]) -> Condition:
    name = tokens.take("word").text
    if not _FIELD_NAME.fullmatch(name):
        raise FilterPatternError(INVALID)
    names.add(name)
    operator = tokens.take("op").text
    value = tokens.value(operator)
    return lambda field: _compare(operator, str(field), value)


def split_fields(message: str) -> list[str]:
    """A message's space-delimited fields; a `[...]` or `"..."` run is one field, without its delimiters."""
    fields: list[str] = []
    position, end = 0, len(message)
    while position < end:
        if message[position].isspace():
            position += 1
            continue
        closer = {"[": "]", '"': '"'}.get(message[position])
        if closer is not None:
            closing = message.find(closer, position + 1)
            if closing >= 0:
                fields.append(message[position + 1 : closing])
                position = closing + 1
                continue
        start = position
        while position < end and not message[position].isspace():
            position += 1
        fields.append(message[start:position])
    return fields


@dataclass(frozen=True, slots=True)
class _DelimitedPattern:
    slots: tuple[_Slot | None, ...]

    def matches(self, message: str) -> bool:
        fields = split_fields(message)
        slots = self.slots
        failed: set[tuple[int, int]] = set()

        def align(slot_at: int, field_at: int) -> bool:
            if slot_at == len(slots):
                return field_at == len(fields)
            if (slot_at, field_at) in failed:
                return False
            slot = slots[slot_at]
            if slot is None:
                found = any(align(slot_at + 1, next_at) for next_at in range(field_at, len(fields) + 1))
            else:
                found = field_at < len(fields) and slot.accepts(fields[field_at]) and align(slot_at + 1, field_at + 1)
            if not found:
                failed.add((slot_at, field_at))
            return found

        return align(0, 0)
