"""Generated scenarios run offline end to end: a PetStore-like API and every fixture definition that loads.

`generate --side-file-out` writes a side file of stand-ins (functions, HTTP backend, key, caller,
pools). Each test reads the emulator's own execution log lines as they are shipped, to prove which
probes reached an integration ("Endpoint request URI", written only when a backend is called; the
`integration_calls` fixture in conftest.py). The real exports get the same runs in `corpus/`.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from gatecrash.catalogue import Catalogue, load_catalogue
from gatecrash.emulator import standins
from gatecrash.generate import Generated, Options, generate
from gatecrash.run import RunOptions, RunResult, run_scenario
from gatecrash.runner.verdict import Verdict
from gatecrash.scenario import load_scenario
from tests.conftest import DEMO
from tests.fixtures.apis import DEFINITIONS, FULL_VARIABLES, invoke_uri

PET_SHOP = "pet-shop.json"


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue()


def _generate(catalogue: Catalogue, tmp_path: Path, name: str, options: Options) -> tuple[Generated, Path]:
    output = tmp_path / "probes.yaml"
    generated = generate(
        DEFINITIONS / name,
        catalogue,
        options,
        output=output,
        variables=FULL_VARIABLES[name],
        mirror_out=tmp_path / "stand-ins.yaml",
    )
    output.write_text(generated.text, encoding="utf-8")
    return generated, output


def run(catalogue: Catalogue, scenario_file: Path) -> RunResult:
    return run_scenario(load_scenario(scenario_file, catalogue.ids), catalogue, RunOptions())


def unconfirmed(result: RunResult) -> dict[str, str]:
    return {r.name: r.reason for r in result.results if r.verdict is not Verdict.CONFIRMED}


def request_ids(result: RunResult, *, ok: bool) -> set[str]:
    return {
        observation.request_id or ""
        for r in result.results
        if (r.mode.id == "ok") is ok
        for observation in r.record.observations
    }


def test_pet_shop_runs_confirmed_and_only_its_ok_probes_reach_a_backend(
    catalogue: Catalogue, tmp_path: Path, integration_calls: set[str]
) -> None:
    generated, output = _generate(catalogue, tmp_path, PET_SHOP, Options())
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


def test_pet_shop_without_ok_probes_touches_no_integration(
    catalogue: Catalogue, tmp_path: Path, integration_calls: set[str]
) -> None:
    _, output = _generate(catalogue, tmp_path, PET_SHOP, Options(modes=("unknown-route",)))
    result = run(catalogue, output)
    assert not unconfirmed(result) and len(result.results) == 3
    assert not integration_calls


@pytest.mark.parametrize("name", sorted(FULL_VARIABLES))
def test_every_loadable_definition_runs_confirmed_offline(
    catalogue: Catalogue, tmp_path: Path, integration_calls: set[str], name: str
) -> None:
    _, output = _generate(catalogue, tmp_path, name, Options())
    result = run(catalogue, output)
    assert result.results
    assert not unconfirmed(result)
    assert not integration_calls & request_ids(result, ok=False)


def test_stand_ins_for_functions_named_by_placeholders_and_endpoints_on_other_hosts(
    catalogue: Catalogue, tmp_path: Path
) -> None:
    _generate(catalogue, tmp_path, "lambda-placeholders.json", Options())
    side = yaml.safe_load((tmp_path / "stand-ins.yaml").read_text(encoding="utf-8"))
    # One per ${..._LAMBDA_ARN}, by the function name in the ARN it was filled with.
    assert side["functions"] == {
        "authorizer": {"handler": standins.AUTHORIZER_HANDLER},
        "create-template": {"handler": standins.PROXY_HANDLER, "timeout": 34},
        "get-template": {"handler": standins.PROXY_HANDLER, "timeout": 34},
        "list-templates": {"handler": standins.PROXY_HANDLER, "timeout": 34},
    }
    _generate(catalogue, tmp_path, PET_SHOP, Options())
    side = yaml.safe_load((tmp_path / "stand-ins.yaml").read_text(encoding="utf-8"))
    assert side["endpointOverrides"] == {"http://shop.example.org": "http://${stageVariables.gatecrash_stand_in}"}
    assert "functions" not in side


# Integrations with AWS services the emulator does not serve: their ok probes are held back, with the reason.
AWS_SERVICE_GAPS = {
    "cloudformation.yaml": {"GET /keys.json: ok"},  # S3
    "metrics.yaml": {"PUT /metrics: ok"},  # Kinesis
    "photo-search.yaml": {"PUT /store: ok"},  # S3
    "url-shortener.yaml": {"GET /{code}: ok", "GET /links: ok", "POST /links: ok"},  # DynamoDB
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


SLOW_API = f"""\
openapi: 3.0.1
info: {{title: slow backends, version: "1"}}
paths:
  /function:
    get:
      x-amazon-apigateway-integration:
        type: aws_proxy
        httpMethod: POST
        uri: {invoke_uri("reader")}
        timeoutInMillis: 300
  /endpoint:
    get:
      x-amazon-apigateway-integration:
        type: http_proxy
        httpMethod: GET
        uri: https://backend.example.com/endpoint
        timeoutInMillis: 300
"""


def test_slow_backend_probes_meet_the_integration_timeout(catalogue: Catalogue, tmp_path: Path) -> None:
    definition = tmp_path / "slow.yaml"
    definition.write_text(SLOW_API, encoding="utf-8")
    output = tmp_path / "probes.yaml"
    held = generate(definition, catalogue, Options(), output=output, mirror_out=tmp_path / "side.yaml")
    slow = [p for p in held.plan.probes if p.mode == "integration-timeout"]
    assert [p.gate.value for p in slow] == ["backend", "backend"]
    assert "waits 0.3 s for the integration timeout" in slow[0].note
    options = Options(include_backend=True, modes=("integration-timeout", "ok"))
    generated = generate(definition, catalogue, options, output=output, mirror_out=tmp_path / "side.yaml")
    output.write_text(generated.text, encoding="utf-8")
    assert 'X-Gatecrash-Delay-Ms: "1300"' in generated.text
    result = run(catalogue, output)
    assert not unconfirmed(result)
    statuses = {r.name: [o.status for o in r.record.observations] for r in result.results}
    assert statuses == {
        "GET /function: ok": [200],
        "GET /function: a backend slower than the 300 ms timeout": [504],
        "GET /endpoint: ok": [200],
        "GET /endpoint: a backend slower than the 300 ms timeout": [504],
    }


def test_the_demo_api_on_stand_ins_runs_every_probe_confirmed(
    catalogue: Catalogue, tmp_path: Path, integration_calls: set[str]
) -> None:
    output = tmp_path / "probes.yaml"
    side = tmp_path / "stand-ins.yaml"
    generated = generate(DEMO / "api.yaml", catalogue, Options(), output=output, mirror_out=side)
    output.write_text(generated.text, encoding="utf-8")
    # The demo's methods built to fail run on stand-ins here, except the one broken in the definition
    # itself: a MOCK mapping to an undeclared status can never answer 2xx, so it is probed as that.
    [report] = [p for p in generated.plan.probes if p.request.path == "/report" and p.mode != "unknown-route"]
    assert (report.mode, report.gate.value) == ("mapping-error", "enabled")
    assert ("GET /report", "ok") in {(s.where, s.mode) for s in generated.plan.skipped}
    result = run(catalogue, output)
    assert not unconfirmed(result)
    assert {"ok", "authorizer-unauthorized", "unsigned-iam", "missing-api-key"} <= {r.mode.id for r in result.results}
    assert not integration_calls & request_ids(result, ok=False)
    # Regenerating gives the same scenario and the same side file, byte for byte.
    first = side.read_bytes()
    again = generate(DEMO / "api.yaml", catalogue, Options(), output=output, mirror_out=side)
    assert again.text == generated.text and side.read_bytes() == first


def test_a_side_file_is_read_or_written_not_both(catalogue: Catalogue, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="read or written, not both"):
        generate(DEMO / "api.yaml", catalogue, side_file=DEMO / "stage.yaml", mirror_out=tmp_path / "side.yaml")


LAMBDA = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012"
STAGE_VARIABLE_FUNCTIONS_API = f"""\
openapi: 3.0.1
info: {{title: functions named by stage variables, version: "1"}}
components:
  securitySchemes:
    open:
      type: apiKey
      name: Unused
      in: header
      x-amazon-apigateway-authtype: custom
      x-amazon-apigateway-authorizer:
        type: request
        authorizerUri: {LAMBDA}:function:${{stageVariables.auth}}/invocations
        authorizerResultTtlInSeconds: 0
paths:
  /proxy:
    get:
      x-amazon-apigateway-integration:
        type: aws_proxy
        httpMethod: POST
        uri: {LAMBDA}:function:${{stageVariables.fn}}/invocations
  /guarded:
    get:
      security: [{{open: []}}]
      responses: {{"200": {{description: OK}}}}
      x-amazon-apigateway-integration:
        type: aws
        httpMethod: POST
        uri: {LAMBDA}:function:${{stageVariables.env}}-orders/invocations
        responses: {{default: {{statusCode: "200"}}}}
"""


def test_functions_named_by_stage_variables_get_the_variable_and_a_stand_in(
    catalogue: Catalogue, tmp_path: Path, integration_calls: set[str]
) -> None:
    # AWS docs "Use stage variables": `function:${stageVariables.fn}` picks the function by the stage's
    # value; and a REQUEST authorizer with no identity source is always invoked (API reference,
    # CreateAuthorizer identitySource), so no "unauthorized" probe can be answered 401 before it.
    definition = tmp_path / "variables.yaml"
    definition.write_text(STAGE_VARIABLE_FUNCTIONS_API, encoding="utf-8")
    output = tmp_path / "probes.yaml"
    generated = generate(definition, catalogue, Options(), output=output, mirror_out=tmp_path / "side.yaml")
    output.write_text(generated.text, encoding="utf-8")
    side = yaml.safe_load((tmp_path / "side.yaml").read_text(encoding="utf-8"))
    assert side["stage"]["variables"] == {"auth": "auth", "env": "env", "fn": "fn"}
    assert side["functions"] == {
        "auth": {"handler": standins.AUTHORIZER_HANDLER},
        "env-orders": {"handler": standins.LAMBDA_HANDLER, "timeout": 34},
        "fn": {"handler": standins.PROXY_HANDLER, "timeout": 34},
    }
    assert "authorizer-unauthorized" not in {probe.mode for probe in generated.plan.probes}
    assert ("GET /guarded", "authorizer-unauthorized") in {(s.where, s.mode) for s in generated.plan.skipped}
    result = run(catalogue, output)
    assert not unconfirmed(result)
    statuses = {r.name: [o.status for o in r.record.observations] for r in result.results}
    assert statuses["GET /proxy: ok"] == [200] and statuses["GET /guarded: ok"] == [200]
