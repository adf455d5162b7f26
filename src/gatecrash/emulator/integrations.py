"""The integration request and response: Lambda proxy (AWS_PROXY), HTTP_PROXY, HTTP and MOCK.

Each runner records what the gateway records (execution log lines, `$context.integration.*`) on
the exchange and returns either the method response or the `GatewayError` AWS answers with.
Log line texts: apigw-reference.md, "Execution logs" and "Lambda proxy integration".
"""

from __future__ import annotations

import asyncio
import fnmatch
import json
import re
import socket
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

import httpx

from gatecrash.emulator import ids, proxy
from gatecrash.emulator.exchange import Exchange
from gatecrash.emulator.execlog import java_map, masked_headers
from gatecrash.emulator.lambdas import (
    LambdaRuntime,
    Outcome,
    function_arn_from_uri,
    function_name_from_uri,
)
from gatecrash.emulator.model import Integration, IntegrationResponse, IntegrationType, StageConfig
from gatecrash.emulator.responses import GatewayError

# Hop-by-hop headers never cross a proxy (RFC 9110 section 7.6.1); the others are the gateway's own.
_NOT_FORWARDED = frozenset(
    {
        "host",
        "connection",
        "keep-alive",
        "transfer-encoding",
        "te",
        "trailer",
        "upgrade",
        "proxy-authorization",
        "proxy-authenticate",
        "content-length",
    }
)
_NOT_RETURNED = frozenset({"connection", "keep-alive", "transfer-encoding", "content-length", "date", "server"})
_STAGE_VARIABLE = re.compile(r"\$\{stageVariables\.([A-Za-z0-9_.:-]+)\}")
_MOCK_STATUS = re.compile(r'"statusCode"\s*:\s*"?(\d{3})')


@dataclass(frozen=True, slots=True)
class MethodResponse:
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes


Result = MethodResponse | GatewayError


def internal_error(
    response_type: str, log_line: str | None, exchange: Exchange, status: int | None = None
) -> GatewayError:
    if log_line is not None:
        exchange.write(log_line)
    return GatewayError(response_type, status_override=status)


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


class IntegrationRunner:
    def __init__(self, stage: StageConfig, lambdas: LambdaRuntime, binary_media_types: tuple[str, ...] = ()) -> None:
        self._stage = stage
        self._binary_media_types = binary_media_types
        self._lambdas = lambdas
        self._client: httpx.AsyncClient | None = None

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
        self._lambdas.close()

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            # Timeouts are the integration's timeoutInMillis, enforced around each call.
            self._client = httpx.AsyncClient(
                timeout=None, follow_redirects=False, limits=httpx.Limits(max_connections=512)
            )
        return self._client

    async def run(self, exchange: Exchange, integration: Integration) -> Result:
        if integration.type is IntegrationType.AWS_PROXY:
            return await self._lambda_proxy(exchange, integration)
        if integration.type in (IntegrationType.HTTP_PROXY, IntegrationType.HTTP):
            return await self._http_call(exchange, integration)
        if integration.type is IntegrationType.MOCK:
            return self._mock(exchange, integration)
        # Non-proxy Lambda (AWS) integrations, with mapping templates, are not emulated yet.
        return internal_error(
            "API_CONFIGURATION_ERROR",
            "Execution failed due to configuration error: Unable to transform request",
            exchange,
        )

    # -- Lambda proxy -------------------------------------------------------------------------

    def _event(self, exchange: Exchange) -> dict[str, Any]:
        stage = self._stage
        assert exchange.method is not None
        identity: dict[str, Any] = {
            "cognitoIdentityPoolId": None,
            "accountId": None,
            "cognitoIdentityId": None,
            "caller": None,
            "sourceIp": exchange.source_ip,
            "principalOrgId": None,
            "accessKey": None,
            "cognitoAuthenticationType": None,
            "cognitoAuthenticationProvider": None,
            "userArn": None,
            "userAgent": exchange.header("user-agent"),
            "user": None,
        }
        if exchange.api_key is not None:
            identity["apiKey"] = exchange.api_key_value
            identity["apiKeyId"] = exchange.api_key.id
        credential = exchange.iam_credential
        if credential is not None:
            # AWS_IAM: who signed (AWS docs, Lambda proxy input format: accountId, caller, accessKey,
            # userArn, user; the principal id is both caller and user).
            identity.update(
                accountId=credential.account,
                caller=credential.user_id,
                accessKey=credential.access_key_id,
                userArn=credential.arn,
                user=credential.user_id,
            )
        context = {
            "resourceId": ids.resource_id(exchange.method.resource_path),
            "resourcePath": exchange.method.resource_path,
            "httpMethod": exchange.http_method,
            "extendedRequestId": exchange.extended_request_id,
            "requestTime": exchange.request_time(),
            "path": exchange.full_path,
            "accountId": stage.account_id,
            "protocol": exchange.protocol,
            "stage": stage.stage_name,
            "domainPrefix": stage.rest_api_id,
            "requestTimeEpoch": int(exchange.received * 1000),
            "requestId": exchange.request_id,
            "identity": identity,
            "domainName": f"{stage.rest_api_id}.execute-api.{stage.region}.amazonaws.com",
            "apiId": stage.rest_api_id,
        }
        authorizer = _authorizer_context(exchange)
        if authorizer is not None:
            context["authorizer"] = authorizer
        return proxy.build_event(
            proxy.EventInput(
                resource_path=exchange.method.resource_path,
                path=exchange.path,
                http_method=exchange.http_method,
                headers=exchange.headers,
                query=exchange.query,
                path_parameters=exchange.path_parameters,
                stage_variables=stage.variables,
                body=exchange.body,
                base64_body=media_type_matches(self._binary_media_types, exchange.header("content-type")),
                request_context=context,
            )
        )

    async def _lambda_proxy(self, exchange: Exchange, integration: Integration) -> Result:
        stage = self._stage
        uri = _fill_stage_variables(integration.uri, stage.variables)
        arn = function_arn_from_uri(uri)
        endpoint = f"https://lambda.{stage.region}.amazonaws.com/2015-03-31/functions/{arn}/invocations"
        event = self._event(exchange)
        event_text = json.dumps(event)
        exchange.write(f"Endpoint request URI: {endpoint}")
        exchange.write_data(
            "Endpoint request headers: "
            + java_map(
                [
                    ("X-Amz-Date", datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")),
                    ("x-amzn-apigateway-api-id", stage.rest_api_id),
                    ("Accept", "application/json"),
                    ("User-Agent", f"AmazonAPIGateway_{stage.rest_api_id}"),
                    ("Host", f"lambda.{stage.region}.amazonaws.com"),
                    ("X-Amz-Invocation-Type", "RequestResponse"),
                    ("X-Amzn-Trace-Id", exchange.trace_id),
                ]
            )
        )
        exchange.write_data(f"Endpoint request body after transformations: {event_text}")
        exchange.write(f"Sending request to {endpoint}")
        function_name = function_name_from_uri(uri) or ""
        started = time.monotonic()
        try:
            async with asyncio.timeout(integration.timeout_in_millis / 1000):
                invocation = await self._lambdas.invoke(function_name, arn, event)
        except TimeoutError:
            exchange.integration_latency = _ms(started)
            return internal_error("INTEGRATION_TIMEOUT", "Execution failed due to a timeout error", exchange)
        exchange.integration_latency = invocation.latency_ms
        exchange.integration_request_id = invocation.request_id
        exchange.integration_integration_status = str(invocation.status)
        return self._lambda_outcome(exchange, invocation)

    def _lambda_outcome(self, exchange: Exchange, invocation: Any) -> Result:
        if invocation.outcome is Outcome.NOT_PERMITTED:
            return internal_error(
                "INTEGRATION_FAILURE",
                "Execution failed due to configuration error: Invalid permissions on Lambda function",
                exchange,
                status=500,
            )
        if invocation.outcome in (Outcome.THROTTLED, Outcome.NOT_FOUND):
            exchange.write(
                f"Lambda invocation failed with status: {invocation.status}. Lambda request id: {invocation.request_id}"
            )
            if invocation.outcome is Outcome.THROTTLED:
                exchange.integration_error = "Execution failed due to configuration error: Rate Exceeded."
                exchange.write(exchange.integration_error)
            return GatewayError("INTEGRATION_FAILURE", status_override=500)
        exchange.write(f"Received response. Status: 200, Integration latency: {invocation.latency_ms} ms")
        response_headers = [
            ("Date", format_datetime(datetime.now(UTC), usegmt=True)),
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(invocation.payload))),
            ("Connection", "keep-alive"),
            ("x-amzn-RequestId", invocation.request_id),
        ]
        if invocation.outcome is Outcome.FUNCTION_ERROR:
            response_headers.append(("X-Amz-Function-Error", "Unhandled"))
        response_headers.extend([("X-Amz-Executed-Version", "$LATEST"), ("X-Amzn-Trace-Id", exchange.trace_id)])
        exchange.write_data(f"Endpoint response headers: {java_map(response_headers)}")
        exchange.write_data(
            "Endpoint response body before transformations: " + invocation.payload.decode("utf-8", errors="replace")
        )
        if invocation.outcome is Outcome.FUNCTION_ERROR:
            exchange.write(
                f"Lambda execution failed with status 200 due to customer function error: "
                f"{invocation.error_message}. Lambda request id: {invocation.request_id}"
            )
            exchange.integration_error = f"Lambda Customer Function Error:{invocation.error_message}"
            return GatewayError("INTEGRATION_FAILURE", status_override=502)
        try:
            # A binary answer needs the client's Accept to name a binary media type (AWS docs,
            # "Return binary media from a Lambda proxy integration").
            binary = media_type_matches(self._binary_media_types, exchange.header("accept"))
            parsed = proxy.parse_response(invocation.payload, binary=binary)
        except proxy.MalformedProxyResponse:
            exchange.integration_error = "Execution failed due to configuration error: Malformed Lambda proxy response"
            return internal_error("API_CONFIGURATION_ERROR", exchange.integration_error, exchange, status=502)
        except proxy.UndecodableBody:
            exchange.integration_error = "Execution failed due to configuration error: Unable to base64 decode"
            return internal_error("API_CONFIGURATION_ERROR", exchange.integration_error, exchange)
        exchange.integration_status = str(parsed.status)
        headers = list(parsed.headers)
        if not any(name.lower() == "content-type" for name, _ in headers):
            headers.insert(0, ("Content-Type", "application/json"))
        return MethodResponse(parsed.status, tuple(headers), parsed.body)

    # -- HTTP and HTTP_PROXY ------------------------------------------------------------------

    def _mapped(self, exchange: Exchange, integration: Integration, location: str) -> dict[str, str]:
        """`integration.request.<location>.X` values from method request, stage variables or literals."""
        prefix = f"integration.request.{location}."
        mapped: dict[str, str] = {}
        for target, source in integration.request_parameters.items():
            if target.startswith(prefix):
                value = _source_value(source, exchange, self._stage.variables)
                if value is not None:
                    mapped[target.removeprefix(prefix)] = value
        return mapped

    def _target(self, exchange: Exchange, integration: Integration) -> tuple[str, list[tuple[str, str]]]:
        uri = _fill_stage_variables(integration.uri, self._stage.variables)
        path_values = dict(exchange.path_parameters) if integration.type is IntegrationType.HTTP_PROXY else {}
        path_values.update(self._mapped(exchange, integration, "path"))
        for name, value in path_values.items():
            uri = uri.replace("{" + name + "}", value).replace("{" + name + "+}", value)
        if integration.type is IntegrationType.HTTP_PROXY:
            query = list(exchange.query)
        else:
            query = list(self._mapped(exchange, integration, "querystring").items())
        return uri, query

    async def _http_call(self, exchange: Exchange, integration: Integration) -> Result:
        uri, query = self._target(exchange, integration)
        if integration.type is IntegrationType.HTTP_PROXY:
            headers = [(n, v) for n, v in exchange.headers if n.lower() not in _NOT_FORWARDED]
        else:
            headers = list(self._mapped(exchange, integration, "header").items())
        headers.append(("X-Amzn-Trace-Id", exchange.trace_id))
        method = (integration.http_method or exchange.http_method).upper()
        if method == "ANY":
            method = exchange.http_method
        exchange.write(f"Endpoint request URI: {uri}")
        exchange.write_data(f"Endpoint request headers: {masked_headers(headers)}")
        exchange.write_data(
            "Endpoint request body after transformations: " + exchange.body.decode("utf-8", errors="replace")
        )
        try:
            url = httpx.URL(uri, params=query or None)
            if url.scheme not in ("http", "https") or not url.host:
                raise ValueError(uri)
        except (ValueError, httpx.InvalidURL):
            # Recorded (LocalStack snapshot against AWS): 500 for an invalid endpoint address.
            return internal_error(
                "API_CONFIGURATION_ERROR",
                "Execution failed due to configuration error: Invalid endpoint address",
                exchange,
            )
        exchange.write(f"Sending request to {url}")
        started = time.monotonic()
        try:
            async with asyncio.timeout(integration.timeout_in_millis / 1000):
                response = await self._http().request(method, url, headers=headers, content=exchange.body)
        except TimeoutError:
            exchange.integration_latency = _ms(started)
            return internal_error("INTEGRATION_TIMEOUT", "Execution failed due to a timeout error", exchange)
        except httpx.HTTPError as exc:
            # A 2020 capture: 504 `{"message": "Network error communicating with endpoint"}`,
            # InternalServerErrorException; access logs carry `Execution failed due to a network error
            # communicating with endpoint: <cause>` (apigw-reference.md, fact-check of 2026-11-25).
            exchange.integration_latency = _ms(started)
            exchange.integration_error = (
                f"Execution failed due to a network error communicating with endpoint: {_network_reason(exc)}"
            )
            exchange.write(exchange.integration_error)
            return GatewayError("INTEGRATION_FAILURE", message="Network error communicating with endpoint")
        exchange.integration_latency = _ms(started)
        exchange.integration_status = exchange.integration_integration_status = str(response.status_code)
        exchange.write(
            f"Received response. Status: {response.status_code}, Integration latency: {exchange.integration_latency} ms"
        )
        exchange.write_data(f"Endpoint response headers: {java_map(response.headers.multi_items())}")
        exchange.write_data(
            "Endpoint response body before transformations: " + response.content.decode("utf-8", errors="replace")
        )
        returned = tuple((n, v) for n, v in response.headers.multi_items() if n.lower() not in _NOT_RETURNED)
        if integration.type is IntegrationType.HTTP_PROXY:
            return MethodResponse(response.status_code, returned, response.content)
        return _integration_response(
            integration, str(response.status_code), response.content, dict(response.headers), exchange
        )

    # -- MOCK ---------------------------------------------------------------------------------

    def _mock(self, exchange: Exchange, integration: Integration) -> Result:
        content_type = (exchange.header("content-type") or "application/json").split(";")[0].strip()
        template = integration.request_templates.get(content_type) or integration.request_templates.get(
            "application/json", ""
        )
        found = _MOCK_STATUS.search(template)
        if found is None:
            # Real logs of MOCK methods without a usable request template (terraform users' reports);
            # the developer guide suggests the default response instead: the recorded log wins.
            return internal_error(
                "API_CONFIGURATION_ERROR",
                "Execution failed due to configuration error: "
                "statusCode should be an integer which defined in request template",
                exchange,
            )
        status = found.group(1)
        exchange.integration_status = status
        return _integration_response(integration, status, b"", {}, exchange)


def _integration_response(
    integration: Integration,
    selector: str,
    body: bytes,
    backend_headers: Mapping[str, str],
    exchange: Exchange,
) -> Result:
    """Pick the integration response whose selection pattern matches; map its status and headers."""
    chosen = _select(integration.responses, selector)
    if chosen is None:
        # Real log of an AWS integration with no matching and no default integration response.
        return internal_error(
            "API_CONFIGURATION_ERROR",
            "Execution failed due to configuration error: No match "
            "for output mapping and no default output mapping configured. Endpoint "
            f"Response Status Code: {selector}",
            exchange,
        )
    headers: list[tuple[str, str]] = []
    for target, source in chosen.response_parameters.items():
        if not target.startswith("method.response.header."):
            continue
        name = target.removeprefix("method.response.header.")
        if source.startswith("'") and source.endswith("'") and len(source) >= 2:
            headers.append((name, source[1:-1]))
        elif source.startswith("integration.response.header."):
            value = backend_headers.get(source.removeprefix("integration.response.header.").lower())
            if value is not None:
                headers.append((name, value))
    content_type = "application/json"
    if chosen.response_templates:
        content_type = next(iter(chosen.response_templates))
        body = chosen.response_templates[content_type].encode("utf-8")
    headers.insert(0, ("Content-Type", content_type))
    return MethodResponse(int(chosen.status_code), tuple(headers), body)


def _select(responses: tuple[IntegrationResponse, ...], selector: str) -> IntegrationResponse | None:
    default = None
    for response in responses:
        pattern = response.selection_pattern
        if pattern in ("default", ""):
            default = default or response
        elif re.fullmatch(pattern, selector, flags=re.DOTALL):
            return response
    return default


def _authorizer_context(exchange: Exchange) -> dict[str, Any] | None:
    """`requestContext.authorizer`: a Lambda authorizer's principal, latency and context (AWS docs
    "Output from an API Gateway Lambda authorizer"; a real event: `{principalId, integrationLatency}`,
    CodeGenieApp/serverless-express#551), or a Cognito authorizer's `claims`."""
    if exchange.authorizer_claims:
        return {"claims": dict(exchange.authorizer_claims)}
    if exchange.authorizer_principal_id is None:
        return None
    return {
        "principalId": exchange.authorizer_principal_id,
        "integrationLatency": exchange.authorizer_integration_latency or 0,
        **exchange.authorizer_context,
    }


def media_type_matches(media_types: tuple[str, ...], header: str | None) -> bool:
    """Whether any media type listed in a Content-Type or Accept header is one of `media_types`.

    Binary media types may use `*` wildcards and are written with `~1` for `/` in exports.
    """
    if not header or not media_types:
        return False
    patterns = [pattern.replace("~1", "/").lower() for pattern in media_types]
    offered = [part.split(";", 1)[0].strip().lower() for part in header.split(",")]
    return any(fnmatch.fnmatchcase(item, pattern) for item in offered for pattern in patterns)


def _fill_stage_variables(uri: str, variables: Mapping[str, str]) -> str:
    return _STAGE_VARIABLE.sub(lambda m: variables.get(m.group(1), ""), uri)


def _source_value(source: str, exchange: Exchange, variables: Mapping[str, str]) -> str | None:
    if len(source) >= 2 and source.startswith("'") and source.endswith("'"):
        return source[1:-1]
    if source.startswith("stageVariables."):
        return variables.get(source.removeprefix("stageVariables."))
    if source == "context.requestId":
        return exchange.request_id
    return exchange.method_request_value(source)


def _network_reason(exc: httpx.HTTPError) -> str:
    """Java's wording for the socket failure underneath, as AWS's logs quote it."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ConnectionRefusedError):
            return "Connection refused"
        if isinstance(cause, ConnectionResetError):
            return "Connection reset by peer"
        if isinstance(cause, socket.gaierror):
            return f"{exc.request.url.host}: Name or service not known"
        cause = cause.__cause__ or cause.__context__
    if isinstance(exc, httpx.RemoteProtocolError):
        return "Connection is closed"
    return str(exc) or type(exc).__name__
