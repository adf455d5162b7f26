"""Generated scenarios run offline end to end: PetStore and every real export that loads, on stand-ins.

`generate --side-file-out` writes a side file of stand-ins (functions, HTTP backend, key, caller,
pools). Each test reads the emulator's own execution log lines as they are shipped, to prove which
probes reached an integration ("Endpoint request URI", written only when a backend is called).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from gatecrash.catalogue import Catalogue, load_catalogue
from gatecrash.emulator.cloudwatch import CloudWatchLogSink
from gatecrash.generate import Generated, Options, generate
from gatecrash.run import RunOptions, RunResult, run_scenario
from gatecrash.runner.verdict import Verdict
from gatecrash.scenario import load_scenario
from tests.conftest import DEMO
from tests.emulator.test_substitution import EXPORT_VARIABLES, EXPORTS

PETSTORE = "15-aws-petstore-example.json"
_REQUEST_ID = re.compile(r"^\(([^)]+)\) ")


def _invoke_uri(name: str) -> str:
    function = f"arn:aws:lambda:eu-west-2:123456789012:function:{name}"
    return f"arn:aws:apigateway:eu-west-2:lambda:path/2015-03-31/functions/{function}/invocations"


def _lambda_arns(*names: str) -> dict[str, str]:
    return {name: f"arn:aws:lambda:eu-west-2:123456789012:function:{name.lower()}" for name in names}


def _invoke_uris(*names: str) -> dict[str, str]:
    return {name: _invoke_uri(name.lower()) for name in names}


# Every placeholder of each export, as its deployment tool would fill it: the integration and
# authorizer functions too, so that the stand-ins serve them (EXPORT_VARIABLES is the least that loads).
_NOTIFY_FUNCTIONS = re.findall(r"\$\{([A-Z_]+_LAMBDA_ARN)\}", (EXPORTS / "04-nhs-notify-templates.json").read_text())
FULL_VARIABLES: dict[str, dict[str, str]] = {
    "01-govuk-address-cri-public.yaml": {
        **EXPORT_VARIABLES["01-govuk-address-cri-public.yaml"],
        "CommonStackName": "common",
        "IssueCredentialFunction.Arn": "arn:aws:lambda:eu-west-2:123456789012:function:issue-credential",
    },
    "02-tdr-draft-metadata.json": EXPORT_VARIABLES["02-tdr-draft-metadata.json"],
    "04-nhs-notify-templates.json": {
        **EXPORT_VARIABLES["04-nhs-notify-templates.json"],
        **_lambda_arns(*sorted(set(_NOTIFY_FUNCTIONS))),
    },
    "07-nhs-nrlf-producer.yaml": {
        **EXPORT_VARIABLES["07-nhs-nrlf-producer.yaml"],
        **_invoke_uris(
            "lambda_invoke_arn",
            "method_createDocumentReference",
            "method_deleteDocumentReference",
            "method_readDocumentReference",
            "method_searchDocumentReference",
            "method_searchPostDocumentReference",
            "method_status",
            "method_updateDocumentReference",
            "method_upsertDocumentReference",
        ),
    },
    "08-aws-sample-url-shortener.yaml": EXPORT_VARIABLES["08-aws-sample-url-shortener.yaml"],
    "09-consent-management.json": {
        **EXPORT_VARIABLES["09-consent-management.json"],
        **_invoke_uris(
            "login_invoke_arn",
            "getSubscriber_invoke_arn",
            "getSubscriptionStatus_invoke_arn",
            "sendSubscriptionUpdate_invoke_arn",
        ),
    },
    "11-opg-metrics.yaml": EXPORT_VARIABLES["11-opg-metrics.yaml"],
    "13-ai-photo-search.yaml": {},
    PETSTORE: {},
}


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue()


@pytest.fixture
def integration_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[set[str]]:
    """Request ids whose execution log says the gateway called a backend."""
    called: set[str] = set()
    original = CloudWatchLogSink.emit

    def keep(self: CloudWatchLogSink, group: str, stream: str, timestamp_ms: int, message: str) -> None:
        match = _REQUEST_ID.match(message)
        if match and "Endpoint request URI: " in message:
            called.add(match.group(1))
        original(self, group, stream, timestamp_ms, message)

    monkeypatch.setattr(CloudWatchLogSink, "emit", keep)
    yield called


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


def _run(catalogue: Catalogue, scenario_file: Path) -> RunResult:
    return run_scenario(load_scenario(scenario_file, catalogue.ids), catalogue, RunOptions())


def _unconfirmed(result: RunResult) -> dict[str, str]:
    return {r.name: r.reason for r in result.results if r.verdict is not Verdict.CONFIRMED}


def _request_ids(result: RunResult, *, ok: bool) -> set[str]:
    return {
        observation.request_id or ""
        for r in result.results
        if (r.mode.id == "ok") is ok
        for observation in r.record.observations
    }


def test_petstore_runs_confirmed_and_only_its_ok_probes_reach_a_backend(
    catalogue: Catalogue, tmp_path: Path, integration_calls: set[str]
) -> None:
    generated, output = _generate(catalogue, tmp_path, PETSTORE, Options())
    text = output.read_text()
    assert '      gatecrash_stand_in: "gatecrash.emulator.standins:http_backend"' in text
    result = _run(catalogue, output)
    assert not _unconfirmed(result)
    assert {r.mode.id for r in result.results} == {"ok", "unknown-route"}
    # GET /pets and GET /pets/{petId} are HTTP integrations (to the stand-in); GET / and OPTIONS are MOCKs.
    reached = {r.name for r in result.results if {o.request_id for o in r.record.observations} & integration_calls}
    assert reached == {"GET /pets: ok", "GET /pets/{petId}: ok"}
    assert not integration_calls & _request_ids(result, ok=False)
    # POST /pets reaches the backend with a side effect: written, but commented out.
    assert '  # - name: "POST /pets: ok"' in text


def test_petstore_without_ok_probes_touches_no_integration(
    catalogue: Catalogue, tmp_path: Path, integration_calls: set[str]
) -> None:
    _, output = _generate(catalogue, tmp_path, PETSTORE, Options(modes=("unknown-route",)))
    result = _run(catalogue, output)
    assert not _unconfirmed(result) and len(result.results) == 3
    assert not integration_calls


@pytest.mark.parametrize("name", sorted(FULL_VARIABLES))
def test_every_loadable_export_runs_confirmed_offline(
    catalogue: Catalogue, tmp_path: Path, integration_calls: set[str], name: str
) -> None:
    _, output = _generate(catalogue, tmp_path, name, Options())
    result = _run(catalogue, output)
    assert result.results
    assert not _unconfirmed(result)
    assert not integration_calls & _request_ids(result, ok=False)


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
    result = _run(catalogue, output)
    assert set(_unconfirmed(result)) == plan_gaps, _unconfirmed(result)
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
        uri: {_invoke_uri("reader")}
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
    result = _run(catalogue, output)
    assert not _unconfirmed(result)
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
    result = _run(catalogue, output)
    assert not _unconfirmed(result)
    assert {"ok", "authorizer-unauthorized", "unsigned-iam", "missing-api-key"} <= {r.mode.id for r in result.results}
    assert not integration_calls & _request_ids(result, ok=False)
    # Regenerating gives the same scenario and the same side file, byte for byte.
    first = side.read_bytes()
    again = generate(DEMO / "api.yaml", catalogue, Options(), output=output, mirror_out=side)
    assert again.text == generated.text and side.read_bytes() == first


def test_a_side_file_is_read_or_written_not_both(catalogue: Catalogue, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="read or written, not both"):
        generate(DEMO / "api.yaml", catalogue, side_file=DEMO / "stage.yaml", mirror_out=tmp_path / "side.yaml")
