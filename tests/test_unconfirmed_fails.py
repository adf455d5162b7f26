"""A run that proves nothing does not pass: UNCONFIRMED fails `run` and `canary --once` unless allowed.

The stage here logs no execution lines and an access record of two fields, so an unknown route's 403
fits every 403 mode alike: UNCONFIRMED, as a run whose logs never arrive would be.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import DEMO, ROOT

GATECRASH = [sys.executable, "-m", "gatecrash"]


def scenario(tmp_path: Path) -> Path:
    folder = tmp_path / "demo"
    shutil.copytree(DEMO, folder, ignore=shutil.ignore_patterns("__pycache__"))
    stage = folder / "stage.yaml"
    group = "destinationArn: arn:aws:logs:us-east-1:123456789012:log-group:gatecrash-demo-access"
    text = stage.read_text().replace(
        '"*/*": {loggingLevel: INFO, dataTraceEnabled: true}', '"*/*": {loggingLevel: "OFF", dataTraceEnabled: false}'
    )
    stage.write_text(
        text.replace(group, f'{group}\n    format: \'{{"requestId":"$context.requestId","status":"$context.status"}}\'')
    )
    path = tmp_path / "scenario.yaml"
    path.write_text(
        f"target: {{emulator: {{definition: {folder}/api.yaml, side-file: {folder}/stage.yaml}}}}\n"
        "limits: {max-requests: 10, max-duration: 60s}\n"
        "probes:\n"
        "  - {name: unknown route, mode: unknown-route, request: {method: GET, path: /nowhere}}\n"
        "  - {name: list pets, mode: ok, request: {method: GET, path: /pets}}\n"
    )
    return path


def gatecrash(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*GATECRASH, *args], capture_output=True, text=True, timeout=180, cwd=ROOT)


def test_an_unconfirmed_probe_fails_the_run_unless_allowed(tmp_path: Path) -> None:
    path = scenario(tmp_path)
    failed = gatecrash("run", str(path), "--reports", str(tmp_path / "r1"), "--json")
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "1 UNCONFIRMED: the logs did not prove their cause, so the run fails" in failed.stderr
    document = json.loads(failed.stdout)
    assert (document["as_expected"], document["passed"]) == (True, False)
    assert document["runs"][0]["counts"]["UNCONFIRMED"] == 1
    allowed = gatecrash("run", str(path), "--reports", str(tmp_path / "r2"), "--allow-unconfirmed")
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr
    assert "1 UNCONFIRMED allowed by --allow-unconfirmed: their cause is not proven from the logs" in allowed.stdout


def test_no_logs_judges_on_status_alone_and_says_so(tmp_path: Path) -> None:
    result = gatecrash("run", str(scenario(tmp_path)), "--reports", str(tmp_path / "r"), "--no-logs")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 UNCONFIRMED allowed by --no-logs" in result.stdout


def test_a_canary_run_with_an_unconfirmed_probe_fails_once_unless_allowed(tmp_path: Path) -> None:
    path = scenario(tmp_path)
    history = str(tmp_path / "history")
    failed = gatecrash("canary", str(path), "--once", "--no-metrics", "--history", history)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    # The unconfirmed probe is no success: one of two confirmed.
    assert "1 confirmed, 0 failed, 1 unconfirmed; SuccessPercent 50%" in failed.stdout
    assert "1 UNCONFIRMED: the logs did not prove their cause" in failed.stdout
    allowed = gatecrash("canary", str(path), "--once", "--no-metrics", "--history", history, "--allow-unconfirmed")
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr
