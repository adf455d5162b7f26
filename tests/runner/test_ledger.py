"""The run's secrets ledger: every secret and its recognisable parts, scrubbed from any text kept."""

from __future__ import annotations

from gatecrash.runner.redact import REDACTED, Ledger, secret_parts, shapes

HEAD, PAYLOAD, SIGNATURE = "eyJraWQiOiJrMSIsImFsZyI6IlJTMjU2In0", "eyJzdWIiOiJ1MSJ9", "c2lnbmF0dXJlLXNpZ25hdHVyZQ"
TOKEN = f"{HEAD}.{PAYLOAD}.{SIGNATURE}"
SIGNATURE_HEX = "a" * 64
SIGV4 = (
    "AWS4-HMAC-SHA256 Credential=AKIAX/20260101/us-east-1/execute-api/aws4_request, "
    f"SignedHeaders=host, Signature={SIGNATURE_HEX}"
)


def test_a_jwt_is_known_whole_and_by_each_segment() -> None:
    assert set(secret_parts(f"Bearer {TOKEN}")) == {
        f"Bearer {TOKEN}",
        TOKEN,
        f"{HEAD}.{PAYLOAD}",
        HEAD,
        PAYLOAD,
        SIGNATURE,
    }
    assert secret_parts(SIGV4)[-1] == SIGNATURE_HEX
    assert secret_parts("short") == []  # too common to mean anything


def test_the_ledger_scrubs_a_token_whole_before_its_parts() -> None:
    ledger = Ledger(["gatecrash-api-key-000"])
    ledger.add(TOKEN)
    echoed = f'{{"message": "Authorization={TOKEN}", "payload": "{PAYLOAD}", "key": "gatecrash-api-key-000"}}'
    assert (
        ledger.scrub(echoed)
        == f'{{"message": "Authorization={REDACTED}", "payload": "{REDACTED}", "key": "{REDACTED}"}}'
    )


def test_an_excerpt_is_scrubbed_before_it_is_cut() -> None:
    ledger = Ledger([TOKEN])
    body = ("x" * 2040 + TOKEN).encode()
    excerpt = ledger.excerpt(body, 2048)
    assert HEAD[:8] not in excerpt and excerpt.endswith(f"... ({len(body)} bytes)")


def test_shapes_of_secrets_are_scrubbed_without_knowing_them() -> None:
    assert (
        shapes(f"Authorization={TOKEN} Signature={SIGNATURE_HEX}") == f"Authorization={REDACTED} Signature={REDACTED}"
    )
    assert shapes("eyJ not a token") == "eyJ not a token"
