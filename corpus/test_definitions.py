"""The definition loader and template filling on the real exports: each loads, or reports problems only."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import pytest
import yaml
from tests.emulator.test_definition import JUNK, all_paths, method, replaced
from tests.emulator.test_substitution import REMOTE_HINT

from corpus.exports import EXPECTED_TO_FAIL, EXPORT_VARIABLES, EXPORTS, LOADABLE, NAMES, PETSTORE, definitions
from gatecrash.catalogue import load_catalogue
from gatecrash.cli import main
from gatecrash.emulator.definition import load_definition, parse_definition
from gatecrash.emulator.model import AuthorizationType, IntegrationType, Parameter, ParameterLocation, RequestValidator
from gatecrash.errors import DefinitionError, Problem
from gatecrash.scenario import load_scenario


def test_the_ten_real_exports_are_in_the_corpus() -> None:
    assert [path.name for path in definitions()] == list(NAMES), f"expected the ten definitions at {EXPORTS}"


@pytest.mark.parametrize("path", definitions(), ids=lambda path: path.name)
def test_every_export_loads_or_reports_problems_only(path: Path) -> None:
    try:
        api = load_definition(path, EXPORT_VARIABLES.get(path.name))
    except DefinitionError as error:
        assert path.name in EXPECTED_TO_FAIL
        assert error.problems
        for problem in error.problems:
            assert problem.file == str(path)
            assert problem.pointer.startswith("$")
            assert problem.line is not None
            assert problem.message and problem.hint
    else:
        assert path.name not in EXPECTED_TO_FAIL
        assert api.methods


@pytest.mark.parametrize("name", LOADABLE)
def test_real_templates_load_with_their_variables(name: str) -> None:
    api = load_definition(EXPORTS / name, EXPORT_VARIABLES[name])
    assert api.methods
    for found in api.methods:
        text = json.dumps([found.request_models, found.authorization.authorizer])
        assert "Fn::" not in text and '"Ref"' not in text


# --- 15: AWS's PetStore example ------------------------------------------------------------------


def test_petstore_get_pet_is_an_http_integration_with_a_path_parameter() -> None:
    api = load_definition(EXPORTS / PETSTORE)
    get_pet = method(api, "GET", "/pets/{petId}")
    assert get_pet.pointer == "$.paths['/pets/{petId}'].get"
    assert get_pet.operation_name == "GetPet"
    assert get_pet.parameters == (Parameter("petId", ParameterLocation.PATH, required=True),)
    assert get_pet.integration is not None
    assert get_pet.integration.type is IntegrationType.HTTP
    assert get_pet.integration.http_method == "GET"
    assert get_pet.integration.uri == "http://petstore.execute-api.eu-north-1.amazonaws.com/petstore/pets/{petId}"
    assert get_pet.integration.request_parameters == {"integration.request.path.petId": "method.request.path.petId"}
    assert get_pet.integration.passthrough_behavior == "WHEN_NO_MATCH"
    assert get_pet.response_status_codes == ("200",)


def test_petstore_has_six_methods_and_a_mock_root() -> None:
    api = load_definition(EXPORTS / PETSTORE)
    assert api.title == "PetStore"
    assert sorted((m.http_method, m.resource_path) for m in api.methods) == [
        ("GET", "/"),
        ("GET", "/pets"),
        ("GET", "/pets/{petId}"),
        ("OPTIONS", "/pets"),
        ("OPTIONS", "/pets/{petId}"),
        ("POST", "/pets"),
    ]
    root = method(api, "GET", "/").integration
    assert root is not None and root.type is IntegrationType.MOCK
    assert root.responses[0].selection_pattern == "default"
    assert root.responses[0].response_templates["text/html"].startswith("<html>")
    assert all(not m.api_key_required and m.authorization.type is AuthorizationType.NONE for m in api.methods)


def test_petstore_query_parameters_are_optional() -> None:
    api = load_definition(EXPORTS / PETSTORE)
    assert method(api, "GET", "/pets").parameters == (
        Parameter("type", ParameterLocation.QUERYSTRING, required=False),
        Parameter("page", ParameterLocation.QUERYSTRING, required=False),
    )


def test_petstore_body_parameter_becomes_an_inlined_model_per_consumed_type() -> None:
    api = load_definition(EXPORTS / PETSTORE)
    create = method(api, "POST", "/pets")
    assert create.parameters == ()  # `in: body` is a model, not a method request parameter
    assert create.request_models == {
        "application/json": {
            "type": "object",
            "properties": {
                "type": {"type": "string", "enum": ["dog", "cat", "fish", "bird", "gecko"]},
                "price": {"type": "number"},
            },
        }
    }


# --- 13: a console export ---------------------------------------------------------------------------


def test_photo_search_methods_require_an_api_key_but_cors_preflights_do_not() -> None:
    api = load_definition(EXPORTS / "13-ai-photo-search.yaml")
    required = {(m.http_method, m.resource_path): m.api_key_required for m in api.methods}
    assert required == {
        ("GET", "/search"): True,
        ("OPTIONS", "/search"): False,
        ("PUT", "/upload"): True,
        ("OPTIONS", "/upload"): False,
    }


def test_photo_search_binary_media_types_and_gateway_responses() -> None:
    api = load_definition(EXPORTS / "13-ai-photo-search.yaml")
    assert api.title == "AI Photo Search"
    assert api.binary_media_types == ("image/png", "image/jpeg", "image/jpg")
    assert api.api_key_source == "HEADER"
    assert set(api.gateway_responses) == {"DEFAULT_4XX", "DEFAULT_5XX"}
    default_4xx = api.gateway_responses["DEFAULT_4XX"]
    assert default_4xx.status_code is None
    assert default_4xx.response_parameters["gatewayresponse.header.Access-Control-Allow-Origin"] == "'*'"


def test_photo_search_upload_is_an_s3_integration_converting_to_binary() -> None:
    api = load_definition(EXPORTS / "13-ai-photo-search.yaml")
    upload = method(api, "PUT", "/upload")
    assert upload.parameters == (
        Parameter("x-amz-meta-customlabels", ParameterLocation.HEADER, required=True),
        Parameter("name", ParameterLocation.QUERYSTRING, required=True),
    )
    assert upload.validator is None
    integration = upload.integration
    assert integration is not None
    assert integration.type is IntegrationType.AWS
    assert integration.uri == "arn:aws:apigateway:us-east-1:s3:path/{bucket}/{key}"
    assert integration.passthrough_behavior == "WHEN_NO_TEMPLATES"
    assert integration.content_handling == "CONVERT_TO_BINARY"
    assert integration.credentials == "arn:aws:iam::339712725968:role/APIGatewayS3ProxyPolicy"
    assert integration.request_parameters["integration.request.path.bucket"] == "'photos-cc-a3'"
    search = method(api, "GET", "/search")
    assert search.integration is not None and search.integration.type is IntegrationType.AWS_PROXY
    assert search.response_status_codes == ("500", "200", "403")


# --- Terraform templates --------------------------------------------------------------------------


def test_swagger2_token_authorizer_and_validator() -> None:
    api = load_definition(EXPORTS / "02-tdr-draft-metadata.json", EXPORT_VARIABLES["02-tdr-draft-metadata.json"])
    validate = method(api, "POST", "/draft-metadata/validate/{consignmentId+}")
    assert validate.authorization.type is AuthorizationType.CUSTOM
    assert validate.authorization.authorizer == "lambda"
    assert validate.validator == RequestValidator("Validate query string parameters and headers", False, True)
    assert api.authorizers["lambda"]["type"] == "token"
    assert api.authorizers["lambda"]["headerName"] == "Authorization"
    assert api.authorizers["lambda"]["authorizerResultTtlInSeconds"] == 0


def test_sigv4_and_api_key_together() -> None:
    api = load_definition(EXPORTS / "09-consent-management.json")
    both = method(api, "POST", "/getsubscriberinfo")
    assert both.authorization.type is AuthorizationType.AWS_IAM
    assert both.api_key_required
    login = method(api, "POST", "/login")
    assert login.authorization.type is AuthorizationType.AWS_IAM and not login.api_key_required
    key_only = method(api, "POST", "/sendsubscriberupdate")
    assert key_only.authorization.type is AuthorizationType.NONE and key_only.api_key_required


def test_request_body_and_parameters_by_ref() -> None:
    api = load_definition(EXPORTS / "07-nhs-nrlf-producer.yaml", EXPORT_VARIABLES["07-nhs-nrlf-producer.yaml"])
    create = method(api, "POST", "/DocumentReference")
    assert list(create.request_models) == ["application/fhir+json"]
    assert "$ref" not in json.dumps(create.request_models)
    assert create.authorization.type is AuthorizationType.CUSTOM
    assert create.authorization.authorizer == "producer-authoriser"  # the placeholder name, filled in
    assert create.parameters[:2] == (
        Parameter("NHSD-End-User-Organisation-ODS", ParameterLocation.HEADER, required=True),
        Parameter("NHSD-End-User-Organisation", ParameterLocation.HEADER, required=False),
    )
    assert method(api, "GET", "/_status").authorization.type is AuthorizationType.NONE


def test_empty_security_overrides_a_declared_api_key_and_gateway_status_as_number() -> None:
    api = load_definition(EXPORTS / "11-opg-metrics.yaml", EXPORT_VARIABLES["11-opg-metrics.yaml"])
    put = method(api, "PUT", "/metrics")
    assert not put.api_key_required
    assert put.validator == RequestValidator("all", True, True)
    assert api.gateway_responses["BAD_REQUEST_BODY"].status_code == 400


@pytest.mark.parametrize("name", ["02-tdr-draft-metadata.json", "09-consent-management.json"])
def test_generate_with_vars_writes_a_scenario_that_loads(name: str, tmp_path: Path) -> None:
    variables = dict(EXPORT_VARIABLES[name])
    first, *rest = variables.items()
    vars_file = tmp_path / "vars.json"
    vars_file.write_text(json.dumps(dict(rest)), encoding="utf-8")
    out = tmp_path / "probes.yaml"
    argv = ["generate", str(EXPORTS / name), "-o", str(out), "--vars", str(vars_file), "--var", "=".join(first)]
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code in (0, None)
    scenario = load_scenario(out, load_catalogue().ids)
    assert scenario.steps


def test_cli_lists_unresolved_names_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["generate", str(EXPORTS / "02-tdr-draft-metadata.json")])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "unresolved template placeholder ${environment}" in err and "--var environment=" in err
    assert "Traceback" not in err


# --- 03: paths in other files ---------------------------------------------------------------------


def test_external_ref_is_reported_with_its_line() -> None:
    with pytest.raises(DefinitionError) as caught:
        load_definition(EXPORTS / "03-edx-api-manager.yaml")
    first = caught.value.problems[0]
    assert first == Problem(
        file=str(EXPORTS / "03-edx-api-manager.yaml"),
        pointer="$.paths['/'].$ref",
        message="$ref './index.yaml#/endpoints/index': cannot read the file: No such file or directory",
        line=21,
        hint="check the path and its permissions",
    )
    assert len(caught.value.problems) == 30


def test_the_edx_export_fails_with_exactly_its_remote_refs(tmp_path: Path) -> None:
    # Its sibling files are not part of the copy kept in the corpus: stand-ins take their place.
    copy = tmp_path / "03-edx-api-manager.yaml"
    shutil.copy(EXPORTS / copy.name, copy)
    mock = {"get": {"x-amazon-apigateway-integration": {"type": "mock"}}}
    for sibling, names in {
        "index.yaml": ["index"],
        "heartbeat.yaml": ["heartbeat"],
        "oauth.yaml": ["request_access_token"],
    }.items():
        (tmp_path / sibling).write_text(json.dumps({"endpoints": dict.fromkeys(names, mock)}), encoding="utf-8")
    with pytest.raises(DefinitionError) as caught:
        load_definition(copy)
    problems = caught.value.problems
    assert len(problems) == 27
    assert all(p.hint == REMOTE_HINT and p.file == str(copy) and p.pointer.endswith(".$ref") for p in problems)
    assert problems[0] == Problem(
        str(copy),
        "$.paths['/catalog/v1/catalogs'].$ref",
        "remote $ref 'https://raw.githubusercontent.com/edx/course-discovery/b5c52c8/api.yaml#/endpoints/v1/catalogs'"
        " is not fetched",
        line=33,
        hint=REMOTE_HINT,
    )


# --- CloudFormation templates ---------------------------------------------------------------------


def test_cloudformation_intrinsics_are_named() -> None:
    with pytest.raises(DefinitionError) as caught:
        load_definition(EXPORTS / "01-govuk-address-cri-public.yaml")
    found = {(p.pointer, p.line, p.message) for p in caught.value.problems}
    # Without --var, what is left is the conditions (the rest is filled or kept as text in uris).
    assert found == {
        (
            "$.paths['/.well-known/jwks.json'].get.x-amazon-apigateway-integration.uri['Fn::Sub'][1].env['Fn::If'][0]",
            84,
            "unresolved CloudFormation condition IsLocalDevEnvironment in Fn::If",
        ),
        (
            "$.paths['/token'].post.security[0].api_key['Fn::If'][0]",
            150,
            "unresolved CloudFormation condition IsNotDevEnvironment in Fn::If",
        ),
        (
            "$.paths['/credential/issue'].post.security[0].api_key['Fn::If'][0]",
            204,
            "unresolved CloudFormation condition IsNotDevEnvironment in Fn::If",
        ),
    }


def test_cloudformation_export_values() -> None:
    name = "01-govuk-address-cri-public.yaml"
    api = load_definition(EXPORTS / name, EXPORT_VARIABLES[name])
    jwks = next(m for m in api.methods if m.resource_path == "/.well-known/jwks.json")
    assert jwks.integration is not None
    assert "${" not in jwks.integration.uri
    token = next(m for m in api.methods if m.resource_path == "/token")
    assert token.api_key_required
    dev = load_definition(EXPORTS / name, {**EXPORT_VARIABLES[name], "IsNotDevEnvironment": "false"})
    assert not next(m for m in dev.methods if m.resource_path == "/token").api_key_required  # NoValue: no key


def test_openapi3_scheme_left_in_swagger2_security_definitions() -> None:
    # API Gateway's importer reads it (AWS's own sample deploys so), and so does the loader now.
    name = "08-aws-sample-url-shortener.yaml"
    api = load_definition(EXPORTS / name, EXPORT_VARIABLES[name])
    assert method(api, "GET", "/app").authorization.type is AuthorizationType.COGNITO_USER_POOLS
    assert method(api, "GET", "/app").authorization.authorizer == "UserAuthorizer"
    post = method(api, "POST", "/app")
    assert post.authorization.type is AuthorizationType.COGNITO_USER_POOLS
    assert api.authorizers["UserAuthorizer"]["providerARNs"] == [EXPORT_VARIABLES[name]["UserPool.Arn"]]


# --- robustness ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["13-ai-photo-search.yaml", "02-tdr-draft-metadata.json"])
def test_any_damaged_value_gives_a_definition_error_not_a_crash(name: str) -> None:
    document = yaml.safe_load((EXPORTS / name).read_text())
    paths = all_paths(document)
    rng = random.Random(4)
    for path in rng.sample(paths, min(len(paths), 120)):
        for junk in JUNK:
            try:
                parse_definition(replaced(document, path, junk), name)
            except DefinitionError as error:
                assert error.problems
