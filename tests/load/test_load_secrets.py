"""Load phases keep no secret: their results, reports and kept files are scrubbed by the run's ledger.

Rate phases send an API key and a JWT (one minted by the emulator, one from the environment, and one
sent to an IAM method, which echoes the Authorization header it cannot read) against the demo
emulator with --keep-load-files, and every artefact is scanned for each secret and its recognisable
parts: results.json, junit.xml, report.html, the emulator's logs and every kept load file (the
records, the summary, the locustfile, locust's output). A second test has the engine quote the
secrets where locust's processes could (a stop line, a transport error, their output) and checks
that none of it survives.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from gatecrash.catalogue import load_catalogue
from gatecrash.credentials import Secrets
from gatecrash.emulator.auth.cognito import mint_token
from gatecrash.load import phase as load_phase
from gatecrash.load.engine import EngineRun
from gatecrash.load.phase import LoadOptions
from gatecrash.load.records import LoadRecord
from gatecrash.report.files import write_reports
from gatecrash.run import RunOptions, resolve_secrets, run_on_target
from gatecrash.scenario import LoadPhase, load_scenario
from gatecrash.target import open_target
from tests.conftest import DEMO
from tests.test_secrets_everywhere import CLIENT, POOL, STAGE, emulator_logs, parts

API_KEY = "gatecrash-demo-key-0123456789abcdef"
ANY_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}")


def scenario_text() -> str:
    def phase(name: str, mode: str, path: str, auth: str) -> str:
        return (
            f"  - name: {name}\n    mode: {mode}\n    rate: {{rps: 10, duration: 1s}}\n"
            f"    request: {{method: GET, path: {path}, auth: {auth}}}\n"
        )

    return (
        "name: load-secrets\n"
        f"target: {{emulator: {{definition: {DEMO}/api.yaml, side-file: {DEMO}/stage.yaml}}}}\n"
        "credentials:\n"
        "  demo-key: {emulator-api-key: demokey1}\n"
        f"  reader: {{emulator-token: {POOL}, client-id: {CLIENT}, scopes: [demo/read]}}\n"
        "  env-token: {env: GATECRASH_TEST_TOKEN}\n"
        "limits: {max-requests: 100, max-duration: 60s}\n"
        "probes:\n"
        + phase("keyed load", "ok", "/keyed", "{api-key: demo-key}")
        + phase("minted token load", "ok", "/cognito", "{jwt: reader}")
        + phase("env token load", "ok", "/cognito", "{jwt: env-token}")
        + phase("token to iam load", "unsigned-iam", "/iam", "{jwt: reader}")
    )


class TokenRecorder:
    """Wraps the phase's token minting: every secret a phase's processes were given."""

    def __init__(self) -> None:
        self.values: set[str] = set()
        self._mint = load_phase.with_phase_tokens

    def __call__(self, phase: LoadPhase, secrets: Secrets) -> Secrets:
        given = self._mint(phase, secrets)
        self.values.update(given.values())
        return given


def artefacts(reports: Sequence[Path], kept: Path) -> dict[str, str]:
    found = {path.name: path.read_text(encoding="utf-8") for path in reports}
    for path in sorted(kept.rglob("*")):
        if path.is_file():
            found[str(path.relative_to(kept))] = path.read_bytes().decode("utf-8", errors="replace")
    return found


def leaks(texts: dict[str, str], secrets: set[str]) -> list[tuple[str, str]]:
    looked_for = {part for value in secrets for part in parts(value)}
    found = [(name, part[:12] + "...") for name, text in texts.items() for part in looked_for if part in text]
    found += [(name, match[:12] + "...") for name, text in texts.items() for match in ANY_JWT.findall(text)]
    return sorted(set(found))


@pytest.fixture
def token(monkeypatch: pytest.MonkeyPatch) -> str:
    value = mint_token(STAGE, POOL, client_id=CLIENT, scopes=["demo/read"])
    monkeypatch.setenv("GATECRASH_TEST_TOKEN", value)
    return value


def test_rate_phases_with_an_api_key_and_jwts_leave_no_secret_in_any_artefact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, token: str
) -> None:
    catalogue = load_catalogue()
    path = tmp_path / "load-secrets.yaml"
    path.write_text(scenario_text())
    scenario = load_scenario(path, catalogue.ids)
    recorder = TokenRecorder()
    monkeypatch.setattr(load_phase, "with_phase_tokens", recorder)
    kept = tmp_path / "kept"
    with open_target(scenario.target) as target:
        resolved = resolve_secrets(scenario, target)
        run = run_on_target(scenario, target, catalogue, RunOptions(load=LoadOptions(work_dir=kept)))
        reports = write_reports(tmp_path / "reports", run)
        assert target.flush_logs is not None and target.logs_endpoint is not None
        target.flush_logs()
        logs = emulator_logs(target.logs_endpoint, target.region)

    # Every phase sent its requests with its secret: the key and both tokens were accepted.
    verdicts = {result.name: result.verdict.value for result in run.results}
    assert verdicts["keyed load"] == verdicts["minted token load"] == verdicts["env token load"] == "CONFIRMED"
    assert all(load.sent == 10 for load in run.loads)
    secrets = recorder.values | set(resolved.values())
    assert {API_KEY, token} <= secrets
    assert any(value.count(".") == 2 and value != token for value in secrets)  # the minted one
    texts = artefacts(reports, kept)
    texts["emulator logs"] = logs
    for phase_folder in ("keyed-load", "minted-token-load", "env-token-load", "token-to-iam-load"):
        for name in ("records.jsonl", "summary.json", "locustfile.py", "locust.log"):
            assert f"{phase_folder}/{name}" in texts
    assert leaks(texts, secrets) == []


def test_what_the_engine_quotes_of_a_secret_is_scrubbed_from_results_reports_and_kept_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, token: str
) -> None:
    # Where a phase's processes could quote a secret: a stop line, a transport error, their output.
    def quoting_engine(phase: LoadPhase, base_url: str, region: str, secrets: Secrets, *args: Any) -> EngineRun:
        work_dir = args[2]
        quoted = " ".join(secrets.values())
        assert work_dir is not None
        work_dir.mkdir(parents=True, exist_ok=True)
        (work_dir / "locust.log").write_text(f"Traceback: headers {{'Authorization': '{quoted}'}}\n")
        (work_dir / "records.jsonl").write_text(f'[0, 0, 1.0, 1.0, null, null, null, null, "error: {quoted}", 0]\n')
        record = LoadRecord(0, 0, 1.0, 1.0, None, None, None, None, f"error: {quoted}", 0)
        return EngineRun((record,), (0.0,), 1.0, (f"stopped: {quoted}",), True, 1, 1, "")

    monkeypatch.setattr(load_phase, "run_phase", quoting_engine)
    catalogue = load_catalogue()
    path = tmp_path / "load-secrets.yaml"
    path.write_text(scenario_text())
    scenario = load_scenario(path, catalogue.ids)
    recorder = TokenRecorder()
    monkeypatch.setattr(load_phase, "with_phase_tokens", recorder)
    kept = tmp_path / "kept"
    with open_target(scenario.target) as target:
        resolved = resolve_secrets(scenario, target)
        run = run_on_target(scenario, target, catalogue, RunOptions(correlate=False, load=LoadOptions(work_dir=kept)))
    reports = write_reports(tmp_path / "reports", run)
    secrets = recorder.values | set(resolved.values())
    assert {API_KEY, token} <= secrets
    assert all(load.stopped for load in run.loads)  # the stop lines are kept, scrubbed
    texts = artefacts(reports, kept)
    assert "Traceback: headers" in texts["keyed-load/locust.log"]
    assert "stopped: " in texts["results.json"]
    found = leaks(texts, secrets)
    assert found == [], [(name, texts[name][texts[name].find(part[:12]) - 200 :][:300]) for name, part in found]
    assert leaks({"stopped": " ".join(line for load in run.loads for line in load.stopped)}, secrets) == []
