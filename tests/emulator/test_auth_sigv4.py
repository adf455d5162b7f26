"""AWS_IAM on the demo's `GET /iam`: SigV4 verified for real, over loopback, signed two ways.

Clients: botocore's SigV4Auth (what every AWS SDK for Python signs with) and requests-aws4auth (what
locust users sign with). Every answer is checked for status, exact body and x-amzn-ErrorType; the
sources of each are in `gatecrash/emulator/auth/sigv4.py` and apigw-reference.md ("Gateway response
types"): KC "api-gateway-troubleshoot-403-forbidden", amplify-js#476 and #2626, mhart/aws4#33,
aws-sdk-android#253, ex_aws#701, aws-sdk-js#792.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import botocore.auth
import httpx
import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from requests_aws4auth import AWS4Auth

from gatecrash.emulator.auth.sigv4 import Authenticated, IncomingRequest, authenticate
from gatecrash.emulator.cloudwatch import LocalLogsServer
from gatecrash.emulator.definition import load_definition
from gatecrash.emulator.model import IamCredential
from gatecrash.emulator.responses import GatewayError
from gatecrash.emulator.server import EmulatorServer
from gatecrash.emulator.sidefile import load_side_file
from tests.conftest import LogReader

AccessLog = Callable[[EmulatorServer, str], dict[str, str]]

# The demo's local credentials (scenarios/demo/stage.yaml, iamCredentials).
ALLOWED = ("AKIADEMOALLOWED00001", "gatecrash-demo-secret-allowed-0000000000")
OUTSIDER = ("AKIADEMODENIED000001", "gatecrash-demo-secret-denied-00000000000")
TEMPORARY = ("ASIADEMOTEMPORARY001", "gatecrash-demo-secret-temporary-0000000")
SESSION_TOKEN = "gatecrash-demo-session-token-000000000000"
IAM_ARN = "arn:aws:execute-api:us-east-1:123456789012:demo4pi0x1/demo/GET/iam"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
MISMATCH = (
    "The request signature we calculated does not match the signature you provided. Check your AWS Secret "
    "Access Key and signing method. Consult the service documentation for details."
)


def signed_headers(
    url: str,
    key: tuple[str, str],
    *,
    token: str | None = None,
    method: str = "GET",
    body: bytes = b"",
    headers: Mapping[str, str] | None = None,
    region: str = "us-east-1",
    service: str = "execute-api",
) -> dict[str, str]:
    """Headers botocore's SigV4 signer adds, for a request sent exactly as described."""
    request = AWSRequest(method=method, url=url, data=body, headers=dict(headers or {}))
    SigV4Auth(Credentials(key[0], key[1], token), service, region).add_auth(request)
    return dict(request.headers.items())


@pytest.fixture
def iam_url(demo: EmulatorServer) -> str:
    assert demo.endpoints is not None
    return demo.endpoints.base_url + "/iam"


@pytest.fixture
def signed_at(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[datetime], None]]:
    """Make botocore sign as if the clock said `moment` (a stale or future X-Amz-Date)."""

    def at(moment: datetime) -> None:
        monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: moment.replace(tzinfo=None))

    yield at


def error_of(response: httpx.Response | requests.Response) -> tuple[int, str, str]:
    return response.status_code, response.headers["x-amzn-errortype"], response.text


# -- the outcomes, each as AWS answers it --------------------------------------------------------


def test_unsigned_request_is_403_missing_authentication_token_with_no_execution_line(
    demo: EmulatorServer, iam_url: str, execution_log: LogReader, access_log: AccessLog
) -> None:
    # KC "troubleshoot 403": an AWS_IAM method called without Authorization; AWS_IAM failures leave
    # no execution line (apigw-reference.md, "Execution logs"), only the access-log record.
    response = httpx.get(iam_url)
    assert error_of(response) == (
        403,
        "MissingAuthenticationTokenException",
        '{"message":"Missing Authentication Token"}',
    )
    request_id = response.headers["x-amzn-requestid"]
    assert execution_log(demo, request_id) == []
    record = access_log(demo, request_id)
    assert (record["status"], record["error.responseType"]) == ("403", "MISSING_AUTHENTICATION_TOKEN")


def test_a_bearer_token_is_an_incomplete_signature_with_the_pair_hashed(
    demo: EmulatorServer, iam_url: str, access_log: AccessLog
) -> None:
    # 2025 form (awslabs/time-addressable-media-store#8); the access log says DEFAULT_4XX (azul#7470).
    value = "Bearer not-a-sigv4-header"
    response = httpx.get(iam_url, headers={"Authorization": value})
    digest = base64.b64encode(hashlib.sha256(value.encode()).digest()).decode()
    assert error_of(response) == (
        403,
        "IncompleteSignatureException",
        '{"message":"Invalid key=value pair (missing equal-sign) in Authorization header (hashed with SHA-256 '
        f"and encoded with Base64): '{digest}'.\"}}",
    )
    assert access_log(demo, response.headers["x-amzn-requestid"])["error.responseType"] == "DEFAULT_4XX"


def test_a_bare_jwt_is_an_incomplete_signature_listing_every_missing_part(
    demo: EmulatorServer, iam_url: str, access_log: AccessLog, logs_client: Any
) -> None:
    # amplify-js#476 and chalice#828 (real answers): the parts in this order, then the header echoed.
    jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJkZW1vIn0.c2lnbmF0dXJlLXNlY3JldA"
    response = httpx.get(iam_url, headers={"Authorization": jwt})
    assert error_of(response) == (
        403,
        "IncompleteSignatureException",
        '{"message":"Authorization header requires \'Credential\' parameter. Authorization header requires '
        "'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization header "
        f"requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization={jwt}\"}}",
    )
    # The answer echoes the header as AWS does; the access log masks it.
    record = access_log(demo, response.headers["x-amzn-requestid"])
    assert jwt not in str(record)
    assert record["error.message"].endswith("Authorization=" + "*" * (len(jwt) - 6) + jwt[-6:])


def test_a_sigv4_header_without_a_date_asks_for_one(iam_url: str) -> None:
    headers = signed_headers(iam_url, ALLOWED)
    del headers["X-Amz-Date"]
    response = httpx.get(iam_url, headers=headers)
    assert error_of(response) == (
        403,
        "IncompleteSignatureException",
        "{\"message\":\"Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
        f'Authorization={headers["Authorization"]}"}}',
    )


def test_botocore_signed_request_passes_and_names_the_caller(
    demo: EmulatorServer, iam_url: str, execution_log: LogReader, access_log: AccessLog
) -> None:
    response = httpx.get(iam_url, headers=signed_headers(iam_url, ALLOWED))
    assert response.status_code == 200
    request_id = response.headers["x-amzn-requestid"]
    record = access_log(demo, request_id)
    # $context.identity.* for IAM callers (AWS docs, access logging variables).
    assert record["identity.caller"] == "AIDADEMOCALLER000001"
    assert record["identity.user"] == "AIDADEMOCALLER000001"
    assert record["identity.userArn"] == "arn:aws:iam::123456789012:user/demo-caller"
    lines = execution_log(demo, request_id)
    assert lines[0] == f"({request_id}) Extended Request Id: {response.headers['x-amz-apigw-id']}"
    assert lines[1].startswith(f"({request_id}) Verifying Usage Plan for request: {request_id}.")
    assert not any(ALLOWED[1] in line for line in lines)


def test_requests_aws4auth_signed_request_with_a_query_string_passes(iam_url: str) -> None:
    auth = AWS4Auth(*ALLOWED, "us-east-1", "execute-api")
    response = requests.get(iam_url, params={"q": "two words/and~more", "a": ["2", "1"]}, auth=auth, timeout=10)
    assert response.status_code == 200


def test_temporary_credentials_need_their_session_token(iam_url: str) -> None:
    with_token = signed_headers(iam_url, TEMPORARY, token=SESSION_TOKEN)
    assert httpx.get(iam_url, headers=with_token).status_code == 200
    auth = AWS4Auth(*TEMPORARY, "us-east-1", "execute-api", session_token=SESSION_TOKEN)
    assert requests.get(iam_url, auth=auth, timeout=10).status_code == 200
    invalid = (403, "AccessDeniedException", '{"message":"The security token included in the request is invalid."}')
    assert error_of(httpx.get(iam_url, headers=signed_headers(iam_url, TEMPORARY))) == invalid
    wrong = signed_headers(iam_url, TEMPORARY, token=SESSION_TOKEN + "x")
    assert error_of(httpx.get(iam_url, headers=wrong)) == invalid


def test_unknown_access_key_is_403_security_token_invalid(
    demo: EmulatorServer, iam_url: str, access_log: AccessLog
) -> None:
    # KC "troubleshoot 403": AccessDeniedException; body key `message` (amplify-js#2626, Postman).
    response = httpx.get(iam_url, headers=signed_headers(iam_url, ("AKIAUNKNOWNKEY000001", "whatever")))
    assert error_of(response) == (
        403,
        "AccessDeniedException",
        '{"message":"The security token included in the request is invalid."}',
    )
    assert access_log(demo, response.headers["x-amzn-requestid"])["error.responseType"] == "ACCESS_DENIED"


def test_wrong_secret_shows_the_canonical_string_and_string_to_sign_aws_computed(iam_url: str) -> None:
    # mhart/aws4#33, postmanlabs#5815 (real answers): the message, then both strings quoted.
    headers = signed_headers(iam_url, (ALLOWED[0], "not-the-secret"))
    response = httpx.get(iam_url, headers=headers)
    stamp = headers["X-Amz-Date"]
    host = httpx.URL(iam_url).netloc.decode()
    canonical = f"GET\n/demo/iam\n\nhost:{host}\nx-amz-date:{stamp}\n\nhost;x-amz-date\n{EMPTY_SHA256}"
    string_to_sign = (
        f"AWS4-HMAC-SHA256\n{stamp}\n{stamp[:8]}/us-east-1/execute-api/aws4_request\n"
        + hashlib.sha256(canonical.encode()).hexdigest()
    )
    assert error_of(response)[:2] == (403, "InvalidSignatureException")
    assert response.json() == {
        "message": f"{MISMATCH}\n\nThe Canonical String for this request should have been\n'{canonical}'\n\n"
        f"The String-to-Sign should have been\n'{string_to_sign}'\n"
    }


def test_a_principal_without_permission_is_403_not_authorized_to_perform(
    demo: EmulatorServer, iam_url: str, access_log: AccessLog
) -> None:
    # KC "troubleshoot 403"; real bodies use the key `Message` (guardian/manage-frontend#483, ASFHyP3#2283).
    response = httpx.get(iam_url, headers=signed_headers(iam_url, OUTSIDER))
    assert error_of(response) == (
        403,
        "AccessDeniedException",
        '{"Message":"User: arn:aws:iam::123456789012:user/demo-outsider is not authorized to perform: '
        f'execute-api:Invoke on resource: {IAM_ARN}"}}',
    )
    record = access_log(demo, response.headers["x-amzn-requestid"])
    assert record["identity.userArn"] == "arn:aws:iam::123456789012:user/demo-outsider"
    assert record["error.responseType"] == "ACCESS_DENIED"


def test_a_replay_with_a_stale_date_is_signature_expired(iam_url: str, signed_at: Callable[[datetime], None]) -> None:
    # aws-sdk-android#253 (403 from API Gateway): `<t> is now earlier than <now-5m> (<now> - 5 min.)`.
    before = datetime.now(UTC).replace(microsecond=0)
    signed_at(before - timedelta(minutes=20))
    headers = signed_headers(iam_url, ALLOWED)
    response = httpx.get(iam_url, headers=headers)
    status, error_type, _ = error_of(response)
    assert (status, error_type) == (403, "InvalidSignatureException")
    found = re.fullmatch(
        rf"Signature expired: {headers['X-Amz-Date']} is now earlier than (\d{{8}}T\d{{6}}Z) "
        r"\((\d{8}T\d{6}Z) - 5 min\.\)",
        response.json()["message"],
    )
    assert found is not None
    limit, now = (datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC) for stamp in found.groups())
    assert now - limit == timedelta(minutes=5)
    assert before <= now <= datetime.now(UTC)


def test_a_date_in_the_future_is_signature_not_yet_current(iam_url: str, signed_at: Callable[[datetime], None]) -> None:
    signed_at(datetime.now(UTC) + timedelta(minutes=20))
    headers = signed_headers(iam_url, ALLOWED)
    response = httpx.get(iam_url, headers=headers)
    assert error_of(response)[:2] == (403, "InvalidSignatureException")
    assert re.fullmatch(
        rf"Signature not yet current: {headers['X-Amz-Date']} is still later than \d{{8}}T\d{{6}}Z "
        r"\(\d{8}T\d{6}Z \+ 5 min\.\)",
        response.json()["message"],
    )


def test_credential_scoped_to_another_region_or_service(iam_url: str) -> None:
    # aws-sdk-js#792 and ex_aws#701 (an API Gateway answer, with the trailing space).
    region = httpx.get(iam_url, headers=signed_headers(iam_url, ALLOWED, region="eu-west-1"))
    assert error_of(region) == (
        403,
        "InvalidSignatureException",
        '{"message":"Credential should be scoped to a valid region, not \'eu-west-1\'. "}',
    )
    service = httpx.get(iam_url, headers=signed_headers(iam_url, ALLOWED, service="lambda"))
    assert error_of(service) == (
        403,
        "InvalidSignatureException",
        '{"message":"Credential should be scoped to correct service: \'execute-api\'. "}',
    )


# -- tampering -----------------------------------------------------------------------------------


def test_a_body_changed_after_signing_is_refused_with_both_clients(iam_url: str) -> None:
    headers = signed_headers(iam_url, ALLOWED, body=b'{"amount": 1}', headers={"content-type": "application/json"})
    good = httpx.request("GET", iam_url, headers=headers, content=b'{"amount": 1}')
    assert good.status_code == 200
    tampered = httpx.request("GET", iam_url, headers=headers, content=b'{"amount": 1000}')
    assert error_of(tampered)[:2] == (403, "InvalidSignatureException")
    assert hashlib.sha256(b'{"amount": 1000}').hexdigest() in tampered.json()["message"]
    # requests-aws4auth signs x-amz-content-sha256; the hash of the body received still decides.
    prepared = requests.Request("GET", iam_url, data=b'{"amount": 1}').prepare()
    AWS4Auth(*ALLOWED, "us-east-1", "execute-api")(prepared)
    prepared.body = b'{"amount": 1000}'
    prepared.headers["Content-Length"] = str(len(prepared.body))
    with requests.Session() as session:
        assert session.send(prepared, timeout=10).status_code == 403


def test_a_query_string_changed_after_signing_is_refused(iam_url: str) -> None:
    headers = signed_headers(iam_url + "?amount=1", ALLOWED)
    assert httpx.get(iam_url + "?amount=1", headers=headers).status_code == 200
    tampered = httpx.get(iam_url + "?amount=1000", headers=headers)
    assert error_of(tampered)[:2] == (403, "InvalidSignatureException")
    assert "\namount=1000\n" in tampered.json()["message"]


def test_headers_added_after_signing(iam_url: str) -> None:
    headers = signed_headers(iam_url, ALLOWED, headers={"x-tenant": "acme"})
    # SigV4 covers only the headers in SignedHeaders: an unrelated header does not break it...
    assert httpx.get(iam_url, headers={**headers, "x-added": "later"}).status_code == 200
    # ...but another value of a signed header does (canonical values join with a comma).
    doubled = [*headers.items(), ("x-tenant", "evil")]
    response = httpx.get(iam_url, headers=doubled)
    assert error_of(response)[:2] == (403, "InvalidSignatureException")
    assert "\nx-tenant:acme,evil\n" in response.json()["message"]


def test_a_signed_header_that_is_absent_is_refused_even_if_signed_empty(iam_url: str) -> None:
    headers = signed_headers(iam_url, ALLOWED, headers={"x-tenant": ""})
    assert "x-tenant" in headers["Authorization"]
    assert httpx.get(iam_url, headers=headers).status_code == 200
    stripped = {name: value for name, value in headers.items() if name != "x-tenant"}
    assert error_of(httpx.get(iam_url, headers=stripped))[:2] == (403, "InvalidSignatureException")


# -- the verifier on its own -------------------------------------------------------------------------


CREDENTIAL = IamCredential(
    access_key_id="AKIDEXAMPLE000000001",
    secret_access_key="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
    arn="arn:aws:iam::123456789012:user/example",
    user_id="AIDAEXAMPLE000000001",
    account="123456789012",
)


def _incoming(stamp: str, secret: str = CREDENTIAL.secret_access_key) -> IncomingRequest:
    """A request botocore signed at `stamp` (ISO 8601 basic), as the emulator would receive it."""
    host = "abc123.execute-api.us-east-1.amazonaws.com"
    request = AWSRequest(method="GET", url=f"https://{host}/prod/pets", headers={"X-Amz-Date": stamp})
    request.context["timestamp"] = stamp
    signer = SigV4Auth(Credentials(CREDENTIAL.access_key_id, secret), "execute-api", "us-east-1")
    signature = signer.signature(signer.string_to_sign(request, signer.canonical_request(request)), request)
    authorization = (
        f"AWS4-HMAC-SHA256 Credential={signer.scope(request)}, SignedHeaders=host;x-amz-date, Signature={signature}"
    )
    headers = [("Host", host), ("X-Amz-Date", stamp), ("Authorization", authorization)]
    return IncomingRequest("GET", "/prod/pets", [], headers, b"")


def _at(stamp: str) -> datetime:
    return datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)


def test_the_expired_message_in_aws_form() -> None:
    # The brief's example, in the form of aws-sdk-android#253 and mhart/aws4#118.
    outcome = authenticate(
        _incoming("20231115T120000Z"), {CREDENTIAL.access_key_id: CREDENTIAL}, "us-east-1", _at("20231115T121501Z")
    )
    assert outcome == GatewayError(
        "INVALID_SIGNATURE",
        message="Signature expired: 20231115T120000Z is now earlier than 20231115T121001Z (20231115T121501Z - 5 min.)",
    )


def test_within_five_minutes_is_accepted_and_the_compare_is_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    compared: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(left: bytes, right: bytes) -> bool:
        compared.append((left, right))
        return real(left, right)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    outcome = authenticate(
        _incoming("20231115T120000Z"), {CREDENTIAL.access_key_id: CREDENTIAL}, "us-east-1", _at("20231115T120459Z")
    )
    assert outcome == Authenticated(CREDENTIAL)
    assert len(compared) == 1 and compared[0][0] == compared[0][1]


def test_expired_temporary_credentials_are_expired_token() -> None:
    expired = IamCredential(**{**_fields(CREDENTIAL), "expiration": _at("20231115T115959Z").timestamp()})
    outcome = authenticate(
        _incoming("20231115T120000Z"), {CREDENTIAL.access_key_id: expired}, "us-east-1", _at("20231115T120001Z")
    )
    assert isinstance(outcome, GatewayError)
    assert (outcome.response_type, outcome.type.status, outcome.effective_message, outcome.type.error_type) == (
        "EXPIRED_TOKEN",
        403,
        "The security token included in the request is expired",
        "ExpiredTokenException",
    )


def _fields(credential: IamCredential) -> dict[str, Any]:
    return {name: getattr(credential, name) for name in credential.__slots__}


# -- what the integration and the logs see -------------------------------------------------------------


def test_session_tokens_are_echoed_on_the_wire_but_masked_in_the_logs(
    demo: EmulatorServer, iam_url: str, logs_client: Any
) -> None:
    # AWS's mismatch answer quotes the canonical string, token included (mhart/aws4#110, a real one).
    headers = signed_headers(iam_url, (TEMPORARY[0], "wrong-secret"), token=SESSION_TOKEN)
    response = httpx.get(iam_url, headers=headers)
    assert f"\\nx-amz-security-token:{SESSION_TOKEN}\\n" in response.text
    demo.flush_logs()
    assert demo.endpoints is not None
    events = logs_client.filter_log_events(logGroupName=demo.endpoints.access_log_group)["events"]
    (record,) = [event["message"] for event in events if response.headers["x-amzn-requestid"] in event["message"]]
    assert SESSION_TOKEN not in record
    assert "*" * (len(SESSION_TOKEN) - 6) + SESSION_TOKEN[-6:] in record


PROXY_HANDLER = "import json\ndef whoami(event, context):\n    return {'statusCode': 200, 'body': json.dumps(event)}\n"


@pytest.fixture
def iam_proxy(tmp_path: Path, logs_server: LocalLogsServer) -> Iterator[str]:
    (tmp_path / "iam_handlers.py").write_text(PROXY_HANDLER)
    (tmp_path / "stage.yaml").write_text(
        "stage: {stageName: s}\n"
        "functions: {whoami: {handler: 'iam_handlers:whoami'}}\n"
        "iamCredentials:\n"
        f"  - {{accessKeyId: {ALLOWED[0]}, secretAccessKey: {ALLOWED[1]}, allow: ['*'],\n"
        "     arn: 'arn:aws:sts::210987654321:assumed-role/probe/run-7'}\n"
    )
    uri = (
        "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
        "arn:aws:lambda:us-east-1:123456789012:function:whoami/invocations"
    )
    document = {
        "swagger": "2.0",
        "info": {"title": "t", "version": "1"},
        "securityDefinitions": {
            "sigv4": {
                "type": "apiKey",
                "name": "Authorization",
                "in": "header",
                "x-amazon-apigateway-authtype": "awsSigv4",
            }
        },
        "paths": {
            "/me": {
                "post": {
                    "security": [{"sigv4": []}],
                    "x-amazon-apigateway-integration": {"type": "aws_proxy", "httpMethod": "POST", "uri": uri},
                }
            }
        },
    }
    (tmp_path / "api.json").write_text(json.dumps(document))
    api = load_definition(tmp_path / "api.json")
    server = EmulatorServer(api, load_side_file(tmp_path / "stage.yaml"), logs_endpoint=logs_server.endpoint_url)
    server.start()
    assert server.endpoints is not None
    yield server.endpoints.base_url + "/me"
    server.close()


def test_the_lambda_proxy_event_names_the_signer(iam_proxy: str) -> None:
    body = b'{"order": 1}'
    headers = signed_headers(iam_proxy, ALLOWED, method="POST", body=body)
    response = httpx.post(iam_proxy, headers=headers, content=body)
    assert response.status_code == 200
    identity = response.json()["requestContext"]["identity"]
    # An assumed role: account and principal id from its ARN (no userId given: a derived stand-in).
    assert identity["accountId"] == "210987654321"
    assert identity["accessKey"] == ALLOWED[0]
    assert identity["userArn"] == "arn:aws:sts::210987654321:assumed-role/probe/run-7"
    assert identity["caller"] == identity["user"]
    assert re.fullmatch(r"AROA[A-Z2-7]{17}:run-7", identity["caller"])
    assert "authorizer" not in response.json()["requestContext"]
