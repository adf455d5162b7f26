"""`--strict` and the import warnings, through the real CLI: AWS's `import-rest-api` with failonwarnings=false
(its default) goes on past "minor issues like a missing model reference" and returns them as warnings; with
failonwarnings=true they are errors ("Errors and warnings from importing your API into API Gateway",
https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-import-api-errors-warnings.html)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

GATECRASH = [sys.executable, "-m", "gatecrash"]

# Two model references to nothing (one in each method's body), and a MOCK GET that answers 200.
DEFINITION = """\
openapi: "3.0.1"
info: {title: lenient, version: "1"}
paths:
  /pets:
    get:
      responses: {"200": {description: ok}}
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates: {application/json: '{"statusCode": 200}'}
        responses: {default: {statusCode: "200"}}
    post:
      requestBody:
        content:
          application/json:
            schema: {$ref: "#/components/schemas/Pett"}
      responses: {"200": {description: ok}}
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates: {application/json: '{"statusCode": 200}'}
        responses: {default: {statusCode: "200"}}
    put:
      requestBody:
        content:
          application/json:
            schema: {$ref: "#/components/schemas/Owner"}
      responses: {"200": {description: ok}}
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates: {application/json: '{"statusCode": 200}'}
        responses: {default: {statusCode: "200"}}
components:
  schemas:
    Pet: {type: object}
"""
SCENARIO = """\
target: {emulator: {definition: api.yaml}}
limits: {max-requests: 2, max-duration: 30s}
probes:
  - {name: listed, mode: ok, request: {method: GET, path: /pets}}
"""
PETT = "$ref '#/components/schemas/Pett' points to nothing"
OWNER = "$ref '#/components/schemas/Owner' points to nothing"


def gatecrash(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*GATECRASH, *args], cwd=folder, capture_output=True, text=True, timeout=120, check=False)


def lenient_api(tmp_path: Path) -> Path:
    (tmp_path / "api.yaml").write_text(DEFINITION)
    (tmp_path / "scenario.yaml").write_text(SCENARIO)
    return tmp_path


def test_run_warns_once_per_problem_naming_file_and_place_and_goes_on(tmp_path: Path) -> None:
    folder = lenient_api(tmp_path)
    result = gatecrash(folder, "run", "scenario.yaml", "--no-logs", "--reports", "reports")
    assert result.returncode == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning: ")]
    assert len(warnings) == 2, result.stderr
    assert warnings[0].startswith(f"warning: {folder / 'api.yaml'}:15: $.paths['/pets'].post.requestBody")
    assert PETT in warnings[0] and "ignored" in warnings[0]
    assert warnings[1].startswith(f"warning: {folder / 'api.yaml'}:25: $.paths['/pets'].put.requestBody")
    assert OWNER in warnings[1]


def test_run_strict_refuses_listing_every_problem_before_sending(tmp_path: Path) -> None:
    folder = lenient_api(tmp_path)
    result = gatecrash(folder, "run", "scenario.yaml", "--no-logs", "--reports", "reports", "--strict")
    assert result.returncode == 2
    assert "error: 2 problem(s):" in result.stderr
    assert PETT in result.stderr and OWNER in result.stderr
    assert "Traceback" not in result.stderr
    assert not (folder / "reports").exists()  # refused before anything was sent


def test_validate_reads_the_definition_too(tmp_path: Path) -> None:
    folder = lenient_api(tmp_path)
    lenient = gatecrash(folder, "validate", "scenario.yaml")
    assert lenient.returncode == 0, lenient.stderr
    assert PETT in lenient.stderr and OWNER in lenient.stderr
    strict = gatecrash(folder, "validate", "scenario.yaml", "--strict")
    assert strict.returncode == 2
    assert "2 problem(s)" in strict.stderr and PETT in strict.stderr and OWNER in strict.stderr


def test_generate_warns_or_refuses(tmp_path: Path) -> None:
    folder = lenient_api(tmp_path)
    lenient = gatecrash(folder, "generate", "api.yaml")
    assert lenient.returncode == 0, lenient.stderr
    assert "probes:" in lenient.stdout
    assert lenient.stderr.count(PETT) == 1 and lenient.stderr.count(OWNER) == 1
    strict = gatecrash(folder, "generate", "api.yaml", "--strict")
    assert strict.returncode == 2
    assert PETT in strict.stderr and OWNER in strict.stderr
    assert strict.stdout == ""


def test_compare_strict_refuses(tmp_path: Path) -> None:
    folder = lenient_api(tmp_path)
    result = gatecrash(folder, "compare", "scenario.yaml", "--target-b", "emulator", "--strict", "--no-logs")
    assert result.returncode == 2
    assert PETT in result.stderr and OWNER in result.stderr


def test_emulator_strict_refuses_before_serving(tmp_path: Path) -> None:
    folder = lenient_api(tmp_path)
    result = gatecrash(folder, "emulator", "--definition", "api.yaml", "--strict")
    assert result.returncode == 2
    assert "2 problem(s)" in result.stderr and PETT in result.stderr and OWNER in result.stderr
