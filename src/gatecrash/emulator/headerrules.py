"""Which headers API Gateway passes on, drops, renames or refuses, between client, integration and back. Pure.

Every rule is a recording: LocalStack's `TestApiGatewayHeaderRemapping` (test_apigateway_integrations
.snapshot.json, validated against AWS) sent the same 25 headers through HTTP, HTTP_PROXY, AWS and
AWS_PROXY integrations, once without mappings and once mapping each header in `requestParameters`
and `responseParameters`; `test_http_integration_with_lambda` and `test_lambda_aws_proxy_integration`
add what the gateway itself sends. Parity cases: tests/parity/cases/ls-header-remapping-*.yaml.

- Client headers the gateway never sees (`$input.params` of each was recorded empty, and none reached
  an integration, though the same headers, mapped, did): the hop-by-hop ones, Content-Length (the
  gateway frames the body itself), Content-MD5, Max-Forwards, Proxy-Authenticate, Server, Trailer,
  Upgrade and WWW-Authenticate. HTTP_PROXY also leaves out Content-Encoding and Via (both present in
  the Lambda proxy event).
- Mapped request headers (`integration.request.header.*`) that are dropped: Connection, Expect,
  Proxy-Authenticate, TE, Via. Mapping Content-Length or Transfer-Encoding makes every call of the
  method fail with 500 on all four types; for AWS and AWS_PROXY so does mapping Authorization,
  Connection, Expect, Proxy-Authenticate or TE.
- Response headers named like the gateway's own are renamed `x-amzn-Remapped-<name>` (mapped ones of
  a non-proxy integration, and an HTTP_PROXY endpoint's own): Authorization, Connection,
  Content-Length, Content-MD5, Date, Expect, Host, Max-Forwards, Proxy-Authenticate, Server, Trailer,
  Upgrade, User-Agent, WWW-Authenticate, and the endpoint's x-amzn-RequestId; Transfer-Encoding is
  dropped.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from gatecrash.emulator.model import IntegrationType

_HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "expect", "te", "transfer-encoding", "upgrade", "proxy-authorization"}
)
_NEVER_PASSED = _HOP_BY_HOP | {
    "content-length",
    "content-md5",
    "max-forwards",
    "proxy-authenticate",
    "server",
    "trailer",
    "www-authenticate",
}
# Headers the gateway sets itself on the proxy event; the client's are replaced.
_GATEWAY_SET = frozenset({"x-amzn-trace-id", "x-forwarded-for", "x-forwarded-port", "x-forwarded-proto"})
UNSEEN = _NEVER_PASSED  # lower-case names
_EVENT_DROPPED = _NEVER_PASSED | _GATEWAY_SET
_HTTP_PROXY_DROPPED = _NEVER_PASSED | {"content-encoding", "via", "host", "x-amzn-trace-id"}
_MAPPED_DROPPED = frozenset({"connection", "expect", "proxy-authenticate", "te", "via"})
_REFUSED_MAPPINGS = frozenset({"content-length", "transfer-encoding"})
_REFUSED_LAMBDA_MAPPINGS = _REFUSED_MAPPINGS | {"authorization", "connection", "expect", "proxy-authenticate", "te"}
_REMAPPED = frozenset(
    {
        "authorization",
        "connection",
        "content-length",
        "content-md5",
        "date",
        "expect",
        "host",
        "max-forwards",
        "proxy-authenticate",
        "server",
        "trailer",
        "upgrade",
        "user-agent",
        "www-authenticate",
        "x-amzn-requestid",
    }
)
_RESPONSE_DROPPED = frozenset({"transfer-encoding", "keep-alive"})
_MAPPED_PREFIX = "integration.request.header."


def method_request_headers(headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """The client's headers as the method request has them (the ones the gateway never sees left out)."""
    return [(name, value) for name, value in headers if name.lower() not in _NEVER_PASSED]


def proxy_event_headers(headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """The client's headers as a Lambda proxy event carries them, before the gateway's own are added."""
    return [(name, value) for name, value in headers if name.lower() not in _EVENT_DROPPED]


def http_proxy_headers(headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """The client's headers an HTTP_PROXY integration passes on (the gateway sets Host and the length)."""
    return [(name, value) for name, value in headers if name.lower() not in _HTTP_PROXY_DROPPED]


def mapped_headers(mapped: Mapping[str, str]) -> list[tuple[str, str]]:
    """Mapped request headers the gateway sends (the dropped ones left out)."""
    return [(name, value) for name, value in mapped.items() if name.lower() not in _MAPPED_DROPPED]


def refused_mapping(kind: IntegrationType, request_parameters: Mapping[str, str]) -> str | None:
    """A mapped request header that makes every call fail (500), or None."""
    refused = (
        _REFUSED_LAMBDA_MAPPINGS if kind in (IntegrationType.AWS, IntegrationType.AWS_PROXY) else _REFUSED_MAPPINGS
    )
    if kind is IntegrationType.MOCK:
        return None
    for target in request_parameters:
        if target.startswith(_MAPPED_PREFIX) and target.removeprefix(_MAPPED_PREFIX).lower() in refused:
            return target.removeprefix(_MAPPED_PREFIX)
    return None


def remapped(headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """Response headers with the gateway's own names renamed `x-amzn-Remapped-<name>`, as it returns them."""
    out: list[tuple[str, str]] = []
    for name, value in headers:
        lowered = name.lower()
        if lowered in _RESPONSE_DROPPED:
            continue
        out.append((f"x-amzn-Remapped-{name}", value) if lowered in _REMAPPED else (name, value))
    return out
