"""Where two runs of the same probes answered differently. Pure.

Per probe, answer by answer: the status, `x-amzn-ErrorType`, the body, the other response headers and
the cause each side's logs prove (the correlator's classification). What differs on every request by
design is left out: the ids API Gateway and CloudFront stamp on each answer (x-amzn-RequestId,
x-amz-apigw-id, X-Amzn-Trace-Id, X-Amz-Cf-Id), dates, hop-by-hop headers, and Content-Length (the body
is compared itself). In a body, what belongs to one side's request is read as a placeholder: its own
request ids, run id and host (`<request-id>`, `<run-id>`, `<host>`), SigV4 timestamps (`<date>`) and
SHA-256 hex digests (`<sha256>`, which a string-to-sign derives from the host and date). So an echo of
`$context.requestId`, or a signature mismatch quoting the canonical request, reads the same on both
sides. JSON bodies compare by value. A differing body is shown from a little before where it departs.

A burst's answers depend on timing, not order: it compares how many answers of each status and
`x-amzn-ErrorType` each side got. Load phases are not compared (`not_compared` names them).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from gatecrash.run import RunResult
from gatecrash.runner.record import Observation
from gatecrash.runner.verdict import StepResult
from gatecrash.scenario.model import Burst, LoadPhase, Scenario

# Stamped on each answer, or about the connection: never a difference between two gateways.
IGNORED_HEADERS = frozenset(
    {
        "x-amzn-requestid",
        "x-amz-apigw-id",
        "x-amzn-trace-id",
        "x-amz-cf-id",
        "x-amz-cf-pop",
        "x-cache",
        "via",
        "date",
        "connection",
        "keep-alive",
        "content-length",
        "x-amzn-errortype",  # compared on its own
    }
)
REQUEST_ID = "<request-id>"
RUN_ID = "<run-id>"
HOST = "<host>"
_TIMESTAMP = re.compile(r"(?<!\d)\d{8}T\d{6}Z(?![0-9A-Za-z])")  # SigV4's basic ISO 8601 (X-Amz-Date)
_SHA256 = re.compile(r"(?<![0-9a-f])[0-9a-f]{64}(?![0-9a-f])")
NO_EVIDENCE = "no log evidence"
_SHOWN = 120  # characters of a body shown in a difference
_LEAD = 30  # of which before the first character that differs


@dataclass(frozen=True, slots=True)
class Difference:
    aspect: str  # "status", "x-amzn-ErrorType", "body", "header content-type", "cause", "answers"
    a: str
    b: str


@dataclass(frozen=True, slots=True)
class ProbeComparison:
    name: str
    mode: str
    a: str  # each side's answer in a few words: "429 TooManyRequestsException", "2x 200, 3x 429"
    b: str
    differences: tuple[Difference, ...]

    @property
    def agrees(self) -> bool:
        return not self.differences


@dataclass(frozen=True, slots=True)
class Comparison:
    scenario: str
    a: str  # each side as the user named it and as it was opened: "emulator (emulator of api.yaml at ...)"
    b: str
    probes: tuple[ProbeComparison, ...]
    not_compared: tuple[str, ...] = ()  # load phases, by name

    @property
    def agrees(self) -> bool:
        return all(probe.agrees for probe in self.probes)

    @property
    def differing(self) -> tuple[ProbeComparison, ...]:
        return tuple(probe for probe in self.probes if not probe.agrees)


def comparable(scenario: Scenario) -> tuple[Scenario, tuple[str, ...]]:
    """The scenario without its load phases (what both sides run), and the phases' names."""
    phases = tuple(step.name for step in scenario.steps if isinstance(step, LoadPhase))
    steps = tuple(step for step in scenario.steps if not isinstance(step, LoadPhase))
    return replace(scenario, steps=steps), phases


def compare_runs(
    a: RunResult,
    b: RunResult,
    label_a: str,
    label_b: str,
    *,
    causes: bool = True,
    not_compared: tuple[str, ...] = (),
) -> Comparison:
    """`a` and `b` ran the same steps (`comparable`'s); `causes=False` when the logs were not read."""
    probes: list[ProbeComparison] = []
    for result_a, result_b in zip(a.results, b.results, strict=True):
        step = result_a.record.step
        compare = _burst if isinstance(step, Burst) else _probe
        found = compare(result_a, result_b, Volatile.of(a), Volatile.of(b))
        if causes:
            found.extend(_cause(result_a, result_b))
        probes.append(ProbeComparison(step.name, result_a.mode.id, summary(result_a), summary(result_b), tuple(found)))
    return Comparison(
        a.scenario.name,
        f"{label_a} ({a.target.description})",
        f"{label_b} ({b.target.description})",
        tuple(probes),
        not_compared,
    )


def summary(result: StepResult) -> str:
    """A step's answers in a few words."""
    observations = result.record.observations
    if not observations:
        return "nothing sent"
    if isinstance(result.record.step, Burst):
        counts = Counter(_status_text(o) for o in observations)
        return ", ".join(f"{count}x {status}" for status, count in sorted(counts.items()))
    texts = [_status_text(o) for o in observations]
    if len(set(texts)) == 1:
        return texts[0] if len(texts) == 1 else f"{len(texts)}x {texts[0]}"
    return ", ".join(texts)


def _status_text(observation: Observation) -> str:
    if observation.status is None:
        return observation.error or "no answer"
    return f"{observation.status} {observation.error_type or ''}".strip()


def _cause(a: StepResult, b: StepResult) -> list[Difference]:
    cause_a, cause_b = a.observed_cause or NO_EVIDENCE, b.observed_cause or NO_EVIDENCE
    return [] if cause_a == cause_b else [Difference("cause", cause_a, cause_b)]


@dataclass(frozen=True, slots=True)
class Volatile:
    """What belongs to one side's run and reads as a placeholder in its bodies."""

    run_id: str = ""
    host: str = ""

    @classmethod
    def of(cls, run: RunResult) -> Volatile:
        return cls(run.run_id, urlsplit(run.target.base_url).netloc)


def _probe(a: StepResult, b: StepResult, run_a: Volatile, run_b: Volatile) -> list[Difference]:
    found: list[Difference] = []
    pairs = list(zip(a.record.observations, b.record.observations, strict=True))
    for index, (answer_a, answer_b) in enumerate(pairs):
        prefix = f"request {index + 1} of {len(pairs)}: " if len(pairs) > 1 else ""
        for difference in answer_differences(answer_a, answer_b, run_a, run_b):
            found.append(Difference(prefix + difference.aspect, difference.a, difference.b))
    return found


def _burst(a: StepResult, b: StepResult, run_a: Volatile, run_b: Volatile) -> list[Difference]:
    counts_a, counts_b = summary(a), summary(b)
    return [] if counts_a == counts_b else [Difference("answers", counts_a, counts_b)]


def answer_differences(a: Observation, b: Observation, run_a: Volatile, run_b: Volatile) -> list[Difference]:
    """One answer against the other: transport failure, status, error type, body, headers."""
    if a.status is None or b.status is None:
        text_a, text_b = _status_text(a), _status_text(b)
        return [] if text_a == text_b else [Difference("answer", text_a, text_b)]
    found: list[Difference] = []
    if a.status != b.status:
        found.append(Difference("status", str(a.status), str(b.status)))
    if a.error_type != b.error_type:
        found.append(Difference("x-amzn-ErrorType", a.error_type or "(none)", b.error_type or "(none)"))
    body_a, body_b = comparable_body(a, run_a), comparable_body(b, run_b)
    if not _same_body(body_a, body_b):
        start = _departure(body_a, body_b)
        found.append(Difference("body", _excerpt(body_a, start), _excerpt(body_b, start)))
    headers_a, headers_b = comparable_headers(a), comparable_headers(b)
    for name in sorted(set(headers_a) | set(headers_b)):
        value_a, value_b = headers_a.get(name), headers_b.get(name)
        if value_a != value_b:
            found.append(Difference(f"header {name}", _header_text(value_a), _header_text(value_b)))
    return found


def comparable_body(observation: Observation, volatile: Volatile) -> str:
    """The body with what belongs to this answer's request and side as placeholders."""
    body = observation.body_excerpt
    for value, placeholder in (
        (observation.request_id, REQUEST_ID),
        (observation.extended_request_id, REQUEST_ID),
        (volatile.run_id, RUN_ID),
        (volatile.host, HOST),
    ):
        if value:
            body = body.replace(value, placeholder)
    return _SHA256.sub("<sha256>", _TIMESTAMP.sub("<date>", body))


def comparable_headers(observation: Observation) -> dict[str, str]:
    """Every header but those stamped per answer, by lower-case name; repeated ones joined with ", "."""
    pairs = observation.all_headers or observation.headers
    headers: dict[str, list[str]] = {}
    for name, value in pairs:
        lowered = name.lower()
        if lowered not in IGNORED_HEADERS:
            headers.setdefault(lowered, []).append(value)
    return {name: ", ".join(values) for name, values in headers.items()}


def _same_body(a: str, b: str) -> bool:
    """The same text, or the same JSON value (sorted keys; true is not 1)."""
    if a == b:
        return True
    canonical_a, canonical_b = _canonical_json(a), _canonical_json(b)
    return canonical_a is not None and canonical_a == canonical_b


def _canonical_json(text: str) -> str | None:
    try:
        return json.dumps(json.loads(text), sort_keys=True)
    except ValueError:
        return None


def _departure(a: str, b: str) -> int:
    """Where `a` and `b` part: the length of their common beginning."""
    index = 0
    for char_a, char_b in zip(a, b, strict=False):
        if char_a != char_b:
            break
        index += 1
    return index


def _excerpt(text: str, departure: int) -> str:
    """`text` from a little before `departure`, shortened."""
    if not text:
        return "(empty)"
    start = max(0, departure - _LEAD)
    shown = text[start : start + _SHOWN]
    return ("..." if start else "") + shown + ("..." if start + _SHOWN < len(text) else "")


def _header_text(value: str | None) -> str:
    return "(absent)" if value is None else value
