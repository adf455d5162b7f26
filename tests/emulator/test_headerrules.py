"""Header rules between client, integration and answer, as LocalStack's TestApiGatewayHeaderRemapping
recorded them against AWS (test_apigateway_integrations.snapshot.json)."""

from __future__ import annotations

from gatecrash.emulator import headerrules
from gatecrash.emulator.model import IntegrationType

CLIENT = [
    ("Accept", "application/json"),
    ("Connection", "close"),
    ("Content-Encoding", "deflate"),
    ("Content-Length", "0"),
    ("Content-MD5", "request_Content-MD5"),
    ("Max-Forwards", "2"),
    ("Server", "https://example.com/"),
    ("Via", "p.example.net"),
    ("Host", "api.example.com"),
    ("X-Amzn-Trace-Id", "Root=1-00000000-000000000000000000000000"),
]


def test_the_method_request_never_sees_hop_by_hop_and_framing_headers() -> None:
    kept = [name for name, _ in headerrules.method_request_headers(CLIENT)]
    assert kept == ["Accept", "Content-Encoding", "Via", "Host", "X-Amzn-Trace-Id"]


def test_the_proxy_event_keeps_via_and_content_encoding_and_http_proxy_drops_them() -> None:
    seen = headerrules.method_request_headers(CLIENT)
    assert [n for n, _ in headerrules.proxy_event_headers(seen)] == ["Accept", "Content-Encoding", "Via", "Host"]
    assert [n for n, _ in headerrules.http_proxy_headers(seen)] == ["Accept"]


def test_mapped_hop_by_hop_headers_are_dropped_and_some_mappings_refused() -> None:
    mapped = {"Accept": "text/html", "Connection": "keep-alive", "TE": "gzip", "Via": "x", "Server": "s"}
    assert headerrules.mapped_headers(mapped) == [("Accept", "text/html"), ("Server", "s")]
    content_length = {"integration.request.header.Content-Length": "'0'"}
    authorization = {"integration.request.header.Authorization": "'x'"}
    assert headerrules.refused_mapping(IntegrationType.HTTP, content_length) == "Content-Length"
    assert headerrules.refused_mapping(IntegrationType.HTTP_PROXY, authorization) is None
    assert headerrules.refused_mapping(IntegrationType.AWS_PROXY, authorization) == "Authorization"
    assert headerrules.refused_mapping(IntegrationType.MOCK, content_length) is None


def test_response_headers_named_like_the_gateways_own_are_renamed() -> None:
    answer = [("Date", "d"), ("Content-Type", "c"), ("x-amzn-RequestId", "r"), ("Transfer-Encoding", "chunked")]
    assert headerrules.remapped(answer) == [
        ("x-amzn-Remapped-Date", "d"),
        ("Content-Type", "c"),
        ("x-amzn-Remapped-x-amzn-RequestId", "r"),
    ]
