"""Secrets never reach an artefact: every auth fault with every credential kind, every artefact scanned.

The run and a canary run go against the demo emulator in this process, so that every request's
secrets can be recorded as it is built (the keys, the tokens minted for it, its SigV4 signature) and
the emulator's own CloudWatch logs read back before it stops. Each secret is looked for whole and by
its recognisable parts (a JWT's header, payload and signature segments; a signature's hex; a secret
key) in results.json, junit.xml, report.html, the canary's history and page, and the emulator's logs.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import boto3
import pytest

from gatecrash.canary.loop import CanaryOptions, run_canary
from gatecrash.catalogue import load_catalogue
from gatecrash.emulator.auth.cognito import mint_token
from gatecrash.emulator.sidefile import load_side_file
from gatecrash.report.files import write_reports
from gatecrash.run import resolve_secrets, run_on_target
from gatecrash.runner import fire
from gatecrash.runner.build import WireRequest, build
from gatecrash.scenario import load_scenario
from gatecrash.target import open_target
from tests.conftest import DEMO

STAGE = load_side_file(DEMO / "stage.yaml")
POOL, CLIENT = "us-east-1_demo0001", "demo0app0client0000000001"
SIGV4_FAULTS = (None, "unsigned", "wrong-secret", "skewed-clock", "tampered-body", "malformed")
JWT_FAULTS = (None, "missing", "expired", "wrong-signature", "wrong-issuer", "wrong-audience")
ENV_TOKEN_FAULTS = (None, "missing", "wrong-signature")  # the others only the emulator can mint
MIN_PART = 8


def _probe(name: str, path: str, auth: str, method: str = "GET") -> str:
    return f"  - {{name: {name}, mode: ok, request: {{method: {method}, path: {path}, auth: {auth}}}}}\n"


def _with_fault(kind: str, credential: str, fault: str | None) -> str:
    return f"{{{kind}: {credential}" + (f", fault: {fault}" if fault else "") + "}"


def scenario_text() -> str:
    probes = [_probe(f"key {c}", "/keyed", f"{{api-key: {c}}}") for c in ("demo-key", "env-key", "made-up")]
    probes += [_probe(f"key {c} to iam", "/iam", f"{{api-key: {c}}}") for c in ("demo-key",)]
    for credential in ("caller", "temporary", "profiled"):
        for fault in SIGV4_FAULTS:
            probes.append(_probe(f"sigv4 {credential} {fault}", "/iam", _with_fault("sigv4", credential, fault)))
        probes.append(_probe(f"sigv4 {credential} to cognito", "/cognito", _with_fault("sigv4", credential, None)))
        probes.append(
            _probe(f"sigv4 {credential} with a body", "/iam", _with_fault("sigv4", credential, None), method="POST")
        )
    for credential, faults in (("reader", JWT_FAULTS), ("env-token", ENV_TOKEN_FAULTS)):
        for fault in faults:
            probes.append(_probe(f"jwt {credential} {fault}", "/cognito", _with_fault("jwt", credential, fault)))
        # An IAM method echoes the Authorization header it cannot read; a TOKEN authorizer gets it whole.
        probes.append(_probe(f"jwt {credential} to iam", "/iam", _with_fault("jwt", credential, None)))
        probes.append(_probe(f"jwt {credential} to the authorizer", "/custom", _with_fault("jwt", credential, None)))
    return (
        "name: secrets\n"
        f"target: {{emulator: {{definition: {DEMO}/api.yaml, side-file: {DEMO}/stage.yaml, "
        f"backends: {{backend: {DEMO}/backend.py:app}}}}}}\n"
        "credentials:\n"
        "  demo-key: {emulator-api-key: demokey1}\n"
        "  env-key: {env: GATECRASH_TEST_API_KEY}\n"
        "  made-up: {random-api-key: true}\n"
        "  caller: {emulator-iam: AKIADEMOALLOWED00001}\n"
        "  temporary: {emulator-iam: ASIADEMOTEMPORARY001}\n"
        "  profiled: {profile: gatecrash-secrets-test}\n"
        f"  reader: {{emulator-token: {POOL}, client-id: {CLIENT}, scopes: [demo/read]}}\n"
        "  env-token: {env: GATECRASH_TEST_TOKEN}\n"
        "limits: {max-requests: 200, max-duration: 120s}\n"
        f"probes:\n{''.join(probes)}"
    )


def parts(value: str) -> set[str]:
    """A secret and what gives it away on its own, found independently of gatecrash's redaction."""
    found = {value}
    token = value.removeprefix("Bearer ").strip()
    found.add(token)
    segments = token.split(".")
    if len(segments) == 3:
        found.update((segments[0], segments[1], segments[2], f"{segments[0]}.{segments[1]}"))
    if "Signature=" in value:
        found.add(value.split("Signature=", 1)[1].split(",")[0])
    return {part for part in found if len(part) >= MIN_PART}


class Recorder:
    """Wraps the runner's request builder: every secret a request carries as it is sent."""

    def __init__(self) -> None:
        self.values: set[str] = set()
        self._build = build

    def __call__(self, *args: Any, **kwargs: Any) -> WireRequest:
        wire = self._build(*args, **kwargs)
        for name, value in wire.headers:
            if name.lower() in ("authorization", "x-api-key", "x-amz-security-token"):
                self.values.add(value)
        return wire


def emulator_logs(endpoint: str, region: str) -> str:
    client = boto3.client(
        "logs", endpoint_url=endpoint, region_name=region, aws_access_key_id="x", aws_secret_access_key="x"
    )
    messages: list[str] = []
    for group in client.describe_log_groups()["logGroups"]:
        paginator = client.get_paginator("filter_log_events")
        for page in paginator.paginate(logGroupName=group["logGroupName"]):
            messages.extend(event["message"] for event in page["events"])
    return "\n".join(messages)


@pytest.fixture
def environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    keys = next(c for c in STAGE.iam_credentials if c.access_key_id == "AKIADEMOALLOWED00001")
    credentials = tmp_path / "aws-credentials"
    credentials.write_text(
        f"[gatecrash-secrets-test]\naws_access_key_id = {keys.access_key_id}\n"
        f"aws_secret_access_key = {keys.secret_access_key}\n"
    )
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "aws-config"))
    monkeypatch.setenv("GATECRASH_TEST_API_KEY", "gatecrash-demo-key-0123456789abcdef")
    monkeypatch.setenv("GATECRASH_TEST_TOKEN", mint_token(STAGE, POOL, client_id=CLIENT, scopes=["demo/read"]))


def test_no_secret_or_part_of_one_reaches_any_artefact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, environment: None
) -> None:
    catalogue = load_catalogue()
    path = tmp_path / "secrets.yaml"
    path.write_text(scenario_text())
    scenario = load_scenario(path, catalogue.ids)
    recorder = Recorder()
    monkeypatch.setattr(fire, "build", recorder)
    with open_target(scenario.target) as target:
        resolved = resolve_secrets(scenario, target)
        run = run_on_target(scenario, target, catalogue)
        reports = write_reports(tmp_path / "reports", run)
        options = CanaryOptions(history_dir=tmp_path / "history", publish=False, retries=1)
        run_canary(scenario, target, catalogue, options, threading.Event())
        assert target.flush_logs is not None and target.logs_endpoint is not None
        target.flush_logs()
        logs = emulator_logs(target.logs_endpoint, target.region)

    secrets = set(recorder.values) | set(resolved.values())
    # What the probes carried: keys, bearer tokens (minted and from the environment), signatures.
    assert any(value.startswith("AWS4-HMAC-SHA256") for value in secrets)
    assert any(value.count(".") == 2 for value in secrets)
    assert "gatecrash-demo-secret-allowed-0000000000" in secrets
    looked_for = {part for value in secrets for part in parts(value)}
    artefacts = {path.name: path.read_text(encoding="utf-8") for path in reports}
    history = tmp_path / "history"
    artefacts["history.sqlite3"] = (history / "history.sqlite3").read_bytes().decode("utf-8", errors="replace")
    artefacts["canary index.html"] = (history / "index.html").read_text(encoding="utf-8")
    artefacts["emulator logs"] = logs
    # The artefacts hold the run: every probe, with answers (the IAM method's echo among them).
    assert all(result.name in artefacts["results.json"] for result in run.results)
    assert "Authorization header requires 'Credential' parameter" in artefacts["results.json"]
    leaks = sorted((name, part[:12] + "...") for name, text in artefacts.items() for part in looked_for if part in text)
    assert leaks == []
