"""`gatecrash compare` as a user runs it: two emulators configured to differ (AWS is out of reach here),
what it prints, its exit code, and the recorded cases replayed by the parity suite's runner."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from gatecrash.emulator.cloudwatch import LocalLogsServer
from gatecrash.emulator.definition import load_definition
from gatecrash.emulator.server import EmulatorServer
from gatecrash.emulator.sidefile import load_side_file
from gatecrash.parity.cases import load_cases
from gatecrash.parity.record import redacted_side_file
from gatecrash.parity.runner import run_cases
from tests.conftest import DEMO, ROOT

GATECRASH = [sys.executable, "-m", "gatecrash"]
DEMO_KEY = "gatecrash-demo-key-0123456789abcdef"
RETIRED_KEY = "gatecrash-retired-key-0123456789abc"

PROBES = """\
limits: {max-requests: 40, max-duration: 60s}
credentials:
  retired-key: {emulator-api-key: demokey2}
probes:
  - {name: list pets, mode: ok, request: {method: GET, path: /pets}}
  - {name: get a pet, mode: ok, request: {method: GET, path: /pets/1}}
  - {name: unknown route, mode: unknown-route, request: {method: GET, path: /nowhere}}
  - {name: no API key, mode: missing-api-key, request: {method: GET, path: /keyed}}
  - {name: a disabled key, mode: invalid-api-key, request: {method: GET, path: /keyed, auth: {api-key: retired-key}}}
  - name: burst past the method limit
    mode: throttled
    burst: {requests: 5, request: {method: GET, path: /limited}}
    expect: {"200": [0, 5], "429": [0, 5]}
"""


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*GATECRASH, *args], capture_output=True, text=True, timeout=180, cwd=ROOT, env=env, check=False
    )


def demo_scenario(folder: Path, definition: Path, side_file: Path, name: str = "pair") -> Path:
    path = folder / "scenario.yaml"
    path.write_text(
        f"name: {name}\ntarget: {{emulator: {{definition: {definition}, side-file: {side_file}}}}}\n" + PROBES
    )
    return path


def changed_copy(folder: Path) -> Path:
    """The demo API with a looser method throttle, the retired key enabled, and another MOCK body."""
    folder.mkdir()
    stage = yaml.safe_load((DEMO / "stage.yaml").read_text())
    stage["stage"]["methodSettings"]["~1limited/GET"] = {"throttlingRateLimit": 1, "throttlingBurstLimit": 5}
    stage["apiKeys"][1]["enabled"] = True
    (folder / "stage.yaml").write_text(yaml.safe_dump(stage))
    (folder / "handlers.py").write_text((DEMO / "handlers.py").read_text())
    api = (DEMO / "api.yaml").read_text()
    (folder / "api.yaml").write_text(
        api.replace('[{"name": "Rex", "kind": "dog"}]', '[{"name": "Rex", "kind": "cat"}]')
    )
    return demo_scenario(folder, folder / "api.yaml", folder / "stage.yaml", "the copy")


@dataclass(frozen=True)
class Compared:
    result: subprocess.CompletedProcess[str]
    document: dict[str, Any]
    cases: Path
    copy: Path

    def differences(self, probe: str) -> dict[str, tuple[str, str]]:
        found = next(p for p in self.document["probes"] if p["name"] == probe)
        return {d["aspect"]: (d["a"], d["b"]) for d in found["differences"]}


@pytest.fixture(scope="module")
def compared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Compared]:
    folder = tmp_path_factory.mktemp("compare")
    scenario = demo_scenario(folder, DEMO / "api.yaml", DEMO / "stage.yaml")
    copy = changed_copy(folder / "copy")
    cases = folder / "cases"
    result = run(
        "compare",
        str(scenario),
        "--target-a",
        "emulator",
        "--target-b",
        str(copy),
        "--record",
        str(cases),
        "--json",
        env={**os.environ, "COLUMNS": "400"},  # the table's cells unwrapped
    )
    yield Compared(result, json.loads(result.stdout or "{}"), cases, copy)


def test_differing_targets_exit_1_and_name_each_difference(compared: Compared) -> None:
    assert compared.result.returncode == 1, compared.result.stderr
    assert compared.document["agree"] is False
    assert compared.differences("a disabled key") == {
        "status": ("403", "200"),
        "x-amzn-ErrorType": ("ForbiddenException", "(none)"),
        "body": ('{"message":"Forbidden"}', "(empty)"),
        "header access-control-allow-origin": ("*", "(absent)"),  # DEFAULT_4XX's header, on A's 403 only
        "cause": ("invalid-api-key", "ok"),  # what each side's logs prove
    }
    assert compared.differences("burst past the method limit") == {
        "answers": ("2x 200, 3x 429 TooManyRequestsException", "5x 200"),
        "cause": ("throttled", "ok"),
    }
    [(aspect, (body_a, body_b))] = compared.differences("list pets").items()
    assert aspect == "body" and '"dog"' in body_a and '"cat"' in body_b


def test_what_differs_only_by_request_id_and_date_agrees(compared: Compared) -> None:
    # /pets/1 echoes its own request id; both sides answer x-amzn-RequestId, Date... of their own.
    for probe in ("get a pet", "unknown route", "no API key"):
        assert compared.differences(probe) == {}, probe


def test_the_table_goes_to_stderr_with_json_and_says_how_many_differ(compared: Compared) -> None:
    table = compared.result.stderr
    assert "where they differ" in table and "status: A 403 | B 200" in table
    assert "3 of 6 probes differ" in table
    assert f"recorded 5 cases of side B in {compared.cases / 'pair.yaml'}" in table.replace("\n", "")
    assert "not recorded: burst past the method limit: a burst's answers depend on timing" in table


def test_the_recording_loads_replays_and_holds_no_secret(compared: Compared, logs_server: LocalLogsServer) -> None:
    [case_file] = load_cases(compared.cases)
    assert [case.id for case in case_file.cases] == [
        "pair/list pets",
        "pair/get a pet",
        "pair/unknown route",
        "pair/no API key",
        "pair/a disabled key",
    ]
    assert all(case.source.capture and "gatecrash compare --record" in case.source.capture for case in case_file.cases)
    disabled = next(case for case in case_file.cases if case.id == "pair/a disabled key")
    assert disabled.steps[0].expect.status == 200  # side B's answer
    no_key = next(case for case in case_file.cases if case.id == "pair/no API key")
    # A header the runner's report keeps no note of: every response header is compared and recorded.
    assert ("access-control-allow-origin", "*") in no_key.steps[0].expect.headers
    text = (compared.cases / "pair.yaml").read_text()
    for secret in (DEMO_KEY, RETIRED_KEY, "gatecrash-demo-secret-allowed", "gatecrash-demo-session-token"):
        assert secret not in text
    assert (compared.cases / "handlers.py").is_file()  # the demo functions' module, for the replay

    results = run_cases([case_file], logs_endpoint=logs_server.endpoint_url)
    assert {result.case.id: result.differences for result in results if not result.reproduced} == {}

    # Replayed with side A's stage instead, the key side B had enabled is refused again: the cases are B's.
    demo_stage = yaml.safe_load((DEMO / "stage.yaml").read_text())
    as_a = replace(case_file, side_file=redacted_side_file(demo_stage, {}))
    refused = {r.case.id: r.differences for r in run_cases([as_a], logs_endpoint=logs_server.endpoint_url)}
    assert refused["pair/a disabled key"] and "status 403, AWS 200" in refused["pair/a disabled key"][0]
    assert not refused["pair/no API key"]


def test_one_target_against_itself_agrees_and_exits_0(tmp_path: Path) -> None:
    scenario = demo_scenario(tmp_path, DEMO / "api.yaml", DEMO / "stage.yaml")
    result = run("compare", str(scenario), "--target-b", "emulator", env={**os.environ, "COLUMNS": "200"})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "the two sides agree" in result.stdout
    assert "where they differ" in result.stdout and "status:" not in result.stdout


def test_an_aws_side_reads_its_logs_from_the_endpoint_url(tmp_path: Path, logs_server: LocalLogsServer) -> None:
    """A deployed stage, played by an emulator on loopback whose logs go to a local CloudWatch Logs server:
    the aws side's requests, credentials (env) and log correlation run as they would against AWS."""
    stage = load_side_file(DEMO / "stage.yaml")
    with EmulatorServer(load_definition(DEMO / "api.yaml"), stage, logs_endpoint=logs_server.endpoint_url) as server:
        assert server.endpoints is not None
        deployed = tmp_path / "deployed.yaml"
        deployed.write_text(
            f"target: {{aws: {{invoke-url: '{server.endpoints.base_url}', region: us-east-1, "
            f"rest-api-id: {stage.rest_api_id}, stage: demo, access-log-group: gatecrash-demo-access}}}}\n"
            "limits: {max-requests: 1, max-duration: 10s}\n"
            "probes: [{name: unused, mode: ok, request: {method: GET, path: /pets}}]\n"
        )
        scenario = tmp_path / "scenario.yaml"
        scenario.write_text(
            f"target: {{emulator: {{definition: {DEMO}/api.yaml, side-file: {DEMO}/stage.yaml}}}}\n"
            "limits: {max-requests: 10, max-duration: 60s}\n"
            "credentials: {demo-key: {env: DEMO_KEY}}\n"
            "probes:\n"
            "  - {name: keyed, mode: ok, request: {method: GET, path: /keyed, auth: {api-key: demo-key}}}\n"
            "  - {name: unknown route, mode: unknown-route, request: {method: GET, path: /nowhere}}\n"
        )
        env = {**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "DEMO_KEY": DEMO_KEY}
        result = run(
            "compare",
            str(scenario),
            "--target-b",
            str(deployed),
            "--endpoint-url",
            logs_server.endpoint_url,
            "--logs-deadline",
            "20s",
            "--json",
            env=env,
        )
    assert result.returncode == 0, result.stdout + result.stderr
    document = json.loads(result.stdout)
    assert document["b"].startswith(f"{deployed} (AWS {stage.rest_api_id}/demo (us-east-1))")
    assert [(p["name"], p["b"], p["differences"]) for p in document["probes"]] == [
        ("keyed", "200", []),
        ("unknown route", "403 MissingAuthenticationTokenException", []),
    ]


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("aws", "'aws' means the scenario's own target, and it is an emulator"),
        ("aws:https://api.example.com/v1", "is not an execute-api invoke URL"),
        ("nowhere", "'nowhere' names no target"),
    ],
)
def test_a_target_that_names_nothing_usable_exits_2_before_sending(tmp_path: Path, target: str, message: str) -> None:
    scenario = demo_scenario(tmp_path, DEMO / "api.yaml", DEMO / "stage.yaml")
    result = run("compare", str(scenario), "--target-b", target, env={**os.environ, "COLUMNS": "250"})
    assert result.returncode == 2, result.stdout + result.stderr
    assert message in result.stderr and "--target-b" in result.stderr


def test_an_emulator_only_credential_with_a_deployed_side_stops_before_sending(tmp_path: Path) -> None:
    scenario = demo_scenario(tmp_path, DEMO / "api.yaml", DEMO / "stage.yaml")
    deployed = "aws:https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod"
    result = run("compare", str(scenario), "--target-b", deployed, env={**os.environ, "COLUMNS": "300"})
    assert result.returncode == 3, result.stdout + result.stderr
    assert "$.credentials.retired-key: emulator-api-key is resolved by an emulator only" in result.stderr
    assert "valueFrom: {env: NAME}" in result.stderr
    assert "where they differ" not in result.stdout  # nothing ran
