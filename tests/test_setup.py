"""The two setup commands as a newcomer meets them: the Makefile's checks and the repository's own files."""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def bare_checkout(tmp_path: Path) -> Path:
    """The Makefile and pyproject.toml alone: enough for make to decide what to do first."""
    for name in ("Makefile", "pyproject.toml"):
        shutil.copy(ROOT / name, tmp_path / name)
    return tmp_path


def _make(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["make", "-C", str(folder), *args], capture_output=True, text=True, timeout=60)


def test_make_test_without_chromium_stops_before_installing_anything(bare_checkout: Path) -> None:
    result = _make(bare_checkout, "test", "CHROMIUM=/nonexistent/chromium")
    assert result.returncode != 0
    assert "apt-get install -y --no-install-recommends chromium" in result.stderr
    # It stopped first: no virtual environment was created, no pip ran.
    assert not (bare_checkout / ".venv").exists()
    assert "pip" not in result.stdout


def test_the_chromium_check_passes_where_chromium_is_installed(bare_checkout: Path) -> None:
    found = shutil.which("chromium")
    assert found is not None, "Debian's chromium is needed: apt-get install -y --no-install-recommends chromium"
    result = _make(bare_checkout, "require-chromium")
    assert result.returncode == 0, result.stderr


def test_make_demo_installs_the_package_without_its_dev_or_load_extras(bare_checkout: Path) -> None:
    # -n prints the recipes: the demo's install line names no extras, the test's adds them.
    demo = _make(bare_checkout, "-n", "demo")
    assert demo.returncode == 0, demo.stderr
    installs = [line for line in demo.stdout.splitlines() if "pip install" in line and "--upgrade pip" not in line]
    assert installs == [".venv/bin/pip install --quiet -e ."]
    test = _make(bare_checkout, "-n", "test")
    assert ".venv/bin/pip install --quiet -e '.[dev,load]'" in test.stdout


def test_the_demo_runs_on_the_runtime_dependencies_alone() -> None:
    # What `make demo` installs must be enough for `gatecrash run`: nothing it imports may be a dev or load extra.
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = {_name(requirement) for requirement in project["dependencies"]}
    extras_only = {
        _name(requirement) for group in project["optional-dependencies"].values() for requirement in group
    } - runtime
    assert {"locust", "pytest", "mypy", "ruff"} <= extras_only
    modules = "|".join(re.escape(name.replace("-", "_")) for name in sorted(extras_only))
    imports = re.compile(rf"^\s*(?:import|from) ({modules})\b", re.MULTILINE)
    for path in (ROOT / "src" / "gatecrash").rglob("*.py"):
        found = imports.search(path.read_text())
        assert found is None, f"{path.relative_to(ROOT)} imports {found[1]}, which only `make test` installs"


def _name(requirement: str) -> str:
    for separator in ("[", ">", "<", "=", "~", "!", ";", " "):
        requirement = requirement.split(separator, 1)[0]
    return requirement.strip().lower()


def test_the_licence_file_is_the_licence_pyproject_declares() -> None:
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["license"]
    assert declared == "Apache-2.0"
    text = (ROOT / "LICENSE").read_text()
    assert "Apache License" in text and "Version 2.0, January 2004" in text
    assert "TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION" in text
