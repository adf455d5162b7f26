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

import csv
import io
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

from gatecrash.correlate.model import AccessRecord, ExecutionLine, LogEvent, RequestLogs

__all__ = [
    "INVALID_REQUEST_ID",
    "UNNAMED_REQUEST",
    "group_by_request",
    "group_pasted",
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
# Logs Insights and the CloudWatch console print a space instead of the `T` (`2024-06-04 18:49:51.785`).
_ISO_PREFIX = re.compile(r"(\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:Z|[+-]\d\d:?\d\d)?)[ \t]+")
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
# `awslogs get` (jorgebastida/awslogs) prints `<group> <stream> <timestamp> <message>`; an execution
# log group is named `API-Gateway-Execution-Logs_<api-id>/<stage>` (aws/chalice#971, 2018, with the
# stream and the request ids masked by asterisks).
_AWSLOGS_PREFIX = re.compile(r"API-Gateway-Execution-Logs_\S+ (\S+) (?=\d{4}-\d\d-\d\d[T ]\d)")
# A request id the paster masked: `(************************************) message`.
_MASKED_PREFIX = re.compile(r"\(\*{4,}\) ")

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
_ID_FIELDS_SET = frozenset(_ID_FIELDS)
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
        masked = _MASKED_PREFIX.match(text) if text[:2] == "(*" else None
        if masked is not None:
            text = text[masked.end() :]  # its id is unknown: the line goes with its stream's current request
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


def _json_record(text: str, raw: str, require_id: bool = True) -> AccessRecord | None:
    """`require_id`: AWS requires requestId or extendedRequestId in every format, so JSON without
    either is some other log (a Lambda's own JSON lines in a mixed export); a pasted record whose
    id was left out still counts when it holds what an access record holds (`_looks_like_record`)."""
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
    if "status" not in fields or "error.responseType" not in fields:
        _add_context_names(fields)  # a format of the user's own: snake_case, other spellings, values
    if not any(name in fields for name in _ID_FIELDS) and (require_id or not _looks_like_record(fields)):
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
    table = _csv_table(text, source)
    if table is not None:
        return table
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
    of events, one event (`jq -c '.events[]'` prints one per line), or `test-invoke-method`'s `log`."""
    if isinstance(document, dict) and isinstance(document.get("events"), list):
        items: list[Any] = document["events"]
    elif isinstance(document, dict) and isinstance(document.get("results"), list):
        items = [_insights_row(row) for row in document["results"]]
    elif isinstance(document, list) and document:
        items = document
    elif _is_event(document):
        items = [document]
    elif isinstance(document, dict) and isinstance(document.get("log"), str) and "status" in document:
        # `aws apigateway test-invoke-method` (TestInvokeMethod's `log`: the console Test tab's
        # lines in one string; Alex Edwards' 2018 Go tutorial prints it so).
        return [LogEvent(source, source, 0, document["log"])]
    else:
        return None
    events = [_event(item, source) for item in items]
    return None if any(event is None for event in events) else [event for event in events if event is not None]


def _csv_table(text: str, source: str) -> tuple[list[ExecutionLine], list[AccessRecord]] | None:
    """A CSV export: Logs Insights' (`@timestamp,@message` ...), whose messages are read as lines
    and records, or an access log's own columns (a header naming `$context` values), one record a row."""
    head, _, _ = text.lstrip().partition("\n")
    if "," not in head or head.lstrip()[:1] in ("{", "[", "("):
        return None
    try:
        rows = list(csv.reader(io.StringIO(text.strip())))
    except csv.Error:
        return None
    header = [cell.strip().removeprefix("@") for cell in rows[0]]
    if "message" in header and len(header) <= 4:
        # Logs Insights' export (`@timestamp,@message`) and the CloudWatch console's download
        # (`timestamp,message` with epoch milliseconds: brefphp/bref#534, 2020).
        at = header.index("message")
        stamp = header.index("timestamp") if "timestamp" in header else None
        stream = header.index("logStream") if "logStream" in header else None
        events = [
            LogEvent(
                source,
                row[stream] if stream is not None and stream < len(row) else source,
                _csv_ms(row[stamp]) if stamp is not None and stamp < len(row) else 0,
                row[at],
            )
            for row in rows[1:]
            if at < len(row)
        ]
        lines, records = _split_events(events)
        for event in events:
            if not event.message.lstrip()[:1] == "(":
                record = _pasted_record(event.message)
                if record is not None:
                    records.append(record)
        return lines, records
    names: dict[str, str] = {name: name for name in header}
    _add_context_names(names)
    if len(_RECORD_FIELDS.intersection(names)) + len(_ID_FIELDS_SET.intersection(names)) < 2:
        return None
    records = []
    for row in rows[1:]:
        fields = {header[index]: cell for index, cell in enumerate(row) if index < len(header)}
        _add_context_names(fields)
        records.append(_record(fields, ",".join(row)))
    return [], records


def _csv_ms(text: str) -> int:
    text = text.strip()
    return int(text) if text.isdigit() else (_insights_ms(text) or 0)


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
    if isinstance(item, dict) and "message" not in item and isinstance(item.get("@message"), str):
        # Logs Insights "Export results" as JSON: one object per row, keyed by the query's fields.
        item = {
            "message": item["@message"],
            "logStreamName": item.get("@logStream"),
            "timestamp": _insights_ms(item.get("@timestamp")),
        }
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
        rows = [part for row in text.splitlines() for part in _run_together(row)]
        index = 0
        previous: str | None = None  # the stream of the row above
        joinable = -1  # the row index after the row that gave the last line (a broken line continues it)
        while index < len(rows):
            raw = rows[index]
            index += 1
            unwrapped = _unwrapped(raw)
            if unwrapped is None:
                continue  # a table's header or rule, a blank row
            clock_ms, row = unwrapped
            timestamp_ms, stream, message = _tail_prefix(row)
            timestamp_ms = timestamp_ms if timestamp_ms is not None else clock_ms
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
            record = _access_record_or_none(message) or _pasted_record(message)
            if record is not None:
                self.records.append(record)
                continue
            message = _ELLIPSIS.sub("", message, count=1)
            # A bare row continues the row above it: tail prints the later lines of a multi-line
            # event without timestamp and stream, and they belong to that stream's last request.
            if timestamp_ms is None:
                stream = previous
                if joinable == index - 1 and _continues(self.lines[-1].message, message):
                    last = self.lines[-1]
                    self.lines[-1] = replace(last, message=f"{last.message} {message}", raw=f"{last.raw} {message}")
                    joinable = index
                    continue
            previous = stream
            line = self._reader.read(message, (self._source, stream or self._source), timestamp_ms, raw)
            if line is not None:
                self.lines.append(line)
                joinable = index
        return self.lines, self.records


# --- pasted text: what tools and people put around a line -------------------------------------------

# Shapes met in the corpus of pasted logs (tests/diagnose_corpus): a framework tailer's own id and
# time (`[2b4492] [2016-10-11 15:26:57] message`, Zappa 2016), a clock time alone (`18:25:50
# message`), an ellipsis standing for the cut start of a line (`... Execution failed ...`).
_TAILER_PREFIX = re.compile(r"\[[0-9A-Za-z]{2,16}\] \[(\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d)(?:[.,]\d{1,6})?\] ")
_CLOCK_PREFIX = re.compile(r"\d\d:\d\d:\d\d(?:\.\d{1,6})?[ \t]+(?=\S)")
_ELLIPSIS = re.compile(r"^(?:\.\.\.|\u2026)[ \t]*(?=[A-Z(])")
# A Markdown blockquote's markers before a quoted line (aizatto/gitbook-public, notes/aws/api-gateway.md:
# `> Lambda execution failed with status 200 due to customer function error: ...`).
_QUOTE_MARKER = re.compile(r"(?:>[ \t]?)+")
# Console test-invoke lines run together on one row, as a page that lost their line breaks prints
# them (AWS Knowledge Center, api-gateway-500-error-vpc: `... executing your request Thu May 04
# 17:48:21 UTC 2024 : Method completed with status: 500`).
_RUN_TOGETHER = re.compile(
    r" (?=(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ \d]\d "
    r"\d\d:\d\d:\d\d UTC \d{4} : )"
)
_TIMESTAMP_CELL = re.compile(
    r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:Z|[+-]\d\d:?\d\d)?|\d\d:\d\d:\d\d(?:\.\d+)?|\d{13}"
)
_RULE_CELL = re.compile(r":?-{3,}:?")


# A page that breaks one long line over several rows (AWS Knowledge Center api-gateway-429-limit and
# api-gateway-logs print the usage-plan lines so: `(id) API Key` / `*****` / `F0yrv6 exceeded throttle
# limit for API` / `Stage ...`): a bare row that starts a word, not a message of its own, after a row
# whose gateway message stops on a word or a mask, is the rest of that line.
_BROKEN_TAIL = re.compile(r"[A-Za-z0-9*]$")
_BROKEN_HEAD = re.compile(r"[A-Za-z0-9*<]")


def _continues(message: str, row: str) -> bool:
    return (
        _BROKEN_HEAD.match(row) is not None
        and _BROKEN_TAIL.search(message) is not None
        and f"{message} ".startswith(_GATEWAY_MESSAGES)  # `API Key` alone starts one
        and not row.startswith(_GATEWAY_MESSAGES)
        and _CONSOLE_PREFIX.match(row) is None
        and _CONSOLE_HEADER.match(row) is None
    )


def _run_together(row: str) -> list[str]:
    """A row of console lines that lost their line breaks, as its lines; any other row alone."""
    start = row.lstrip()
    if _CONSOLE_PREFIX.match(start) is None or " UTC " not in start[30:]:
        return [row]
    return _RUN_TOGETHER.split(row)


def _unwrapped(row: str) -> tuple[int | None, str] | None:
    """A pasted row without what a table, tailer or clock put around its message; None to skip it.

    Markdown tables (Logs Insights results pasted into an issue) give their message cell, their
    header and rule rows nothing; rows copied from the CloudWatch console lose their timestamp
    column (tab-separated); a framework tailer's `[id] [time] ` and a bare clock time go, and so do a
    blockquote's `> ` markers.
    """
    text = row.rstrip("\r")
    if text[:1] == ">":
        text = _QUOTE_MARKER.sub("", text, count=1)
    stripped = text.strip()
    if not stripped:
        return None
    if stripped[:1] == "|" and stripped[-1:] == "|" and len(stripped) > 1:
        cells = [cell.strip() for cell in stripped[1:-1].split(" | ")]
        if all(_RULE_CELL.fullmatch(cell.replace(" ", "")) or not cell for cell in cells):
            return None
        if any(cell.startswith("@") for cell in cells):
            return None  # the header: @timestamp | @message | @log
        timestamp_ms = None
        while len(cells) > 1 and _TIMESTAMP_CELL.fullmatch(cells[0]):
            timestamp_ms = timestamp_ms or _iso_ms(cells[0].replace(" ", "T", 1))
            cells = cells[1:]
        if len(cells) > 1 and cells[0][:1] not in ("(", "{") and not cells[0].startswith(_GATEWAY_MESSAGES):
            # No message column: a query's own fields (azul#7824, 2026: `sourceIp | method | ... |
            # error_responseType | status`), read like a console row's cells by what each holds.
            return timestamp_ms, "\t".join(cells)
        return timestamp_ms, cells[0]
    if "\t" in text:
        cells = [cell for cell in text.split("\t") if cell.strip()]
        timestamp_ms = None
        while len(cells) > 1 and _TIMESTAMP_CELL.fullmatch(cells[0].strip()):
            timestamp_ms = timestamp_ms or _iso_ms(cells[0].strip().replace(" ", "T", 1))
            cells = cells[1:]
        if len(cells) == 1:
            return timestamp_ms, cells[0]
        return timestamp_ms, "\t".join(cells)
    tailer = _TAILER_PREFIX.match(text) if text[:1] == "[" else None
    if tailer is not None:
        return _iso_ms(tailer.group(1).replace(" ", "T")), text[tailer.end() :]
    clock = _CLOCK_PREFIX.match(text) if text[2:3] == ":" else None
    if clock is not None:
        return None, text[clock.end() :]
    return None, text


# Gateway response types (AWS docs, "Gateway response types for API Gateway"): a field or cell that
# holds one is `$context.error.responseType`, whatever the format calls it.
_RESPONSE_TYPES = frozenset(
    "ACCESS_DENIED API_CONFIGURATION_ERROR AUTHORIZER_CONFIGURATION_ERROR AUTHORIZER_FAILURE "
    "BAD_REQUEST_PARAMETERS BAD_REQUEST_BODY DEFAULT_4XX DEFAULT_5XX EXPIRED_TOKEN INTEGRATION_FAILURE "
    "INTEGRATION_TIMEOUT INVALID_API_KEY INVALID_SIGNATURE MISSING_AUTHENTICATION_TOKEN QUOTA_EXCEEDED "
    "REQUEST_TOO_LARGE RESOURCE_NOT_FOUND THROTTLED UNAUTHORIZED UNSUPPORTED_MEDIA_TYPE WAF_FILTERED".split()
)
# `$context.integration.error` values (AWS docs, "$context variables ... access logging"; azul#6624).
_INTEGRATION_ERRORS = ("Lambda Customer Function Error:", "Execution failed due to ")
_HTTP_METHODS = frozenset("GET POST PUT PATCH DELETE HEAD OPTIONS ANY".split())
_IPV4 = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_STATUS = re.compile(r"[1-5]\d\d")
# Spellings people give `$context` variables in their formats, lower-cased and without separators.
_LOOSE_NAMES: Mapping[str, str] = {
    "errortype": "error.responseType",
    "errorresponsetype": "error.responseType",
    "responsetype": "error.responseType",
    "gatewayresponsetype": "error.responseType",
    "gatewayresponse": "error.responseType",
    "errormessage": "error.message",
    "errormsg": "error.message",
    "error": "error.message",
    "statuscode": "status",
    "httpstatus": "status",
    "responsestatus": "status",
    "integrationerror": "integration.error",
    "integrationerrormessage": "integration.error",
    "integrationstatus": "integration.status",
    "authorizererror": "authorizer.error",
    "authorizerstatus": "authorizer.status",
    "requestid": "requestId",
    "extendedrequestid": "extendedRequestId",
    "apigwrequestid": "extendedRequestId",
    "method": "httpMethod",
    "httpmethod": "httpMethod",
    "path": "path",
    "resource": "resourcePath",
    "resourcepath": "resourcePath",
    "sourceip": "identity.sourceIp",
    "validationerror": "error.validationErrorString",
}
# What an access record holds, for text that could be one: a record pasted without its id counts
# when it names a status or a gateway response and one more `$context` value.
_RECORD_FIELDS = frozenset(
    {
        "status",
        "error.responseType",
        "error.message",
        "integration.error",
        "authorizer.error",
        "httpMethod",
        "resourcePath",
        "path",
        "requestTime",
        "identity.sourceIp",
        "responseLength",
        "integration.status",
        "integrationStatus",
        "protocol",
        "responseLatency",
        "integration.latency",
    }
)


def _add_context_names(fields: dict[str, str]) -> None:
    """Add the `$context` name of each field a format spelt its own way (`error_responseType`,
    `errorType`, `authorizer_error`...), then of values that say what they are."""
    for key, value in list(fields.items()):
        name = key.removeprefix("$context.").removeprefix("context.")
        if "_" in name:
            name = name.replace("_", ".")
        if name in _ALIASES:
            name = _ALIASES[name]
        if name not in _RECORD_FIELDS and name not in _ID_FIELDS:
            name = _LOOSE_NAMES.get(re.sub(r"[^a-z]", "", key.lower()), name)
        if name != key:
            fields.setdefault(name, value)
    for value in list(fields.values()):
        if value in _RESPONSE_TYPES:
            fields.setdefault("error.responseType", value)
        elif value.startswith(_INTEGRATION_ERRORS):
            fields.setdefault("integration.error", value)


def _looks_like_record(fields: Mapping[str, str]) -> bool:
    known = _RECORD_FIELDS.intersection(fields)
    return len(known) >= 2 and bool(known & {"status", "error.responseType", "integration.error"})


_KEY_VALUE = re.compile(r'([A-Za-z$@][\w.$@-]*)=("(?:[^"\\]|\\.)*"|\S*)(?:[ \t,;]+|$)')


def _pasted_record(message: str) -> AccessRecord | None:
    """An access record in a format of the user's own: `key=value` pairs, or a row of cells
    (tab-separated, as copied from a console) read by what each cell holds."""
    text = message.strip()
    if "=" in text and text[:1].isalpha():
        pairs = list(_KEY_VALUE.finditer(text))
        if len(pairs) >= 3 and sum(len(pair.group(0)) for pair in pairs) >= len(text) - 1:
            fields = {pair.group(1): pair.group(2).strip('"') for pair in pairs}
            _add_context_names(fields)
            if any(name in fields for name in _ID_FIELDS) or _looks_like_record(fields):
                return _record(fields, message)
        return None
    if "\t" not in text:
        return None
    fields = {}
    for cell in (cell.strip() for cell in text.split("\t")):
        if cell in _RESPONSE_TYPES:
            fields.setdefault("error.responseType", cell)
        elif cell.startswith(_INTEGRATION_ERRORS):
            fields.setdefault("integration.error", cell)
        elif _STATUS.fullmatch(cell):
            fields.setdefault("status", cell)
        elif cell in _HTTP_METHODS:
            fields.setdefault("httpMethod", cell)
        elif cell.startswith("/"):
            fields.setdefault("resourcePath", cell)
        elif _IPV4.fullmatch(cell):
            fields.setdefault("identity.sourceIp", cell)
        elif _UUID.fullmatch(cell):
            fields.setdefault("requestId", cell)
    if "error.responseType" in fields or "integration.error" in fields or "status" in fields:
        return _record(fields, message)
    return None


def _tail_prefix(row: str) -> tuple[int | None, str | None, str]:
    """`<ISO timestamp> [<stream>] <message>` -> (ms, stream, message); rows without one unchanged."""
    awslogs = _AWSLOGS_PREFIX.match(row) if row[:4] == "API-" else None
    if awslogs is not None:
        iso = _ISO_PREFIX.match(row, awslogs.end())
        timestamp_ms = _iso_ms(iso.group(1)) if iso is not None else None
        if iso is not None and timestamp_ms is not None:
            return timestamp_ms, awslogs.group(1), row[iso.end() :]
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
    record = parse_access_record(first) or _json_record(first.strip(), first, require_id=False)
    if record is not None:
        return record, index
    if first.strip() != "{":
        return None
    collected = [first]
    for end in range(index, min(len(rows), index + _MAX_JSON_LINES)):
        collected.append(rows[end])
        if rows[end].rstrip() == "}":
            text = "\n".join(collected)
            record = parse_access_record(text) or _json_record(text.strip(), text, require_id=False)
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


# How the messages API Gateway writes begin (apigw-reference.md "Execution logs", and the corpus of
# pasted logs): text with none of them and no request id is not an execution log.
_GATEWAY_MESSAGES = (
    "Method completed with status",
    "Execution failed due to",
    "Lambda execution failed",
    "Lambda invocation failed",
    "Starting execution for request",
    "Verifying Usage Plan",
    "API Key ",
    "Usage Plan check",
    "Extended Request Id",
    "HTTP Method: ",
    "Method request ",
    "Endpoint request ",
    "Endpoint response ",
    "Sending request to ",
    "Received response.",
    "Method response ",
    "Successfully completed ",
    "Starting authorizer",
    "Incoming identity",
    "Authorizer result body",
    "Unauthorized request",
    "Using valid authorizer policy",
    "AuthorizerConfigurationException",
    "Request body does not match model schema",
    "Request validation",
    "Key throttle limit exceeded",
    "AWS Integration Endpoint RequestId",
    "X-ray Tracing ID",
    "The client is not authorized",
    "User is not authorized",
    "Invalid request body",
    "Missing required request parameters",
)

# The key of the one request an excerpt without request ids stands for.
UNNAMED_REQUEST = "(no request id)"


def group_pasted(lines: Iterable[ExecutionLine], records: Iterable[AccessRecord]) -> dict[str, RequestLogs]:
    """`group_by_request` for pasted text, where ids are often left out or cut.

    An excerpt that names no request is one request (`UNNAMED_REQUEST`); one that names a single
    request takes its unnamed lines and records into it (a paste that starts before the line naming
    the id, or a record pasted without its id next to that request's lines). With several ids,
    lines that name none are left out, as in `group_by_request`.
    """
    lines = list(lines)
    records = list(records)
    named = {line.request_id for line in lines if line.request_id is not None}
    named.update(record.request_id for record in records if record.request_id is not None)
    if len(named) > 1 or (named and all(line.request_id for line in lines) and all(r.request_id for r in records)):
        return group_by_request(lines, records)
    if any(record.extended_request_id for record in records if record.request_id is None) and named:
        return group_by_request(lines, records)
    if not named and not records and not any(line.message.startswith(_GATEWAY_MESSAGES) for line in lines):
        return {}  # nothing in the text is an API Gateway line
    key = next(iter(named)) if named else UNNAMED_REQUEST
    lines = [line if line.request_id is not None else replace(line, request_id=key) for line in lines]
    records = [record if record.request_id is not None else replace(record, request_id=key) for record in records]
    return group_by_request(lines, records)


def _extended_key(record: AccessRecord, extended: Mapping[str, str]) -> str | None:
    if record.extended_request_id is None:
        return None
    return extended.get(record.extended_request_id, record.extended_request_id)
