"""Answers recorded by `gatecrash compare --record DIR`, written as a parity case file (format: cases.py).

`record` is pure: one run of a scenario (side B of a comparison) becomes one case file. Each probe is a
case named after it, each of its requests a step holding the answer: the status, `x-amzn-ErrorType`
(or that there was none), the response headers but those stamped on each answer (ids, dates, lengths:
compare/diff.py's IGNORED_HEADERS), and the body: its exact text, or, where it holds the answer's own
request id, its JSON with `<any>` for that value. The file carries the definition and side file of the
emulator that stands for side B (its own target, else side A's: the local mirror of a deployed stage)
and a `source: capture:` naming the target and the time of the recording.

Secrets never reach the file (the rule of runner/redact.py):
- an API key a request sent is written as a stand-in: `gatecrash-recorded-key-<key id>` for a key of the
  side file, whose value in the recorded side file becomes the same stand-in so that the case replays;
  `gatecrash-recorded-unknown-<credential>` for a key the side file does not hold;
- the side file's other secrets (IAM secret keys and session tokens, user-pool seeds, `...From`
  references) become stand-ins too;
- a probe whose request carries any other secret (a SigV4 signature, a token, an Authorization or
  cookie header, a secret query parameter: what redact.py masks) is not recorded, since a replay
  without the secret cannot get the same answer.
Neither are bursts (their answers depend on timing; the suite sends one request at a time), requests
with no answer, bodies over 64 KiB, nor requests to a backend the scenario served itself (`backends:`),
which a replay does not start. `Recording.skipped` says which probes and why.

`read_mirror` and `write_recording`, at the end, are the I/O edge: they read the emulator's files and
write the case file (then read it back with `cases.load_case_file`, so that a file the suite cannot
load is never left behind), with copies of the side file's local handler modules beside it.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from gatecrash._yamlpos import read_document
from gatecrash.compare.diff import IGNORED_HEADERS
from gatecrash.emulator.model import Api, IntegrationType, StageConfig
from gatecrash.emulator.routing import Router
from gatecrash.emulator.substitute import Sibling, substitute
from gatecrash.errors import ConfigError, DefinitionError, Problem, SideFileError
from gatecrash.parity.cases import ANY, CaseFile, load_case_file
from gatecrash.run import RunResult
from gatecrash.runner import redact
from gatecrash.runner.record import BODY_EXCERPT, Observation
from gatecrash.runner.verdict import StepResult
from gatecrash.scenario.model import AuthKind, EmulatorTarget, JwtFault, Probe, RequestSpec, SigV4Fault

__all__ = ["MAX_BODY", "Mirror", "RecordError", "Recording", "read_mirror", "record", "render", "write_recording"]

MAX_BODY = 64 * 1024  # a request body larger than this is not written into a case file
KEY_STAND_IN = "gatecrash-recorded-key-"
_UNKNOWN_KEY_STAND_IN = "gatecrash-recorded-unknown-"
_ERROR_TYPE = "x-amzn-errortype"
_TRUNCATED = re.compile(r"\.\.\. \((\d+) bytes\)$")
_STAGE_VARIABLE = re.compile(r"\$\{stageVariables\.([A-Za-z0-9_]+)\}")

# The suite's categories (cases.CATEGORIES) of the failure modes decided before or without the integration.
_CATEGORY_OF_MODE = {
    "unknown-route": "routing",
    "missing-required-param": "validation",
    "invalid-body": "validation",
    "request-too-large": "validation",
    "mapping-error": "mapping templates",
    "missing-api-key": "API keys and usage plans",
    "invalid-api-key": "API keys and usage plans",
    "quota-exceeded": "API keys and usage plans",
    "throttled": "throttling",
    "authorizer-deny": "authorizers",
    "authorizer-unauthorized": "authorizers",
    "authorizer-misconfigured": "authorizers",
    "unsigned-iam": "authorizers",
    "invalid-signature": "authorizers",
    "expired-signature": "authorizers",
    "iam-access-denied": "authorizers",
    "backend-5xx": "HTTP_PROXY",
}
_CATEGORY_OF_INTEGRATION = {
    IntegrationType.MOCK: "MOCK",
    IntegrationType.HTTP: "HTTP",
    IntegrationType.HTTP_PROXY: "HTTP_PROXY",
    IntegrationType.AWS_PROXY: "Lambda proxy",
    IntegrationType.AWS: "Lambda non-proxy",
}


class RecordError(ConfigError):
    """A recording cannot be written where it was asked to go."""


@dataclass(frozen=True, slots=True)
class Mirror:
    """The emulator whose definition and side file a recording carries."""

    definition: Mapping[str, Any]  # the definition document, template placeholders filled
    side_file: Mapping[str, Any]  # the side file document, as written
    stage: StageConfig  # the same side file, read: its keys' values
    api: Api  # the same definition, read: which method a request reaches
    stage_variables: Mapping[str, str] = field(default_factory=dict)  # the scenario's, over the side file's
    served: tuple[str, ...] = ()  # stage variables whose backends the scenario served (`backends:`)
    handler_folder: Path | None = None  # where the side file's `handlers:fast` modules are


@dataclass(frozen=True, slots=True)
class Recording:
    document: Mapping[str, Any]  # the case file
    cases: int
    skipped: tuple[tuple[str, str], ...]  # (probe, why it was not recorded)
    handler_modules: tuple[str, ...] = ()  # the side file's local modules a replay needs beside the file


def record(result: RunResult, api_keys: Mapping[str, str], mirror: Mirror | None, capture: str) -> Recording:
    """Side B's run as a case file; `api_keys` holds the value each api-key credential sent, by name."""
    key_ids = {key.value: key.id for key in mirror.stage.api_keys} if mirror is not None else {}
    stand_ins = {
        name: KEY_STAND_IN + key_ids[value] if value in key_ids else _UNKNOWN_KEY_STAND_IN + name
        for name, value in api_keys.items()
    }
    cases: list[dict[str, Any]] = []
    skipped: list[tuple[str, str]] = []
    names: set[str] = set()
    for result_of_step in result.results:
        step = result_of_step.record.step
        reason = _not_recordable(result_of_step, mirror)
        if reason is not None or not isinstance(step, Probe):
            skipped.append((step.name, reason or "not a single request"))
            continue
        name = _unique(step.name, names)
        cases.append(_case(name, result_of_step, step, stand_ins, mirror, _volatile(result)))
    source: dict[str, Any] = {"capture": capture}
    if mirror is None:
        source["note"] = "no emulator stood for this target: the definition and side file are not recorded"
    document: dict[str, Any] = {"source": source}
    if mirror is not None:
        document["definition"] = copy.deepcopy(dict(mirror.definition))
        document["side-file"] = redacted_side_file(mirror.side_file, mirror.stage_variables)
    document["cases"] = cases
    return Recording(document, len(cases), tuple(skipped), _handler_modules(mirror))


def _unique(name: str, taken: set[str]) -> str:
    candidate, count = name, 1
    while candidate in taken:
        count += 1
        candidate = f"{name} ({count})"
    taken.add(candidate)
    return candidate


def _not_recordable(result: StepResult, mirror: Mirror | None) -> str | None:
    step = result.record.step
    if not isinstance(step, Probe):
        return "a burst's answers depend on timing; the suite sends one request at a time"
    failed = next((o for o in result.record.observations if o.status is None), None)
    if failed is not None:
        return f"no answer to record ({failed.error or 'no status'})"
    secret = _secret_in(step.request)
    if secret is not None:
        return (
            f"its request carries {secret}, which a case file never holds (a replay without it is answered otherwise)"
        )
    body = step.request.body or b""
    if len(body) > MAX_BODY:
        return f"its {len(body)}-byte body is too large for a case file (over {MAX_BODY} bytes)"
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return "its body is not UTF-8 text, which a case file holds"
    served = _served_backend(step.request, mirror)
    if served is not None:
        return (
            f"it reaches the backend the scenario served as ${{stageVariables.{served}}}, which a replay does not start"
        )
    return None


def _secret_in(request: RequestSpec) -> str | None:
    auth = request.auth
    if auth.kind is AuthKind.SIGV4 and auth.sigv4_fault is not SigV4Fault.UNSIGNED:
        return "a SigV4 signature"
    if auth.kind is AuthKind.JWT and auth.jwt_fault is not JwtFault.MISSING:
        return "a token"
    for name, value in request.headers:
        if redact.header(name, value) != value:
            return f"a secret in its {name} header"
    for name, value in request.query:
        if redact.query([(name, value)]) != [(name, value)]:
            return f"a secret in its {name} query parameter"
    return None


def _served_backend(request: RequestSpec, mirror: Mirror | None) -> str | None:
    if mirror is None or not mirror.served:
        return None
    route = Router(mirror.api.methods).match(request.path, request.method)
    integration = route.method.integration if route is not None else None
    if integration is None:
        return None
    return next((name for name in _STAGE_VARIABLE.findall(integration.uri) if name in mirror.served), None)


def _case(
    name: str,
    result: StepResult,
    probe: Probe,
    stand_ins: Mapping[str, str],
    mirror: Mirror | None,
    volatile: Sequence[str],
) -> dict[str, Any]:
    case: dict[str, Any] = {"name": name, "category": category(probe, mirror.api if mirror is not None else None)}
    request = _request(probe.request, stand_ins)
    notes: list[str] = []
    steps = []
    for observation in result.record.observations:
        expect, note = _expectation(observation, volatile)
        steps.append({"request": request, "expect": expect})
        if note is not None and note not in notes:
            notes.append(note)
    if len(steps) == 1:
        case.update(steps[0])
    else:
        case["steps"] = steps
    if result.observed_cause is not None:
        notes.insert(0, f"the logs showed {result.observed_cause}")
    if notes:
        case["note"] = "; ".join(notes)
    return case


def category(probe: Probe, api: Api | None) -> str:
    """The suite's category: the mode's where the gateway decides, else the reached integration's type."""
    if probe.mode in _CATEGORY_OF_MODE:
        return _CATEGORY_OF_MODE[probe.mode]
    route = Router(api.methods).match(probe.request.path, probe.request.method) if api is not None else None
    if route is not None and route.method.integration is not None:
        return _CATEGORY_OF_INTEGRATION[route.method.integration.type]
    return "Lambda proxy" if "lambda" in probe.mode else "routing"


def _request(spec: RequestSpec, stand_ins: Mapping[str, str]) -> dict[str, Any]:
    request: dict[str, Any] = {"method": spec.method, "path": spec.path}
    if spec.query:
        request["query"] = _grouped(spec.query)
    headers = list(spec.headers)
    if spec.auth.kind is AuthKind.API_KEY and spec.auth.credential is not None:
        headers.append(("x-api-key", stand_ins.get(spec.auth.credential, _UNKNOWN_KEY_STAND_IN + spec.auth.credential)))
    if headers:
        request["headers"] = _grouped(headers)
    if spec.body:
        request["body"] = spec.body.decode("utf-8")
    return request


def _grouped(pairs: Sequence[tuple[str, str]]) -> dict[str, Any]:
    grouped: dict[str, list[str]] = {}
    for name, value in pairs:
        grouped.setdefault(name, []).append(value)
    return {name: values[0] if len(values) == 1 else values for name, values in grouped.items()}


def _volatile(result: RunResult) -> tuple[str, ...]:
    """What a run's answers may hold that a replay's cannot: its run id, its host, a masked secret."""
    return (result.run_id, urlsplit(result.target.base_url).netloc, redact.REDACTED)


def _expectation(observation: Observation, run_volatile: Sequence[str]) -> tuple[dict[str, Any], str | None]:
    assert observation.status is not None
    ids = (observation.request_id, observation.extended_request_id, *run_volatile)
    volatile = [value for value in ids if value]
    expect: dict[str, Any] = {"status": observation.status}
    if observation.error_type is not None:
        expect["error-type"] = observation.error_type
    else:
        expect["absent-headers"] = ["x-amzn-ErrorType"]
    headers = _headers(observation, volatile)
    if headers:
        expect["headers"] = headers
    note = None
    body = observation.body_excerpt
    truncated = _TRUNCATED.search(body)
    if truncated is not None and int(truncated.group(1)) > BODY_EXCERPT:
        note = f"the body ({truncated.group(1)} bytes) was longer than the {BODY_EXCERPT} characters kept: not recorded"
    elif not any(value in body for value in volatile):
        expect["body"] = body
    else:
        parsed = _json(body)
        if parsed is None:
            note = "the body holds the answer's request id or a secret and is not JSON: not recorded"
        else:
            expect["json"] = _wildcarded(parsed, volatile)
    return expect, note


def _headers(observation: Observation, volatile: Sequence[str]) -> dict[str, str | None]:
    headers: dict[str, list[str]] = {}
    for name, value in observation.all_headers or observation.headers:
        lowered = name.lower()
        if lowered not in IGNORED_HEADERS:
            headers.setdefault(lowered, []).append(value)
    result: dict[str, str | None] = {}
    for name, values in headers.items():
        joined = ", ".join(values)
        # A value that changes with each answer is recorded as present, any value.
        result[name] = None if any(part in joined for part in volatile) else joined
    return result


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


def _wildcarded(value: Any, volatile: Sequence[str]) -> Any:
    if isinstance(value, dict):
        return {key: _wildcarded(item, volatile) for key, item in value.items()}
    if isinstance(value, list):
        return [_wildcarded(item, volatile) for item in value]
    if isinstance(value, str) and any(part in value for part in volatile):
        return ANY
    return value


def redacted_side_file(side_file: Mapping[str, Any], stage_variables: Mapping[str, str]) -> dict[str, Any]:
    """The side file with stand-ins for its secrets and the scenario's stage variables over its own."""
    document = copy.deepcopy(dict(side_file))
    for index, entry in enumerate(_entries(document.get("apiKeys"))):
        entry.pop("valueFrom", None)
        entry["value"] = KEY_STAND_IN + str(entry.get("id", index))
    for index, entry in enumerate(_entries(document.get("iamCredentials"))):
        _stand_in(entry, "secretAccessKey", f"gatecrash-recorded-secret-{index}")
        if "sessionToken" in entry or "sessionTokenFrom" in entry:
            _stand_in(entry, "sessionToken", f"gatecrash-recorded-session-token-{index}")
    for index, entry in enumerate(_entries(document.get("userPools"))):
        if "signingKeySeed" in entry or "signingKeySeedFrom" in entry:
            _stand_in(entry, "signingKeySeed", f"gatecrash-recorded-seed-{index}")
    if stage_variables:
        stage = document.setdefault("stage", {})
        if isinstance(stage, dict):
            variables = stage.get("variables")
            stage["variables"] = {**(variables if isinstance(variables, dict) else {}), **stage_variables}
    return document


def _entries(section: Any) -> list[dict[str, Any]]:
    """The entries of a side file list, also inside the `{items: [...]}` wrapper AWS's list commands print."""
    if isinstance(section, dict):
        section = section.get("items")
    return [entry for entry in section if isinstance(entry, dict)] if isinstance(section, list) else []


def _stand_in(entry: dict[str, Any], key: str, value: str) -> None:
    entry.pop(key + "From", None)
    entry[key] = value


def _handler_modules(mirror: Mirror | None) -> tuple[str, ...]:
    """The top-level modules the side file's functions name (`handlers:fast` → handlers)."""
    if mirror is None:
        return ()
    functions = mirror.side_file.get("functions")
    if not isinstance(functions, Mapping):
        return ()
    modules = {
        str(entry["handler"]).partition(":")[0]
        for entry in functions.values()
        if isinstance(entry, Mapping) and isinstance(entry.get("handler"), str)
    }
    return tuple(sorted(module for module in modules if "." not in module))


def render(recording: Recording, heading: str) -> str:
    """The case file's text: a comment saying where it came from, then the YAML."""
    comment = "".join(f"# {line}\n" for line in heading.splitlines())
    return comment + yaml.safe_dump(dict(recording.document), sort_keys=False, allow_unicode=True, width=120)


# --- the I/O edge ---------------------------------------------------------------------------------------


def read_mirror(target: EmulatorTarget, stage: StageConfig, api: Api) -> Mirror:
    """The emulator target's definition (placeholders filled, sibling files inlined) and side file as documents."""
    loaded = read_document(target.definition, str(target.definition), DefinitionError)
    definition = substitute(loaded.data, target.variables, str(target.definition), loaded.lines, _sibling)
    side_file: Mapping[str, Any] = {}
    if target.side_file is not None:
        side_file = read_document(target.side_file, str(target.side_file), SideFileError).data or {}
    return Mirror(
        definition,
        side_file,
        stage,
        api,
        dict(target.stage_variables),
        tuple(sorted(target.backends)),
        target.side_file.parent if target.side_file is not None else None,
    )


def _sibling(name: str, referrer: str) -> Sibling | Problem:
    path = Path(referrer).parent / name
    try:
        loaded = read_document(path, str(path), DefinitionError)
    except DefinitionError as error:
        return error.problems[0]
    return Sibling(loaded.data, loaded.lines, str(path))


def write_recording(path: Path, recording: Recording, heading: str, mirror: Mirror | None) -> CaseFile:
    """Writes the case file and the handler modules it needs beside it; returns the file as the suite reads it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    copies = _handler_copies(path.parent, recording, mirror)
    for source, destination in copies:
        destination.write_bytes(source.read_bytes())
    path.write_text(render(recording, heading), encoding="utf-8")
    return load_case_file(path)


def _handler_copies(folder: Path, recording: Recording, mirror: Mirror | None) -> list[tuple[Path, Path]]:
    if mirror is None or mirror.handler_folder is None:
        return []
    copies: list[tuple[Path, Path]] = []
    problems: list[Problem] = []
    for module in recording.handler_modules:
        source = mirror.handler_folder / f"{module}.py"
        if not source.is_file():
            continue  # an installed module: the replay imports it as the run did
        destination = folder / source.name
        if destination.exists() and destination.read_bytes() != source.read_bytes():
            problems.append(
                Problem(
                    str(destination),
                    "",
                    f"holds another {source.name} than the side file's ({source}), which the recorded cases need",
                    hint="record into another folder, or move that file away",
                )
            )
        copies.append((source, destination))
    if problems:
        raise RecordError(problems)
    return copies
