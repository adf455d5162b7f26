"""Definitions as they live in repositories: templates filled in by `--var`, before parsing."""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path
from typing import Any

import pytest

from gatecrash.catalogue import load_catalogue
from gatecrash.cli import main
from gatecrash.emulator.definition import load_definition, load_variables
from gatecrash.emulator.model import AuthorizationType
from gatecrash.emulator.substitute import substitute
from gatecrash.errors import DefinitionError, Problem
from gatecrash.scenario import load_scenario
from tests.fixtures.apis import DEFINITIONS, LOADABLE, VARIABLES

# Variables for the fixture templates: tests/fixtures/apis.py.


def fill(document: Any, variables: dict[str, str] | None = None) -> Any:
    return substitute(document, variables or {}, "api.yaml", None)


def unresolved(document: Any, variables: dict[str, str] | None = None) -> list[Problem]:
    with pytest.raises(DefinitionError) as caught:
        fill(document, variables)
    return list(caught.value.problems)


def write(tmp_path: Path, text: str, name: str = "api.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


# --- Terraform templatefile ------------------------------------------------------------------------


def test_terraform_placeholders_escapes_and_stage_variables() -> None:
    document = {
        "basePath": "/${env}",
        "uri": "https://${stageVariables.host}/x",
        "template": "$${literal} and ${ env }",
        "keys": {"${name}": [1, True, None]},
    }
    assert fill(document, {"env": "dev", "name": "auth"}) == {
        "basePath": "/dev",
        "uri": "https://${stageVariables.host}/x",
        "template": "${literal} and dev",
        "keys": {"auth": [1, True, None]},
    }


def test_every_unresolved_placeholder_is_listed_at_once_with_its_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        swagger: "2.0"
        info: {title: "${title}"}
        basePath: /${environment}
        paths:
          /a:
            get:
              security: [{"${authoriser}": []}]
              x-amazon-apigateway-integration:
                type: aws_proxy
                uri: arn:aws:apigateway:${region}:lambda:path/${lambda_arn}
                credentials: ${role}
                timeoutInMillis: ${timeout}
        """,
    )
    with pytest.raises(DefinitionError) as caught:
        load_definition(path)
    source = str(path)
    assert list(caught.value.problems) == [
        Problem(
            source,
            "$.basePath",
            "unresolved template placeholder ${environment}",
            line=3,
            hint="supply it: --var environment=... (or a --vars file)",
        ),
        Problem(
            source,
            "$.paths['/a'].get.security[0]['${authoriser}']",
            "unresolved template placeholder ${authoriser}",
            line=7,
            hint="supply it: --var authoriser=... (or a --vars file)",
        ),
        Problem(
            source,
            "$.paths['/a'].get.x-amazon-apigateway-integration.timeoutInMillis",
            "unresolved template placeholder ${timeout}",
            line=12,
            hint="supply it: --var timeout=... (or a --vars file)",
        ),
    ]


def test_placeholders_where_the_emulator_does_not_look_stay_as_text(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        openapi: 3.0.1
        info: {title: "${title}", description: "${about}"}
        servers: [{url: "https://${api_id}.execute-api.${region}.amazonaws.com"}]
        x-amazon-apigateway-policy: {Statement: [{Principal: "${user_arn}"}]}
        paths:
          /a:
            get:
              summary: "${what}"
              x-amazon-apigateway-integration:
                type: aws_proxy
                httpMethod: POST
                uri: arn:aws:apigateway:${region}:lambda:path/${lambda_arn}
                credentials: ${role}
                timeoutInMillis: ${timeout}
        """,
    )
    api = load_definition(path, {"timeout": "2000"})
    (get,) = api.methods
    assert api.title == "${title}"
    assert get.integration is not None
    assert get.integration.uri == "arn:aws:apigateway:${region}:lambda:path/${lambda_arn}"
    assert get.integration.credentials == "${role}"
    assert get.integration.timeout_in_millis == 2000  # a whole-value placeholder of a number is a number


def test_a_schema_property_named_title_is_not_descriptive() -> None:
    document = {"properties": {"title": {"pattern": "${pattern}"}}}
    assert [p.pointer for p in unresolved(document)] == ["$.properties.title.pattern"]


# --- CloudFormation intrinsics -----------------------------------------------------------------------


def test_sub_in_string_and_list_forms_with_pseudo_parameters() -> None:
    document = {
        "a": {"Fn::Sub": "arn:aws:lambda:${AWS::Region}:${AWS::AccountId}:function:${Fn}"},
        "b": {"Fn::Sub": ["${Table}-${Suffix}/${!Literal}", {"Suffix": {"Ref": "Env"}}]},
        "c": {"Fn::Sub": "${Role.Arn}"},
    }
    variables = {"Fn": "handler", "Table": "links", "Env": "dev", "Role.Arn": "arn:aws:iam::1:role/r"}
    assert fill(document, variables) == {
        "a": "arn:aws:lambda:us-east-1:123456789012:function:handler",
        "b": "links-dev/${Literal}",
        "c": "arn:aws:iam::1:role/r",
    }
    assert fill({"r": {"Fn::Sub": "${AWS::Region}"}}, {"AWS::Region": "eu-west-2"}) == {"r": "eu-west-2"}


def test_ref_getatt_join_if_and_novalue() -> None:
    document = {
        "ref": {"Ref": "Stage"},
        "att": {"Fn::GetAtt": ["Role", "Arn"]},
        "short": {"Fn::GetAtt": "Role.Arn"},
        "join": {"Fn::Join": ["-", ["a", {"Ref": "Stage"}, "c"]]},
        "when": {"Fn::If": ["IsProd", "yes", "no"]},
        "gone": {"Fn::If": ["IsProd", {"Ref": "AWS::NoValue"}, "kept"]},
        "list": ["x", {"Ref": "AWS::NoValue"}, "y"],
    }
    variables = {"Stage": "prod", "Role.Arn": "arn:role", "IsProd": "true"}
    assert fill(document, variables) == {
        "ref": "prod",
        "att": "arn:role",
        "short": "arn:role",
        "join": "a-prod-c",
        "when": "yes",
        "list": ["x", "y"],
    }
    assert fill(document, {**variables, "IsProd": "FALSE"})["gone"] == "kept"


def test_short_form_tags_are_filled(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        openapi: 3.0.1
        info: {title: t}
        paths:
          /a:
            get:
              x-amazon-apigateway-integration:
                type: !If [IsMock, mock, aws_proxy]
                httpMethod: POST
                uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/${Fn.Arn}
                credentials: !GetAtt Role.Arn
        """,
    )
    (get,) = load_definition(path, {"IsMock": "false", "Fn.Arn": "arn:fn", "Role.Arn": "arn:role"}).methods
    assert get.integration is not None
    assert get.integration.uri == "arn:aws:apigateway:us-east-1:lambda:path/arn:fn"
    assert get.integration.credentials == "arn:role"


def test_unresolved_intrinsics_are_problems_with_how_to_supply_them() -> None:
    document = {
        "ref": {"Ref": "Stage"},
        "att": {"Fn::GetAtt": ["Role", "Arn"]},
        "sub": {"Fn::Sub": "${Table}"},
        "if": {"Fn::If": ["IsProd", "a", "b"]},
        "bad": {"Fn::If": ["Flag", "a", "b"]},
    }
    assert unresolved(document, {"Flag": "maybe"}) == [
        Problem(
            "api.yaml",
            "$.ref.Ref",
            "unresolved CloudFormation Ref Stage",
            hint="supply it: --var Stage=... (or a --vars file)",
        ),
        Problem(
            "api.yaml",
            "$.att['Fn::GetAtt']",
            "unresolved CloudFormation Fn::GetAtt Role.Arn",
            hint="supply it: --var Role.Arn=... (or a --vars file)",
        ),
        Problem(
            "api.yaml",
            "$.sub['Fn::Sub']",
            "unresolved name ${Table} in Fn::Sub",
            hint="supply it: --var Table=... (or a --vars file)",
        ),
        Problem(
            "api.yaml",
            "$.if['Fn::If'][0]",
            "unresolved CloudFormation condition IsProd in Fn::If",
            hint="supply it: --var IsProd=true or --var IsProd=false",
        ),
        Problem(
            "api.yaml",
            "$.bad['Fn::If'][0]",
            "unresolved CloudFormation condition Flag in Fn::If (got 'maybe')",
            hint="supply it: --var Flag=true or --var Flag=false",
        ),
    ]


def test_unresolved_intrinsic_in_an_integration_uri_stays_as_text() -> None:
    integration = {"uri": {"Fn::Sub": "arn:${Missing}"}, "credentials": {"Fn::GetAtt": ["Role", "Arn"]}}
    assert fill({"x-amazon-apigateway-integration": integration}) == {
        "x-amazon-apigateway-integration": {"uri": "arn:${Missing}", "credentials": "${Role.Arn}"}
    }


# --- $ref to other files -------------------------------------------------------------------------------


def test_sibling_ref_is_inlined_with_its_own_local_refs(tmp_path: Path) -> None:
    write(
        tmp_path,
        """\
        endpoints:
          ping:
            get:
              parameters: [{$ref: "#/params/id"}]
              x-amazon-apigateway-integration: {type: mock, uri: "${unused}"}
        params:
          id: {name: id, in: query, required: true, type: string}
        """,
        "other.yaml",
    )
    path = write(
        tmp_path, 'swagger: 2.0\ninfo: {title: t}\npaths:\n  ping:\n    $ref: "./other.yaml#/endpoints/ping"\n'
    )
    (get,) = load_definition(path).methods
    assert get.resource_path == "/ping"  # also: no leading slash, and `swagger: 2.0` as a number
    assert [parameter.name for parameter in get.parameters] == ["id"]


def test_problems_inside_a_sibling_name_the_sibling(tmp_path: Path) -> None:
    other = write(tmp_path, "ping:\n  get:\n    x-amazon-apigateway-integration: {type: '${kind}'}\n", "other.yaml")
    path = write(
        tmp_path, 'swagger: "2.0"\npaths:\n  /ping: {$ref: "other.yaml#/ping"}\n  /gone: {$ref: "no.yaml#/x"}\n'
    )
    with pytest.raises(DefinitionError) as caught:
        load_definition(path)
    assert list(caught.value.problems) == [
        Problem(
            str(path),
            "$.paths['/gone'].$ref",
            "$ref 'no.yaml#/x': cannot read the file: No such file or directory",
            line=4,
            hint="check the path and its permissions",
        ),
        Problem(
            str(other),
            "$.ping.get.x-amazon-apigateway-integration.type",
            "unresolved template placeholder ${kind}",
            line=3,
            hint="supply it: --var kind=... (or a --vars file)",
        ),
    ]


REMOTE_HINT = "download it and refer to the local copy, e.g. $ref: './copy.yaml#/...'"


def test_with_its_siblings_beside_it_only_the_remote_refs_fail(tmp_path: Path) -> None:
    # The fixture keeps no sibling files, as a copied definition often does not: stand-ins take their place.
    copy = tmp_path / "remote-refs.yaml"
    shutil.copy(DEFINITIONS / copy.name, copy)
    mock = {"get": {"x-amazon-apigateway-integration": {"type": "mock"}}}
    for sibling, names in {"index.yaml": ["index"], "heartbeat.yaml": ["heartbeat"], "oauth.yaml": ["token"]}.items():
        (tmp_path / sibling).write_text(json.dumps({"endpoints": dict.fromkeys(names, mock)}), encoding="utf-8")
    with pytest.raises(DefinitionError) as caught:
        load_definition(copy)
    problems = caught.value.problems
    assert len(problems) == 3
    assert all(p.hint == REMOTE_HINT and p.file == str(copy) and p.pointer.endswith(".$ref") for p in problems)
    assert problems[0] == Problem(
        str(copy),
        "$.paths['/catalog/v1/courses'].$ref",
        "remote $ref 'https://raw.githubusercontent.com/example/catalog/0a1b2c3/api.yaml#/endpoints/v1/courses'"
        " is not fetched",
        line=25,
        hint=REMOTE_HINT,
    )


# --- the fixture templates ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", LOADABLE)
def test_fixture_templates_load_with_their_variables(name: str) -> None:
    api = load_definition(DEFINITIONS / name, VARIABLES.get(name))
    assert api.methods
    for method in api.methods:
        text = json.dumps([method.request_models, method.authorization.authorizer])
        assert "Fn::" not in text and '"Ref"' not in text and "${" not in text


def test_cloudformation_definition_values() -> None:
    name = "cloudformation.yaml"
    api = load_definition(DEFINITIONS / name, VARIABLES[name])
    keys = next(m for m in api.methods if m.resource_path == "/keys.json")
    assert keys.integration is not None
    assert keys.integration.uri == "arn:aws:apigateway:us-east-1:s3:path/identity-public-keys-build/keys.json"
    assert keys.integration.credentials == "${KeysBucketRole.Arn}"  # unresolved in an integration: kept as text
    session = next(m for m in api.methods if m.resource_path == "/session")
    assert session.api_key_required
    assert session.integration is not None
    assert session.integration.uri == (
        "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
        "arn:aws:lambda:us-east-1:123456789012:function:${StackName}-Session:live/invocations"
    )
    local = load_definition(DEFINITIONS / name, {**VARIABLES[name], "IsLocalStack": "true", "RequireApiKey": "false"})
    assert not next(m for m in local.methods if m.resource_path == "/session").api_key_required  # NoValue: no key
    local_keys = next(m for m in local.methods if m.resource_path == "/keys.json").integration
    assert local_keys is not None and local_keys.uri.endswith("/identity-public-keys-local/keys.json")


def test_swagger2_security_definitions_in_openapi3_are_read() -> None:
    name = "url-shortener.yaml"
    api = load_definition(DEFINITIONS / name, VARIABLES[name])
    post = next(m for m in api.methods if m.http_method == "POST" and m.resource_path == "/links")
    assert post.authorization.type is AuthorizationType.COGNITO_USER_POOLS
    assert api.authorizers["LinkOwners"]["providerARNs"] == [VARIABLES[name]["UserPool.Arn"]]


def test_vars_file_yaml_and_json(tmp_path: Path) -> None:
    yaml_file = write(tmp_path, "region: eu-west-2\nIsProd: true\ncount: 3\n", "vars.yaml")
    assert load_variables(yaml_file) == {"region": "eu-west-2", "IsProd": "true", "count": "3"}
    json_file = write(tmp_path, '{"a": [1]}', "vars.json")
    with pytest.raises(DefinitionError) as caught:
        load_variables(json_file)
    assert [p.message for p in caught.value.problems] == ["must be text or a number, not a list"]


@pytest.mark.parametrize("name", ["token-authorizer.json", "metrics.yaml"])
def test_generate_with_vars_writes_a_scenario_that_loads(name: str, tmp_path: Path) -> None:
    variables = dict(VARIABLES[name])
    first, *rest = variables.items()
    vars_file = tmp_path / "vars.json"
    vars_file.write_text(json.dumps(dict(rest)), encoding="utf-8")
    out = tmp_path / "probes.yaml"
    argv = ["generate", str(DEFINITIONS / name), "-o", str(out), "--vars", str(vars_file), "--var", "=".join(first)]
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code in (0, None)
    scenario = load_scenario(out, load_catalogue().ids)
    assert scenario.steps


def test_cli_lists_unresolved_names_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["generate", str(DEFINITIONS / "token-authorizer.json")])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "unresolved template placeholder ${stage_name}" in err and "--var stage_name=" in err
    assert "Traceback" not in err
