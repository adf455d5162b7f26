"""The cause one request's logs show, as a catalogue mode, with the lines it rests on. Pure.

The evidence is the catalogue's (`FailureMode.evidence`, probes/README.md), read as a best
explanation rather than as a checklist:

- Access record first. A field the record holds that contradicts a mode rules the mode out; a
  field the stage's format does not log neither confirms nor refutes it.
- Execution lines next. Each of a mode's patterns that finds a line adds to its support; a mode
  whose lines AWS always writes (`execution-log-expected`) but none of which is among the request's
  lines ranks below every mode that is not missing its lines.
- The final status (`RequestLogs.final_status`: the last `Method completed with status`, else the
  access record) must be one of the mode's statuses.

Modes are ranked by support (fields matched plus patterns matched), then by the exactness of their
status ("502" before "5xx"), then by how late the latest line they rest on comes: the gateway
writes the line naming a failure where the request stops, after the lines of the steps it passed
("Starting authorizer" before "Unauthorized request"; apigw-reference.md "Execution logs"). The
runner-up is named in the notes. When the logs fit several modes equally, or only the status
supports the best one and another fits as well, the cause is None and `candidates` names the modes
they fit. Code is added only for the traps real logs hold, each cited where it is applied
(apigw-reference.md and the catalogue's `distinguish-from`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from gatecrash.catalogue import Catalogue, FailureMode
from gatecrash.correlate.decisive import decisive_evidence
from gatecrash.correlate.model import Classification, DecisiveEvidence, ExecutionLine, RequestLogs

__all__ = ["Classifier", "classify", "classify_all"]

UNKNOWN_ROUTE = "unknown-route"
UNSIGNED_IAM = "unsigned-iam"
LAMBDA_ERROR = "lambda-error"
LAMBDA_THROTTLED = "lambda-throttled"
MALFORMED_LAMBDA_RESPONSE = "malformed-lambda-response"
OK = "ok"

# azul#7470 (Logs Insights over real access logs, apigw-reference.md "Gateway response types"):
# AWS logs the fallback types for some answers whose specific type the docs name (403
# IncompleteSignature, some 400s), so a fallback in the record does not contradict a mode.
_FALLBACK_TYPES = frozenset({"DEFAULT_4XX", "DEFAULT_5XX"})
# apigw-reference.md, "Every error answer": a non-SigV4 Authorization header on an unknown route
# is answered 403 IncompleteSignatureException "Invalid key=value pair (missing equal-sign) in
# Authorization header ..." (2017 form: "'<token>' not a valid key=value pair ...") instead of
# Missing Authentication Token, logged DEFAULT_4XX; on an AWS_IAM method the same header gets
# "Authorization header requires 'Credential' parameter. ..." (amplify-flutter#1539).
_UNKNOWN_ROUTE_SIGNATURE = ("Invalid key=value pair", "not a valid key=value pair")
_IAM_METHOD_SIGNATURE = "Authorization header requires 'Credential' parameter"
# apigw-reference.md, "Integration timeout": a function stopped at its own timeout is a function
# error whose message ends "Task timed out after N.NN seconds" (text unverified).
_FUNCTION_TIMEOUT = "Task timed out after"
# AWS docs, "Execution logging for REST APIs" and real INFO logs: logged before the final status,
# also when an integration response then maps the answer to a 4xx or 5xx.
_SUCCESS_LINE = "Successfully completed execution"
# KC "api-gateway-logs" ("Example authorized logs", "Example usage plan logs"): a line written for
# every request that reaches a step, and the line that says the step passed. Where the second
# follows, the first names no failure (an authorizer that allows also logs "Starting authorizer").
_STEPS = (
    ("Starting authorizer: ", "Successfully completed authorizer execution"),
    ("Verifying Usage Plan for request: ", "Usage Plan check succeeded for API Key"),
)
_PASSED_STEPS = tuple(passed for _, passed in _STEPS)
_INDEX_WIDTH = 8  # messages are looked up by this many leading characters
_REGEX_META = frozenset(".^$*+?{}[]|()")


# --- the catalogue, compiled once ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Field:
    """One access-log field a mode expects: exact text, or a regex (`/.../` in the catalogue)."""

    name: str
    exact: str | None
    regex: re.Pattern[str] | None

    def matches(self, value: str) -> bool:
        if self.regex is not None:
            return self.regex.search(value) is not None
        return value == self.exact


@dataclass(frozen=True, slots=True)
class _Pattern:
    """One execution-log pattern, with the literal text every line it matches starts with."""

    regex: re.Pattern[str]
    prefix: str


@dataclass(frozen=True, slots=True)
class _Rule:
    mode: FailureMode
    position: int  # catalogue order, for a stable choice between equals
    fields: tuple[_Field, ...]
    patterns: tuple[int, ...]  # indices into the classifier's pattern table
    exact_status: bool  # every status is a number, not a class such as "5xx"


@dataclass(frozen=True, slots=True)
class _Fit:
    """How well one request's logs support one mode."""

    rule: _Rule
    fields: tuple[str, ...]  # access-log fields present and matching
    patterns: tuple[int, ...]  # patterns that found a line
    missing: bool  # AWS always writes one of its lines, the request has lines, none matched
    fallback_type: bool  # the record's fallback DEFAULT_4XX/5XX stood in for the mode's type
    last_line: int = -1  # the index of the latest line a pattern found

    @property
    def support(self) -> int:
        return len(self.fields) + len(self.patterns)

    @property
    def rank(self) -> tuple[bool, int, bool, int]:
        return (not self.missing, self.support, self.rule.exact_status, self.last_line)

    @property
    def status_only(self) -> bool:
        return self.fields == ("status",) and not self.patterns


def _literal_prefix(pattern: str) -> str:
    """The text every match of an anchored pattern starts with ("" when there is no such text)."""
    if not pattern.startswith("^") or _top_level_alternation(pattern):
        return ""
    literal: list[str] = []
    index = 1
    while index < len(pattern):
        character = pattern[index]
        if character == "\\":
            following = pattern[index + 1 : index + 2]
            if not following or following.isalnum():
                break  # a class (\S, \d ...) or an escape with a meaning
            literal.append(following)
            index += 2
            continue
        if character in "?*{":
            if literal:
                literal.pop()  # the character before may occur zero times
            break
        if character in _REGEX_META:
            break
        literal.append(character)
        index += 1
    return "".join(literal)


def _top_level_alternation(pattern: str) -> bool:
    depth = 0
    in_class = False
    index = 0
    while index < len(pattern):
        character = pattern[index]
        if character == "\\":
            index += 2
            continue
        if in_class:
            in_class = character != "]"
        elif character == "[":
            in_class = True
        elif character == "(":
            depth += 1
        elif character == ")":
            depth -= 1
        elif character == "|" and depth == 0:
            return True
        index += 1
    return False


def _field(name: str, expected: str) -> _Field:
    # The catalogue's form (catalogue.value_matches): exact text, or a regex between slashes.
    if len(expected) >= 2 and expected.startswith("/") and expected.endswith("/"):
        return _Field(name, None, re.compile(expected[1:-1]))
    return _Field(name, expected, None)


class Classifier:
    """The catalogue's evidence compiled for fast classification; one per catalogue."""

    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue
        table: dict[str, int] = {}
        patterns: list[_Pattern] = []
        rules: list[_Rule] = []
        for position, mode in enumerate(catalogue):
            indices: list[int] = []
            for source in mode.evidence.execution_log:
                if source not in table:
                    table[source] = len(patterns)
                    patterns.append(_Pattern(re.compile(source), _literal_prefix(source)))
                if table[source] not in indices:
                    indices.append(table[source])
            fields = tuple(_field(name, value) for name, value in mode.evidence.access_log.items())
            exact = all(status.isdigit() for status in mode.statuses)
            rules.append(_Rule(mode, position, fields, tuple(indices), exact))
        self._rules = tuple(rules)
        self._by_id = {rule.mode.id: rule for rule in rules}
        self._by_status: dict[int | None, tuple[_Rule, ...]] = {None: self._rules}
        # Patterns by their first characters, so that most lines are looked at once, not per pattern.
        index: dict[str, list[tuple[int, str, re.Pattern[str]]]] = {}
        always: list[tuple[int, str, re.Pattern[str]]] = []
        for number, pattern in enumerate(patterns):
            entry = (number, pattern.prefix, pattern.regex)
            if len(pattern.prefix) >= _INDEX_WIDTH:
                index.setdefault(pattern.prefix[:_INDEX_WIDTH], []).append(entry)
            else:
                always.append(entry)
        self._index = {key: tuple(entries) for key, entries in index.items()}
        self._always = tuple(always)

    # -- matching --------------------------------------------------------------------------------

    def _rules_for(self, status: int | None) -> tuple[_Rule, ...]:
        rules = self._by_status.get(status)
        if rules is None:
            assert status is not None
            rules = self._by_status[status] = tuple(rule for rule in self._rules if rule.mode.status_matches(status))
        return rules

    def _hits(self, lines: Sequence[ExecutionLine]) -> dict[int, list[int]]:
        """Pattern number -> the indices of the lines it found."""
        hits: dict[int, list[int]] = {}
        lookup = self._index.get
        always = self._always
        for number, line in enumerate(lines):
            message = line.message
            entries = lookup(message[:_INDEX_WIDTH])
            if always:
                entries = (entries or ()) + always
            if entries is None:
                continue  # most lines: no pattern starts with their first characters
            for pattern, prefix, regex in entries:
                if message.startswith(prefix) and regex.search(message) is not None:
                    hits.setdefault(pattern, []).append(number)
        return hits

    def _fit(
        self, rule: _Rule, fields: Mapping[str, str] | None, hits: Mapping[int, list[int]], lines: bool
    ) -> _Fit | None:
        matched: list[str] = []
        fallback = False
        if fields is not None:
            for expected in rule.fields:
                value = fields.get(expected.name)
                if value is None:
                    continue  # the stage's format does not log it: no say either way
                if expected.matches(value):
                    matched.append(expected.name)
                elif expected.name == "error.responseType" and value in _FALLBACK_TYPES:
                    fallback = True
                else:
                    return None
        found = tuple(number for number in rule.patterns if number in hits)
        if rule.mode.evidence.execution_log_required and not found:
            # The catalogue says only one of the mode's lines tells it apart (e.g. lambda-error-mapped:
            # a 4xx/5xx with no gateway response type is any response a mapping chose).
            return None
        evidence = rule.mode.evidence
        missing = evidence.execution_log_expected and bool(rule.patterns) and lines and not found
        last = max((hits[number][-1] for number in found), default=-1)
        fit = _Fit(rule, tuple(matched), found, missing, fallback, last)
        return fit if fit.support else None

    def _fits(self, logs: RequestLogs, status: int | None, hits: Mapping[int, list[int]]) -> list[_Fit]:
        """Every mode the request's logs support, best first."""
        record = logs.access
        fields = record.fields if record is not None else None
        lines = bool(logs.execution)
        found: list[_Fit] = []
        for rule in self._rules_for(status):
            fit = self._fit(rule, fields, hits, lines)
            if fit is not None:
                found.append(fit)
        found.sort(key=lambda fit: (fit.rank, -fit.rule.position), reverse=True)
        return found

    # -- deciding --------------------------------------------------------------------------------

    def classify(self, logs: RequestLogs, method_known: bool | None = None) -> Classification:
        status = logs.final_status
        if logs.access is None and not logs.execution:
            return Classification(logs.request_id, None, status, notes=("no log lines for this request",))
        signature = self._incomplete_signature(logs, status)
        if signature is not None:
            return signature
        logs = _with_integration_error(logs)
        hits = self._hits(logs.execution)
        fits = self._fits(logs, status, hits)
        if status is None and logs.access is None:
            fits = [fit for fit in fits if not _steps_only(logs, fit, hits)]
            if not fits:
                passed = _passed_steps(logs)
                if passed is not None:
                    return passed
        throttled = self._old_lambda_throttle(logs, status, fits, hits)
        if throttled is not None:
            return throttled
        if not fits:
            return Classification(logs.request_id, None, status, _access_raw(logs), _no_fit_notes(logs, status))
        best = fits[0]
        equals = [fit for fit in fits if fit.rank == best.rank]
        candidates = tuple(fit.rule.mode.id for fit in fits)
        if {fit.rule.mode.id for fit in equals} == {UNKNOWN_ROUTE, UNSIGNED_IAM}:
            return self._route_or_iam(logs, status, equals, method_known, candidates, hits)
        if len(equals) > 1 or (best.status_only and len(fits) > 1 and fits[1].support == best.support):
            tied = equals if len(equals) > 1 else fits[:2]
            return _ambiguous(logs, status, tied, candidates)
        notes = self._notes(logs, status, best, fits[1] if len(fits) > 1 else None)
        evidence = _evidence(logs, best, hits)
        return Classification(
            logs.request_id, best.rule.mode.id, status, evidence, notes, candidates, _decisive(logs, best, hits)
        )

    def _notes(self, logs: RequestLogs, status: int | None, best: _Fit, runner_up: _Fit | None) -> tuple[str, ...]:
        notes: list[str] = []
        mode = best.rule.mode
        if best.fallback_type:
            notes.append(
                f"the access log names {logs.access.fields.get('error.responseType') if logs.access else '-'} "
                f"where {mode.id} has {mode.response_type}: AWS logs the fallback type for some answers "
                "(azul#7470); the other fields decide"
            )
        if best.missing:
            notes.append(
                f"none of {mode.id}'s execution-log lines is among this request's lines "
                "(a line cut at 1 KB ends ' [TRUNCATED]'); the access log decides"
            )
        if logs.access is None:
            notes.append("no access-log record: the cause rests on the execution lines")
        if mode.id == LAMBDA_ERROR and any(_FUNCTION_TIMEOUT in line.message for line in logs.execution):
            # lambda-error / integration-timeout distinguish-from; apigw-reference.md "Integration timeout".
            notes.append(
                "the function stopped at its own timeout (Task timed out) before the integration's "
                "timeoutInMillis: a function error, 502, not integration-timeout (504)"
            )
        notes.extend(_status_notes(logs, status, success=not mode.statuses[0].endswith("xx")))
        if runner_up is not None:
            notes.append(
                f"runner-up: {runner_up.rule.mode.id} ({runner_up.support} evidence matched, {best.support} for "
                f"{mode.id}{'; its expected lines are missing' if runner_up.missing else ''})"
            )
        return tuple(notes)

    # -- traps -----------------------------------------------------------------------------------

    def _route_or_iam(
        self,
        logs: RequestLogs,
        status: int | None,
        equals: Sequence[_Fit],
        method_known: bool | None,
        candidates: tuple[str, ...],
        hits: Mapping[int, list[int]],
    ) -> Classification:
        """unknown-route and unsigned-iam log the same 403; only the API's routes tell them apart.

        Both catalogue entries' distinguish-from: MISSING_AUTHENTICATION_TOKEN answers a path or
        method the stage lacks (LS test_routing_not_found, recorded) and an unsigned call to an
        AWS_IAM method (KC "troubleshoot 403 errors") alike.
        """
        by_id = {fit.rule.mode.id: fit for fit in equals}
        if method_known:
            chosen, note = UNSIGNED_IAM, "the route exists, so Missing Authentication Token means an unsigned call"
        elif method_known is False:
            chosen, note = UNKNOWN_ROUTE, "no resource and method of the stage match the request"
        else:
            chosen, note = (
                UNKNOWN_ROUTE,
                "unknown-route or unsigned-iam: the logs cannot tell them apart (same 403, type and message); "
                "whether the route exists decides",
            )
        fit = by_id[chosen]
        notes = (note, *_status_notes(logs, status))
        ordered = (chosen, *(mode for mode in candidates if mode != chosen))
        evidence = _evidence(logs, fit, hits)
        return Classification(logs.request_id, chosen, status, evidence, notes, ordered, _decisive(logs, fit, hits))

    def _old_lambda_throttle(
        self, logs: RequestLogs, status: int | None, fits: Sequence[_Fit], hits: Mapping[int, list[int]]
    ) -> Classification | None:
        """A "Malformed Lambda proxy response" after Lambda's 429 headers is a throttled invoke.

        Real 2018 log (apigw-reference.md, "Lambda proxy integration"; both entries' distinguish-from):
        API Gateway once answered a throttled invoke 502 "Malformed Lambda proxy response", with
        x-amzn-ErrorType=TooManyRequestsException among the "Endpoint response headers". The
        catalogue's lambda-throttled patterns include that headers line; its access-log status (500,
        today's answer) is what the old 502 contradicts, so the access log is not consulted here.
        """
        throttled = self._by_id.get(LAMBDA_THROTTLED)
        if throttled is None or not fits or fits[0].rule.mode.id != MALFORMED_LAMBDA_RESPONSE:
            return None
        found = tuple(number for number in throttled.patterns if number in hits)
        if not found:
            return None
        malformed = fits[0]
        fit = _Fit(throttled, (), found, False, False)
        lines = [number for pattern in malformed.patterns for number in hits.get(pattern, ())]
        notes = (
            "Lambda's own 429 (x-amzn-ErrorType=TooManyRequestsException in the endpoint response headers) "
            "before 'Malformed Lambda proxy response': the older answer to a throttled invoke (502), "
            "so the function never ran",
            *_status_notes(logs, status),
        )
        candidates = (LAMBDA_THROTTLED, *(f.rule.mode.id for f in fits))
        evidence = _evidence(logs, fit, hits, lines)
        decisive = _decisive(logs, fit, hits)
        return Classification(logs.request_id, LAMBDA_THROTTLED, status, evidence, notes, candidates, decisive)

    def _incomplete_signature(self, logs: RequestLogs, status: int | None) -> Classification | None:
        """403 IncompleteSignatureException, which AWS logs as DEFAULT_4XX (azul#7470)."""
        record = logs.access
        if record is None or status != 403:
            return None
        message = record.fields.get("error.message", "")
        if any(text in message for text in _UNKNOWN_ROUTE_SIGNATURE) and UNKNOWN_ROUTE in self.catalogue:
            note = (
                "IncompleteSignatureException (a non-SigV4 Authorization header) on a route the stage lacks: "
                "AWS answers it instead of Missing Authentication Token (apigw-reference.md)"
            )
            decisive = (DecisiveEvidence(message, "error.message"),)
            return Classification(
                logs.request_id, UNKNOWN_ROUTE, status, _access_raw(logs), (note,), (UNKNOWN_ROUTE,), decisive
            )
        if _IAM_METHOD_SIGNATURE in message:
            note = (
                "IncompleteSignatureException: an Authorization header that is not SigV4 on an AWS_IAM method "
                "(amplify-flutter#1539); no catalogue mode names it"
            )
            return Classification(logs.request_id, None, status, _access_raw(logs), (note,))
        return None


# --- helpers -----------------------------------------------------------------------------------------


def _steps_only(logs: RequestLogs, fit: _Fit, hits: Mapping[int, list[int]]) -> bool:
    """The mode rests only on the lines that start steps the request's lines show passed (`_STEPS`)."""
    passed = tuple(start for start, done in _STEPS if any(line.message.startswith(done) for line in logs.execution))
    if not passed:
        return False
    lines = (logs.execution[number].message for pattern in fit.patterns for number in hits[pattern])
    return all(message.startswith(passed) for message in lines)


def _passed_steps(logs: RequestLogs) -> Classification | None:
    """Lines with no final status that end after steps that passed, and name no failure: ok.

    An excerpt of an authorized request, or of the usage-plan check of a method that needs no key
    (KC "api-gateway-logs", its examples of both), shows nothing that failed; that the request went
    on to succeed cannot be seen, and the note says so.
    """
    passed = [line for line in logs.execution if line.message.startswith(_PASSED_STEPS)]
    if not passed:
        return None
    note = (
        f"no final status: the lines end after steps that passed ('{passed[-1].message[:60]}'), "
        "and none names a failure; what followed them is not in the excerpt"
    )
    decisive = tuple(DecisiveEvidence(line.message) for line in passed)
    return Classification(logs.request_id, OK, None, tuple(line.raw for line in passed), (note,), (OK,), decisive)


def _evidence(
    logs: RequestLogs, fit: _Fit, hits: Mapping[int, list[int]], extra: Sequence[int] = ()
) -> tuple[str, ...]:
    """The access record's text, then the lines the mode's patterns found, in log order."""
    numbers = sorted({number for pattern in fit.patterns for number in hits.get(pattern, ())} | set(extra))
    return _access_raw(logs) + tuple(logs.execution[number].raw for number in numbers)


def _decisive(logs: RequestLogs, fit: _Fit, hits: Mapping[int, list[int]]) -> tuple[DecisiveEvidence, ...]:
    """The fields and lines that made `fit` the best: what a reason quotes and a report marks."""
    lines = (number for pattern in fit.patterns for number in hits.get(pattern, ()))
    return decisive_evidence(logs, fit.rule.mode, fit.fields, lines)


def _with_integration_error(logs: RequestLogs) -> RequestLogs:
    """The request's lines with its access record's `integration.error` as one more, when that holds an
    execution-log message no line carries: `$context.integration.error` is the message the execution
    log writes for the integration's failure (AWS docs, "$context variables for access logging"; a
    real record: sal-blog.com iam-api-gateway-500error), and a record may be all there is."""
    value = logs.access.fields.get("integration.error") if logs.access is not None else None
    if not value or not value.startswith(_EXECUTION_FAILED) or any(line.message == value for line in logs.execution):
        return logs
    line = ExecutionLine(logs.request_id, value, None, value)
    return RequestLogs(logs.request_id, (*logs.execution, line), logs.access)


_EXECUTION_FAILED = "Execution failed due to "


def _access_raw(logs: RequestLogs) -> tuple[str, ...]:
    return (logs.access.raw,) if logs.access is not None else ()


def _status_notes(logs: RequestLogs, status: int | None, success: bool = True) -> list[str]:
    """What a reader of the lines could misread about the status.

    `success`: say that "Successfully completed execution" does not mean a 2xx (left out where the
    mode itself explains the status, as backend-5xx's pass-through does).
    """
    notes: list[str] = []
    if (
        success
        and status is not None
        and status >= 400
        and any(line.message == _SUCCESS_LINE for line in logs.execution)
    ):
        # ok's distinguish-from; apigw-reference.md "Failure lines": an integration response can
        # map the answer to a 4xx after this line, so only "Method completed with status" counts.
        notes.append(f"'{_SUCCESS_LINE}' is logged before the final status {status}: the final status decides")
    logged = logs.access.fields.get("status") if logs.access is not None else None
    if logged is not None and logged.isdigit() and status is not None and int(logged) != status:
        notes.append(f"the access log says status {logged}, the execution log {status}; the execution log's is used")
    return notes


def _no_fit_notes(logs: RequestLogs, status: int | None) -> tuple[str, ...]:
    shown = f"status {status}" if status is not None else "no status"
    if logs.access is not None:
        for name in ("error.responseType", "error.message", "integration.error"):
            value = logs.access.fields.get(name, "-")
            if value != "-":
                shown += f", {name} {value!r}"
    return (f"no catalogue mode fits: {shown}", *_status_notes(logs, status))


def _ambiguous(
    logs: RequestLogs, status: int | None, tied: Sequence[_Fit], candidates: tuple[str, ...]
) -> Classification:
    names = ", ".join(fit.rule.mode.id for fit in tied)
    basis = "only the status" if all(fit.status_only for fit in tied) else "the same evidence"
    note = f"the logs fit {names} equally ({basis}); nothing logged tells them apart"
    return Classification(
        logs.request_id, None, status, _access_raw(logs), (note, *_status_notes(logs, status)), candidates
    )


# One compiled classifier, for the catalogue last used (runs use one catalogue throughout).
_cached: list[Classifier] = []


def _classifier(catalogue: Catalogue) -> Classifier:
    if not _cached or _cached[0].catalogue is not catalogue:
        _cached[:] = [Classifier(catalogue)]
    return _cached[0]


def classify(logs: RequestLogs, catalogue: Catalogue, method_known: bool | None = None) -> Classification:
    """The cause `logs` show, as a mode of `catalogue`, with its evidence.

    `method_known`: whether a resource and method of the stage match the request (True, False,
    or None when the definition is not at hand); it decides between unknown-route and
    unsigned-iam, which log the same.
    """
    return _classifier(catalogue).classify(logs, method_known)


def classify_all(
    groups: Mapping[str, RequestLogs],
    catalogue: Catalogue,
    method_known: Mapping[str, bool | None] | None = None,
) -> dict[str, Classification]:
    """`classify` for every request id of `groups`; `method_known` by request id, when known."""
    classifier = _classifier(catalogue)
    known = method_known or {}
    return {request_id: classifier.classify(logs, known.get(request_id)) for request_id, logs in groups.items()}
