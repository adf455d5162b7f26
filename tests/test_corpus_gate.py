"""`make corpus` (pytest corpus) fails at once, naming the folder and GATECRASH_CORPUS, when it has no definitions."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT


def corpus_run(folder: Path) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "GATECRASH_CORPUS": str(folder)}
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "corpus"]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, cwd=ROOT, env=environment)


@pytest.mark.parametrize(
    ("name", "state"), [("missing", "is missing"), ("empty", "holds no definitions (*.yaml, *.yml, *.json)")]
)
def test_the_corpus_suite_fails_without_definitions(tmp_path: Path, name: str, state: str) -> None:
    folder = tmp_path / name
    if name == "empty":
        folder.mkdir()
        (folder / "README.md").write_text("not a definition\n", encoding="utf-8")
    result = corpus_run(folder)
    assert result.returncode == pytest.ExitCode.USAGE_ERROR, result.stdout + result.stderr
    assert f"the corpus folder {folder} {state}: point GATECRASH_CORPUS at" in result.stdout + result.stderr
    assert " passed" not in result.stdout and "collected" not in result.stdout
