"""SigV4 signing for execute-api with botocore's signer, including the deliberate faults."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from botocore.auth import SIGV4_TIMESTAMP, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from gatecrash.scenario.model import SigV4Fault

# API Gateway refuses a signature more than 5 minutes old (apigw-reference.md, INVALID_SIGNATURE:
# "Signature expired: <t> is now earlier than <t> (<t> - 5 min.)"): 20 minutes is safely past it.
SKEW = timedelta(minutes=20)


@dataclass(frozen=True, slots=True)
class AwsKeys:
    access_key_id: str
    secret_access_key: str = field(repr=False)
    session_token: str | None = field(default=None, repr=False)


class _SignerAt(SigV4Auth):
    """botocore's SigV4 signer with a chosen signing time, for the skewed-clock fault."""

    def __init__(self, credentials: Credentials, region: str, moment: datetime) -> None:
        super().__init__(credentials, "execute-api", region)
        self._moment = moment

    def add_auth(self, request: AWSRequest) -> None:
        # SigV4Auth.add_auth with the timestamp chosen instead of read from the clock. The two
        # helpers exist on botocore's signer but are missing from its type stubs.
        request.context["timestamp"] = self._moment.strftime(SIGV4_TIMESTAMP)
        self._modify_request_before_signing(request)  # type: ignore[attr-defined]
        canonical = self.canonical_request(request)
        signature = self.signature(self.string_to_sign(request, canonical), request)
        self._inject_signature_to_request(request, signature)  # type: ignore[attr-defined]


def sign(
    method: str,
    url: str,
    headers: Sequence[tuple[str, str]],
    body: bytes,
    keys: AwsKeys,
    region: str,
    fault: SigV4Fault | None = None,
    now: datetime | None = None,
) -> tuple[list[tuple[str, str]], bytes]:
    """Headers and body to send: signed for `execute-api`, then spoiled as `fault` asks."""
    if fault is SigV4Fault.UNSIGNED:
        return list(headers), body
    if fault is SigV4Fault.MALFORMED:
        # Not SigV4 at all: API Gateway answers IncompleteSignatureException (amplify-flutter#1539).
        return [*headers, ("Authorization", "Bearer not-a-sigv4-header")], body
    secret = keys.secret_access_key + "x" if fault is SigV4Fault.WRONG_SECRET else keys.secret_access_key
    moment = (now or datetime.now(UTC)) - (SKEW if fault is SigV4Fault.SKEWED_CLOCK else timedelta(0))
    request = AWSRequest(method=method, url=url, data=body, headers=dict(headers))
    _SignerAt(Credentials(keys.access_key_id, secret, keys.session_token), region, moment).add_auth(request)
    signed = [(name, str(value)) for name, value in request.headers.items()]
    if fault is SigV4Fault.TAMPERED_BODY:
        body = body + b" " if body else b"tampered"
    return signed, body
