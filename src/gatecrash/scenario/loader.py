"""Reading scenario files: every problem at once, each with file, line, key path and a fix.

The format (keys in kebab-case; paths relative to the scenario file):

    name: demo
    target:
      emulator: {definition: api.yaml, side-file: stage.yaml, backends: {backend: "backend.py:app"}}
      # or aws: {invoke-url: https://..., region: us-east-1, rest-api-id: a1b2c3, stage: prod, profile: p}
    credentials:                      # references only: a literal secret is refused
      demo-key: {emulator-api-key: demokey1}
      prod-key: {env: PROD_API_KEY}
      made-up: {random-api-key: true}
    limits: {max-requests: 200, max-duration: 60s}
    concurrency: 4
    probes:
      - {name: unknown route, mode: unknown-route, request: {method: GET, path: /nowhere}}
      - name: quota
        mode: quota-exceeded
        request: {method: GET, path: /keyed, auth: {api-key: demo-key}}
        repeat: 6
        judge: last
      - name: burst
        mode: throttled
        burst: {requests: 5, request: {method: GET, path: /limited}}
        expect: {"200": [1, 2], "429": [3, 4]}
      - name: stage limit at twice its rate     # a load phase, run by locust in a separate process
        mode: throttled
        rate: {rps: 100, duration: 10s}         # or ramp: {from: 10, to: 100, duration: 20s}
                                                # or ramp: {steps: [{rps: 20, duration: 5s}, ...]}
        request: {method: GET, path: /limited}  # or mix: [{weight: 3, request: ...}, {weight: 1, ...}]
        max-requests: 1200                      # caps (default: the schedule's count and length)
        max-duration: 12s
        stop: {backend-5xx-share: 0.05}         # abort once more than 5% of answers are 5xx
        expect:
          status: {"200": [0.5, 0.7], "429": [0.3, 0.5]}   # shares of all answers
          throttle: {limit: stage, tolerance: 0.05}        # or usage-plan, or given with rate and burst
"""

from __future__ import annotations

import importlib.util
import json
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

from gatecrash._yamlpos import JsonPath, ProblemLog, choice_hint, describe_type, read_document
from gatecrash.errors import FileError, ScenarioError
from gatecrash.inputs import read_text_file
from gatecrash.scenario.model import (
    Auth,
    AuthKind,
    AwsTarget,
    Burst,
    CredentialKind,
    CredentialRef,
    EmulatorTarget,
    Judge,
    JwtFault,
    Limits,
    LimitSource,
    LoadKind,
    LoadPhase,
    MixEntry,
    Probe,
    RateSegment,
    RequestSpec,
    Scenario,
    ShareBounds,
    SigV4Fault,
    StatusBounds,
    Step,
    Target,
    ThrottleExpectation,
    planned_requests,
)

T = TypeVar("T")

_TOP_KEYS = ("name", "target", "credentials", "limits", "concurrency", "timeout", "probes")
_EMULATOR_KEYS = ("definition", "side-file", "stage-variables", "backends", "variables")
_AWS_KEYS = ("invoke-url", "region", "rest-api-id", "stage", "profile", "access-log-group")
_LIMIT_KEYS = ("max-requests", "max-duration")
_PROBE_KEYS = ("name", "mode", "request", "repeat", "judge", "burst", "expect")
_LOAD_KEYS = ("rate", "ramp", "mix", "max-requests", "max-duration", "stop", "users")
_RATE_KEYS = ("rps", "duration")
_RAMP_KEYS = ("from", "to", "duration", "steps")
_MIX_KEYS = ("weight", "request")
_STOP_KEYS = ("backend-5xx-share",)
_LOAD_EXPECT_KEYS = ("status", "throttle")
_THROTTLE_KEYS = ("limit", "tolerance", "rate", "burst")
MAX_RPS = 100_000.0
_BURST_KEYS = ("requests", "request")
_REQUEST_KEYS = ("method", "path", "query", "headers", "body", "json", "body-size", "auth")
_AUTH_KEYS = ("api-key", "sigv4", "jwt", "fault")
_CREDENTIAL_KINDS = tuple(kind.value for kind in CredentialKind)
_TOKEN_KEYS = ("emulator-token", "client-id", "scopes")
_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)(ms|s|m|h)$")
_DURATION_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
_STATUS_KEY = re.compile(r"^[1-5](\d\d|xx)$")
# Where a literal value is a secret: scenarios reference secrets, they never hold them.
_SECRET_HEADERS = frozenset({"x-api-key", "x-amz-security-token"})
_SECRET_QUERY = frozenset({"x-amz-signature", "x-amz-credential", "x-amz-security-token"})
_LITERAL_SECRET_KEYS = frozenset({"value", "secret", "secret-access-key", "token", "password", "api-key-value"})
_JWT_SHAPE = re.compile(r"^(Bearer\s+)?[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+$")
MAX_BODY_SIZE = 16 * 1024 * 1024

_REFERENCE_HINT = (
    "reference it instead: under credentials, `NAME: {env: VARIABLE}` (or emulator-api-key, profile), "
    "then `auth: {api-key: NAME}` on the request"
)


def load_scenario(path: str | Path, modes: Collection[str]) -> Scenario:
    """Read and validate one scenario file; raise ScenarioError listing every problem."""
    path = Path(path)
    loaded = read_document(path, str(path), ScenarioError)
    log = ProblemLog(str(path), loaded.lines)
    reader = _Reader(log, path, modes, ProblemLog(str(path), loaded.lines))
    scenario = reader.scenario(loaded.data)
    log.raise_if_any(ScenarioError)
    assert scenario is not None
    return replace(scenario, warnings=tuple(reader.warnings.problems))


def scenario_files(paths: Collection[str | Path]) -> list[Path]:
    """Files named, and the `*.yaml`/`*.yml` files of folders named, in a stable order."""
    found: list[Path] = []
    for item in paths:
        item = Path(item)
        if item.is_dir():
            # Regular files only: a pipe or device named *.yaml in the folder is nobody's scenario.
            candidates = (p for p in item.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
            found.extend(sorted(p for p in candidates if _is_scenario(p)))
        else:
            found.append(item)
    return found


def _is_scenario(path: Path) -> bool:
    # A folder such as scenarios/demo also holds the API definition and side file: a scenario
    # is the YAML file with a top-level `probes` key.
    try:
        head = read_text_file(path)
    except FileError:
        return False  # not a scenario; named on its own, the file's problem would be reported
    return re.search(r"(?m)^probes\s*:", head) is not None


class _Reader:
    """Walks the parsed document, recording problems and building the model where it can."""

    def __init__(self, log: ProblemLog, path: Path, modes: Collection[str], warnings: ProblemLog) -> None:
        self.log = log
        self.warnings = warnings  # allowed, but said once: the CLI prints them
        self.base = path.parent
        self.path = path
        self.modes = modes
        self.credential_names: set[str] = set()
        self.step_names: set[str] = set()
        self.planned = 0

    # -- helpers ---------------------------------------------------------------------------

    def mapping(self, value: Any, where: JsonPath, allowed: Collection[str] | None = None) -> dict[str, Any] | None:
        if not isinstance(value, Mapping):
            self.log.add(where, f"expected a mapping, found {describe_type(value)}")
            return None
        if allowed is not None:
            self.log.check_keys(value, where, allowed)
        return {str(key): item for key, item in value.items()}

    def required(self, mapping: Mapping[str, Any], key: str, where: JsonPath, example: str) -> Any:
        if key not in mapping or mapping[key] is None:
            self.log.add(where, f"missing '{key}'", hint=f"add it, e.g. {example}")
            return None
        return mapping[key]

    def text(self, value: Any, where: JsonPath) -> str | None:
        if isinstance(value, str) and value.strip():
            return value
        self.log.add(where, f"expected a non-empty string, found {describe_type(value)}")
        return None

    def integer(self, value: Any, where: JsonPath, minimum: int, maximum: int | None = None) -> int | None:
        if isinstance(value, bool) or not isinstance(value, int):
            self.log.add(where, f"expected a whole number, found {describe_type(value)}")
            return None
        if value < minimum or (maximum is not None and value > maximum):
            bound = f"from {minimum} to {maximum}" if maximum is not None else f"at least {minimum}"
            self.log.add(where, f"{value} is out of range", hint=f"use a number {bound}")
            return None
        return value

    def duration(self, value: Any, where: JsonPath) -> float | None:
        match = _DURATION.match(value) if isinstance(value, str) else None
        if match is None:
            self.log.add(
                where,
                f"expected a duration such as '30s', '500ms', '2m', found {value!r}",
                hint="write a number followed by ms, s, m or h",
            )
            return None
        return float(match.group(1)) * _DURATION_UNITS[match.group(2)]

    def choice(self, value: Any, where: JsonPath, choices: Collection[str], noun: str) -> str | None:
        if isinstance(value, str) and value in choices:
            return value
        self.log.add(where, f"unknown {noun} {value!r}", hint=choice_hint(str(value), choices))
        return None

    def each(self, value: Any, where: JsonPath, read: Callable[[Any, JsonPath], T | None]) -> list[T]:
        if not isinstance(value, list):
            self.log.add(where, f"expected a list, found {describe_type(value)}")
            return []
        items = [read(item, (*where, index)) for index, item in enumerate(value)]
        return [item for item in items if item is not None]

    # -- sections --------------------------------------------------------------------------

    def scenario(self, data: Any) -> Scenario | None:
        top = self.mapping(data, (), _TOP_KEYS)
        if top is None:
            return None
        name = self.text(top["name"], ("name",)) if "name" in top else self.path.stem
        target = self.target(self.required(top, "target", (), "target: {emulator: {definition: api.yaml}}"))
        credentials = self.credentials(top.get("credentials", {}))
        limits = self.limits(self.required(top, "limits", (), "limits: {max-requests: 100, max-duration: 60s}"))
        concurrency = self.integer(top.get("concurrency", 4), ("concurrency",), 1, 256)
        timeout = self.duration(top.get("timeout", "35s"), ("timeout",))
        steps: list[Step] = self.each(self.required(top, "probes", (), "probes: [...]"), ("probes",), self.step)
        cap = top.get("limits", {}).get("max-requests") if isinstance(top.get("limits"), Mapping) else None
        if isinstance(cap, int) and not isinstance(cap, bool) and cap >= 1 and self.planned > cap:
            self.log.add(
                ("limits", "max-requests"),
                f"the probes plan {self.planned} requests, more than max-requests {cap}",
                hint=f"raise max-requests to at least {self.planned} or send fewer",
            )
        if None in (name, target, limits, concurrency, timeout):
            return None
        assert name is not None and target is not None and limits is not None
        assert concurrency is not None and timeout is not None
        return Scenario(self.path, name, target, limits, tuple(steps), credentials, concurrency, timeout)

    def target(self, value: Any) -> Target | None:
        where: JsonPath = ("target",)
        section = self.mapping(value, where, ("emulator", "aws")) if value is not None else None
        if section is None:
            return None
        if len(section) != 1:
            self.log.add(where, "expected exactly one of 'emulator' or 'aws'", hint="keep one target per scenario")
            return None
        kind, body = next(iter(section.items()))
        return self.emulator(body, (*where, kind)) if kind == "emulator" else self.aws(body, (*where, kind))

    def local_file(self, value: Any, where: JsonPath) -> Path | None:
        text = self.text(value, where)
        if text is None:
            return None
        path = (self.base / text).resolve()
        if path.exists() and not path.is_file():
            self.log.add(where, f"{text!r} is not a file ({path})", hint="name a YAML or JSON file")
            return None
        if not path.is_file():
            self.log.add(where, f"no file {text!r} (looked for {path})", hint="paths are relative to the scenario file")
            return None
        return path

    def string_map(self, value: Any, where: JsonPath) -> dict[str, str]:
        mapping = self.mapping(value, where)
        if mapping is None:
            return {}
        result: dict[str, str] = {}
        for key, item in mapping.items():
            if isinstance(item, bool) or not isinstance(item, str | int | float):
                self.log.add((*where, key), f"expected a string, found {describe_type(item)}")
            else:
                result[key] = str(item)
        return result

    def emulator(self, value: Any, where: JsonPath) -> EmulatorTarget | None:
        body = self.mapping(value, where, _EMULATOR_KEYS)
        if body is None:
            return None
        definition = self.local_file(
            self.required(body, "definition", where, "definition: api.yaml"), (*where, "definition")
        )
        side_file = self.local_file(body["side-file"], (*where, "side-file")) if "side-file" in body else None
        variables = self.string_map(body.get("stage-variables", {}), (*where, "stage-variables"))
        backends = self.string_map(body.get("backends", {}), (*where, "backends"))
        for name, spec in list(backends.items()):
            file_name, _, attribute = spec.partition(":")
            if not file_name.endswith(".py"):
                found = attribute and _importable(file_name)
            else:
                backends[name] = f"{(self.base / file_name).resolve()}:{attribute}"
                found = attribute and (self.base / file_name).is_file()
            if not found:
                self.log.add(
                    (*where, "backends", name),
                    f"expected 'file.py:attribute' or 'package.module:attribute' naming an ASGI app, found {spec!r}",
                    hint="e.g. backend.py:app, relative to the scenario file",
                )
        template_values = self.string_map(body.get("variables", {}), (*where, "variables"))
        if definition is None:
            return None
        return EmulatorTarget(definition, side_file, variables, backends, template_values)

    def aws(self, value: Any, where: JsonPath) -> AwsTarget | None:
        body = self.mapping(value, where, _AWS_KEYS)
        if body is None:
            return None
        fields: dict[str, str | None] = {}
        for key in ("invoke-url", "region", "rest-api-id", "stage"):
            raw = self.required(body, key, where, f"{key}: ...")
            fields[key] = self.text(raw, (*where, key)) if raw is not None else None
        url = fields.get("invoke-url")
        if url is not None and url.startswith("http://"):
            # LocalStack, a local proxy or a test stack answer on plain HTTP; API Gateway itself only on https.
            self.warnings.add(
                (*where, "invoke-url"),
                "plain http://: requests and their credentials travel unencrypted",
                hint="fine for LocalStack, a proxy or a test stack; a deployed stage's invoke URL is https://",
            )
        elif url is not None and not url.startswith("https://"):
            self.log.add(
                (*where, "invoke-url"),
                "an invoke URL starts with https:// (or http:// for LocalStack, a proxy or a test stack)",
                hint="copy it from the stage: https://<api-id>.execute-api.<region>.amazonaws.com/<stage>",
            )
        profile = self.text(body["profile"], (*where, "profile")) if "profile" in body else None
        group = (
            self.text(body["access-log-group"], (*where, "access-log-group")) if "access-log-group" in body else None
        )
        if any(fields.get(key) is None for key in ("invoke-url", "region", "rest-api-id", "stage")):
            return None
        return AwsTarget(
            fields["invoke-url"] or "",
            fields["region"] or "",
            fields["rest-api-id"] or "",
            fields["stage"] or "",
            profile,
            group,
        )

    def credentials(self, value: Any) -> dict[str, CredentialRef]:
        where: JsonPath = ("credentials",)
        section = self.mapping(value, where)
        if section is None:
            return {}
        found: dict[str, CredentialRef] = {}
        for name, body in section.items():
            self.credential_names.add(name)
            reference = self.credential(name, body, (*where, name))
            if reference is not None:
                found[name] = reference
        return found

    def credential(self, name: str, value: Any, where: JsonPath) -> CredentialRef | None:
        body = self.mapping(value, where)
        if body is None:
            return None
        secrets = [key for key in body if key in _LITERAL_SECRET_KEYS]
        if secrets:
            self.log.add((*where, secrets[0]), "a literal secret in a scenario is refused", hint=_REFERENCE_HINT)
            return None
        kinds = [key for key in body if key in _CREDENTIAL_KINDS]
        extra = set(body) - set(kinds) - ({"client-id", "scopes"} if "emulator-token" in kinds else set())
        for key in sorted(extra):
            self.log.add((*where, key), f"unknown key '{key}'", hint=choice_hint(key, _CREDENTIAL_KINDS, "kinds"))
        if len(kinds) != 1:
            if not extra:
                self.log.add(
                    where, "expected exactly one credential kind", hint=choice_hint("", _CREDENTIAL_KINDS, "kinds")
                )
            return None
        kind = CredentialKind(kinds[0])
        if kind is CredentialKind.RANDOM_API_KEY:
            return CredentialRef(name, kind)
        reference = self.text(body[kind.value], (*where, kind.value))
        if reference is None:
            return None
        if kind is CredentialKind.ENV and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", reference):
            self.log.add(
                (*where, "env"),
                f"{reference!r} is not an environment variable name",
                hint="name the variable that holds the secret, e.g. env: PROD_API_KEY",
            )
        scopes: tuple[str, ...] = ()
        if "scopes" in body:
            scopes = tuple(self.each(body["scopes"], (*where, "scopes"), self.text))
        client = self.text(body["client-id"], (*where, "client-id")) if "client-id" in body else None
        return CredentialRef(name, kind, reference, client, scopes)

    def limits(self, value: Any) -> Limits | None:
        where: JsonPath = ("limits",)
        body = self.mapping(value, where, _LIMIT_KEYS) if value is not None else None
        if body is None:
            return None
        count = self.integer(
            self.required(body, "max-requests", where, "max-requests: 100"), (*where, "max-requests"), 1
        )
        duration_value = self.required(body, "max-duration", where, "max-duration: 60s")
        duration = self.duration(duration_value, (*where, "max-duration")) if duration_value is not None else None
        if count is None or duration is None:
            return None
        return Limits(count, duration)

    def step(self, value: Any, where: JsonPath) -> Step | None:
        body = self.mapping(value, where, (*_PROBE_KEYS, *_LOAD_KEYS))
        if body is None:
            return None
        name = self.text(self.required(body, "name", where, "name: unknown route"), (*where, "name"))
        if name is not None and name in self.step_names:
            self.log.add(
                (*where, "name"),
                f"probe name {name!r} is used twice",
                hint="names identify probes in reports: make each one unique",
            )
        if name is not None:
            self.step_names.add(name)
        mode = self.mode(self.required(body, "mode", where, "mode: unknown-route"), (*where, "mode"))
        if "rate" in body or "ramp" in body:
            phase = self.load_phase(body, where, name, mode)
            if phase is not None:
                self.planned += phase.planned_requests
            return phase
        for key in _LOAD_KEYS:
            if key in body:
                self.log.add(
                    (*where, key),
                    f"'{key}' goes with a load phase",
                    hint="start a load phase with rate: {rps: R, duration: T} or ramp: {from: R1, to: R2, duration: T}",
                )
        burst_body = body.get("burst")
        if isinstance(burst_body, Mapping) and isinstance(burst_body.get("requests"), int):
            self.planned += burst_body["requests"]
        elif "burst" not in body:
            repeat = body.get("repeat", 1)
            self.planned += repeat if isinstance(repeat, int) and not isinstance(repeat, bool) else 1
        if "burst" in body:
            for key in ("request", "repeat", "judge"):
                if key in body:
                    self.log.add(
                        (*where, key),
                        f"'{key}' does not go with 'burst'",
                        hint="a burst names its request inside burst: {requests: N, request: ...}",
                    )
            burst = self.burst(body["burst"], body.get("expect"), (*where,))
            if burst is None or name is None or mode is None:
                return None
            return Burst(name, mode, burst[0], burst[1], burst[2])
        if "expect" in body:
            self.log.add(
                (*where, "expect"),
                "'expect' goes with a burst",
                hint="a single probe's expectation comes from its mode in the catalogue",
            )
        request = self.request(
            self.required(body, "request", where, "request: {method: GET, path: /}"), (*where, "request")
        )
        repeat = self.integer(body.get("repeat", 1), (*where, "repeat"), 1, 10_000)
        judge_text = self.choice(body.get("judge", "all"), (*where, "judge"), [j.value for j in Judge], "judge")
        if None in (name, mode, request, repeat, judge_text):
            return None
        assert name is not None and mode is not None and request is not None and repeat is not None
        assert judge_text is not None
        return Probe(name, mode, request, repeat, Judge(judge_text))

    # -- load phases -----------------------------------------------------------------------

    def load_phase(
        self, body: Mapping[str, Any], where: JsonPath, name: str | None, mode: str | None
    ) -> LoadPhase | None:
        for key in ("burst", "repeat", "judge"):
            if key in body:
                self.log.add(
                    (*where, key),
                    f"'{key}' does not go with a load phase",
                    hint="a load phase sends its mix at its rate; use a separate probe for a burst",
                )
        if "rate" in body and "ramp" in body:
            self.log.add(
                (*where, "ramp"), "'rate' and 'ramp' are both given", hint="keep one: a phase has one schedule"
            )
            return None
        kind = LoadKind.RATE if "rate" in body else LoadKind.RAMP
        segments = (
            self.rate(body["rate"], (*where, "rate"))
            if kind is LoadKind.RATE
            else self.ramp(body["ramp"], (*where, "ramp"))
        )
        mix = self.mix(body, where)
        scheduled = int(sum((s.start_rps + s.end_rps) / 2 * s.duration_s for s in segments or ()) + 0.5)
        length = sum(s.duration_s for s in segments or ())
        cap = self.integer(body.get("max-requests", max(scheduled, 1)), (*where, "max-requests"), 1, 10_000_000)
        duration = self.duration(body["max-duration"], (*where, "max-duration")) if "max-duration" in body else length
        stop = self.stop(body.get("stop", {}), (*where, "stop"))
        users = self.integer(body["users"], (*where, "users"), 1, 5_000) if "users" in body else None
        statuses, throttle = self.load_expect(body.get("expect"), (*where, "expect"))
        if None in (name, mode, segments, mix, cap, duration, stop) or ("users" in body and users is None):
            return None
        assert name is not None and mode is not None and segments is not None and mix is not None
        assert cap is not None and duration is not None and stop is not None
        return LoadPhase(name, mode, kind, segments, mix, cap, duration, stop, statuses, throttle, users)

    def rps(self, value: Any, where: JsonPath, minimum: float = 0.0) -> float | None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.log.add(where, f"expected requests per second as a number, found {describe_type(value)}")
            return None
        if not minimum <= value <= MAX_RPS:
            self.log.add(
                where, f"{value} is out of range", hint=f"use a rate from {minimum:g} to {MAX_RPS:g} per second"
            )
            return None
        return float(value)

    def rate(self, value: Any, where: JsonPath) -> tuple[RateSegment, ...] | None:
        body = self.mapping(value, where, _RATE_KEYS)
        if body is None:
            return None
        rps = self.rps(self.required(body, "rps", where, "rps: 100"), (*where, "rps"), 0.1) if "rps" in body else None
        duration = self.phase_duration(body, where)
        if rps is None or duration is None:
            return None
        return (RateSegment(rps, rps, duration),)

    def phase_duration(self, body: Mapping[str, Any], where: JsonPath) -> float | None:
        raw = self.required(body, "duration", where, "duration: 10s")
        duration = self.duration(raw, (*where, "duration")) if raw is not None else None
        if duration is not None and duration <= 0:
            self.log.add((*where, "duration"), "a phase lasts longer than 0s", hint="e.g. duration: 10s")
            return None
        return duration

    def ramp(self, value: Any, where: JsonPath) -> tuple[RateSegment, ...] | None:
        body = self.mapping(value, where, _RAMP_KEYS)
        if body is None:
            return None
        if "steps" in body:
            for key in ("from", "to", "duration"):
                if key in body:
                    self.log.add(
                        (*where, key), f"'{key}' does not go with 'steps'", hint="each step has rps and duration"
                    )
            steps = self.each(body["steps"], (*where, "steps"), self.rate)
            if not steps and isinstance(body["steps"], list):
                self.log.add(
                    (*where, "steps"), "a ramp needs at least one step", hint="steps: [{rps: 10, duration: 5s}]"
                )
            return tuple(segment for step in steps for segment in step) or None
        start = self.rps(self.required(body, "from", where, "from: 10"), (*where, "from")) if "from" in body else None
        end = self.rps(self.required(body, "to", where, "to: 100"), (*where, "to")) if "to" in body else None
        duration = self.phase_duration(body, where)
        if start is None or end is None or duration is None:
            return None
        if start == end == 0:
            self.log.add((*where, "to"), "a ramp from 0 to 0 sends nothing", hint="raise 'to'")
            return None
        return (RateSegment(start, end, duration),)

    def mix(self, body: Mapping[str, Any], where: JsonPath) -> tuple[MixEntry, ...] | None:
        if "mix" in body and "request" in body:
            self.log.add(
                (*where, "mix"), "'request' and 'mix' are both given", hint="keep one: a single request is a mix of one"
            )
            return None
        if "request" in body:
            request = self.request(body["request"], (*where, "request"))
            return (MixEntry(request),) if request is not None else None
        if "mix" not in body:
            self.log.add(where, "missing 'request' or 'mix'", hint="add e.g. request: {method: GET, path: /}")
            return None
        entries = self.each(body["mix"], (*where, "mix"), self.mix_entry)
        if not entries and isinstance(body["mix"], list):
            self.log.add((*where, "mix"), "a mix needs at least one entry", hint="mix: [{weight: 1, request: {...}}]")
        return tuple(entries) or None

    def mix_entry(self, value: Any, where: JsonPath) -> MixEntry | None:
        body = self.mapping(value, where, _MIX_KEYS)
        if body is None:
            return None
        weight = self.integer(body.get("weight", 1), (*where, "weight"), 1, 1_000)
        request = self.request(
            self.required(body, "request", where, "request: {method: GET, path: /}"), (*where, "request")
        )
        if weight is None or request is None:
            return None
        return MixEntry(request, weight)

    def share(self, value: Any, where: JsonPath) -> float | None:
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
            hint = "write a share from 0 to 1"
            if isinstance(value, int | float) and not isinstance(value, bool) and 1 < value <= 100:
                hint = f"did you mean {value / 100:g} ({value:g}%)? shares are written from 0 to 1"
            self.log.add(where, f"expected a share from 0 to 1, found {value!r}", hint=hint)
            return None
        return float(value)

    def stop(self, value: Any, where: JsonPath) -> float | None:
        body = self.mapping(value, where, _STOP_KEYS)
        if body is None:
            return None
        return self.share(body.get("backend-5xx-share", 0.05), (*where, "backend-5xx-share"))

    def load_expect(self, value: Any, where: JsonPath) -> tuple[tuple[ShareBounds, ...], ThrottleExpectation | None]:
        if value is None:
            return (), None
        body = self.mapping(value, where, _LOAD_EXPECT_KEYS)
        if body is None:
            return (), None
        statuses = self.share_bounds(body["status"], (*where, "status")) if "status" in body else ()
        throttle = self.throttle(body["throttle"], (*where, "throttle")) if "throttle" in body else None
        return statuses, throttle

    def share_bounds(self, value: Any, where: JsonPath) -> tuple[ShareBounds, ...]:
        body = self.mapping(value, where)
        bounds: list[ShareBounds] = []
        for status, limits in (body or {}).items():
            if not _STATUS_KEY.match(status):
                self.log.add((*where, status), f"{status!r} is not a status", hint='write e.g. "429" or "2xx"')
                continue
            if not isinstance(limits, list) or len(limits) != 2:
                self.log.add(
                    (*where, status),
                    f"expected [minimum, maximum] shares, found {limits!r}",
                    hint="e.g. [0.4, 0.6] for 40% to 60% of the answers",
                )
                continue
            low = self.share(limits[0], (*where, status, 0))
            high = self.share(limits[1], (*where, status, 1))
            if low is not None and high is not None:
                if low > high:
                    self.log.add(
                        (*where, status),
                        f"minimum {low:g} is above maximum {high:g}",
                        hint=f"write [{high:g}, {low:g}]",
                    )
                else:
                    bounds.append(ShareBounds(status, low, high))
        return tuple(bounds)

    def throttle(self, value: Any, where: JsonPath) -> ThrottleExpectation | None:
        body = self.mapping(value, where, _THROTTLE_KEYS)
        if body is None:
            return None
        raw = self.required(body, "limit", where, "limit: stage")
        source_text = (
            self.choice(raw, (*where, "limit"), [s.value for s in LimitSource], "limit") if raw is not None else None
        )
        tolerance = self.share(body["tolerance"], (*where, "tolerance")) if "tolerance" in body else None
        rate = burst = None
        if source_text == LimitSource.GIVEN.value:
            raw_rate = self.required(body, "rate", where, "rate: 50")
            rate = self.rps(raw_rate, (*where, "rate"), 0.1) if raw_rate is not None else None
            raw_burst = self.required(body, "burst", where, "burst: 100")
            burst = self.integer(raw_burst, (*where, "burst"), 0) if raw_burst is not None else None
            if rate is None or burst is None:
                return None
        else:
            for key in ("rate", "burst"):
                if key in body:
                    self.log.add(
                        (*where, key),
                        f"'{key}' goes with limit: given",
                        hint="stage and usage-plan limits are read from the side file or from AWS",
                    )
        if source_text is None or ("tolerance" in body and tolerance is None):
            return None
        return ThrottleExpectation(LimitSource(source_text), tolerance, rate, burst)

    def mode(self, value: Any, where: JsonPath) -> str | None:
        if value is None:
            return None
        return self.choice(value, where, list(self.modes), "failure mode")

    def burst(
        self, value: Any, expect: Any, where: JsonPath
    ) -> tuple[RequestSpec, int, tuple[StatusBounds, ...]] | None:
        body = self.mapping(value, (*where, "burst"), _BURST_KEYS)
        if body is None:
            return None
        count = self.integer(
            self.required(body, "requests", (*where, "burst"), "requests: 10"), (*where, "burst", "requests"), 1, 5_000
        )
        request = self.request(
            self.required(body, "request", (*where, "burst"), "request: {method: GET, path: /}"),
            (*where, "burst", "request"),
        )
        bounds = self.expectations(expect, (*where, "expect"), count) if expect is not None else ()
        if count is None or request is None:
            return None
        return request, count, bounds

    def expectations(self, value: Any, where: JsonPath, count: int | None) -> tuple[StatusBounds, ...]:
        body = self.mapping(value, where)
        if body is None:
            return ()
        bounds: list[StatusBounds] = []
        for status, limits in body.items():
            if not _STATUS_KEY.match(status):
                self.log.add((*where, status), f"{status!r} is not a status", hint='write e.g. "429" or "2xx"')
                continue
            if (
                not isinstance(limits, list)
                or len(limits) != 2
                or not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in limits)
                or limits[0] > limits[1]
            ):
                self.log.add(
                    (*where, status),
                    f"expected [minimum, maximum] counts, found {limits!r}",
                    hint="e.g. [3, 4]; an exact count is [4, 4]",
                )
                continue
            if count is not None and limits[0] > count:
                self.log.add((*where, status), f"minimum {limits[0]} is more than the burst's {count} requests")
            bounds.append(StatusBounds(status, limits[0], limits[1]))
        return tuple(bounds)

    def request(self, value: Any, where: JsonPath) -> RequestSpec | None:
        body = self.mapping(value, where, _REQUEST_KEYS) if value is not None else None
        if body is None:
            return None
        method_text = self.required(body, "method", where, "method: GET")
        method = None
        if method_text is not None:
            method = self.choice(str(method_text).upper(), (*where, "method"), _METHODS, "HTTP method")
        path = self.text(self.required(body, "path", where, "path: /pets"), (*where, "path"))
        if path is not None and not path.startswith("/"):
            self.log.add((*where, "path"), f"{path!r} does not start with '/'", hint=f"write /{path}")
        query = self.query(body.get("query", {}), (*where, "query"))
        headers = self.headers(body.get("headers", {}), (*where, "headers"))
        payload = self.payload(body, where)
        auth = self.auth(body.get("auth"), (*where, "auth"))
        if method is None or path is None or auth is None:
            return None
        if "json" in body and not any(name.lower() == "content-type" for name, _ in headers):
            headers = (*headers, ("Content-Type", "application/json"))
        return RequestSpec(method, path, query, headers, payload, auth)

    def query(self, value: Any, where: JsonPath) -> tuple[tuple[str, str], ...]:
        body = self.mapping(value, where)
        if body is None:
            return ()
        pairs: list[tuple[str, str]] = []
        for name, item in body.items():
            if name.lower() in _SECRET_QUERY:
                self.log.add(
                    (*where, name),
                    "a literal signature or token in a scenario is refused",
                    hint="sign the request instead: auth: {sigv4: NAME}",
                )
            values = item if isinstance(item, list) else [item]
            for single in values:
                if single is None or isinstance(single, Mapping | list | bool):
                    self.log.add((*where, name), f"expected a string or a list of strings, found {describe_type(item)}")
                    break
                pairs.append((name, str(single)))
        return tuple(pairs)

    def headers(self, value: Any, where: JsonPath) -> tuple[tuple[str, str], ...]:
        pairs = self.string_map(value, where)
        for name, item in pairs.items():
            lowered = name.lower()
            if lowered in _SECRET_HEADERS:
                self.log.add((*where, name), "a literal secret in a scenario is refused", hint=_REFERENCE_HINT)
            elif lowered == "authorization" and (item.startswith("AWS4-") or _JWT_SHAPE.match(item)):
                # A made-up `Bearer deny` for a test authorizer is fine; a signature or a JWT is a secret.
                self.log.add(
                    (*where, name),
                    "a literal signature or token in a scenario is refused",
                    hint="use auth: {sigv4: NAME} or auth: {jwt: NAME} with a credential reference",
                )
        return tuple(pairs.items())

    def payload(self, body: Mapping[str, Any], where: JsonPath) -> bytes | None:
        given = [key for key in ("body", "json", "body-size") if key in body]
        if len(given) > 1:
            self.log.add((*where, given[1]), f"'{given[0]}' and '{given[1]}' are both given", hint="keep one")
            return None
        if not given:
            return None
        key = given[0]
        if key == "json":
            return json.dumps(body["json"]).encode()
        if key == "body":
            text = body["body"]
            if not isinstance(text, str):
                self.log.add(
                    (*where, "body"),
                    f"expected a string, found {describe_type(text)}",
                    hint="use json: for structured bodies",
                )
                return None
            return text.encode()
        size = self.integer(body["body-size"], (*where, "body-size"), 0, MAX_BODY_SIZE)
        return b"x" * size if size is not None else None

    def auth(self, value: Any, where: JsonPath) -> Auth | None:
        if value is None or value == "none":
            return Auth()
        body = self.mapping(value, where, _AUTH_KEYS)
        if body is None:
            return None
        kinds = [key for key in ("api-key", "sigv4", "jwt") if key in body]
        if len(kinds) != 1:
            self.log.add(
                where,
                "expected exactly one of api-key, sigv4 or jwt",
                hint="e.g. auth: {api-key: demo-key} naming a credential",
            )
            return None
        kind = AuthKind(kinds[0])
        credential = self.text(body[kind.value], (*where, kind.value))
        if credential is not None and credential not in self.credential_names:
            self.log.add(
                (*where, kind.value),
                f"no credential named {credential!r}",
                hint=choice_hint(credential, sorted(self.credential_names) or ["(none defined)"], "credentials"),
            )
        fault = body.get("fault")
        if fault is None:
            return Auth(kind, credential)
        if kind is AuthKind.SIGV4:
            choice = self.choice(fault, (*where, "fault"), [f.value for f in SigV4Fault], "SigV4 fault")
            return Auth(kind, credential, sigv4_fault=SigV4Fault(choice)) if choice else None
        if kind is AuthKind.JWT:
            choice = self.choice(fault, (*where, "fault"), [f.value for f in JwtFault], "JWT fault")
            return Auth(kind, credential, jwt_fault=JwtFault(choice)) if choice else None
        self.log.add(
            (*where, "fault"), "API keys take no fault", hint="for a wrong key use a random-api-key credential"
        )
        return None


def _planned(step: Step) -> int:
    return planned_requests(step)


def _importable(module_name: str) -> bool:
    """Whether `package.module` can be imported (without importing it)."""
    try:
        return importlib.util.find_spec(module_name) is not None
    except (ImportError, ValueError):
        return False
