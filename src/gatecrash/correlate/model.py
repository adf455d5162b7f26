"""Log events and what they say, as frozen values. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class LogEvent:
    """One CloudWatch Logs event, as fetched (or one line of an exported file)."""

    group: str
    stream: str
    timestamp_ms: int
    message: str


@dataclass(frozen=True, slots=True)
class ExecutionLine:
    """One execution-log message with the request it belongs to (None when the line names none)."""

    request_id: str | None
    message: str  # the text after `(request-id) ` or the timestamp prefix
    timestamp_ms: int | None
    raw: str  # the line as it was written, for evidence


@dataclass(frozen=True, slots=True)
class AccessRecord:
    """One access-log record: `$context` field name -> value (`-` kept as written)."""

    request_id: str | None
    fields: Mapping[str, str]
    raw: str
    # `$context.extendedRequestId` (the `x-amz-apigw-id` header): joins a record whose requestId
    # AWS replaced with UUID_REPLACED_INVALID_REQUEST_ID (AWS docs, "Access logging for REST APIs").
    extended_request_id: str | None = None


@dataclass(frozen=True, slots=True)
class RequestLogs:
    """Everything the gateway logged for one request id."""

    request_id: str
    execution: tuple[ExecutionLine, ...] = ()
    access: AccessRecord | None = None

    @property
    def final_status(self) -> int | None:
        """The status the gateway answered: `Method completed with status: N` decides, else the access log.

        "Successfully completed execution" can precede a mapped 4xx, so only the final line counts
        (apigw-reference.md, "Failure lines").
        """
        for line in reversed(self.execution):
            if line.message.startswith("Method completed with status: "):
                text = line.message.removeprefix("Method completed with status: ").strip()
                if text.isdigit():
                    return int(text)
        if self.access is not None and self.access.fields.get("status", "-").isdigit():
            return int(self.access.fields["status"])
        return None


@dataclass(frozen=True, slots=True)
class DecisiveEvidence:
    """One thing in the logs that decided a cause: an access-log field the mode's catalogue entry names,
    with its value, or an execution-log message one of the entry's patterns found."""

    value: str  # the field's value, or the message (the text after the request id)
    field: str | None = None  # the access-log field (`$context` name); None for an execution-log line
    matched: str | None = None  # what the entry's pattern matched in the message (often its start)

    @property
    def in_access_log(self) -> bool:
        return self.field is not None


@dataclass(frozen=True, slots=True)
class Classification:
    """The cause the logs show for one request, and the lines that show it."""

    request_id: str
    cause: str | None  # a catalogue mode id; None when the logs match no mode
    status: int | None
    evidence: tuple[str, ...] = ()  # the raw lines (access record, execution lines) the cause rests on
    notes: tuple[str, ...] = field(default_factory=tuple)  # e.g. which trap was applied
    # Every mode the logs fit, best first (the cause among them); when the logs cannot tell two or
    # more apart the cause is None and these name the ones they fit equally.
    candidates: tuple[str, ...] = ()
    # What in `evidence` decided the cause (empty when the cause is None).
    decisive: tuple[DecisiveEvidence, ...] = ()
