"""`$context.requestOverride` in an HTTP (non-proxy) integration's request template changes the request the
endpoint gets (AWS docs "Override your API's request and response parameters and status codes": the
request template's `$context.requestOverride.header.<name>`, `.path.<name>` and `.querystring.<name>`,
applied "after standard API Gateway mappings"). The guide's header example is a parity case
(tests/parity/cases/doc-request-override-headers.yaml); these pin the path and query string."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from gatecrash.emulator.backends import serve_app
from gatecrash.parity.backends import httpbin
from tests.emulator.test_configured import definition, emulator  # noqa: F401 - the fixture


@pytest.fixture
def echo() -> Iterator[str]:
    with serve_app(httpbin, "httpbin", "httpbin") as address:
        yield address


def _integration(uri: str, template: str, **parameters: str) -> dict[str, Any]:
    return {
        "type": "http",
        "httpMethod": "GET",
        "uri": uri,
        "requestParameters": parameters,
        "requestTemplates": {"application/json": template},
        "responses": {"default": {"statusCode": "200"}},
    }


def test_path_and_query_string_overrides_change_the_endpoint_request(emulator: Any, echo: str) -> None:  # noqa: F811
    template = (
        '#set($context.requestOverride.path.item = "from-template")\n'
        '#set($context.requestOverride.querystring.page = "2")\n'
        '#set($context.requestOverride.querystring.added = "new")\n'
        "{}"
    )
    integration = _integration(
        f"http://{echo}/anything/{{item}}",
        template,
        **{
            "integration.request.path.item": "method.request.path.item",
            "integration.request.querystring.page": "method.request.querystring.page",
            "integration.request.querystring.kept": "method.request.querystring.kept",
        },
    )
    _, client = emulator(definition({"/items/{item}": {"get": {"x-amazon-apigateway-integration": integration}}}))
    answer = client.get("/items/from-client", params={"page": "1", "kept": "yes"})
    assert answer.status_code == 200
    sent = answer.json()
    assert sent["url"].split("?")[0].endswith("/anything/from-template")
    assert sent["args"] == {"page": "2", "kept": "yes", "added": "new"}


def test_a_header_override_replaces_the_mapped_header_whatever_its_case(emulator: Any, echo: str) -> None:  # noqa: F811
    template = '#set($context.requestOverride.header.X-Tenant = "overridden")\n{}'
    integration = _integration(
        f"http://{echo}/anything", template, **{"integration.request.header.x-tenant": "method.request.header.x-tenant"}
    )
    _, client = emulator(definition({"/t": {"get": {"x-amazon-apigateway-integration": integration}}}))
    sent = client.get("/t", headers={"x-tenant": "from-client"}).json()
    assert sent["headers"]["X-Tenant"] == "overridden"


def test_without_an_override_the_mapped_values_go(emulator: Any, echo: str) -> None:  # noqa: F811
    integration = _integration(
        f"http://{echo}/anything", "{}", **{"integration.request.querystring.page": "method.request.querystring.page"}
    )
    _, client = emulator(definition({"/p": {"get": {"x-amazon-apigateway-integration": integration}}}))
    assert client.get("/p", params={"page": "7"}).json()["args"] == {"page": "7"}
