"""A small demo-like API in tmp_path whose proxy function starts failing once a flag file exists."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "scenarios" / "demo"

# The function reads its directory from the environment at call time: the module is imported once
# per process, while each test has its own tmp_path.
HANDLERS = """
import os
from pathlib import Path


def fast(event, context):
    here = Path(os.environ["GATECRASH_CANARY_TEST_DIR"])
    if (here / "failing.flag").exists():
        raise RuntimeError("the canary test function fails on purpose")
    sleep = here / "sleep.txt"
    if sleep.exists():
        time.sleep(float(sleep.read_text()))
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": json.dumps({"ok": True})}
"""

SCENARIO = """
name: canary-test
target:
  emulator:
    definition: api.yaml
    side-file: stage.yaml
limits:
  max-requests: 60
  max-duration: 30s
probes:
  - name: get a pet
    mode: ok
    request: {method: GET, path: /pets/1}
  - name: no API key
    mode: missing-api-key
    request: {method: GET, path: /keyed}
  - name: unknown route
    mode: unknown-route
    request: {method: GET, path: /nowhere}
"""


@pytest.fixture
def canary_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copy(DEMO / "api.yaml", tmp_path / "api.yaml")
    stage = (DEMO / "stage.yaml").read_text(encoding="utf-8").replace('"handlers:', '"canary_test_handlers:')
    (tmp_path / "stage.yaml").write_text(stage, encoding="utf-8")
    # The demo's handlers, with `fast` (the /pets/{petId} function) replaced by the one above.
    handlers = (DEMO / "handlers.py").read_text(encoding="utf-8") + HANDLERS
    (tmp_path / "canary_test_handlers.py").write_text(handlers, encoding="utf-8")
    (tmp_path / "scenario.yaml").write_text(SCENARIO, encoding="utf-8")
    monkeypatch.setenv("GATECRASH_CANARY_TEST_DIR", str(tmp_path))
    return tmp_path
