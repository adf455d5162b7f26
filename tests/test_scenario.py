"""The scenario loader: the demo loads; mistakes come back all at once, exact and helpful."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from gatecrash.catalogue import load_catalogue
from gatecrash.errors import ScenarioError
from gatecrash.scenario import (
    AuthKind,
    Burst,
    CredentialKind,
    EmulatorTarget,
    Judge,
    Probe,
    SigV4Fault,
    StatusBounds,
    load_scenario,
    scenario_files,
)
from tests.conftest import DEMO

MODES = (
    "ok",
    "unknown-route",
    "throttled",
    "quota-exceeded",
    "invalid-body",
    "missing-api-key",
    "invalid-api-key",
    "missing-required-param",
    "request-too-large",
    "integration-timeout",
    "lambda-error",
    "malformed-lambda-response",
    "lambda-permission",
    "lambda-throttled",
    "backend-5xx",
    "integration-misconfigured",
    "unsigned-iam",
    "invalid-signature",
)


def write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "api.yaml").write_text("openapi: 3.0.1\ninfo: {title: t, version: '1'}\npaths: {}\n")
    path = tmp_path / "scenario.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path, MODES)
    return [str(problem) for problem in caught.value.problems]


def test_the_demo_scenario_loads() -> None:
    scenario = load_scenario(DEMO / "scenario.yaml", load_catalogue().ids)
    assert scenario.name == "demo"
    assert isinstance(scenario.target, EmulatorTarget)
    assert scenario.target.definition == (DEMO / "api.yaml").resolve()
    assert scenario.target.backends == {"backend": f"{(DEMO / 'backend.py').resolve()}:app"}
    assert scenario.credentials["demo-key"].kind is CredentialKind.EMULATOR_API_KEY
    assert scenario.credentials["caller"].kind is CredentialKind.EMULATOR_IAM
    reader = scenario.credentials["reader"]
    assert (reader.kind, reader.reference, reader.client_id, reader.scopes) == (
        CredentialKind.EMULATOR_TOKEN,
        "us-east-1_demo0001",
        "demo0app0client0000000001",
        ("demo/read",),
    )
    quota = next(step for step in scenario.steps if step.name == "daily quota of 5 used up")
    assert isinstance(quota, Probe) and quota.repeat == 6 and quota.judge is Judge.LAST
    assert quota.request.auth.kind is AuthKind.API_KEY and quota.request.auth.credential == "demo-key"
    burst = next(step for step in scenario.steps if isinstance(step, Burst))
    assert burst.requests == 5
    assert burst.expect == (StatusBounds("200", 2, 2), StatusBounds("429", 3, 3))
    big = next(step for step in scenario.steps if step.mode == "request-too-large")
    assert big.request.body is not None and len(big.request.body) == 10 * 1024 * 1024 + 1
    assert scenario.planned_requests <= scenario.limits.max_requests


def test_scenario_files_of_a_folder_are_those_with_probes() -> None:
    assert scenario_files([DEMO]) == [DEMO / "scenario.yaml"]


def test_every_mistake_is_reported_with_line_path_and_fix(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        target:
          emulator: {definition: api.yaml, side-fil: stage.yaml}
        credentials:
          key: {value: abc123}
        limits: {max-requests: 2, max-duration: 10 seconds}
        probes:
          - name: one
            mode: throtled
            request: {method: GET, path: pets, auth: {api-key: nokey}}
          - name: one
            mode: ok
            request: {method: FETCH, path: /x, headers: {x-api-key: "secret-literal"}}
            repeat: 3
        """,
    )
    found = problems(path)
    source = str(path)
    assert found == [
        f"{source}:2: $.target.emulator.side-fil: unknown key 'side-fil' (did you mean 'side-file'? valid keys: "
        "definition, side-file, stage-variables, backends, variables)",
        f"{source}:4: $.credentials.key.value: a literal secret in a scenario is refused (reference it instead: under "
        "credentials, `NAME: {env: VARIABLE}` (or emulator-api-key, profile), then `auth: {api-key: NAME}` on the "
        "request)",
        f"{source}:5: $.limits.max-duration: expected a duration such as '30s', '500ms', '2m', found '10 seconds' "
        "(write a number followed by ms, s, m or h)",
        f"{source}:5: $.limits.max-requests: the probes plan 4 requests, more than max-requests 2 (raise "
        "max-requests to at least 4 or send fewer)",
        f"{source}:8: $.probes[0].mode: unknown failure mode 'throtled' (did you mean 'throttled'? valid values: "
        + ", ".join(MODES)
        + ")",
        f"{source}:9: $.probes[0].request.path: 'pets' does not start with '/' (write /pets)",
        f"{source}:9: $.probes[0].request.auth.api-key: no credential named 'nokey' (did you mean 'key'? "
        "credentials: key)",
        f"{source}:10: $.probes[1].name: probe name 'one' is used twice (names identify probes in reports: make "
        "each one unique)",
        f"{source}:12: $.probes[1].request.method: unknown HTTP method 'FETCH' (did you mean 'PATCH'? valid values: "
        "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS)",
        f"{source}:12: $.probes[1].request.headers.x-api-key: a literal secret in a scenario is refused (reference it "
        "instead: under credentials, `NAME: {env: VARIABLE}` (or emulator-api-key, profile), then `auth: {api-key: "
        "NAME}` on the request)",
    ]


def test_missing_sections_and_bad_target(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        target: {emulator: {definition: nope.yaml}}
        """,
    )
    found = problems(path)
    assert any("$.target.emulator.definition: no file 'nope.yaml'" in p for p in found)
    assert any(
        p.endswith("$: missing 'limits' (add it, e.g. limits: {max-requests: 100, max-duration: 60s})") for p in found
    )
    assert any(p.endswith("$: missing 'probes' (add it, e.g. probes: [...])") for p in found)


def test_burst_expectations_and_sigv4_faults(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        target:
          aws: {invoke-url: "https://abc.execute-api.us-east-1.amazonaws.com/prod", region: us-east-1,
                rest-api-id: abc, stage: prod, profile: dev}
        credentials:
          me: {profile: dev}
        limits: {max-requests: 20, max-duration: 1m}
        probes:
          - name: burst
            mode: throttled
            burst: {requests: 10, request: {method: GET, path: /x}}
            expect: {"2xx": [1, 5], "429": [5, 9]}
          - name: bad signature
            mode: invalid-signature
            request: {method: POST, path: /x, json: {a: 1}, auth: {sigv4: me, fault: wrong-secret}}
        """,
    )
    scenario = load_scenario(path, MODES)
    burst, signed = scenario.steps
    assert isinstance(burst, Burst) and burst.expect == (StatusBounds("2xx", 1, 5), StatusBounds("429", 5, 9))
    assert isinstance(signed, Probe)
    assert signed.request.auth.sigv4_fault is SigV4Fault.WRONG_SECRET
    assert ("Content-Type", "application/json") in signed.request.headers
    assert signed.request.body == b'{"a": 1}'
    assert scenario.limits.max_duration_s == 60.0


def test_bad_expectations_and_faults(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        target: {emulator: {definition: api.yaml}}
        limits: {max-requests: 20, max-duration: 1m}
        credentials:
          me: {profile: dev}
        probes:
          - name: burst
            mode: throttled
            burst: {requests: 3, request: {method: GET, path: /x}}
            expect: {"429": [5, 4], "abc": [1, 1], "200": [4, 4]}
          - name: fault
            mode: invalid-signature
            request: {method: GET, path: /x, auth: {sigv4: me, fault: wrong-secrets}}
        """,
    )
    found = problems(path)
    source = str(path)
    assert (
        f"{source}:9: $.probes[0].expect['429']: expected [minimum, maximum] counts, found [5, 4] "
        "(e.g. [3, 4]; an exact count is [4, 4])" in found
    )
    assert f'{source}:9: $.probes[0].expect.abc: \'abc\' is not a status (write e.g. "429" or "2xx")' in found
    assert f"{source}:9: $.probes[0].expect['200']: minimum 4 is more than the burst's 3 requests" in found
    assert any(
        "$.probes[1].request.auth.fault: unknown SigV4 fault 'wrong-secrets' (did you mean 'wrong-secret'?" in p
        for p in found
    )


def test_a_backend_may_be_an_importable_module_and_an_unknown_one_is_reported(tmp_path: Path) -> None:
    api = (DEMO / "api.yaml").resolve()
    good = write(
        tmp_path,
        f"""
        name: stand-in
        target:
          emulator:
            definition: {api}
            backends: {{stand_in: "gatecrash.emulator.standins:http_backend"}}
        limits: {{max-requests: 10, max-duration: 60s}}
        probes:
          - {{name: p, mode: ok, request: {{method: GET, path: /pets}}}}
        """,
    )
    scenario = load_scenario(good, MODES)
    assert isinstance(scenario.target, EmulatorTarget)
    assert scenario.target.backends == {"stand_in": "gatecrash.emulator.standins:http_backend"}
    good.write_text(good.read_text().replace("gatecrash.emulator.standins", "gatecrash.no_such_module"))
    [problem] = problems(good)
    assert "$.target.emulator.backends.stand_in: expected 'file.py:attribute' or 'package.module:attribute'" in problem
