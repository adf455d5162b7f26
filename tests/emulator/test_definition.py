"""The definition loader: the fixture definitions, and one malformed snippet per kind of Problem."""

from __future__ import annotations

import copy
import json
import random
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

from gatecrash.emulator.definition import load_definition, parse_definition
from gatecrash.emulator.model import (
    Api,
    AuthorizationType,
    IntegrationType,
    Method,
    Parameter,
    ParameterLocation,
    RequestValidator,
)
from gatecrash.errors import DefinitionError, Problem
from tests.fixtures.apis import DEFINITIONS, EXPECTED_TO_FAIL, VARIABLES


def write(tmp_path: Path, text: str, name: str = "api.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def load(tmp_path: Path, text: str, name: str = "api.yaml") -> Api:
    return load_definition(write(tmp_path, text, name))


def problems(tmp_path: Path, text: str, name: str = "api.yaml") -> list[Problem]:
    with pytest.raises(DefinitionError) as caught:
        load(tmp_path, text, name)
    return list(caught.value.problems)


def only_problem(tmp_path: Path, text: str) -> Problem:
    found = problems(tmp_path, text)
    assert len(found) == 1, found
    return found[0]


def method(api: Api, http_method: str, resource_path: str) -> Method:
    matches = [m for m in api.methods if (m.http_method, m.resource_path) == (http_method, resource_path)]
    assert len(matches) == 1, [(m.http_method, m.resource_path) for m in api.methods]
    return matches[0]


OPENAPI_HEAD = """\
openapi: "3.0.1"
info: {title: t}
"""


# --- the fixture definitions (tests/fixtures/definitions; the real exports: corpus/) ---------------


def test_the_fixture_definitions_are_there() -> None:
    # Without them the parametrised test below would collect nothing.
    assert len(list(DEFINITIONS.iterdir())) == 10, f"expected 10 definitions at {DEFINITIONS}"


@pytest.mark.parametrize("path", sorted(DEFINITIONS.iterdir()), ids=lambda path: path.name)
def test_every_definition_loads_or_reports_problems_only(path: Path) -> None:
    try:
        api = load_definition(path, VARIABLES.get(path.name))
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


def test_pet_shop_get_pet_is_an_http_integration_with_a_path_parameter() -> None:
    api = load_definition(DEFINITIONS / "pet-shop.json")
    get_pet = method(api, "GET", "/pets/{petId}")
    assert get_pet.pointer == "$.paths['/pets/{petId}'].get"
    assert get_pet.operation_name == "FindPet"
    assert get_pet.parameters == (Parameter("petId", ParameterLocation.PATH, required=True),)
    assert get_pet.integration is not None
    assert get_pet.integration.type is IntegrationType.HTTP
    assert get_pet.integration.http_method == "GET"
    assert get_pet.integration.uri == "http://shop.example.org/v1/pets/{petId}"
    assert get_pet.integration.request_parameters == {"integration.request.path.petId": "method.request.path.petId"}
    assert get_pet.integration.passthrough_behavior == "WHEN_NO_MATCH"
    assert get_pet.response_status_codes == ("200",)


def test_pet_shop_has_six_methods_and_a_mock_root() -> None:
    api = load_definition(DEFINITIONS / "pet-shop.json")
    assert api.title == "Pet Shop"
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


def test_pet_shop_query_parameters_are_optional() -> None:
    api = load_definition(DEFINITIONS / "pet-shop.json")
    assert method(api, "GET", "/pets").parameters == (
        Parameter("kind", ParameterLocation.QUERYSTRING, required=False),
        Parameter("page", ParameterLocation.QUERYSTRING, required=False),
    )


def test_pet_shop_body_parameter_by_ref_becomes_an_inlined_model_per_consumed_type() -> None:
    api = load_definition(DEFINITIONS / "pet-shop.json")
    create = method(api, "POST", "/pets")
    assert create.parameters == ()  # `in: body` is a model, not a method request parameter
    assert create.request_models == {
        "application/json": {
            "type": "object",
            "properties": {
                "kind": {"type": "string", "enum": ["dog", "cat", "rabbit"]},
                "price": {"type": "number"},
            },
        }
    }


def test_photo_search_methods_require_an_api_key_but_cors_preflights_do_not() -> None:
    api = load_definition(DEFINITIONS / "photo-search.yaml")
    required = {(m.http_method, m.resource_path): m.api_key_required for m in api.methods}
    assert required == {
        ("GET", "/find"): True,
        ("OPTIONS", "/find"): False,
        ("PUT", "/store"): True,
        ("OPTIONS", "/store"): False,
    }


def test_photo_search_binary_media_types_and_gateway_responses() -> None:
    api = load_definition(DEFINITIONS / "photo-search.yaml")
    assert api.title == "Photo album"
    assert api.binary_media_types == ("image/png", "image/jpeg")
    assert api.api_key_source == "HEADER"
    assert set(api.gateway_responses) == {"DEFAULT_4XX", "DEFAULT_5XX"}
    default_4xx = api.gateway_responses["DEFAULT_4XX"]
    assert default_4xx.status_code is None
    assert default_4xx.response_parameters["gatewayresponse.header.Access-Control-Allow-Origin"] == "'*'"


def test_photo_search_upload_is_an_s3_integration_converting_to_binary() -> None:
    api = load_definition(DEFINITIONS / "photo-search.yaml")
    upload = method(api, "PUT", "/store")
    assert upload.parameters == (
        Parameter("x-amz-meta-labels", ParameterLocation.HEADER, required=True),
        Parameter("file", ParameterLocation.QUERYSTRING, required=True),
    )
    assert upload.validator is None
    integration = upload.integration
    assert integration is not None
    assert integration.type is IntegrationType.AWS
    assert integration.uri == "arn:aws:apigateway:us-east-1:s3:path/{bucket}/{key}"
    assert integration.passthrough_behavior == "WHEN_NO_TEMPLATES"
    assert integration.content_handling == "CONVERT_TO_BINARY"
    assert integration.credentials == "arn:aws:iam::111122223333:role/album-uploads"
    assert integration.request_parameters["integration.request.path.bucket"] == "'album-uploads'"
    search = method(api, "GET", "/find")
    assert search.integration is not None and search.integration.type is IntegrationType.AWS_PROXY
    assert search.response_status_codes == ("200", "403")


def test_swagger2_token_authorizer_and_validator() -> None:
    api = load_definition(DEFINITIONS / "token-authorizer.json", VARIABLES["token-authorizer.json"])
    check = method(api, "POST", "/records/check/{recordId+}")
    assert check.authorization.type is AuthorizationType.CUSTOM
    assert check.authorization.authorizer == "checker"
    assert check.validator == RequestValidator("Check parameters only", False, True)
    assert api.authorizers["checker"]["type"] == "token"
    assert api.authorizers["checker"]["headerName"] == "Authorization"
    assert api.authorizers["checker"]["authorizerResultTtlInSeconds"] == 0


def test_sigv4_and_api_key_together() -> None:
    api = load_definition(DEFINITIONS / "sigv4-and-key.json")
    both = method(api, "POST", "/subscription")
    assert both.authorization.type is AuthorizationType.AWS_IAM
    assert both.api_key_required
    signin = method(api, "POST", "/signin")
    assert signin.authorization.type is AuthorizationType.AWS_IAM and not signin.api_key_required
    key_only = method(api, "POST", "/notify")
    assert key_only.authorization.type is AuthorizationType.NONE and key_only.api_key_required


def test_request_body_and_parameters_by_ref() -> None:
    name = "shared-components.yaml"
    api = load_definition(DEFINITIONS / name, VARIABLES[name])
    create = method(api, "POST", "/Record")
    assert list(create.request_models) == ["application/fhir+json"]
    assert "$ref" not in json.dumps(create.request_models)
    assert create.request_models["application/fhir+json"]["properties"]["subject"] == {
        "type": "object",
        "properties": {"identifier": {"type": "string"}},
    }
    assert create.authorization.type is AuthorizationType.CUSTOM
    assert create.authorization.authorizer == "records-authoriser"  # the placeholder name, filled in
    assert create.parameters == (
        Parameter("Org-Code", ParameterLocation.HEADER, required=True),
        Parameter("Org-Name", ParameterLocation.HEADER, required=False),
    )
    assert method(api, "GET", "/Record/{id}").parameters[0] == Parameter("id", ParameterLocation.PATH, required=True)
    assert method(api, "GET", "/_status").authorization.type is AuthorizationType.NONE


def test_empty_security_overrides_a_declared_api_key_and_gateway_status_as_number() -> None:
    api = load_definition(DEFINITIONS / "metrics.yaml", VARIABLES["metrics.yaml"])
    put = method(api, "PUT", "/metrics")
    assert not put.api_key_required  # the document asks for a key; the method's `security: []` does not
    assert put.validator == RequestValidator("all", True, True)
    assert api.gateway_responses["BAD_REQUEST_BODY"].status_code == 400


def test_external_ref_is_reported_with_its_line() -> None:
    with pytest.raises(DefinitionError) as caught:
        load_definition(DEFINITIONS / "remote-refs.yaml")
    first = caught.value.problems[0]
    assert first == Problem(
        file=str(DEFINITIONS / "remote-refs.yaml"),
        pointer="$.paths['/'].$ref",
        message="$ref './index.yaml#/endpoints/index': cannot read the file: No such file or directory",
        line=16,
        hint="check the path and its permissions",
    )
    assert len(caught.value.problems) == 6  # three siblings, three remote files


def test_cloudformation_intrinsics_are_named() -> None:
    with pytest.raises(DefinitionError) as caught:
        load_definition(DEFINITIONS / "cloudformation.yaml")
    found = {(p.pointer, p.line, p.message) for p in caught.value.problems}
    # Without --var, what is left is the conditions (the rest is filled or kept as text in uris).
    assert found == {
        (
            "$.paths['/keys.json'].get.x-amazon-apigateway-integration.uri['Fn::Sub'][1].suffix['Fn::If'][0]",
            23,
            "unresolved CloudFormation condition IsLocalStack in Fn::If",
        ),
        (
            "$.paths['/session'].post.security[0].api_key['Fn::If'][0]",
            50,
            "unresolved CloudFormation condition RequireApiKey in Fn::If",
        ),
        (
            "$.paths['/result'].post.security[0].api_key['Fn::If'][0]",
            74,
            "unresolved CloudFormation condition RequireApiKey in Fn::If",
        ),
    }


def test_openapi3_scheme_left_in_swagger2_security_definitions() -> None:
    # API Gateway's importer reads it (AWS's own sample deploys so), and so does the loader now.
    name = "url-shortener.yaml"
    api = load_definition(DEFINITIONS / name, VARIABLES[name])
    assert method(api, "GET", "/links").authorization.type is AuthorizationType.COGNITO_USER_POOLS
    assert method(api, "GET", "/links").authorization.authorizer == "LinkOwners"


# --- file-level problems ----------------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DefinitionError) as caught:
        load_definition(tmp_path / "nope.yaml")
    (problem,) = caught.value.problems
    assert problem.message == "cannot read the file: No such file or directory"
    assert problem.pointer == "$"


def test_yaml_syntax_error_has_its_line(tmp_path: Path) -> None:
    problem = only_problem(tmp_path, 'openapi: "3.0.1"\npaths:\n  /a: [unclosed\n')
    assert problem.message.startswith("not valid YAML or JSON: ")
    assert problem.line == 4


def test_json_syntax_error_has_its_line(tmp_path: Path) -> None:
    (problem,) = problems(tmp_path, '{\n  "swagger": "2.0",\n  "paths": {,}\n}\n', "api.json")
    assert problem.message == "not valid JSON: Expecting property name enclosed in double quotes"
    assert problem.line == 3


def test_json_definitions_get_line_numbers_too(tmp_path: Path) -> None:
    text = json.dumps(
        {
            "swagger": "2.0",
            "paths": {"/a": {"get": {"x-amazon-apigateway-integration": {"type": "lambda"}}}},
        },
        indent=2,
    )
    (problem,) = problems(tmp_path, text, "api.json")
    assert (problem.pointer, problem.line) == ("$.paths['/a'].get.x-amazon-apigateway-integration.type", 7)
    assert problem.message == "unknown integration type 'lambda'"


def test_document_must_be_a_mapping(tmp_path: Path) -> None:
    problem = only_problem(tmp_path, "- a\n- b\n")
    assert problem.message == "the definition must be a mapping, not a list"
    assert problem.line == 1


def test_neither_openapi_nor_swagger(tmp_path: Path) -> None:
    problem = only_problem(tmp_path, "info: {title: t}\npaths: {}\n")
    assert problem.message == "neither `openapi: 3.0.x` nor `swagger: 2.0` found"
    assert problem.hint == 'start the document with `openapi: "3.0.1"` (OpenAPI 3) or `swagger: "2.0"` (Swagger 2)'


def test_openapi_31_is_refused(tmp_path: Path) -> None:
    problem = only_problem(tmp_path, "openapi: 3.1.0\npaths: {}\n")
    assert (problem.pointer, problem.line, problem.message) == ("$.openapi", 1, "unsupported OpenAPI version 3.1.0")


def test_unquoted_swagger_version_reads_as_a_float_and_still_loads(tmp_path: Path) -> None:
    api = load(
        tmp_path, "swagger: 2.0\ninfo: {title: t}\npaths:\n  pets:\n    get: {responses: {200: {description: ok}}}\n"
    )
    assert [(m.http_method, m.resource_path) for m in api.methods] == [("GET", "/pets")]
    assert api.methods[0].response_status_codes == ("200",)


def test_parse_definition_without_line_index_reports_no_line() -> None:
    with pytest.raises(DefinitionError) as caught:
        parse_definition({"openapi": "3.0.1", "paths": {"/a": {"get": {"x-amazon-apigateway-integration": {}}}}}, "d")
    (problem,) = caught.value.problems
    assert problem == Problem(
        file="d",
        pointer="$.paths['/a'].get.x-amazon-apigateway-integration.type",
        message="the integration has no type",
        line=None,
        hint="valid values: aws_proxy, aws, http_proxy, http, mock",
    )


# --- operations ------------------------------------------------------------------------------------


def test_any_method_and_missing_leading_slash(tmp_path: Path) -> None:
    api = load(
        tmp_path,
        OPENAPI_HEAD
        + textwrap.dedent("""\
        paths:
          "registrar/{proxy+}":
            x-amazon-apigateway-any-method:
              parameters: [{name: proxy, in: path}]
              x-amazon-apigateway-integration:
                {type: http_proxy, uri: "https://${stageVariables.host}/{proxy}", httpMethod: ANY}
        """),
    )
    (any_method,) = api.methods
    assert (any_method.http_method, any_method.resource_path) == ("ANY", "/registrar/{proxy+}")
    assert any_method.pointer == "$.paths['registrar/{proxy+}'].x-amazon-apigateway-any-method"
    assert any_method.parameters == (Parameter("proxy", ParameterLocation.PATH, required=True),)
    assert any_method.integration is not None
    assert any_method.integration.uri == "https://${stageVariables.host}/{proxy}"  # left for the emulator


def test_operation_parameters_replace_path_level_ones(tmp_path: Path) -> None:
    api = load(
        tmp_path,
        OPENAPI_HEAD
        + textwrap.dedent("""\
        paths:
          /a:
            parameters:
              - {name: Authorization, in: header, required: true}
              - {name: q, in: query, required: true}
            get:
              parameters:
                - {name: q, in: query, required: false}
                - {name: session, in: cookie, required: true}
              responses: {}
        """),
    )
    assert api.methods[0].parameters == (
        Parameter("Authorization", ParameterLocation.HEADER, required=True),
        Parameter("q", ParameterLocation.QUERYSTRING, required=False),
    )


def test_request_body_ref_and_recursive_schema(tmp_path: Path) -> None:
    api = load(
        tmp_path,
        OPENAPI_HEAD
        + textwrap.dedent("""\
        paths:
          /tree:
            post:
              requestBody: {$ref: "#/components/requestBodies/Tree"}
              responses: {}
        components:
          requestBodies:
            Tree:
              content:
                application/json: {schema: {$ref: "#/components/schemas/Node"}}
          schemas:
            Node:
              type: object
              required: [name]
              properties:
                name: {type: string}
                children: {type: array, items: {$ref: "#/components/schemas/Node"}}
        """),
    )
    assert api.methods[0].request_models == {
        "application/json": {
            "type": "object",
            "required": ["name"],
            "properties": {"name": {"type": "string"}, "children": {"type": "array", "items": {}}},
        }
    }


def test_swagger2_consumes_from_the_document_and_parameter_refs(tmp_path: Path) -> None:
    api = load(
        tmp_path,
        """\
        swagger: "2.0"
        info: {title: t}
        consumes: [application/json, application/x-www-form-urlencoded]
        paths:
          /pets:
            post:
              parameters:
                - $ref: "#/parameters/Trace"
                - {name: body, in: body, schema: {$ref: "#/definitions/Pet"}}
              responses: {}
        parameters:
          Trace: {name: X-Trace, in: header, required: true}
        definitions:
          Pet: {type: object}
        """,
    )
    post = api.methods[0]
    assert post.parameters == (Parameter("X-Trace", ParameterLocation.HEADER, required=True),)
    assert post.request_models == {
        "application/json": {"type": "object"},
        "application/x-www-form-urlencoded": {"type": "object"},
    }


DANGLING_SCHEMA = OPENAPI_HEAD + textwrap.dedent("""\
    paths:
      /pets:
        post:
          requestBody:
            content:
              application/json:
                schema: {$ref: "#/components/schemas/Pett"}
          responses: {}
    components:
      schemas:
        Pet: {type: object}
    """)


def test_unresolvable_ref_suggests_the_near_name(tmp_path: Path) -> None:
    with pytest.raises(DefinitionError) as caught:
        load_definition(write(tmp_path, DANGLING_SCHEMA), strict=True)
    [problem] = caught.value.problems
    assert problem.pointer == "$.paths['/pets'].post.requestBody.content['application/json'].schema.$ref"
    assert problem.line == 9
    assert problem.message == "$ref '#/components/schemas/Pett' points to nothing: $.components.schemas has no 'Pett'"
    assert problem.hint == "did you mean 'Pet'? it has: Pet"


def test_duplicate_resource_after_adding_the_slash(tmp_path: Path) -> None:
    problem = only_problem(
        tmp_path,
        OPENAPI_HEAD + "paths:\n  /pets:\n    get: {responses: {}}\n  pets:\n    get: {responses: {}}\n",
    )
    assert problem.pointer == "$.paths.pets.get"
    assert problem.message == "GET /pets is defined twice (also at $.paths['/pets'].get)"
    assert problem.line == 7


# --- validators and security ----------------------------------------------------------------------


def test_root_validator_applies_unless_the_operation_names_another(tmp_path: Path) -> None:
    api = load(
        tmp_path,
        OPENAPI_HEAD
        + textwrap.dedent("""\
        x-amazon-apigateway-request-validators:
          all: {validateRequestBody: true, validateRequestParameters: true}
          params: {validateRequestParameters: true}
        x-amazon-apigateway-request-validator: all
        paths:
          /a:
            get: {responses: {}}
            post: {x-amazon-apigateway-request-validator: params, responses: {}}
        """),
    )
    assert method(api, "GET", "/a").validator == RequestValidator("all", True, True)
    assert method(api, "POST", "/a").validator == RequestValidator("params", False, True)


def test_unknown_validator(tmp_path: Path) -> None:
    problem = only_problem(
        tmp_path,
        OPENAPI_HEAD
        + textwrap.dedent("""\
        x-amazon-apigateway-request-validators:
          Validate both: {validateRequestBody: true, validateRequestParameters: true}
        paths:
          /a:
            post: {x-amazon-apigateway-request-validator: Validate Both, responses: {}}
        """),
    )
    assert problem.pointer == "$.paths['/a'].post.x-amazon-apigateway-request-validator"
    assert problem.line == 7
    assert problem.message == "unknown request validator 'Validate Both'"
    assert problem.hint == (
        "did you mean 'Validate both'? validators defined in x-amazon-apigateway-request-validators: Validate both"
    )


SECURITY_SCHEMES = """\
components:
  securitySchemes:
    api_key: {type: apiKey, name: x-api-key, in: header}
    sigv4: {type: apiKey, name: Authorization, in: header, x-amazon-apigateway-authtype: awsSigv4}
    users:
      type: apiKey
      name: Authorization
      in: header
      x-amazon-apigateway-authtype: cognito_user_pools
      x-amazon-apigateway-authorizer: {type: cognito_user_pools, providerARNs: [arn:aws:cognito-idp:x]}
    tokens:
      type: apiKey
      name: Auth
      in: header
      x-amazon-apigateway-authtype: custom
      x-amazon-apigateway-authorizer: {type: TOKEN, authorizerUri: arn:fn}
"""


def test_root_security_applies_where_an_operation_has_none(tmp_path: Path) -> None:
    api = load(
        tmp_path,
        OPENAPI_HEAD
        + SECURITY_SCHEMES
        + textwrap.dedent("""\
        security: [{api_key: []}]
        paths:
          /a:
            get: {responses: {}}
            put: {security: [], responses: {}}
            post: {security: [{users: [email, profile]}], responses: {}}
            delete: {security: [{tokens: []}, {api_key: []}], responses: {}}
        """),
    )
    assert method(api, "GET", "/a").api_key_required
    assert not method(api, "PUT", "/a").api_key_required
    post = method(api, "POST", "/a")
    assert not post.api_key_required
    assert post.authorization.type is AuthorizationType.COGNITO_USER_POOLS
    assert post.authorization.scopes == ("email", "profile")
    delete = method(api, "DELETE", "/a")
    assert delete.api_key_required
    assert (delete.authorization.type, delete.authorization.authorizer) == (AuthorizationType.CUSTOM, "tokens")
    assert api.authorizers["tokens"] == {"type": "TOKEN", "authorizerUri": "arn:fn", "headerName": "Auth"}
    assert set(api.authorizers) == {"users", "tokens"}


def test_two_authorizations_on_one_method(tmp_path: Path) -> None:
    problem = only_problem(
        tmp_path,
        OPENAPI_HEAD
        + SECURITY_SCHEMES
        + "paths:\n  /a:\n    get:\n      security: [{sigv4: []}, {tokens: []}]\n      responses: {}\n",
    )
    assert problem.pointer == "$.paths['/a'].get.security[1].tokens"
    assert problem.message == (
        "a method has one authorization in API Gateway, but this security lists both AWS_IAM and CUSTOM (tokens)"
    )


def test_unknown_security_scheme_and_bad_authorizer_type(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        OPENAPI_HEAD
        + textwrap.dedent("""\
        components:
          securitySchemes:
            api_key: {type: apiKey, name: x-api-key, in: header}
            auth:
              type: apiKey
              name: Authorization
              in: header
              x-amazon-apigateway-authorizer: {type: lambda}
        paths:
          /a:
            get: {security: [{apikey: []}], responses: {}}
        """),
    )
    assert [(p.line, p.message, p.hint) for p in found] == [
        (10, "unknown authorizer type 'lambda'", "valid values: token, request, cognito_user_pools"),
        (
            13,
            "security scheme 'apikey' is not defined in components.securitySchemes",
            "did you mean 'api_key'? schemes in components.securitySchemes: api_key, auth",
        ),
    ]


# --- integrations ----------------------------------------------------------------------------------


def integration_snippet(fields: str) -> str:
    return (
        OPENAPI_HEAD
        + "paths:\n  /a:\n    get:\n      x-amazon-apigateway-integration:\n"
        + textwrap.indent(textwrap.dedent(fields), " " * 8)
    )


def test_integration_fields(tmp_path: Path) -> None:
    api = load(
        tmp_path,
        integration_snippet("""\
        type: AWS
        uri: arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:fn/invocations
        httpMethod: post
        timeoutInMillis: 60000
        passthroughBehavior: never
        contentHandling: CONVERT_TO_TEXT
        requestTemplates: {application/json: '{"a": 1}', text/plain: null}
        responses:
          "4\\\\d{2}": {statusCode: 400, responseTemplates: {application/json: '{}'}}
          default: {statusCode: "200", contentHandling: CONVERT_TO_BINARY}
        """),
    )
    integration = api.methods[0].integration
    assert integration is not None
    assert integration.type is IntegrationType.AWS
    assert integration.http_method == "POST"
    assert integration.timeout_in_millis == 60_000  # above 29 s is allowed since 2024
    assert integration.passthrough_behavior == "NEVER"
    assert integration.request_templates == {"application/json": '{"a": 1}', "text/plain": ""}
    assert [(r.selection_pattern, r.status_code, r.content_handling) for r in integration.responses] == [
        ("4\\d{2}", "400", None),
        ("default", "200", "CONVERT_TO_BINARY"),
    ]


def test_no_integration_is_not_an_error(tmp_path: Path) -> None:
    api = load(tmp_path, OPENAPI_HEAD + "paths:\n  /a:\n    get: {responses: {'200': {description: ok}}}\n")
    assert api.methods[0].integration is None


def test_unknown_integration_type_suggests_the_near_one(tmp_path: Path) -> None:
    problem = only_problem(tmp_path, integration_snippet("type: aws_proxi\nuri: arn:fn\n"))
    assert problem.pointer == "$.paths['/a'].get.x-amazon-apigateway-integration.type"
    assert problem.line == 7
    assert problem.message == "unknown integration type 'aws_proxi'"
    assert problem.hint == "did you mean 'AWS_PROXY'? valid values: AWS_PROXY, AWS, HTTP_PROXY, HTTP, MOCK"


def test_terraform_placeholders_where_the_emulator_needs_the_value(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        integration_snippet("""\
        type: "${integration_type}"
        uri: "arn:aws:apigateway:${region}:lambda:path/fn"
        timeoutInMillis: "${timeout}"
        """),
    )
    assert [(p.line, p.message) for p in found] == [
        (7, "unresolved template placeholder ${integration_type}"),
        (9, "unresolved template placeholder ${timeout}"),
    ]
    assert found[0].hint == "supply it: --var integration_type=... (or a --vars file)"


def test_cloudformation_intrinsic_as_integration_type(tmp_path: Path) -> None:
    problem = only_problem(tmp_path, integration_snippet("type: {Ref: IntegrationType}\nuri: arn:fn\n"))
    assert problem.message == "unresolved CloudFormation Ref IntegrationType"
    assert problem.line == 7


def test_cloudformation_short_form_tag_is_an_intrinsic_not_a_yaml_error(tmp_path: Path) -> None:
    # Filled in by the substitution pre-pass (AWS::Region defaults to us-east-1).
    api = load(tmp_path, integration_snippet("type: aws_proxy\nuri: !Sub arn:${AWS::Region}:fn\n"))
    integration = api.methods[0].integration
    assert integration is not None and integration.uri == "arn:us-east-1:fn"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("10", "timeoutInMillis 10 is below API Gateway's minimum of 50"),
        ("1.5", "must be a whole number of milliseconds, not a number"),
        ("soon", "must be a whole number of milliseconds, not a string"),
    ],
)
def test_bad_timeouts(tmp_path: Path, value: str, message: str) -> None:
    problem = only_problem(tmp_path, integration_snippet(f"type: mock\ntimeoutInMillis: {value}\n"))
    assert problem.pointer == "$.paths['/a'].get.x-amazon-apigateway-integration.timeoutInMillis"
    assert (problem.line, problem.message) == (8, message)


def test_proxy_integration_without_uri(tmp_path: Path) -> None:
    problem = only_problem(tmp_path, integration_snippet("type: aws_proxy\nhttpMethod: POST\n"))
    assert problem.message == "the AWS_PROXY integration has no uri"
    assert problem.line == 6  # the integration itself: the missing key has no line


def test_bad_passthrough_behavior(tmp_path: Path) -> None:
    problem = only_problem(tmp_path, integration_snippet("type: mock\npassthroughBehavior: when_no_template\n"))
    assert problem.message == "unknown passthrough behavior 'when_no_template'"
    assert problem.hint == ("did you mean 'WHEN_NO_TEMPLATES'? valid values: WHEN_NO_MATCH, WHEN_NO_TEMPLATES, NEVER")


# --- document-level extensions ---------------------------------------------------------------------


def test_gateway_responses(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        OPENAPI_HEAD
        + textwrap.dedent("""\
        paths: {}
        x-amazon-apigateway-gateway-responses:
          ACCESS_DENIED: {statusCode: "403", responseTemplates: {application/json: '{"Message": "no"}'}}
          DEFAULT_4xx: {statusCode: 400}
          THROTTLED: {statusCode: 42}
        """),
    )
    assert [(p.pointer, p.line, p.message) for p in found] == [
        (
            "$.x-amazon-apigateway-gateway-responses.DEFAULT_4xx",
            6,
            "unknown gateway response type 'DEFAULT_4xx'",
        ),
        (
            "$.x-amazon-apigateway-gateway-responses.THROTTLED.statusCode",
            7,
            "statusCode must be an HTTP status from 100 to 599, not 42",
        ),
    ]
    assert found[0].hint is not None and found[0].hint.startswith("did you mean 'DEFAULT_4XX'? valid values: ")


def test_gateway_response_status_written_as_a_string(tmp_path: Path) -> None:
    api = load(
        tmp_path,
        OPENAPI_HEAD + "paths: {}\nx-amazon-apigateway-gateway-responses:\n  ACCESS_DENIED: {statusCode: '403'}\n",
    )
    assert api.gateway_responses["ACCESS_DENIED"].status_code == 403


def test_api_key_source_and_binary_media_types(tmp_path: Path) -> None:
    api = load(
        tmp_path,
        OPENAPI_HEAD
        + "paths: {}\nx-amazon-apigateway-api-key-source: AUTHORIZER\n"
        + "x-amazon-apigateway-binary-media-types: ['*/*']\n",
    )
    assert (api.api_key_source, api.binary_media_types) == ("AUTHORIZER", ("*/*",))


def test_every_problem_is_collected_in_file_order(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        OPENAPI_HEAD
        + textwrap.dedent("""\
        x-amazon-apigateway-api-key-source: QUERY
        paths:
          /a:
            get:
              parameters: [{name: id, in: body_param}]
              x-amazon-apigateway-integration: {type: mock, passthroughBehavior: sometimes}
        x-amazon-apigateway-binary-media-types: image/png
        """),
    )
    assert [(p.line, p.message) for p in found] == [
        (3, "unknown API key source 'QUERY'"),
        (7, "unknown parameter location 'body_param'"),
        (8, "unknown passthrough behavior 'sometimes'"),
        (9, "must be a list of media types, not a string"),
    ]


# --- robustness ----------------------------------------------------------------------------------


JUNK: list[Any] = [None, 7, "x", [], {}, {"Fn::Sub": "a"}, True, [{"$ref": "#/nowhere"}]]


def all_paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            found += all_paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += all_paths(value, (*prefix, index))
    return found


def replaced(document: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    copied = copy.deepcopy(document)
    parent = copied
    for segment in path[:-1]:
        parent = parent[segment]
    parent[path[-1]] = value
    return copied


@pytest.mark.parametrize("name", ["photo-search.yaml", "token-authorizer.json"])
def test_any_damaged_value_gives_a_definition_error_not_a_crash(name: str) -> None:
    document = yaml.safe_load((DEFINITIONS / name).read_text())
    paths = all_paths(document)
    rng = random.Random(4)
    for path in rng.sample(paths, min(len(paths), 120)):
        for junk in JUNK:
            try:
                parse_definition(replaced(document, path, junk), name)
            except DefinitionError as error:
                assert error.problems


def test_a_model_named_by_its_api_gateway_url_is_the_model(tmp_path: Path) -> None:
    # AWS docs "Data models for REST APIs" (a model refers to another by
    # https://apigateway.amazonaws.com/restapis/{id}/models/{name}); recorded: LocalStack
    # test_api_gateway_request_validator_with_ref_models (parity case ls-common-validator-ref-models).
    url = "https://apigateway.amazonaws.com/restapis/a1b2c3/models/Pet"
    document = {
        "openapi": "3.0.1",
        "info": {"title": "t", "version": "1"},
        "components": {
            "schemas": {"Pet": {"type": "object", "required": ["a"]}, "Pets": {"type": "array", "items": {"$ref": url}}}
        },
        "paths": {
            "/pets": {
                "post": {
                    "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Pets"}}}},
                    "responses": {"200": {"description": "ok"}},
                }
            }
        },
    }
    path = tmp_path / "api.json"
    path.write_text(json.dumps(document))
    [method] = load_definition(path).methods
    assert method.request_models["application/json"] == {
        "type": "array",
        "items": {"type": "object", "required": ["a"]},
    }


def test_a_dangling_schema_ref_is_a_warning_unless_strict(tmp_path: Path) -> None:
    # AWS's import-rest-api defaults to failonwarnings=false (API reference, ImportRestApi): it goes
    # on past what it warns about; gatecrash issue 14. The schema then accepts anything.
    api = load(tmp_path, DANGLING_SCHEMA)
    [warning] = api.warnings
    assert warning.message == "$ref '#/components/schemas/Pett' points to nothing: $.components.schemas has no 'Pett'"
    assert method(api, "POST", "/pets").request_models["application/json"] == {}


def test_substitution_and_definition_problems_come_in_one_report(tmp_path: Path) -> None:
    # Not in waves: the unresolved placeholder and the bad timeout elsewhere, both at once.
    text = OPENAPI_HEAD + textwrap.dedent("""\
        paths:
          /a:
            get:
              x-amazon-apigateway-integration: {type: "${kind}"}
          /b:
            get:
              x-amazon-apigateway-integration: {type: mock, timeoutInMillis: 10}
        """)
    messages = [problem.message for problem in problems(tmp_path, text)]
    assert messages == [
        "unresolved template placeholder ${kind}",
        "timeoutInMillis 10 is below API Gateway's minimum of 50",
    ]
