"""`junit.xml`: one test suite per run, one test case per probe, for CI (Jenkins, GitLab).

The layout follows the JUnit XML that Jenkins and GitLab read (Jenkins' junit-10.xsd): a
`<testsuites>` root holding one `<testsuite>`; per `<testcase>` at most one `<failure>` or
`<error>`, then `<system-out>`. Verdicts map as CI expects: CONFIRMED and UNCONFIRMED (as
expected so far) pass, WRONG_STATUS and WRONG_CAUSE fail, ERROR (nothing to judge) is an error.
A load phase is one test case per expectation (each status share, the throttle's rate and burst
per bucket, backend health, the cause in the access log), named `<phase>: <expectation>`.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC
from urllib.parse import urlsplit

from gatecrash.load.phase import LoadOutcome
from gatecrash.load.verify import Check
from gatecrash.report.evidence import AccessRecordView, evidence_view
from gatecrash.run import RunResult
from gatecrash.runner.record import Observation
from gatecrash.runner.verdict import StepResult, Verdict
from gatecrash.scenario.model import LoadPhase

FAILURES = (Verdict.WRONG_STATUS, Verdict.WRONG_CAUSE)
ERRORS = (Verdict.ERROR,)

# Characters XML 1.0 cannot carry even escaped; log lines and bodies are untrusted and may hold them.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _clean(text: str) -> str:
    return _NOT_XML.sub(lambda match: f"\\x{ord(match.group()):02x}", text)


def _seconds(value: float) -> str:
    return f"{value:.3f}"


def expected_text(result: StepResult) -> str:
    mode = result.mode
    return f"{mode.expected_status_text()} {mode.error_type or ''}".strip()


def observed_text(result: StepResult) -> str:
    """What came back: every answer's status and error type, counted when there are several."""
    counts: dict[str, int] = {}
    for observation in result.record.observations:
        key = _answer(observation)
        counts[key] = counts.get(key, 0) + 1
    if len(counts) == 1 and len(result.record.observations) == 1:
        return next(iter(counts))
    return ", ".join(f"{count}x {answer}" for answer, count in counts.items())


def _answer(observation: Observation) -> str:
    if observation.status is None:
        return observation.error or "no answer"
    return f"{observation.status} {observation.error_type or ''}".strip()


def elapsed_seconds(result: StepResult) -> float:
    """Wall-clock time from the first request leaving to the last answer (a burst's requests overlap)."""
    observations = result.record.observations
    received = [o.received_at for o in observations if o.received_at is not None]
    if not observations or not received:
        return 0.0
    return max(0.0, max(received) - min(o.sent_at for o in observations))


def details(result: StepResult) -> str:
    """The text of a failure or error: what was expected and seen, and what the logs say.

    An access record is listed field by field, leaving out the fields logged `-`, not as the line
    it was written as; `*` marks what decided the observed cause (or, when none did, what the
    expected mode's catalogue entry looks for), as report.html highlights it.
    """
    lines = [
        f"expected: {expected_text(result)}",
        f"observed: {observed_text(result)}",
        f"reason: {result.reason}",
        f"observed cause (from the gateway's logs): {result.observed_cause or 'none found'}",
    ]
    view = evidence_view(result)
    if not view.items:
        lines.append("evidence: none")
        return "\n".join(lines)
    if not view.marked:
        lines.append("evidence:")
    elif view.marks_decided:
        lines.append(f"evidence (* what decided {result.observed_cause or 'the cause'}):")
    else:
        lines.append(f"evidence (* what the catalogue entry for {result.mode.id} looks for):")
    records = [item for item in view.items if isinstance(item, AccessRecordView)]
    for record in records:
        shown = [f for f in record.fields if f.value != "-" or f.marked]
        left_out = len(record.fields) - len(shown)
        lines.append("  access log record" + (f" ({left_out} fields logged '-' left out):" if left_out else ":"))
        lines.extend(f"    {_mark(f.marked)}{f.name}: {f.value}" for f in shown)
    others = [item for item in view.items if not isinstance(item, AccessRecordView)]
    if others:
        lines.append("  execution log:")
        lines.extend(f"    {_mark(item.marked)}{item.text}" for item in others)
    return "\n".join(lines)


def _mark(marked: bool) -> str:
    return "* " if marked else "  "


def _request_ids(result: StepResult) -> str:
    lines = [f"verdict: {result.verdict.value}: {result.reason}"]
    for observation in result.record.observations:
        answer = _answer(observation)
        lines.append(
            f"request {observation.index + 1}: {observation.request.method} {observation.request.url} -> {answer}; "
            f"x-amzn-RequestId {observation.request_id or '-'}; "
            f"x-amz-apigw-id {observation.extended_request_id or '-'}"
        )
    return "\n".join(lines) + "\n"


def _testcase(parent: ET.Element, result: StepResult) -> None:
    case = ET.SubElement(
        parent,
        "testcase",
        {
            "classname": _clean(result.mode.id),
            "name": _clean(result.name),
            "time": _seconds(elapsed_seconds(result)),
        },
    )
    if result.verdict in FAILURES or result.verdict in ERRORS:
        tag = "error" if result.verdict in ERRORS else "failure"
        message = f"{result.verdict.value}: {result.reason}"
        problem = ET.SubElement(case, tag, {"message": _clean(message), "type": result.verdict.value})
        problem.text = _clean(details(result))
    ET.SubElement(case, "system-out").text = _clean(_request_ids(result))


def _load_testcases(parent: ET.Element, result: StepResult, load: LoadOutcome) -> None:
    duration = max((s.second for s in load.seconds), default=0) + 1
    for check in load.checks:
        case = ET.SubElement(
            parent,
            "testcase",
            {
                "classname": _clean(result.mode.id),
                "name": _clean(f"{result.name}: {check.name}"),
                "time": _seconds(float(duration) if check is load.checks[0] else 0.0),
            },
        )
        if not check.passed:
            problem = ET.SubElement(
                case, "failure", {"message": _clean(f"{check.name}: {check.observed}"), "type": check.kind}
            )
            problem.text = _clean(f"expected: {check.expected}\nobserved: {check.observed}")
        ET.SubElement(case, "system-out").text = _clean(_load_summary(load, check))


def _load_summary(load: LoadOutcome, check: Check) -> str:
    mix = ", ".join(f"{count}x {status}" for status, count in load.mix.items())
    return (
        f"{check.name}: expected {check.expected}; observed {check.observed}\n"
        f"offered {load.offered_rps:.1f} rps, achieved {load.achieved_rps:.1f} rps; "
        f"{load.sent} of {load.planned} requests sent; {mix}\n"
    )


def _cases(run: RunResult) -> list[tuple[StepResult, LoadOutcome | None]]:
    return [(r, run.load_of(r.name) if isinstance(r.record.step, LoadPhase) else None) for r in run.results]


def _properties(parent: ET.Element, run: RunResult) -> None:
    target = run.target
    values = {
        "gatecrash.version": run.version,
        "run.id": run.run_id,
        "scenario.file": str(run.scenario.source),
        "target": target.description,
        "target.base_url": target.base_url,
        "target.rest_api_id": target.rest_api_id,
        "target.stage": target.stage,
        "target.region": target.region,
        "logs.execution": target.execution_log_group,
        "logs.access": target.access_log_group or "-",
    }
    properties = ET.SubElement(parent, "properties")
    for name, value in values.items():
        ET.SubElement(properties, "property", {"name": name, "value": _clean(value)})


def _counts(run: RunResult) -> dict[str, str]:
    tests = failures = errors = 0
    for result, load in _cases(run):
        if load is not None:
            tests += len(load.checks)
            failures += sum(not check.passed for check in load.checks)
        else:
            tests += 1
            failures += result.verdict in FAILURES
            errors += result.verdict in ERRORS
    return {
        "tests": str(tests),
        "failures": str(failures),
        "errors": str(errors),
        "time": _seconds((run.finished - run.started).total_seconds()),
    }


def render(run: RunResult) -> str:
    counts = _counts(run)
    root = ET.Element("testsuites", {"name": "gatecrash", **counts})
    suite = ET.SubElement(
        root,
        "testsuite",
        {
            "name": _clean(run.scenario.name),
            **counts,
            "skipped": "0",
            # xs:dateTime without a zone, as Ant and Jenkins write it; the value is UTC.
            "timestamp": run.started.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
            "hostname": _clean(urlsplit(run.target.base_url).hostname or "-"),
        },
    )
    _properties(suite, run)
    for result, load in _cases(run):
        if load is not None:
            _load_testcases(suite, result, load)
        else:
            _testcase(suite, result)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
