"""A definition kept as a Terraform template: generated with its variables, the scenario carries them and runs."""

from __future__ import annotations

from pathlib import Path

from gatecrash.catalogue import load_catalogue
from gatecrash.generate import generate
from gatecrash.run import RunOptions, run_scenario
from gatecrash.runner.verdict import Verdict
from gatecrash.scenario import load_scenario
from tests.fixtures.apis import DEFINITIONS, VARIABLES


def test_a_terraform_template_generates_a_scenario_that_runs_confirmed(tmp_path: Path) -> None:
    name = "token-authorizer.json"
    variables = VARIABLES[name]
    catalogue = load_catalogue()
    output = tmp_path / "probes.yaml"
    generated = generate(DEFINITIONS / name, catalogue, output=output, variables=variables)
    output.write_text(generated.text, encoding="utf-8")
    assert "    variables:" in generated.text
    scenario = load_scenario(output, catalogue.ids)
    assert dict(scenario.target.variables) == dict(variables)  # type: ignore[union-attr]
    result = run_scenario(scenario, catalogue, RunOptions())
    assert {r.mode.id for r in result.results} == {"authorizer-unauthorized", "unknown-route"}
    assert all(r.verdict is Verdict.CONFIRMED for r in result.results), [(r.name, r.reason) for r in result.results]
