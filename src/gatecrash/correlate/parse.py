"""Log text into values: execution-log lines with their request id, access-log records. Pure.

Execution lines come in every shape real logs were seen in (apigw-reference.md, "Line formats met
in the wild", with its sources: the AWS docs "Execution logging for REST APIs", KC
"api-gateway-logs", a 2016/2017 log-parser fixture, amplify-js#11391, 2023 test-console logs, a
2025 capture):

- `(request-id) message`, the form CloudWatch holds today;
- `2023-10-27T13:40:57.123Z (request-id) message`, the same with an ISO timestamp in front;
- the older form without the id in front (`2016-10-01T10:55:45.602Z Verifying Usage Plan for
  request: <id>. API Key: ...`): the id is named only by a few messages, and the lines after one
  belong to that request until another names a new one, per log stream;
- the API console's test invoke: `Execution log for request <id>` then lines
  `Tue May 30 01:22:45 UTC 2023 : message`;
- several lines in one event (split on newlines); an escaped `\\n` inside a body stays one line.

Access records are JSON objects keyed as the stage's `accessLogSettings.format` names them (keys
mapped to `$context` variable names, nested objects flattened with dots) or the Common Log Format
line the API Gateway console offers. `parse_text` reads whole exported files: `aws logs
filter-log-events` / `get-log-events` JSON, Logs Insights `get-query-results` JSON, `aws logs tail`
output, or plain lines of either kind.

This is the correlator's hot path (bench/correlate.py): the common `(id) message` event takes a
prefix check and two slices; everything else goes through the slower general reader.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

from gatecrash.correlate.model import AccessRecord, ExecutionLine, LogEvent, RequestLogs

__all__ = [
    "INVALID_REQUEST_ID",
    "group_by_request",
    "parse_access_record",
    "parse_execution_events",
    "parse_text",
]

# AWS docs, "Access logging for REST APIs": a client may set x-amzn-RequestId; one that is not a
# UUID is logged as this placeholder, which therefore joins nothing.
INVALID_REQUEST_ID = "UUID_REPLACED_INVALID_REQUEST_ID"

# Request ids are UUIDs; test invokes use words ("test-request", LS test-invoke snapshots). A
# bounded character set keeps a parenthesised remark in a stray line from becoming an id.
_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}")
_MAX_PREFIX = 130  # `(` + the longest id + `) `
# `2023-10-27T13:40:57.123Z`, `2023-10-27T13:40:57.123000+00:00` (aws logs tail), `...+0000`.
_ISO_PREFIX = re.compile(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:Z|[+-]\d\d:?\d\d)?)[ \t]+")
# The console's test-invoke lines (Java's Date.toString): `Tue May 30 01:22:45 UTC 2023 : `.
_CONSOLE_PREFIX = re.compile(
    r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
    r"([ \d]\d) (\d\d):(\d\d):(\d\d) UTC (\d{4}) : "
)
_MONTHS = {name: number for number, name in enumerate("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(), 1)}
# The console's header; one capture spells it `Execution log for request: <id>`.
_CONSOLE_HEADER = re.compile(r"Execution log for request:? (\S+)\s*$")
# Messages that name their request in the older, unprefixed form (real logs quoted in
# apigw-reference.md: "Starting execution for request: <id>", "Verifying Usage Plan for request:
# <id>. API Key: ...", and the authorizer's "Starting authorizer: <authorizer-id> for request: <id>").
_NAMES_REQUEST = re.compile(
    r"(?:Starting execution for request: |Verifying Usage Plan for request: |Starting authorizer: \S+ for request: )"
    r"([A-Za-z0-9][A-Za-z0-9_:-]*)"
)
# `aws logs tail` prints `<timestamp> <stream> <message>`; execution and access streams are named
# with 32 hex digits (apigw-reference.md, "Execution logs": "streams by gateway node (hex names)").
_HEX_STREAM = re.compile(r"[0-9a-f]{32}")

# Common Log Format as the console offers it (AWS docs, "Access logging for REST APIs"):
# `$context.identity.sourceIp $context.identity.caller $context.identity.user [$context.requestTime]
# "$context.httpMethod $context.resourcePath $context.protocol" $context.status
# $context.responseLength $context.requestId $context.extendedRequestId`; older copies of the
# preset end at requestId, and the docs print it both with and without a space before the quote.
_CLF = re.compile(
    r"(?P<ip>\S+) (?P<caller>\S+) (?P<user>\S+) \[(?P<time>[^\]]*)\] ?"
    r'"(?P<method>\S+) (?P<resource>\S+) (?P<protocol>[^"\s]*)" '
    r"(?P<status>\S+) (?P<length>\S+) (?P<request_id>\S+)(?: (?P<extended>\S+))?\s*"
)
_CLF_FIELDS = (
    ("ip", "identity.sourceIp"),
    ("caller", "identity.caller"),
    ("user", "identity.user"),
    ("time", "requestTime"),
    ("method", "httpMethod"),
    ("resource", "resourcePath"),
    ("protocol", "protocol"),
    ("status", "status"),
    ("length", "responseLength"),
    ("request_id", "requestId"),
    ("extended", "extendedRequestId"),
)

# Keys that access-log formats commonly give `$context` variables, mapped to the variable's name.
# The console's JSON preset uses ip, caller, user (AWS docs, "Access logging for REST APIs"); the
# others are the camel-case spellings people write for the dotted variables. Two are AWS's own
# aliases: integrationErrorMessage = integration.error, integrationStatus =
# integration.integrationStatus (AWS docs, "$context variables ... access logging").
_ALIASES: Mapping[str, str] = {
    "ip": "identity.sourceIp",
    "sourceIp": "identity.sourceIp",
    "caller": "identity.caller",
    "user": "identity.user",
    "userArn": "identity.userArn",
    "userAgent": "identity.userAgent",
    "apiKeyId": "identity.apiKeyId",
    "errorMessage": "error.message",
    "errorMessageString": "error.messageString",
    "errorResponseType": "error.responseType",
    "responseType": "error.responseType",
    "validationErrorString": "error.validationErrorString",
    "errorValidationErrorString": "error.validationErrorString",
    "integrationError": "integration.error",
    "integrationErrorMessage": "integration.error",
    "integrationStatus": "integration.integrationStatus",
    "integrationLatency": "integration.latency",
    "integrationRequestId": "integration.requestId",
    "authorizerError": "authorizer.error",
    "authorizerStatus": "authorizer.status",
    "authorizerLatency": "authorizer.latency",
    "authorizerPrincipalId": "authorizer.principalId",
}
_ALIAS_KEYS = frozenset(_ALIASES)
_ID_FIELDS = ("requestId", "extendedRequestId")
_MAX_DEPTH = 8  # nested format objects deeper than this are kept as JSON text
_MAX_JSON_LINES = 1000  # a pretty-printed record (aws logs tail --format json) is gathered up to this

StreamKey = tuple[str, str]


# --- execution lines -------------------------------------------------------------------------------


def parse_execution_events(events: Iterable[LogEvent]) -> list[ExecutionLine]:
    """Every line of every event, with its request id (None for lines before any id in an unprefixed stream)."""
    reader = _ExecutionReader()
    lines: list[ExecutionLine] = []
    append = lines.append
    valid_id = _REQUEST_ID.fullmatch
    for event in events:
        message = event.message
        # The common case, inlined: one `(id) message` line.
        if message[:1] == "(" and "\n" not in message:
            close = message.find(") ", 1, _MAX_PREFIX)
            if close > 1:
                request_id = message[1:close]
                # A UUID is checked cheaply; anything else against the id pattern.
                if (len(request_id) == 36 and request_id[8] == "-" and " " not in request_id) or valid_id(request_id):
                    append(ExecutionLine(request_id, message[close + 2 :], event.timestamp_ms, message))
                    continue
        reader.read_event(event, append)
    return lines


class _ExecutionReader:
    """The general reader: every line shape, and what each stream has said so far."""

    __slots__ = ("_console", "_current")

    def __init__(self) -> None:
        # The request the next unprefixed line of a stream belongs to: the last id a line of the
        # stream named (the older form, an event's continuation lines, a console block's header).
        self._current: dict[StreamKey, str] = {}
        # Streams inside a console block, whose header names the request for every line under it.
        self._console: set[StreamKey] = set()

    def read_event(self, event: LogEvent, append: Callable[[ExecutionLine], None]) -> None:
        key = (event.group, event.stream)
        for text in event.message.split("\n"):
            line = self.read(text, key, event.timestamp_ms, text.rstrip("\r"))
            if line is not None:
                append(line)

    def read(self, text: str, key: StreamKey, timestamp_ms: int | None, raw: str) -> ExecutionLine | None:
        """One line; None for blank lines and the console's header."""
        text = text.rstrip("\r")
        if not text.strip():
            return None
        iso = _ISO_PREFIX.match(text) if text[:1].isdigit() else None
        if iso is not None:
            stamped = _iso_ms(iso.group(1))
            if stamped is not None:
                timestamp_ms, text = stamped, text[iso.end() :]
                self._console.discard(key)  # a console block's lines carry its own date form, never ISO
        prefixed = _split_prefix(text)
        if prefixed is not None:
            self._current[key] = prefixed[0]
            self._console.discard(key)
            return ExecutionLine(prefixed[0], prefixed[1], timestamp_ms, raw)
        return self._unprefixed(text, key, timestamp_ms, raw)

    def _unprefixed(self, text: str, key: StreamKey, timestamp_ms: int | None, raw: str) -> ExecutionLine | None:
        header = _CONSOLE_HEADER.match(text) if text[:4] == "Exec" else None
        if header is not None:
            self._current[key] = header.group(1)
            self._console.add(key)
            return None
        console = _CONSOLE_PREFIX.match(text) if text[:1].isupper() else None
        if console is not None:
            timestamp_ms = _console_ms(console) or timestamp_ms
            text = text[console.end() :]
        request_id = self._current.get(key)
        # Under a console header the header's id stands: a 2016 test invoke logged "Execution log
        # for request test-request" above "Starting execution for request: test-invoke-request".
        if key not in self._console and text[:4] in ("Star", "Veri"):
            named = _NAMES_REQUEST.match(text)
            if named is not None:
                request_id = self._current[key] = named.group(1)
        return ExecutionLine(request_id, text, timestamp_ms, raw)


def _split_prefix(text: str) -> tuple[str, str] | None:
    """`(id) message` -> (id, message); None when the line has no id in front."""
    if text[:1] != "(":
        return None
    close = text.find(") ", 1, _MAX_PREFIX)
    if close <= 1:
        # `(id)` alone: a message that is empty.
        if text.endswith(")") and _REQUEST_ID.fullmatch(text[1:-1]):
            return text[1:-1], ""
        return None
    request_id = text[1:close]
    return (request_id, text[close + 2 :]) if _REQUEST_ID.fullmatch(request_id) else None


def _iso_ms(text: str) -> int | None:
    try:
        stamp = datetime.fromisoformat(text)
    except ValueError:
        return None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)  # CloudWatch prints UTC
    return round(stamp.timestamp() * 1000)


def _console_ms(match: re.Match[str]) -> int | None:
    month, day, hour, minute, second, year = match.groups()
    try:
        stamp = datetime(int(year), _MONTHS[month], int(day), int(hour), int(minute), int(second), tzinfo=UTC)
    except ValueError:
        return None
    return round(stamp.timestamp() * 1000)


# --- access records --------------------------------------------------------------------------------


def parse_access_record(message: str) -> AccessRecord | None:
    """A JSON or Common Log Format access record; None for text that is neither."""
    text = message.strip()
    if text[:1] == "{":
        return _json_record(text, message)
    match = _CLF.fullmatch(text)
    return _clf_record(match, message) if match is not None else None


def _json_record(text: str, raw: str) -> AccessRecord | None:
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        return None
    if not isinstance(document, dict):
        return None
    if "$context." not in text and set(map(type, document.values())) == {str}:
        fields: dict[str, str] = document  # the usual record: flat, every value a string
    else:
        fields = _flattened(document)
    if not _ALIAS_KEYS.isdisjoint(fields):
        for key in _ALIAS_KEYS.intersection(fields):
            fields.setdefault(_ALIASES[key], fields[key])
    if not any(name in fields for name in _ID_FIELDS):
        # AWS requires requestId or extendedRequestId in every format; JSON without either is
        # some other log (a Lambda's own JSON lines in a mixed export).
        return None
    return _record(fields, raw)


def _flattened(document: Mapping[str, Any], prefix: str = "", depth: int = 0) -> dict[str, str]:
    """`{"error": {"message": x}}` -> `{"error.message": x}`; values as text (null as `-`)."""
    fields: dict[str, str] = {}
    for key, value in document.items():
        name = prefix + key if prefix else key
        if name[:1] == "$":
            name = name.removeprefix("$context.")
        if type(value) is str:
            fields[name] = value  # the usual case: every value a string
        elif isinstance(value, dict) and depth < _MAX_DEPTH:
            fields.update(_flattened(value, name + ".", depth + 1))
        else:
            fields[name] = _text(value)
    return fields


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def _clf_record(match: re.Match[str], raw: str) -> AccessRecord:
    fields = {name: match.group(group) for group, name in _CLF_FIELDS if match.group(group) is not None}
    return _record(fields, raw)


def _record(fields: dict[str, str], raw: str) -> AccessRecord:
    return AccessRecord(
        request_id=_usable_id(fields.get("requestId")),
        fields=MappingProxyType(fields),
        raw=raw,
        extended_request_id=_usable_id(fields.get("extendedRequestId")),
    )


def _usable_id(value: str | None) -> str | None:
    if value is None or value in ("", "-") or INVALID_REQUEST_ID in value:
        return None
    return value


# --- exported files ---------------------------------------------------------------------------------


def parse_text(text: str, source: str) -> tuple[list[ExecutionLine], list[AccessRecord]]:
    """Execution lines and access records from an exported file (for `gatecrash diagnose --from-file`).

    `source` names the file; it stands for the log group and the stream of lines that name neither.
    """
    events = _exported_events(text, source)
    if events is not None:
        return _split_events(events)
    return _PlainReader(source).read(text)


def _exported_events(text: str, source: str) -> list[LogEvent] | None:
    """The events of CLI JSON output (one document or several in a row); None for other text."""
    if text.lstrip()[:1] not in ("{", "["):
        return None
    events: list[LogEvent] = []
    for document in _json_documents(text):
        found = _document_events(document, source)
        if found is None:
            return None
        events.extend(found)
    return events


def _json_documents(text: str) -> Iterator[Any]:
    """Each JSON document of `text` in turn; a document that does not parse ends with None."""
    decoder = json.JSONDecoder()
    position = 0
    length = len(text)
    while True:
        while position < length and text[position].isspace():
            position += 1
        if position >= length:
            return
        try:
            document, position = decoder.raw_decode(text, position)
        except (ValueError, RecursionError):
            yield None
            return
        yield document


def _document_events(document: Any, source: str) -> list[LogEvent] | None:
    """`filter-log-events`/`get-log-events` (`events`), `get-query-results` (`results`), a bare list
    of events, or one event (`jq -c '.events[]'` prints one per line)."""
    if isinstance(document, dict) and isinstance(document.get("events"), list):
        items: list[Any] = document["events"]
    elif isinstance(document, dict) and isinstance(document.get("results"), list):
        items = [_insights_row(row) for row in document["results"]]
    elif isinstance(document, list) and document:
        items = document
    elif _is_event(document):
        items = [document]
    else:
        return None
    events = [_event(item, source) for item in items]
    return None if any(event is None for event in events) else [event for event in events if event is not None]


def _is_event(document: Any) -> bool:
    # An access record may well have a "message" key of its own; it always has a request id.
    return (
        isinstance(document, dict)
        and "message" in document
        and ("timestamp" in document or "logStreamName" in document)
        and not any(name in document for name in _ID_FIELDS)
    )


def _insights_row(row: Any) -> Any:
    """A Logs Insights row (`[{"field": "@message", "value": ...}, ...]`) as an event-like mapping."""
    if not isinstance(row, list):
        return None
    values = {cell.get("field"): cell.get("value") for cell in row if isinstance(cell, dict)}
    return {
        "message": values.get("@message"),
        "logStreamName": values.get("@logStream"),
        "timestamp": _insights_ms(values.get("@timestamp")),
    }


def _insights_ms(value: Any) -> int | None:
    # Logs Insights prints `2023-10-27 13:40:57.123` in UTC.
    return _iso_ms(value.replace(" ", "T", 1)) if isinstance(value, str) else None


def _event(item: Any, source: str) -> LogEvent | None:
    if not isinstance(item, dict) or not isinstance(item.get("message"), str):
        return None
    stamp = item.get("timestamp")
    timestamp_ms = stamp if isinstance(stamp, int) and not isinstance(stamp, bool) else 0
    stream = item.get("logStreamName")
    return LogEvent(source, stream if isinstance(stream, str) else source, timestamp_ms, item["message"])


def _split_events(events: list[LogEvent]) -> tuple[list[ExecutionLine], list[AccessRecord]]:
    """Exported events of both log groups, told apart by what each message holds."""
    records: list[AccessRecord] = []
    execution: list[LogEvent] = []
    for event in events:
        record = _access_record_or_none(event.message)
        if record is not None:
            records.append(record)
        else:
            execution.append(event)
    return parse_execution_events(execution), records


def _access_record_or_none(message: str) -> AccessRecord | None:
    # Execution lines start with `(`, a timestamp or a word; records with `{` or an address.
    first = message.lstrip()[:1]
    if first == "(" or (first.isalpha() and first.isupper()):
        return None
    return parse_access_record(message)


class _PlainReader:
    """Lines as `aws logs tail` prints them, or as pasted: records and execution lines mixed."""

    def __init__(self, source: str) -> None:
        self._source = source
        self._reader = _ExecutionReader()
        self.lines: list[ExecutionLine] = []
        self.records: list[AccessRecord] = []

    def read(self, text: str) -> tuple[list[ExecutionLine], list[AccessRecord]]:
        rows = text.splitlines()
        index = 0
        previous: str | None = None  # the stream of the row above
        while index < len(rows):
            raw = rows[index]
            timestamp_ms, stream, message = _tail_prefix(raw)
            index += 1
            if stream is not None and not message and index < len(rows) and rows[index].lstrip()[:1] == "{":
                message = rows[index]  # `aws logs tail --format json`: the record starts on the next row
                raw = message
                index += 1
            if message.lstrip()[:1] == "{":
                gathered = _gather_record(message, rows, index)
                if gathered is not None:
                    self.records.append(gathered[0])
                    index = gathered[1]
                    continue
            record = _access_record_or_none(message)
            if record is not None:
                self.records.append(record)
                continue
            # A bare row continues the row above it: tail prints the later lines of a multi-line
            # event without timestamp and stream, and they belong to that stream's last request.
            if timestamp_ms is None:
                stream = previous
            previous = stream
            line = self._reader.read(message, (self._source, stream or self._source), timestamp_ms, raw)
            if line is not None:
                self.lines.append(line)
        return self.lines, self.records


def _tail_prefix(row: str) -> tuple[int | None, str | None, str]:
    """`<ISO timestamp> [<stream>] <message>` -> (ms, stream, message); rows without one unchanged."""
    iso = _ISO_PREFIX.match(row) if row[:1].isdigit() else None
    if iso is None:
        return None, None, row
    timestamp_ms = _iso_ms(iso.group(1))
    if timestamp_ms is None:
        return None, None, row
    rest = row[iso.end() :]
    token, _, after = rest.partition(" ")
    if _HEX_STREAM.fullmatch(token) or (after[:1] in ("(", "{") and token[:1] not in ("(", "{")):
        return timestamp_ms, token, after
    if not after and token and any(character.isdigit() for character in token):
        return timestamp_ms, token, ""  # a stream name alone: the message follows on the next rows
    return timestamp_ms, None, rest


def _gather_record(first: str, rows: list[str], index: int) -> tuple[AccessRecord, int] | None:
    """A record on one row, or pretty-printed over several; with the index of the row after it."""
    record = parse_access_record(first)
    if record is not None:
        return record, index
    if first.strip() != "{":
        return None
    collected = [first]
    for end in range(index, min(len(rows), index + _MAX_JSON_LINES)):
        collected.append(rows[end])
        if rows[end].rstrip() == "}":
            record = parse_access_record("\n".join(collected))
            if record is not None:
                return record, end + 1
    return None


# --- grouping ------------------------------------------------------------------------------------------


def group_by_request(lines: Iterable[ExecutionLine], records: Iterable[AccessRecord]) -> dict[str, RequestLogs]:
    """Each request id's lines (in the order given) and access record.

    A record whose requestId AWS replaced (UUID_REPLACED_INVALID_REQUEST_ID) joins through its
    extendedRequestId and the request's `Extended Request Id: <id>` line; with no such line it is
    keyed by the extended id, which the runner also has (the `x-amz-apigw-id` header).
    """
    by_id: dict[str, list[ExecutionLine]] = {}
    extended: dict[str, str] = {}
    for line in lines:
        request_id = line.request_id
        if request_id is None:
            continue
        bucket = by_id.get(request_id)
        if bucket is None:
            bucket = by_id[request_id] = []
        bucket.append(line)
        if line.message[:21] == "Extended Request Id: ":
            extended[line.message[21:].strip()] = request_id
    access: dict[str, AccessRecord] = {}
    for record in records:
        key = record.request_id or _extended_key(record, extended)
        if key is not None and key not in access:  # the first record wins over a re-fetched copy
            access[key] = record
    groups = {
        request_id: RequestLogs(request_id, tuple(bucket), access.get(request_id))
        for request_id, bucket in by_id.items()
    }
    for key, record in access.items():
        if key not in groups:
            groups[key] = RequestLogs(key, (), record)
    return groups


def _extended_key(record: AccessRecord, extended: Mapping[str, str]) -> str | None:
    if record.extended_request_id is None:
        return None
    return extended.get(record.extended_request_id, record.extended_request_id)
