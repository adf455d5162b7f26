from __future__ import annotations

import re
from datetime import UTC, datetime

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from gatecrash.runner import redact
from gatecrash.runner.signing import AwsKeys, sign
from gatecrash.scenario.model import SigV4Fault

KEYS = AwsKeys("AKIAEXAMPLE000000001", "secret/key/value/0123456789abcdef0123", "session-token-xyz")
URL = "https://abc.execute-api.us-east-1.amazonaws.com/prod/pets?b=2&a=1"
MOMENT = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def reference_signature(headers: list[tuple[str, str]], body: bytes, secret: str) -> str:
    """The signature botocore computes for the same request, independently of our signer."""
    request = AWSRequest(
        method="POST", url=URL, data=body, headers={k: v for k, v in headers if k.lower() not in ("authorization",)}
    )
    signer = SigV4Auth(Credentials(KEYS.access_key_id, secret, KEYS.session_token), "execute-api", "us-east-1")
    canonical = signer.canonical_request(request)
    request.context["timestamp"] = dict(headers)["X-Amz-Date"]
    return signer.signature(signer.string_to_sign(request, canonical), request)


def authorization(headers: list[tuple[str, str]]) -> str:
    return dict(headers)["Authorization"]


def test_signature_is_botocores_for_execute_api() -> None:
    headers, body = sign(
        "POST", URL, [("Host", "abc.execute-api.us-east-1.amazonaws.com")], b"{}", KEYS, "us-east-1", now=MOMENT
    )
    values = dict(headers)
    assert values["X-Amz-Date"] == "20261125T120000Z"
    assert values["X-Amz-Security-Token"] == "session-token-xyz"
    assert authorization(headers).startswith(
        "AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE000000001/20261125/us-east-1/execute-api/aws4_request, SignedHeaders="
    )
    assert authorization(headers).endswith("Signature=" + reference_signature(headers, body, KEYS.secret_access_key))


def test_faults() -> None:
    plain = [("Host", "h")]
    assert sign("GET", URL, plain, b"", KEYS, "us-east-1", SigV4Fault.UNSIGNED) == (plain, b"")
    assert authorization(sign("GET", URL, plain, b"", KEYS, "us-east-1", SigV4Fault.MALFORMED)[0]) == (
        "Bearer not-a-sigv4-header"
    )
    wrong, body = sign("POST", URL, plain, b"{}", KEYS, "us-east-1", SigV4Fault.WRONG_SECRET, now=MOMENT)
    assert authorization(wrong).endswith("Signature=" + reference_signature(wrong, body, KEYS.secret_access_key + "x"))
    assert not authorization(wrong).endswith(reference_signature(wrong, body, KEYS.secret_access_key))
    skewed, _ = sign("GET", URL, plain, b"", KEYS, "us-east-1", SigV4Fault.SKEWED_CLOCK, now=MOMENT)
    assert dict(skewed)["X-Amz-Date"] == "20261125T114000Z"
    tampered, tampered_body = sign("POST", URL, plain, b"{}", KEYS, "us-east-1", SigV4Fault.TAMPERED_BODY, now=MOMENT)
    assert tampered_body == b"{} "
    assert authorization(tampered).endswith("Signature=" + reference_signature(tampered, b"{}", KEYS.secret_access_key))


def test_redaction_keeps_what_helps_and_hides_secrets() -> None:
    headers, _ = sign("GET", URL, [("Host", "h")], b"", KEYS, "us-east-1", now=MOMENT)
    shown = dict(redact.headers([*headers, ("x-api-key", "k" * 40), ("Accept", "*/*")]))
    assert re.fullmatch(
        r"AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE000000001/\S+, SignedHeaders=\S+, "
        r"Signature=<redacted>",
        shown["Authorization"],
    )
    assert shown["X-Amz-Security-Token"] == "<redacted>"
    assert shown["x-api-key"] == "<redacted>"
    assert shown["Accept"] == "*/*"
    assert redact.header("Authorization", "Bearer eyJabc.def.ghi") == "Bearer <redacted>"
    assert redact.header("Authorization", "allow") == "<redacted>"
    assert redact.query([("X-Amz-Signature", "abc"), ("q", "cats")]) == [
        ("X-Amz-Signature", "<redacted>"),
        ("q", "cats"),
    ]
    assert redact.text("key=supersecretvalue!", ["supersecretvalue"]) == "key=<redacted>!"
