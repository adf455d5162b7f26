"""YAML alias bombs: refused before they are expanded, by the reader and by every command that reads YAML."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from gatecrash._yamlpos import MAX_ALIAS_EXPANSION, LoadedDocument, parse_text
from gatecrash.errors import Problem
from tests.conftest import DEMO, ROOT

GATECRASH = [sys.executable, "-m", "gatecrash"]
# A subprocess that takes longer than this has hung on the document (expanding 9**7 leaves took
# 12 s and 2.4 GB before the guard): the test fails instead of waiting for it.
HANG_S = 60


def bomb(width: int = 9, depth: int = 7, key: str = "bomb") -> str:
    """`depth` levels of `width` aliases of the level below: width**depth leaves from a few lines."""
    lines = [f"level0: &level0 [{', '.join(['lol'] * width)}]"]
    for level in range(1, depth):
        lines.append(f"level{level}: &level{level} [{', '.join([f'*level{level - 1}'] * width)}]")
    lines.append(f"{key}: *level{depth - 1}")
    return "\n".join(lines) + "\n"


def test_a_billion_laughs_document_is_a_problem_naming_the_line_where_it_explodes() -> None:
    loaded = parse_text(bomb(), "bomb.yaml")
    assert isinstance(loaded, Problem)
    assert loaded.file == "bomb.yaml"
    assert "aliases (*name) expand it to" in loaded.message and "refusing to expand it" in loaded.message
    assert "values" in loaded.message and "more than are written" in loaded.message
    # level5 (9**6 = 531,441 leaves) is the first level past the limit; level4 (59,049) is not.
    assert loaded.line == 6
    assert loaded.hint is not None and "alias" in loaded.hint


def test_a_self_referring_alias_is_a_problem_not_an_endless_walk() -> None:
    loaded = parse_text("a: &a [1, *a]\n", "loop.yaml")
    assert isinstance(loaded, Problem)
    assert "refers to a node that contains it" in loaded.message
    assert loaded.line == 1


def test_ordinary_aliases_and_merge_keys_still_load() -> None:
    text = "base: &base {x: 1, y: 2}\nfirst: {<<: *base, z: 3}\nsecond: *base\n"
    loaded = parse_text(text, "ok.yaml")
    assert isinstance(loaded, LoadedDocument)
    assert loaded.data == {"base": {"x": 1, "y": 2}, "first": {"x": 1, "y": 2, "z": 3}, "second": {"x": 1, "y": 2}}


def test_aliases_adding_less_than_the_limit_load_and_more_do_not() -> None:
    # Each alias of a 10,000-item list adds its 10,001 values (the list and its items).
    items = ", ".join(["1"] * (MAX_ALIAS_EXPANSION // 10))
    fits = f"a: &a [{items}]\nb: [{', '.join(['*a'] * 9)}]\n"
    assert isinstance(parse_text(fits, "fits.yaml"), LoadedDocument)
    over = f"a: &a [{items}]\nb: [{', '.join(['*a'] * 10)}]\n"
    refused = parse_text(over, "over.yaml")
    assert isinstance(refused, Problem) and "100,010 more than are written" in refused.message


def test_a_large_document_without_aliases_is_not_refused() -> None:
    big = "items:\n" + "".join(f"  - {{n: {n}}}\n" for n in range(MAX_ALIAS_EXPANSION // 2 + 1))
    assert isinstance(parse_text(big, "big.yaml"), LoadedDocument)


def test_json_nested_too_deeply_is_a_problem_not_a_recursion_error() -> None:
    loaded = parse_text("[" * 50_000 + "]" * 50_000, "deep.json")
    assert isinstance(loaded, Problem)
    assert "nested too deeply" in loaded.message


def _cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*GATECRASH, *args], capture_output=True, text=True, timeout=HANG_S, cwd=cwd)


def _scenario_with_bomb(tmp_path: Path) -> Path:
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text(
        f"target: {{emulator: {{definition: {DEMO}/api.yaml}}}}\n"
        "limits: {max-requests: 5, max-duration: 30s}\n"
        "probes: [{name: a, mode: ok, request: {method: GET, path: /pets}}]\n" + bomb(key="extra")
    )
    return scenario


@pytest.mark.parametrize(
    "command",
    [
        pytest.param(lambda bomb_file, scenario: ["validate", str(scenario)], id="validate"),
        pytest.param(lambda bomb_file, scenario: ["run", str(scenario)], id="run"),
        pytest.param(lambda bomb_file, scenario: ["canary", str(scenario), "--once"], id="canary"),
        pytest.param(lambda bomb_file, scenario: ["generate", str(bomb_file)], id="generate"),
        pytest.param(
            lambda bomb_file, scenario: ["generate", f"{DEMO}/api.yaml", "--vars", str(bomb_file)], id="generate-vars"
        ),
        pytest.param(
            lambda bomb_file, scenario: ["emulator", "--definition", str(bomb_file)],
            id="emulator-definition",
        ),
        pytest.param(
            lambda bomb_file, scenario: ["emulator", "--definition", f"{DEMO}/api.yaml", "--side-file", str(bomb_file)],
            id="emulator-side-file",
        ),
    ],
)
def test_every_command_that_reads_yaml_refuses_a_bomb_with_exit_2(tmp_path: Path, command: object) -> None:
    bomb_file = tmp_path / "bomb.yaml"
    bomb_file.write_text(bomb())
    scenario = _scenario_with_bomb(tmp_path)
    args = command(bomb_file, scenario)  # type: ignore[operator]
    result = _cli(*args, cwd=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "refusing to expand it" in result.stderr
    assert "Traceback" not in result.stderr
