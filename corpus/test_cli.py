"""The command line on a real export, run as a user runs it: a subprocess, its output and its exit code."""

from __future__ import annotations

from pathlib import Path

from tests.test_cli import run

from corpus.exports import EXPORTS, PETSTORE


def test_generate_with_an_offline_side_file_then_run_confirms_petstore(tmp_path: Path) -> None:
    scenario, side = tmp_path / "petstore.yaml", tmp_path / "petstore.side.yaml"
    generated = run("generate", str(EXPORTS / PETSTORE), "-o", str(scenario), "--side-file-out", str(side))
    assert generated.returncode == 0, generated.stderr
    assert f"wrote the offline side file {side}" in generated.stderr
    assert "endpointOverrides:" in side.read_text()
    result = run("run", str(scenario), "--reports", str(tmp_path / "reports"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "8 probes: 8 CONFIRMED." in result.stdout
