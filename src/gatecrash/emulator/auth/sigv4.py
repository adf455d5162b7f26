"""AWS_IAM: verify a request's Signature Version 4 as API Gateway does, from a local credentials table.

The canonical request, string to sign and signature are recomputed with botocore's own SigV4 signer
(the one every AWS SDK for Python signs with), fed only what the request says it signed: the headers
named in `SignedHeaders` with the values received, the path as sent (botocore encodes it once more,
as API Gateway does: `mypath%2Fnext` is canonical `mypath%252Fnext`, amplify-android#241), the query
re-encoded, and the SHA-256 of the body received. Signatures are compared in constant time.

What API Gateway answers, each a 403 (apigw-reference.md, "Gateway response types"; KC
"api-gateway-troubleshoot-403-forbidden"):

- no `Authorization` header: `Missing Authentication Token`, MissingAuthenticationTokenException.
- not a SigV4 header: IncompleteSignatureException, logged as DEFAULT_4XX (azul#7470), listing each
  missing part then `Authorization=<value>` (amplify-js#476, chalice#828, amplify-flutter#1539); a
  bare word where `key=value` belongs: `Invalid key=value pair (missing equal-sign) in Authorization
  header (hashed with SHA-256 and encoded with Base64): '<b64>'.` (2025 form, TAMS#8).
- wrong credential scope: InvalidSignatureException `Credential should be scoped to a valid region,
  not '<r>'. ` (aws-sdk-js#792) / `... to correct service: 'execute-api'. ` (ex_aws#701, recorded
  against an API Gateway endpoint, 77 bytes with the trailing space).
- a date more than 5 minutes off: InvalidSignatureException `Signature expired: <t> is now earlier
  than <now-5m> (<now> - 5 min.)` (aws-sdk-android#253, 403 from API Gateway) or `Signature not yet
  current: <t> is still later than <now+5m> (<now> + 5 min.)` (serverless/enterprise#11).
- unknown access key or session token: `The security token included in the request is invalid.`,
  AccessDeniedException (KC), body key `message` (amplify-js#2626, a Postman capture).
- expired temporary credentials: `The security token included in the request is expired`,
  ExpiredTokenException (the EXPIRED_TOKEN gateway response; wording unverified).
- signature mismatch: InvalidSignatureException with the canonical string and string to sign AWS
  computed (mhart/aws4#33, postmanlabs#5815: `...for details.\\n\\nThe Canonical String for this request
  should have been\\n'...'\\n\\nThe String-to-Sign should have been\\n'...'\\n`).

Order of the checks where AWS does not say: header, parse, credential scope (region before service:
aws-sdk-js#792 had both wrong and got the region message), clock skew, access key, token expiry,
signed headers present, signature. A header listed in SignedHeaders but absent is refused even when
a client signed it empty, so that a signed header can never be stripped in transit. Also chosen
where nothing was recorded: which value the missing-equal-sign message hashes (the whole header
here); an unparseable date is reported as a missing one; a malformed `Credential` as a missing one;
the wording for a wrong scope terminator; an unknown key and a wrong session token answer alike.
Not emulated: SigV4 in the query string (presigned URLs) and SigV4a.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.compat import HTTPHeaders
from botocore.credentials import Credentials

from gatecrash.emulator.model import IamCredential
from gatecrash.emulator.responses import GatewayError

SERVICE = "execute-api"
ALGORITHM = "AWS4-HMAC-SHA256"
MAX_SKEW = timedelta(minutes=5)
_TIMESTAMP = "%Y%m%dT%H%M%SZ"
_REQUIRED = ("Credential", "Signature", "SignedHeaders")
_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. Check your AWS Secret "
    "Access Key and signing method. Consult the service documentation for details."
)
_INVALID_TOKEN = "The security token included in the request is invalid."


@dataclass(frozen=True, slots=True)
class IncomingRequest:
    """What the signature covers, as received: `raw_path` still percent-encoded, with the stage."""

    method: str
    raw_path: str
    query: Sequence[tuple[str, str]]  # decoded name/value pairs
    headers: Sequence[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        return next((value for key, value in self.headers if key.lower() == lowered), None)

    def header_values(self, name: str) -> list[str]:
        lowered = name.lower()
        return [value for key, value in self.headers if key.lower() == lowered]


@dataclass(frozen=True, slots=True)
class Authenticated:
    credential: IamCredential


@dataclass(frozen=True, slots=True)
class _Authorization:
    credential: str
    signed_headers: tuple[str, ...]
    signature: str


@dataclass(frozen=True, slots=True)
class _Scope:
    access_key: str
    date: str
    region: str
    service: str
    terminator: str


def _incomplete(message: str) -> GatewayError:
    return GatewayError("DEFAULT_4XX", message=message, status_override=403, error_type="IncompleteSignatureException")


def _invalid(message: str) -> GatewayError:
    return GatewayError("INVALID_SIGNATURE", message=message)


def _hashed(value: str) -> str:
    return base64.b64encode(hashlib.sha256(value.encode("utf-8")).digest()).decode("ascii")


def _parse_authorization(value: str, has_date: bool) -> _Authorization | GatewayError:
    _, _, rest = value.strip().partition(" ")
    parameters: dict[str, str] = {}
    for token in filter(None, re.split(r"[\s,]+", rest)):
        name, equals, text = token.partition("=")
        if not equals:
            # What is hashed is not recorded; the whole header value is hashed here (a choice).
            return _incomplete(
                "Invalid key=value pair (missing equal-sign) in Authorization header (hashed with SHA-256 and "
                f"encoded with Base64): '{_hashed(value)}'."
            )
        parameters.setdefault(name, text)
    missing = [f"Authorization header requires '{name}' parameter." for name in _REQUIRED if not parameters.get(name)]
    if not has_date:
        missing.append("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
    if missing:
        return _incomplete(" ".join(missing) + f" Authorization={value}")
    return _Authorization(
        credential=parameters["Credential"],
        signed_headers=tuple(name.lower() for name in parameters["SignedHeaders"].split(";") if name),
        signature=parameters["Signature"],
    )


def request_time(request: IncomingRequest) -> datetime | None:
    """The signing time: `X-Amz-Date` in ISO 8601 basic format, else `Date` (basic or RFC 1123)."""
    for name in ("x-amz-date", "date"):
        text = request.header(name)
        if text is None:
            continue
        try:
            return datetime.strptime(text.strip(), _TIMESTAMP).replace(tzinfo=UTC)
        except ValueError:
            pass
        if name == "date":
            try:
                parsed = parsedate_to_datetime(text)
            except (TypeError, ValueError):
                return None
            return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)
        return None
    return None


def _stamp(moment: datetime) -> str:
    return moment.strftime(_TIMESTAMP)


def _scope(credential: str) -> _Scope | None:
    parts = credential.split("/")
    if len(parts) != 5 or not all(parts):
        return None
    return _Scope(*parts)


def _scope_problem(scope: _Scope, region: str, timestamp: str) -> GatewayError | None:
    if scope.region != region:
        return _invalid(f"Credential should be scoped to a valid region, not '{scope.region}'. ")
    if scope.service != SERVICE:
        return _invalid(f"Credential should be scoped to correct service: '{SERVICE}'. ")
    if scope.terminator != "aws4_request":
        # Wording unverified: the shape of the two recorded scope messages above.
        return _invalid(
            f"Credential should be scoped with a valid terminator: 'aws4_request', not '{scope.terminator}'. "
        )
    if scope.date != timestamp[:8]:
        # IAM User Guide "Troubleshoot signed requests"; the part after the colon is unverified.
        return _invalid(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
            f"'{scope.date}' != '{timestamp[:8]}', from '{timestamp}'."
        )
    return None


def _skew_problem(signed_at: datetime, now: datetime) -> GatewayError | None:
    if signed_at < now - MAX_SKEW:
        return _invalid(
            f"Signature expired: {_stamp(signed_at)} is now earlier than {_stamp(now - MAX_SKEW)} "
            f"({_stamp(now)} - 5 min.)"
        )
    if signed_at > now + MAX_SKEW:
        return _invalid(
            f"Signature not yet current: {_stamp(signed_at)} is still later than {_stamp(now + MAX_SKEW)} "
            f"({_stamp(now)} + 5 min.)"
        )
    return None


def _token_problem(credential: IamCredential | None, token: str | None, now: datetime) -> GatewayError | None:
    if credential is None:
        return GatewayError("ACCESS_DENIED", message=_INVALID_TOKEN, message_key="message")
    expected = credential.session_token
    if (expected is None) != (token is None) or (
        expected is not None and token is not None and not hmac.compare_digest(expected.encode(), token.encode())
    ):
        return GatewayError("ACCESS_DENIED", message=_INVALID_TOKEN, message_key="message")
    if credential.expiration is not None and now.timestamp() >= credential.expiration:
        return GatewayError("EXPIRED_TOKEN")
    return None


class _Recomputation(SigV4Auth):
    """botocore's SigV4 signer, signing exactly the headers the request says it signed."""

    def __init__(self, credentials: Credentials, region: str, signed: HTTPHeaders) -> None:
        super().__init__(credentials, SERVICE, region)
        self._signed = signed

    def headers_to_sign(self, request: AWSRequest) -> HTTPHeaders:
        return self._signed


@dataclass(frozen=True, slots=True)
class Recomputed:
    canonical_request: str
    string_to_sign: str
    signature: str


def recompute(
    request: IncomingRequest, signed_headers: Sequence[str], credential: IamCredential, region: str, timestamp: str
) -> Recomputed:
    """What the signature of `request` should be, with botocore's canonicalisation."""
    signed = HTTPHeaders()
    for name in signed_headers:
        values = request.header_values(name) or [""]
        for value in values:
            signed[name] = value
    # The body is always hashed as received (x-amz-content-sha256, if signed, is only a header here),
    # so a body changed after signing fails even when the client sent its hash.
    # botocore re-encodes the decoded query pairs (RFC 3986, `-_.~` kept) and sorts them; its
    # stubs say Mapping, but a list keeps repeated names, which botocore's code accepts.
    query: Any = list(request.query)
    aws_request = AWSRequest(
        method=request.method, url=f"https://{SERVICE}{request.raw_path}", data=request.body, params=query
    )
    aws_request.context["timestamp"] = timestamp
    signer = _Recomputation(
        Credentials(credential.access_key_id, credential.secret_access_key, credential.session_token), region, signed
    )
    canonical = signer.canonical_request(aws_request)
    string_to_sign = signer.string_to_sign(aws_request, canonical)
    return Recomputed(canonical, string_to_sign, signer.signature(string_to_sign, aws_request))


def mismatch_message(recomputed: Recomputed) -> str:
    return (
        f"{_MISMATCH}\n\nThe Canonical String for this request should have been\n'{recomputed.canonical_request}'"
        f"\n\nThe String-to-Sign should have been\n'{recomputed.string_to_sign}'\n"
    )


def authenticate(
    request: IncomingRequest, credentials: Mapping[str, IamCredential], region: str, now: datetime
) -> Authenticated | GatewayError:
    """Who signed `request`, or the gateway error API Gateway answers instead."""
    value = request.header("authorization")
    if value is None or not value.strip():
        return GatewayError("MISSING_AUTHENTICATION_TOKEN")
    signed_at = request_time(request)
    parsed = _parse_authorization(value, signed_at is not None)
    if isinstance(parsed, GatewayError):
        return parsed
    assert signed_at is not None
    scope = _scope(parsed.credential)
    if scope is None:
        # A Credential that is not key/date/region/service/aws4_request: treated as missing (a choice).
        return _incomplete(f"Authorization header requires 'Credential' parameter. Authorization={value}")
    timestamp = _stamp(signed_at)
    problem = _scope_problem(scope, region, timestamp) or _skew_problem(signed_at, now)
    credential = credentials.get(scope.access_key)
    problem = problem or _token_problem(credential, request.header("x-amz-security-token"), now)
    if problem is not None:
        return problem
    assert credential is not None
    recomputed = recompute(request, parsed.signed_headers, credential, region, timestamp)
    all_present = all(request.header(name) is not None for name in parsed.signed_headers)
    matches = hmac.compare_digest(recomputed.signature.encode(), parsed.signature.encode())
    if not (all_present and matches):
        return _invalid(mismatch_message(recomputed))
    return Authenticated(credential)
