"""Authorization configuration: the side file's iamCredentials and userPools, the definition's authorizers.

Side-file problems carry file, line, key path and a fix, like every other section; authorizer
problems in the definition are what API Gateway's import refuses (AWS docs
"x-amazon-apigateway-authorizer object"; API reference, Authorizer: TTL 0 to 3600, identitySource
forms, required for cached REQUEST authorizers).
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

from gatecrash.emulator import sidefile
from gatecrash.emulator.auth.config import AuthorizerKind, IdentitySource, load_authorizers
from gatecrash.emulator.cloudwatch import LocalLogsServer
from gatecrash.emulator.definition import parse_definition
from gatecrash.emulator.model import IamCredential, StageConfig, UserPool
from gatecrash.emulator.server import EmulatorServer
from gatecrash.emulator.sidefile import load_side_file, parse_side_file
from gatecrash.errors import DefinitionError, Problem, SideFileError


def load(tmp_path: Path, text: str, environ: dict[str, str] | None = None) -> Any:
    path = tmp_path / "stage.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return load_side_file(path, environ=environ or {})


def problems(tmp_path: Path, text: str, environ: dict[str, str] | None = None) -> list[Problem]:
    with pytest.raises(SideFileError) as caught:
        load(tmp_path, text, environ)
    return list(caught.value.problems)


def documented_example() -> str:
    doc = sidefile.__doc__
    assert doc is not None
    return doc.split("```yaml\n", 1)[1].split("```", 1)[0]


def test_documented_credentials_and_pools_load(tmp_path: Path) -> None:
    config = load(tmp_path, documented_example())
    assert config.iam_credentials == (
        IamCredential(
            access_key_id="AKIAEXAMPLELOCAL0001",
            secret_access_key="local-only-secret-0123456789",
            arn="arn:aws:iam::123456789012:user/caller",
            user_id="AIDAEXAMPLELOCAL00001",
            account="123456789012",
            allow=("arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/demo/GET/*",),
        ),
        IamCredential(
            access_key_id="ASIAEXAMPLELOCAL0001",
            secret_access_key="local-only-secret-abcdefghij",
            arn="arn:aws:sts::123456789012:assumed-role/probe/session1",
            user_id=config.iam_credentials[1].user_id,
            account="123456789012",
            session_token="local-only-session-token",
            expiration=4070908800.0,
            allow=("*",),
        ),
    )
    # No userId given: a stand-in shaped like an assumed role's principal id.
    assert config.iam_credentials[1].user_id.startswith("AROA")
    assert config.iam_credentials[1].user_id.endswith(":session1")
    assert config.user_pools == (UserPool("us-east-1_Local0001", ("localappclient0001",), "local-pool-seed"),)


def test_secrets_by_environment_reference_and_the_seed_defaults_to_the_pool_id(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        """\
        iamCredentials:
          - accessKeyId: AKIAFROMENV000000001
            secretAccessKeyFrom: {env: LOCAL_SECRET}
            sessionTokenFrom: {env: LOCAL_TOKEN}
            arn: arn:aws:iam::123456789012:user/env
        userPools:
          - {id: us-east-1_Env0001, clientIds: [c1, c2]}
        """,
        {"LOCAL_SECRET": "s3cr3t", "LOCAL_TOKEN": "t0k3n"},
    )
    (credential,) = config.iam_credentials
    assert (credential.secret_access_key, credential.session_token) == ("s3cr3t", "t0k3n")
    assert credential.user_id.startswith("AIDA") and len(credential.user_id) == 21
    assert config.user_pools == (UserPool("us-east-1_Env0001", ("c1", "c2"), "us-east-1_Env0001"),)


def test_each_credential_problem_is_reported_with_its_line_and_fix(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        """\
        iamCredentials:
          - accessKeyId: AKIA1
            secretKey: nope
            arn: arn:aws:iam::123456789012:user/a
          - accessKeyId: AKIA2
            secretAccessKey: s
            secretAccessKeyFrom: {env: X}
            arn: user/b
            allow: [arn:aws:s3:::bucket, "*"]
          - accessKeyId: AKIA3
            secretAccessKeyFrom: {env: UNSET_SECRET}
            arn: arn:aws:iam::123456789012:user/c
            expiration: tomorrow
          - {accessKeyId: AKIA1, secretAccessKey: s, arn: "arn:aws:iam::123456789012:user/d"}
        """,
    )
    assert [(p.line, p.pointer, p.message, p.hint) for p in found] == [
        (
            2,
            "$.iamCredentials[0]",
            "missing secretAccessKey",
            "add `secretAccessKey: ...` (local only) or `secretAccessKeyFrom: {env: NAME}`",
        ),
        (3, "$.iamCredentials[0].secretKey", "unknown key 'secretKey'", found[1].hint),
        (
            5,
            "$.iamCredentials[1]",
            "give either secretAccessKey or secretAccessKeyFrom, not both",
            "remove one of them",
        ),
        (
            8,
            "$.iamCredentials[1].arn",
            "'user/b' is not an IAM principal ARN",
            "as `aws sts get-caller-identity` prints it, e.g. arn:aws:iam::123456789012:user/name",
        ),
        (
            9,
            "$.iamCredentials[1].allow[0]",
            "'arn:aws:s3:::bucket' is not an execute-api resource ARN",
            "arn:aws:execute-api:<region>:<account>:<api-id>/<stage>/<METHOD>/<path>, with * wildcards",
        ),
        (
            11,
            "$.iamCredentials[2].secretAccessKeyFrom.env",
            "environment variable UNSET_SECRET is not set",
            "export UNSET_SECRET=... before starting gatecrash",
        ),
        (
            13,
            "$.iamCredentials[2].expiration",
            "expiration 'tomorrow' is not a date and time",
            'e.g. "2030-01-01T00:00:00Z"',
        ),
        (
            14,
            "$.iamCredentials[3].accessKeyId",
            "duplicate accessKeyId 'AKIA1' (also at $.iamCredentials[0])",
            "give each credential its own access key id",
        ),
    ]
    assert found[1].hint is not None and found[1].hint.startswith("did you mean 'secretAccessKey'?")


def test_each_user_pool_problem_is_reported(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        """\
        userPools:
          - {id: demo-pool, clientIds: [a]}
          - {id: us-east-1_Ok0001}
          - {id: us-east-1_Ok0002, clientIds: [], signingKeySeedFrom: {env: NO_SEED}}
          - {id: us-east-1_Ok0003, clientId: [a], clientIds: [a]}
        """,
    )
    assert [(p.line, p.pointer, p.message) for p in found] == [
        (2, "$.userPools[0].id", "'demo-pool' is not a user pool id"),
        (3, "$.userPools[1]", "missing clientIds"),
        (4, "$.userPools[2].clientIds", "must be a non-empty list of app client ids, not a list"),
        (4, "$.userPools[2].signingKeySeedFrom.env", "environment variable NO_SEED is not set"),
        (5, "$.userPools[3].clientId", "unknown key 'clientId'"),
    ]
    assert found[-1].hint is not None and found[-1].hint.startswith("did you mean 'clientIds'?")


@pytest.mark.parametrize("junk", [None, 7, "x", [], {}, True, [None], [7], {"items": "x"}])
@pytest.mark.parametrize("key", ["iamCredentials", "userPools"])
def test_a_damaged_section_is_a_side_file_error_not_a_crash(key: str, junk: object) -> None:
    document = yaml.safe_load(documented_example())
    document[key] = junk
    try:
        parse_side_file(document, "stage.yaml", environ={})
    except SideFileError as error:
        assert error.problems


# -- the definition's authorizers ------------------------------------------------------------------------


def _definition(authorizers: dict[str, dict[str, Any]]) -> Any:
    schemes = {
        name: {
            "type": "apiKey",
            "name": "Authorization",
            "in": "header",
            "x-amazon-apigateway-authtype": "custom",
            "x-amazon-apigateway-authorizer": body,
        }
        for name, body in authorizers.items()
    }
    document = {
        "openapi": "3.0.1",
        "info": {"title": "t", "version": "1"},
        "components": {"securitySchemes": schemes},
        "paths": {"/x": {"get": {"x-amazon-apigateway-integration": {"type": "mock"}}}},
    }
    return parse_definition(document, "api.yaml")


URI = (
    "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
    "arn:aws:lambda:us-east-1:123456789012:function:auth/invocations"
)


def test_authorizers_are_read_with_aws_defaults() -> None:
    configs = load_authorizers(
        _definition(
            {
                "tok": {"type": "token", "authorizerUri": URI, "identitySource": "method.request.header.X-Token"},
                "req": {
                    "type": "request",
                    "authorizerUri": URI,
                    "identitySource": "method.request.header.a, method.request.querystring.b,stageVariables.c",
                    "authorizerResultTtlInSeconds": "60",
                },
                "pool": {
                    "type": "cognito_user_pools",
                    "providerARNs": ["arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_Abc123"],
                },
            }
        )
    )
    token, request, pool = configs["tok"], configs["req"], configs["pool"]
    assert (token.kind, token.ttl_seconds, token.identity_sources) == (
        AuthorizerKind.TOKEN,
        300,  # the default TTL
        (IdentitySource("method.request.header.", "X-Token"),),
    )
    assert [source.expression for source in request.identity_sources] == [
        "method.request.header.a",
        "method.request.querystring.b",
        "stageVariables.c",
    ]
    assert request.ttl_seconds == 60
    assert (pool.kind, pool.pool_ids) == (AuthorizerKind.COGNITO_USER_POOLS, ("us-east-1_Abc123",))
    assert pool.identity_sources == (IdentitySource("method.request.header.", "Authorization"),)
    assert len(token.id) == 6 and token.id != request.id


def test_authorizer_problems_are_all_reported() -> None:
    with pytest.raises(DefinitionError) as caught:
        load_authorizers(
            _definition(
                {
                    "a": {"type": "token", "authorizerUri": "https://example.com/auth"},
                    "b": {
                        "type": "token",
                        "authorizerUri": URI,
                        "identitySource": "method.request.querystring.t",
                        "identityValidationExpression": "^(Bearer",
                        "authorizerResultTtlInSeconds": 9000,
                    },
                    "c": {"type": "request", "authorizerUri": URI, "identitySource": "header.x"},
                    "d": {"type": "request", "authorizerUri": URI},
                    "e": {"type": "cognito_user_pools", "providerARNs": ["us-east-1_Abc123"]},
                }
            )
        )
    assert [(p.pointer, p.message) for p in caught.value.problems] == [
        (
            "$.securitySchemes.a.x-amazon-apigateway-authorizer.authorizerUri",
            "authorizerUri must be a Lambda invocation URI, not 'https://example.com/auth'",
        ),
        (
            "$.securitySchemes.b.x-amazon-apigateway-authorizer.authorizerResultTtlInSeconds",
            "authorizerResultTtlInSeconds must be a whole number from 0 to 3600, not 9000",
        ),
        (
            "$.securitySchemes.b.x-amazon-apigateway-authorizer.identitySource",
            "a TOKEN authorizer reads exactly one header",
        ),
        (
            "$.securitySchemes.b.x-amazon-apigateway-authorizer.identityValidationExpression",
            "identityValidationExpression is not a regular expression: missing ), unterminated subpattern at "
            "position 1",
        ),
        ("$.securitySchemes.c.x-amazon-apigateway-authorizer.identitySource", "'header.x' is not an identity source"),
        (
            "$.securitySchemes.d.x-amazon-apigateway-authorizer.identitySource",
            "a REQUEST authorizer whose results are cached needs an identitySource",
        ),
        (
            "$.securitySchemes.e.x-amazon-apigateway-authorizer.providerARNs",
            "'us-east-1_Abc123' is not a user pool ARN",
        ),
    ]
    assert all(problem.file == "api.yaml" and problem.hint for problem in caught.value.problems)


def test_a_server_with_a_bad_authorizer_refuses_to_start_and_leaves_nothing_open(
    logs_server: LocalLogsServer,
) -> None:
    api = _definition({"a": {"type": "token", "authorizerUri": URI, "identitySource": "Authorization"}})
    server = EmulatorServer(api, StageConfig(), logs_endpoint=logs_server.endpoint_url)
    with pytest.raises(DefinitionError):
        server.start()
    assert (server.sink, server.app) == (None, None)
