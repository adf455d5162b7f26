"""Cognito user pool authorizers: local pool keys, minted tokens, and the demo's `GET /cognito`.

Sources, as in `gatecrash/emulator/auth/cognito.py`: AWS docs "Integrate a REST API with an Amazon
Cognito user pool" (ID token without scopes, access token with them); Cognito docs "Verifying a
JSON Web Token" (RS256, `iss`, `exp`, `token_use`, `aud`/`client_id`); apigw-reference.md (401
`{"message":"Unauthorized"}`, UnauthorizedException); amazon-cognito-identity-js#92 (claims as
strings, `exp` in Java's date form).
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from gatecrash.emulator.auth.cognito import (
    Fault,
    Refused,
    Verified,
    claims_for_integration,
    jwks,
    mint_token,
    signing_key,
    verify,
)
from gatecrash.emulator.cloudwatch import LocalLogsServer
from gatecrash.emulator.definition import load_definition
from gatecrash.emulator.model import StageConfig, UserPool
from gatecrash.emulator.server import EmulatorServer
from gatecrash.emulator.sidefile import load_side_file
from gatecrash.errors import SideFileError
from tests.conftest import DEMO, LogReader

POOL = UserPool("us-east-1_demo0001", ("demo0app0client0000000001",), "gatecrash-demo-pool")
STAGE = StageConfig(user_pools=(POOL,))
NOW = 1_700_000_000.0


def _claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return decoded


def test_a_seed_always_gives_the_same_key_pair_and_the_jwks_shows_only_the_public_part() -> None:
    assert signing_key("gatecrash-demo-pool").as_dict() == signing_key("gatecrash-demo-pool").as_dict()
    assert signing_key("gatecrash-demo-pool").kid != signing_key("another-seed").kid
    (key,) = jwks(POOL)["keys"]
    assert set(key) == {"kty", "n", "e", "kid", "alg", "use"}
    assert (key["kty"], key["alg"], key["use"]) == ("RSA", "RS256", "sig")


def test_minted_access_and_id_tokens_carry_cognito_claims() -> None:
    access = _claims(mint_token(STAGE, POOL.id, scopes=["demo/read"], now=NOW))
    assert access["iss"] == "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_demo0001"
    assert (access["token_use"], access["client_id"], access["scope"]) == (
        "access",
        "demo0app0client0000000001",
        "demo/read",
    )
    assert access["exp"] - access["iat"] == 3600
    identity = _claims(mint_token(STAGE, POOL.id, now=NOW))
    assert (identity["token_use"], identity["aud"]) == ("id", "demo0app0client0000000001")
    header = json.loads(base64.urlsafe_b64decode(mint_token(STAGE, POOL.id).split(".")[0] + "=="))
    assert header == {"kid": signing_key(POOL.signing_key_seed).kid, "alg": "RS256"}


def test_valid_tokens_verify_for_their_method() -> None:
    access = mint_token(STAGE, POOL.id, scopes=["demo/read"], now=NOW)
    assert isinstance(verify(access, [POOL], ["demo/read", "demo/write"], NOW + 10), Verified)
    assert isinstance(verify("Bearer " + access, [POOL], ["demo/read"], NOW + 10), Verified)
    assert isinstance(verify(mint_token(STAGE, POOL.id, now=NOW), [POOL], [], NOW + 10), Verified)


@pytest.mark.parametrize(
    ("token_of", "scopes", "reason"),
    [
        (
            lambda: mint_token(STAGE, POOL.id, scopes=["demo/read"], fault=Fault.EXPIRED, now=NOW),
            ["demo/read"],
            "expired",
        ),
        (
            lambda: mint_token(STAGE, POOL.id, scopes=["demo/read"], fault="wrong-signature", now=NOW),
            ["demo/read"],
            "not a JWT signed by a key of the authorizer's user pools",
        ),
        (lambda: mint_token(STAGE, POOL.id, fault="wrong-issuer", now=NOW), [], "wrong issuer"),
        (
            lambda: mint_token(STAGE, POOL.id, fault="wrong-audience", now=NOW),
            [],
            "not an ID token of an app client of the pool",
        ),
        (
            lambda: mint_token(STAGE, POOL.id, scopes=["demo/read"], fault="wrong-audience", now=NOW),
            ["demo/read"],
            "not an access token of an app client of the pool",
        ),
        (
            lambda: mint_token(STAGE, POOL.id, now=NOW),
            ["demo/read"],
            "not an access token of an app client of the pool",
        ),
        (
            lambda: mint_token(STAGE, POOL.id, scopes=["demo/write"], now=NOW),
            ["demo/read"],
            "none of the method's scopes",
        ),
        (lambda: "not.a.jwt", [], "not a JWT signed by a key of the authorizer's user pools"),
        (lambda: "", [], "no token"),
    ],
)
def test_broken_tokens_are_refused(token_of: Any, scopes: list[str], reason: str) -> None:
    assert verify(token_of(), [POOL], scopes, NOW + 10) == Refused(reason)


def test_claims_reach_the_integration_as_strings_with_java_dates() -> None:
    claims = {"sub": "s", "exp": 1469814773, "iat": 1469811173, "auth_time": 1469811173, "email_verified": True}
    assert claims_for_integration(claims) == {
        "sub": "s",
        "exp": "Fri Jul 29 17:52:53 UTC 2016",
        "iat": "Fri Jul 29 16:52:53 UTC 2016",
        "auth_time": "1469811173",
        "email_verified": "true",
    }


def test_minting_for_an_unknown_pool_or_client_names_the_declared_ones() -> None:
    with pytest.raises(SideFileError) as unknown_pool:
        mint_token(STAGE, "us-east-1_demo0002")
    (problem,) = unknown_pool.value.problems
    assert (problem.pointer, problem.message) == ("$.userPools", "no user pool 'us-east-1_demo0002'")
    assert problem.hint == "did you mean 'us-east-1_demo0001'? declared: us-east-1_demo0001"
    with pytest.raises(SideFileError) as unknown_client:
        mint_token(STAGE, POOL.id, client_id="nope")
    assert unknown_client.value.problems[0].message == "no app client 'nope'"


# -- over loopback, on the demo ------------------------------------------------------------------------


def test_the_demo_pool_accepts_its_tokens_and_refuses_each_broken_one(
    demo: EmulatorServer, client: httpx.Client, execution_log: LogReader
) -> None:
    stage = load_side_file(DEMO / "stage.yaml")
    good = mint_token(stage, "us-east-1_demo0001", scopes=["demo/read"])
    assert client.get("/cognito", headers={"Authorization": good}).status_code == 200
    broken = [mint_token(stage, "us-east-1_demo0001", scopes=["demo/read"], fault=fault) for fault in Fault]
    broken += [mint_token(stage, "us-east-1_demo0001"), mint_token(stage, "us-east-1_demo0001", scopes=["x/y"])]
    for token in [*broken, None]:
        response = client.get("/cognito", headers={"Authorization": token} if token else {})
        assert (response.status_code, response.content) == (401, b'{"message":"Unauthorized"}')
        assert response.headers["x-amzn-errortype"] == "UnauthorizedException"
    request_id = response.headers["x-amzn-requestid"]
    assert execution_log(demo, request_id)[-1] == f"({request_id}) Unauthorized request: {request_id}"


CLAIMS_SIDE = """
stage: {stageName: s}
functions:
  whoami: {handler: "claims_handlers:whoami"}
userPools:
  - {id: eu-west-1_Pool0001, clientIds: [app1]}
"""


@pytest.fixture
def claims_api(tmp_path: Path, logs_server: LocalLogsServer) -> Iterator[tuple[StageConfig, httpx.Client]]:
    (tmp_path / "claims_handlers.py").write_text(
        "import json\n"
        "def whoami(event, context):\n"
        "    return {'statusCode': 200, 'body': json.dumps(event['requestContext']['authorizer'])}\n"
    )
    (tmp_path / "stage.yaml").write_text(CLAIMS_SIDE)
    uri = (
        "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/"
        "arn:aws:lambda:eu-west-1:123456789012:function:whoami/invocations"
    )
    document = {
        "swagger": "2.0",
        "info": {"title": "t", "version": "1"},
        "securityDefinitions": {
            "pool": {
                "type": "apiKey",
                "name": "Authorization",
                "in": "header",
                "x-amazon-apigateway-authtype": "cognito_user_pools",
                "x-amazon-apigateway-authorizer": {
                    "type": "cognito_user_pools",
                    "providerARNs": ["arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_Pool0001"],
                },
            }
        },
        "paths": {
            "/me": {
                "get": {
                    "security": [{"pool": []}],
                    "x-amazon-apigateway-integration": {"type": "aws_proxy", "httpMethod": "POST", "uri": uri},
                }
            }
        },
    }
    (tmp_path / "api.json").write_text(json.dumps(document))
    stage = load_side_file(tmp_path / "stage.yaml")
    server = EmulatorServer(load_definition(tmp_path / "api.json"), stage, logs_endpoint=logs_server.endpoint_url)
    server.start()
    assert server.endpoints is not None
    with httpx.Client(base_url=server.endpoints.base_url, timeout=10) as client:
        yield stage, client
    server.close()


def test_id_token_claims_reach_the_lambda_proxy_event(claims_api: tuple[StageConfig, httpx.Client]) -> None:
    stage, client = claims_api
    issued = time.time()
    token = mint_token(stage, "eu-west-1_Pool0001", username="ann", now=issued)
    response = client.get("/me", headers={"Authorization": token})
    assert response.status_code == 200
    claims = response.json()["claims"]
    minted = _claims(token)
    assert claims["sub"] == minted["sub"]
    assert (claims["aud"], claims["token_use"], claims["cognito:username"]) == ("app1", "id", "ann")
    assert claims["iss"] == "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Pool0001"
    assert claims["auth_time"] == str(minted["auth_time"])
    assert claims["exp"] == time.strftime("%a %b %d %H:%M:%S UTC %Y", time.gmtime(minted["exp"]))
