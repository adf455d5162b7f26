"""`gatecrash generate` on the real exports: the scenarios load, and run CONFIRMED offline on stand-ins.

As in tests/generate/test_offline_mirror.py, the emulator's execution log lines are read as they are
shipped (the `integration_calls` fixture), to prove which probes reached an integration.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.generate.test_offline_mirror import request_ids, run, unconfirmed

from corpus.exports import EXPORT_VARIABLES, EXPORTS, PETSTORE, full_variables
from gatecrash.catalogue import Catalogue, load_catalogue
from gatecrash.generate import Generated, Options, generate
from gatecrash.run import RunOptions, run_scenario
from gatecrash.runner.verdict import Verdict
from gatecrash.scenario import load_scenario

FULL_VARIABLES = full_variables()


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue()


def _generate(catalogue: Catalogue, tmp_path: Path, name: str, options: Options) -> tuple[Generated, Path]:
    output = tmp_path / "probes.yaml"
    generated = generate(
        EXPORTS / name,
        catalogue,
        options,
        output=output,
        variables=FULL_VARIABLES[name],
        mirror_out=tmp_path / "stand-ins.yaml",
    )
    output.write_text(generated.text, encoding="utf-8")
    return generated, output


def test_the_petstore_scenario_loads(catalogue: Catalogue, tmp_path: Path) -> None:
    output = tmp_path / "generated.yaml"
    output.write_text(generate(EXPORTS / PETSTORE, catalogue, Options(), None, output).text)
    scenario = load_scenario(output, catalogue.ids)
    assert {s.mode for s in scenario.steps} == {"ok", "unknown-route"}
    assert all(s.request.method in ("GET", "HEAD", "OPTIONS") for s in scenario.steps if s.mode == "ok")


def test_a_terraform_template_generates_a_scenario_that_runs_confirmed(catalogue: Catalogue, tmp_path: Path) -> None:
    name = "02-tdr-draft-metadata.json"
    variables = EXPORT_VARIABLES[name]
    output = tmp_path / "probes.yaml"
    generated = generate(EXPORTS / name, catalogue, output=output, variables=variables)
    output.write_text(generated.text, encoding="utf-8")
    assert "    variables:" in generated.text
    scenario = load_scenario(output, catalogue.ids)
    assert dict(scenario.target.variables) == dict(variables)  # type: ignore[union-attr]
    result = run_scenario(scenario, catalogue, RunOptions())
    assert {r.mode.id for r in result.results} == {"authorizer-unauthorized", "unknown-route"}
    assert all(r.verdict is Verdict.CONFIRMED for r in result.results), [(r.name, r.reason) for r in result.results]


def test_petstore_runs_confirmed_and_only_its_ok_probes_reach_a_backend(
    catalogue: Catalogue, tmp_path: Path, integration_calls: set[str]
) -> None:
    _, output = _generate(catalogue, tmp_path, PETSTORE, Options())
    text = output.read_text()
    assert '      gatecrash_stand_in: "gatecrash.emulator.standins:http_backend"' in text
    result = run(catalogue, output)
    assert not unconfirmed(result)
    assert {r.mode.id for r in result.results} == {"ok", "unknown-route"}
    # GET /pets and GET /pets/{petId} are HTTP integrations (to the stand-in); GET / and OPTIONS are MOCKs.
    reached = {r.name for r in result.results if {o.request_id for o in r.record.observations} & integration_calls}
    assert reached == {"GET /pets: ok", "GET /pets/{petId}: ok"}
    assert not integration_calls & request_ids(result, ok=False)
    # POST /pets reaches the backend with a side effect: written, but commented out.
    assert '  # - name: "POST /pets: ok"' in text


def test_petstore_without_ok_probes_touches_no_integration(
    catalogue: Catalogue, tmp_path: Path, integration_calls: set[str]
) -> None:
    _, output = _generate(catalogue, tmp_path, PETSTORE, Options(modes=("unknown-route",)))
    result = run(catalogue, output)
    assert not unconfirmed(result) and len(result.results) == 3
    assert not integration_calls


@pytest.mark.parametrize("name", sorted(FULL_VARIABLES))
def test_every_loadable_export_runs_confirmed_offline(
    catalogue: Catalogue, tmp_path: Path, integration_calls: set[str], name: str
) -> None:
    _, output = _generate(catalogue, tmp_path, name, Options())
    result = run(catalogue, output)
    assert result.results
    assert not unconfirmed(result)
    assert not integration_calls & request_ids(result, ok=False)


# Integrations with AWS services the emulator does not serve: their ok probes are held back, with the reason.
AWS_SERVICE_GAPS = {
    "01-govuk-address-cri-public.yaml": {"GET /.well-known/jwks.json: ok"},
    "08-aws-sample-url-shortener.yaml": {
        "GET /{linkId}: ok",
        "GET /app: ok",
        "POST /app: ok",
        "PUT /app/{linkId}: ok",
        "DELETE /app/{linkId}: ok",
    },
    "11-opg-metrics.yaml": {"PUT /metrics: ok"},
    "13-ai-photo-search.yaml": {"PUT /upload: ok"},
}


@pytest.mark.parametrize("name", sorted(FULL_VARIABLES))
def test_with_backend_probes_only_aws_service_integrations_fail_offline(
    catalogue: Catalogue, tmp_path: Path, name: str
) -> None:
    everything_but_slow = tuple(mode for mode in catalogue.ids if mode != "integration-timeout")
    generated, output = _generate(catalogue, tmp_path, name, Options(include_backend=True, modes=everything_but_slow))
    plan_gaps = {p.name for p in generated.plan.probes if "an AWS service the emulator does not serve" in p.note}
    assert plan_gaps == AWS_SERVICE_GAPS.get(name, set())
    result = run(catalogue, output)
    assert set(unconfirmed(result)) == plan_gaps, unconfirmed(result)
    assert any(r.mode.id == "ok" for r in result.results)
