"""The command line, run as a user runs it: a subprocess, its output and its exit code."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from gatecrash.catalogue import load_catalogue
from gatecrash.scenario import load_scenario
from tests.conftest import DEMO, ROOT
from tests.fixtures.apis import DEFINITIONS

GATECRASH = [sys.executable, "-m", "gatecrash"]


def run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*GATECRASH, *args], capture_output=True, text=True, timeout=timeout, cwd=ROOT)


def test_run_with_no_argument_runs_the_demo_and_writes_results(tmp_path: Path) -> None:
    result = run("run", "--reports", str(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    scenario = load_scenario(ROOT / "scenarios/demo/scenario.yaml", load_catalogue().ids)
    assert "WRONG" not in result.stdout and "ERROR" not in result.stdout
    assert f"{len(scenario.steps)} probes: {len(scenario.steps)} CONFIRMED." in result.stdout
    [results] = list(tmp_path.glob("*/results.json"))
    assert str(results) in result.stdout.replace("\n", "")
    document = json.loads(results.read_text())
    assert document["as_expected"] is True
    assert {probe["verdict"] for probe in document["probes"]} == {"CONFIRMED"}
    assert (results.parent / "junit.xml").is_file() and (results.parent / "report.html").is_file()
    assert [probe["name"] for probe in document["probes"]] == [step.name for step in scenario.steps]
    burst = next(probe for probe in document["probes"] if probe["kind"] == "burst")
    assert sorted(exchange["status"] for exchange in burst["exchanges"]) == [200, 200, 429, 429, 429]
    quota = next(probe for probe in document["probes"] if probe["mode"] == "quota-exceeded")
    assert [exchange["status"] for exchange in quota["exchanges"]] == [200] * 5 + [429]
    assert all(
        exchange["request_id"]
        for probe in document["probes"]
        for exchange in probe["exchanges"]
        if probe["mode"] != "request-too-large"
    )
    # Secrets never reach a report.
    assert "gatecrash-demo-key-0123456789abcdef" not in results.read_text()


def test_a_wrong_expectation_exits_1_naming_the_difference(tmp_path: Path) -> None:
    scenario = tmp_path / "wrong.yaml"
    scenario.write_text(
        f"target: {{emulator: {{definition: {DEMO}/api.yaml, side-file: {DEMO}/stage.yaml}}}}\n"
        "limits: {max-requests: 5, max-duration: 30s}\n"
        "probes:\n"
        "  - {name: expects a throttle, mode: throttled, request: {method: GET, path: /pets}}\n"
        "  - {name: expects a 502, mode: lambda-error, request: {method: GET, path: /nowhere}}\n"
    )
    result = run("run", str(scenario), "--reports", str(tmp_path))
    assert result.returncode == 1
    assert "WRONG_STATUS" in result.stdout
    document = json.loads(next(tmp_path.glob("*/results.json")).read_text())
    reasons = {probe["name"]: (probe["verdict"], probe["reason"]) for probe in document["probes"]}
    assert reasons["expects a throttle"] == (
        "WRONG_STATUS",
        'expected 429 (throttled), got 200: the logs show ok (execution log "Method completed with status: 200")',
    )
    assert reasons["expects a 502"] == (
        "WRONG_STATUS",
        "expected 502 (lambda-error), got 403 MissingAuthenticationTokenException: the logs show unknown-route "
        "(access log error.responseType=MISSING_AUTHENTICATION_TOKEN)",
    )


def test_validate_reports_every_mistake_and_exits_2(tmp_path: Path) -> None:
    scenario = tmp_path / "bad.yaml"
    scenario.write_text(
        "target: {emulator: {definition: nope.yaml}}\nlimits: {max-requests: 1, max-duration: 1s}\n"
        "probes:\n  - {name: x, mode: unknown-rout, request: {method: GET, path: /}}\n"
    )
    result = run("validate", str(scenario))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert f"{scenario}:1: $.target.emulator.definition: no file 'nope.yaml'" in result.stderr
    assert (
        f"{scenario}:4: $.probes[0].mode: unknown failure mode 'unknown-rout' (did you mean 'unknown-route'?"
        in result.stderr
    )


def test_validate_accepts_the_demo() -> None:
    result = run("validate", "scenarios/demo")
    assert result.returncode == 0, result.stderr
    assert "scenario.yaml: valid:" in result.stdout


def test_modes_lists_the_catalogue() -> None:
    result = run("modes")
    assert result.returncode == 0
    for mode in load_catalogue():
        assert mode.id in result.stdout


def test_bad_definition_is_reported_with_file_line_and_path_and_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "api.yaml"
    bad.write_text(
        "openapi: 3.0.1\ninfo: {title: t, version: '1'}\npaths:\n  /x:\n    get:\n"
        "      x-amazon-apigateway-integration:\n        type: lambda_proxy\n"
    )
    result = run("emulator", "--definition", str(bad))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert re.search(
        rf"{re.escape(str(bad))}:7: \$\.paths\['/x'\]\.get\.x-amazon-apigateway-integration\.type: ", result.stderr
    ), result.stderr


def test_missing_definition_file_exits_2_naming_it(tmp_path: Path) -> None:
    result = run("emulator", "--definition", str(tmp_path / "nope.yaml"))
    assert result.returncode == 2
    assert "nope.yaml" in result.stderr and "Traceback" not in result.stderr


def test_malformed_stage_variable_is_a_usage_error() -> None:
    result = run("emulator", "--definition", "scenarios/demo/api.yaml", "--stage-variable", "novalue")
    assert result.returncode == 2
    assert "expected NAME=VALUE" in result.stderr


def test_emulator_serves_until_interrupted(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [*GATECRASH, "emulator", "--definition", "scenarios/demo/api.yaml", "--side-file", "scenarios/demo/stage.yaml"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        match = re.search(r"at (http://127\.0\.0\.1:\d+/demo)", line)
        assert match, line
        base = match.group(1)
        deadline = time.monotonic() + 10
        while True:
            try:
                response = httpx.get(base + "/pets", timeout=5)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline
                time.sleep(0.05)
        assert response.status_code == 200
        assert httpx.get(base + "/nope").headers["x-amzn-errortype"] == "MissingAuthenticationTokenException"
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert "Traceback" not in err


def test_an_unreachable_target_exits_3(tmp_path: Path) -> None:
    scenario = tmp_path / "down.yaml"
    scenario.write_text(
        "target: {aws: {invoke-url: 'https://127.0.0.1:9/prod', region: us-east-1, rest-api-id: x, stage: prod}}\n"
        "limits: {max-requests: 2, max-duration: 30s}\n"
        "probes:\n  - {name: p, mode: ok, request: {method: GET, path: /}}\n"
    )
    result = run("run", str(scenario), "--reports", str(tmp_path))
    assert result.returncode == 3
    assert "no request reached https://127.0.0.1:9/prod" in result.stderr


def test_an_unset_credential_variable_exits_3_naming_it(tmp_path: Path) -> None:
    scenario = tmp_path / "creds.yaml"
    scenario.write_text(
        f"target: {{emulator: {{definition: {DEMO}/api.yaml, side-file: {DEMO}/stage.yaml}}}}\n"
        "credentials: {prod: {env: GATECRASH_TEST_UNSET_KEY}}\n"
        "limits: {max-requests: 2, max-duration: 30s}\n"
        "probes:\n  - {name: p, mode: ok, request: {method: GET, path: /keyed, auth: {api-key: prod}}}\n"
    )
    result = run("run", str(scenario), "--reports", str(tmp_path))
    assert result.returncode == 3
    assert "$.credentials.prod: environment variable GATECRASH_TEST_UNSET_KEY is not set" in result.stderr


def test_token_mints_a_jwt_of_the_local_pool() -> None:
    import base64

    result = run(
        "token", "--side-file", "scenarios/demo/stage.yaml", "--pool", "us-east-1_demo0001", "--scope", "demo/read"
    )
    assert result.returncode == 0, result.stderr
    token = result.stdout.strip()
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert claims["iss"] == "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_demo0001"
    assert claims["scope"] == "demo/read" and claims["token_use"] == "access"
    assert json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))["alg"] == "RS256"
    wrong = run("token", "--side-file", "scenarios/demo/stage.yaml", "--pool", "us-east-1_demo0002")
    assert wrong.returncode == 2 and "us-east-1_demo0001" in wrong.stderr


def test_generate_with_an_offline_side_file_then_run_confirms_a_pet_shop(tmp_path: Path) -> None:
    # PetStore-like; AWS's own PetStore gets the same run in corpus/test_cli.py.
    scenario, side = tmp_path / "pet-shop.yaml", tmp_path / "pet-shop.side.yaml"
    generated = run("generate", str(DEFINITIONS / "pet-shop.json"), "-o", str(scenario), "--side-file-out", str(side))
    assert generated.returncode == 0, generated.stderr
    assert f"wrote the offline side file {side}" in generated.stderr
    assert "endpointOverrides:" in side.read_text()
    result = run("run", str(scenario), "--reports", str(tmp_path / "reports"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "8 probes: 8 CONFIRMED." in result.stdout


def test_generate_refuses_reading_and_writing_a_side_file_at_once(tmp_path: Path) -> None:
    both = ("--side-file", str(DEMO / "stage.yaml"), "--side-file-out", str(tmp_path / "side.yaml"))
    result = run("generate", str(DEMO / "api.yaml"), *both)
    assert result.returncode == 2
    assert "--side-file reads a side file and --side-file-out writes one" in result.stderr
    assert "Traceback" not in result.stderr
