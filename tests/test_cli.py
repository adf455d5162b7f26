"""The command line, run as a user runs it: a subprocess, its output and its exit code."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.conftest import ROOT

GATECRASH = [sys.executable, "-m", "gatecrash"]


def run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*GATECRASH, *args], capture_output=True, text=True, timeout=timeout, cwd=ROOT)


def test_demo_provokes_every_mode_and_exits_0() -> None:
    result = run("demo")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "19 as expected, 0 not." in result.stdout
    for mode in (
        "unknown-route",
        "missing-required-param",
        "invalid-body",
        "request-too-large",
        "missing-api-key",
        "invalid-api-key",
        "quota-exceeded",
        "throttled",
        "integration-timeout",
        "lambda-error",
        "malformed-lambda-response",
        "lambda-permission",
        "lambda-throttled",
        "backend-5xx",
        "integration-misconfigured",
    ):
        assert mode in result.stdout
    assert "NOT as expected" not in result.stdout


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
