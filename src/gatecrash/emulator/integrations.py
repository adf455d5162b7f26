"""The integration request and response: Lambda proxy (AWS_PROXY), Lambda (AWS), HTTP_PROXY, HTTP and MOCK.

Each runner records what the gateway records (execution log lines, `$context.integration.*`) on
the exchange and returns either the method response or the `GatewayError` AWS answers with.
Log line texts: apigw-reference.md, "Execution logs" and "Lambda proxy integration".

Non-proxy integrations (AWS, HTTP, MOCK) go through the same mapping: request template chosen by
Content-Type with the passthrough behaviour (`mapping.request_template`, 415 when AWS refuses),
the template evaluated (`templates.TemplateCache`, compiled once), the backend called with the
transformed body, an integration response selected (Lambda: `selectionPattern` against the
function's `errorMessage`; HTTP: against the backend status; MOCK: against the request template's
`statusCode`), then its status, responseParameters, responseTemplates and contentHandling applied.
Failures (apigw-reference.md "Failure lines"; the issue's recorded texts): a template that does
not evaluate -> 500 `Execution failed due to configuration error: Unable to transform request`
(`... response` on the way back); a selected status the method does not declare -> 500 `...
Output mapping refers to an invalid method response: NNN` (KC "api-gateway-internal-server-error").
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import fnmatch
import functools
import json
import re
import socket
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any
from urllib.parse import urlencode

import httpx

from gatecrash.emulator import headerrules, ids, mapping, proxy
from gatecrash.emulator.exchange import Exchange
from gatecrash.emulator.execlog import java_map, masked_headers
from gatecrash.emulator.lambdas import (
    Invocation,
    LambdaRuntime,
    Outcome,
    function_arn_from_uri,
    function_name_from_uri,
)
from gatecrash.emulator.model import Integration, IntegrationResponse, IntegrationType, StageConfig
from gatecrash.emulator.responses import GatewayError
from gatecrash.emulator.templates import TemplateCache, TemplateError, TemplateVariables, is_static, nested_context

# httpx's own request headers: the gateway sends none of them unless the request has it.
_CLIENT_DEFAULTS = ("accept", "accept-encoding", "connection", "user-agent")
_STAGE_VARIABLE = re.compile(r"\$\{stageVariables\.([A-Za-z0-9_.:-]+)\}")
_TRANSFORM_REQUEST = "Execution failed due to configuration error: Unable to transform request"
_TRANSFORM_RESPONSE = "Execution failed due to configuration error: Unable to transform response"
_BASE64 = "Execution failed due to configuration error: Unable to base64 decode"


@dataclass(frozen=True, slots=True)
class MethodResponse:
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes


Result = MethodResponse | GatewayError


@dataclass(frozen=True, slots=True)
class Transformed:
    """The integration request body after the request template (or passed through)."""

    body: bytes
    templated: bool


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
        # Each template's text is compiled on first use and kept: never per request.
        self._templates = TemplateCache()

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
        if integration.request_parameters and headerrules.refused_mapping(
            integration.type, integration.request_parameters
        ):
            # Recorded 500 for every call of such a method (headerrules.py); no execution line is known.
            return GatewayError("API_CONFIGURATION_ERROR")
        if integration.type is IntegrationType.AWS_PROXY:
            return await self._lambda_proxy(exchange, integration)
        if integration.type is IntegrationType.HTTP_PROXY:
            return await self._http_call(exchange, integration, exchange.body)
        transformed = self._transform_request(exchange, integration)
        if isinstance(transformed, GatewayError):
            return transformed
        if integration.type is IntegrationType.HTTP:
            return await self._http_call(exchange, integration, transformed.body)
        if integration.type is IntegrationType.MOCK:
            return self._mock(exchange, integration, transformed)
        return await self._lambda_custom(exchange, integration, transformed.body)

    # -- mapping templates --------------------------------------------------------------------

    def _context(self, exchange: Exchange) -> dict[str, str]:
        stage = self._stage
        return exchange.context_values(stage.rest_api_id, stage.stage_name, stage.account_id)

    def _variables(self, exchange: Exchange, body: str, overrides: bool = True) -> TemplateVariables:
        context = nested_context(self._context(exchange))
        if overrides:
            # The same mutable maps for every template of the request: what the request template sets in
            # $context.requestOverride / responseOverride the response template reads (recorded:
            # test_integration_mock_with_request_overrides_in_response_template and ..._response_override_...).
            context.update(exchange.overrides())
        return TemplateVariables(
            body=body,
            path=exchange.path_parameters,
            querystring=dict(exchange.query),
            header={name: value for name, value in exchange.headers},
            context=context,
            stage_variables=self._stage.variables,
        )

    def _render(self, template: str, exchange: Exchange, payload: str) -> str:
        # Without `$` or `#` a template is its own output: skip building `$context` and evaluating.
        if is_static(template):
            return template
        # Only a template that names an override needs the override maps (they cost a request time).
        return self._templates.render(template, self._variables(exchange, payload, "Override" in template))

    def _transform_request(self, exchange: Exchange, integration: Integration) -> Transformed | GatewayError:
        choice = mapping.request_template(integration, exchange.header("content-type"))
        if not isinstance(choice, mapping.RequestTemplate):
            # No execution line is known for the 415; the access log's UNSUPPORTED_MEDIA_TYPE is the evidence.
            return GatewayError("UNSUPPORTED_MEDIA_TYPE")
        binary = media_type_matches(self._binary_media_types, exchange.header("content-type"))
        handling = integration.content_handling
        body = exchange.body
        if choice.template is None:
            # AWS docs "Content type conversions in API Gateway": a passed-through payload is converted
            # only when contentHandling says so.
            if handling == "CONVERT_TO_TEXT" and binary:
                return Transformed(base64.b64encode(body), False)
            if handling == "CONVERT_TO_BINARY" and not binary:
                decoded = _b64decode(body)
                if decoded is None:
                    return internal_error("API_CONFIGURATION_ERROR", _BASE64, exchange)
                return Transformed(decoded, False)
            return Transformed(body, False)
        # A binary payload reaches a template as its base64 text (same docs page).
        text = base64.b64encode(body).decode("ascii") if binary else body.decode("utf-8", errors="replace")
        try:
            rendered = self._render(choice.template, exchange, text).encode("utf-8")
        except TemplateError:
            return internal_error("API_CONFIGURATION_ERROR", _TRANSFORM_REQUEST, exchange)
        if handling == "CONVERT_TO_BINARY":
            decoded = _b64decode(rendered)
            if decoded is None:
                return internal_error("API_CONFIGURATION_ERROR", _BASE64, exchange)
            rendered = decoded
        return Transformed(rendered, True)

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
            "deploymentId": ids.resource_id(f"deployment {stage.rest_api_id} {stage.stage_name}"),
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
                headers=self._event_headers(exchange),
                query=exchange.query,
                path_parameters=exchange.path_parameters,
                stage_variables=stage.variables,
                body=exchange.body,
                base64_body=media_type_matches(self._binary_media_types, exchange.header("content-type")),
                request_context=context,
            )
        )

    def _event_headers(self, exchange: Exchange) -> list[tuple[str, str]]:
        """The client's headers less those the gateway drops, plus the ones it adds (recorded:
        X-Amzn-Trace-Id and X-Forwarded-For/-Port/-Proto in every event; headerrules.py)."""
        forwarded_for = exchange.header("x-forwarded-for")
        return [
            *headerrules.proxy_event_headers(exchange.headers),
            ("X-Amzn-Trace-Id", exchange.trace_id),
            ("X-Forwarded-For", f"{forwarded_for}, {exchange.source_ip}" if forwarded_for else exchange.source_ip),
            ("X-Forwarded-Port", str(exchange.server_port)),
            ("X-Forwarded-Proto", exchange.scheme),
        ]

    async def _lambda_proxy(self, exchange: Exchange, integration: Integration) -> Result:
        stage = self._stage
        uri = _fill_stage_variables(integration.uri, stage.variables)
        arn = function_arn_from_uri(uri)
        endpoint = f"https://lambda.{stage.region}.amazonaws.com/2015-03-31/functions/{arn}/invocations"
        event = self._event(exchange)
        self._log_lambda_request(exchange, endpoint, json.dumps(event).encode())
        if _not_post(integration):
            return GatewayError("INTEGRATION_FAILURE", status_override=500)
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

    def _log_lambda_request(self, exchange: Exchange, endpoint: str, payload: bytes) -> None:
        stage = self._stage
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
        exchange.write_data("Endpoint request body after transformations: " + payload.decode("utf-8", errors="replace"))
        exchange.write(f"Sending request to {endpoint}")

    def _lambda_refused(self, exchange: Exchange, invocation: Invocation) -> Result | None:
        """Lambda's refusals of the invoke itself (the function never ran), or None."""
        if invocation.outcome is Outcome.NOT_PERMITTED:
            # A real access record of a refused invoke (sal-blog.com/iam-api-gateway-500error, in
            # tests/diagnose_corpus) shows error.responseType API_CONFIGURATION_ERROR and this line as
            # integration.error; no AWS document says which type it is, so the recording decides.
            exchange.integration_error = (
                "Execution failed due to configuration error: Invalid permissions on Lambda function"
            )
            return internal_error("API_CONFIGURATION_ERROR", exchange.integration_error, exchange, status=500)
        if invocation.outcome in (Outcome.THROTTLED, Outcome.NOT_FOUND):
            exchange.write(
                f"Lambda invocation failed with status: {invocation.status}. Lambda request id: {invocation.request_id}"
            )
            if invocation.outcome is Outcome.THROTTLED:
                exchange.integration_error = "Execution failed due to configuration error: Rate Exceeded."
                exchange.write(exchange.integration_error)
            return GatewayError("INTEGRATION_FAILURE", status_override=500)
        return None

    def _log_lambda_response(self, exchange: Exchange, invocation: Invocation) -> None:
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

    def _lambda_outcome(self, exchange: Exchange, invocation: Invocation) -> Result:
        refused = self._lambda_refused(exchange, invocation)
        if refused is not None:
            return refused
        self._log_lambda_response(exchange, invocation)
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
        """`integration.request.<location>.X` values from method request, stage variables or literals;
        then, for an HTTP integration, what its request template set in `$context.requestOverride.<location>`."""
        prefix = f"integration.request.{location}."
        mapped: dict[str, str] = {}
        for target, source in integration.request_parameters.items():
            if target.startswith(prefix):
                value = _source_value(source, exchange, self._stage)
                if value is not None:
                    mapped[target.removeprefix(prefix)] = value
        if integration.type is IntegrationType.HTTP and _sets_request_override(integration):
            _apply_request_override(mapped, exchange.overrides()["requestOverride"][location], location == "header")
        return mapped

    def _target(self, exchange: Exchange, integration: Integration) -> tuple[str, list[tuple[str, str]]]:
        uri = _fill_stage_variables(integration.uri, self._stage.variables)
        path_values = dict(exchange.path_parameters) if integration.type is IntegrationType.HTTP_PROXY else {}
        path_values.update(self._mapped(exchange, integration, "path"))
        for name, value in path_values.items():
            uri = uri.replace("{" + name + "}", value).replace("{" + name + "+}", value)
        # The URI's own query string first, then (HTTP_PROXY) the client's, then the mapped parameters;
        # a name repeated keeps every value (recorded: test_http_proxy_integration_request_data_mappings).
        query = list(exchange.query) if integration.type is IntegrationType.HTTP_PROXY else []
        query += list(self._mapped(exchange, integration, "querystring").items())
        return uri, query

    def _rerouted(self, url: httpx.URL) -> httpx.URL:
        """The side file's `endpointOverrides`: a local stand-in for the definition's endpoint."""
        if not self._stage.endpoint_overrides:
            return url
        origin = f"{url.scheme}://{url.netloc.decode('ascii')}"
        replacement = self._stage.endpoint_overrides.get(origin)
        if replacement is None:
            return url
        target = httpx.URL(_fill_stage_variables(replacement, self._stage.variables))
        # An unset stage variable leaves no host: a reserved name that cannot resolve (RFC 2606),
        # so the call fails as a network error instead of reaching the definition's real host.
        return url.copy_with(scheme=target.scheme, host=target.host or "unset-stage-variable.invalid", port=target.port)

    def _endpoint_headers(self, exchange: Exchange, integration: Integration, payload: bytes) -> list[tuple[str, str]]:
        """What the gateway sends an HTTP endpoint (recorded; headerrules.py): HTTP_PROXY passes the
        client's headers on, with mapped ones in their place; HTTP sends the mapped ones and
        `Accept: application/json`, `User-Agent: AmazonAPIGateway_<api id>` unless mapped, and the
        body's content type; both add x-amzn-apigateway-api-id and X-Amzn-Trace-Id."""
        mapped = headerrules.mapped_headers(self._mapped(exchange, integration, "header"))
        names = {name.lower() for name, _ in mapped}
        api_id = self._stage.rest_api_id
        if integration.type is IntegrationType.HTTP_PROXY:
            passed = [(n, v) for n, v in headerrules.http_proxy_headers(exchange.headers) if n.lower() not in names]
            headers = passed + mapped
        else:
            defaults = [("Accept", "application/json"), ("User-Agent", f"AmazonAPIGateway_{api_id}")]
            if payload:
                defaults.append(("Content-Type", exchange.header("content-type") or "application/json"))
            headers = [(n, v) for n, v in defaults if n.lower() not in names] + mapped
        headers.append(("x-amzn-apigateway-api-id", api_id))
        headers.append(("X-Amzn-Trace-Id", exchange.trace_id))
        return headers

    async def _http_call(self, exchange: Exchange, integration: Integration, payload: bytes) -> Result:
        uri, query = self._target(exchange, integration)
        headers = self._endpoint_headers(exchange, integration, payload)
        method = (integration.http_method or exchange.http_method).upper()
        if method == "ANY":
            method = exchange.http_method
        exchange.write(f"Endpoint request URI: {uri}")
        exchange.write_data(f"Endpoint request headers: {masked_headers(headers)}")
        exchange.write_data("Endpoint request body after transformations: " + payload.decode("utf-8", errors="replace"))
        try:
            url = httpx.URL(uri)
            if query:
                added = urlencode(query)
                url = url.copy_with(query=(f"{url.query.decode('ascii')}&{added}" if url.query else added).encode())
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
                request = self._http().build_request(method, self._rerouted(url), headers=headers, content=payload)
                for name in _CLIENT_DEFAULTS:
                    if not any(given.lower() == name for given, _ in headers):
                        request.headers.pop(name, None)  # httpx's defaults, which the gateway does not send
                response = await self._http().send(request)
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
        returned = tuple(headerrules.remapped(response.headers.multi_items()))
        if integration.type is IntegrationType.HTTP_PROXY:
            return MethodResponse(response.status_code, returned, response.content)
        backend_headers: dict[str, list[str]] = {}
        for name, value in response.headers.multi_items():
            backend_headers.setdefault(name.lower(), []).append(value)
        return self._integration_response(
            exchange, integration, str(response.status_code), response.content, backend_headers
        )

    # -- MOCK ---------------------------------------------------------------------------------

    def _mock(self, exchange: Exchange, integration: Integration, transformed: Transformed) -> Result:
        status = _mock_status(transformed) if transformed.templated else None
        if status is None:
            # Real logs of MOCK methods without a usable request template (terraform users' reports);
            # the developer guide suggests the default response instead: the recorded log wins.
            return internal_error(
                "API_CONFIGURATION_ERROR",
                "Execution failed due to configuration error: "
                "statusCode should be an integer which defined in request template",
                exchange,
            )
        exchange.integration_status = status
        return self._integration_response(exchange, integration, status, b"", {})

    # -- Lambda (non-proxy) ---------------------------------------------------------------------

    async def _lambda_custom(self, exchange: Exchange, integration: Integration, payload: bytes) -> Result:
        """An `AWS` integration to a Lambda function: the transformed body is the event."""
        stage = self._stage
        uri = _fill_stage_variables(integration.uri, stage.variables)
        arn = function_arn_from_uri(uri)
        endpoint = f"https://lambda.{stage.region}.amazonaws.com/2015-03-31/functions/{arn}/invocations"
        self._log_lambda_request(exchange, endpoint, payload)
        if _not_post(integration):
            return GatewayError("INTEGRATION_FAILURE", status_override=500)
        try:
            event = json.loads(payload) if payload.strip() else {}
        except ValueError:
            event = None
        if not isinstance(event, dict):
            # Lambda refuses a payload that is not JSON (Invoke API: 400 InvalidRequestContentException);
            # local handlers take JSON objects only, so other JSON is refused the same way (an
            # emulator limit). Logged as the other refused invokes are.
            exchange.integration_integration_status = "400"
            exchange.write(f"Lambda invocation failed with status: 400. Lambda request id: {uuid.uuid4()}")
            return GatewayError("INTEGRATION_FAILURE", status_override=500)
        started = time.monotonic()
        try:
            async with asyncio.timeout(integration.timeout_in_millis / 1000):
                invocation = await self._lambdas.invoke(function_name_from_uri(uri) or "", arn, event)
        except TimeoutError:
            exchange.integration_latency = _ms(started)
            return internal_error("INTEGRATION_TIMEOUT", "Execution failed due to a timeout error", exchange)
        exchange.integration_latency = invocation.latency_ms
        exchange.integration_request_id = invocation.request_id
        exchange.integration_status = exchange.integration_integration_status = str(invocation.status)
        refused = self._lambda_refused(exchange, invocation)
        if refused is not None:
            return refused
        self._log_lambda_response(exchange, invocation)
        selector: str | None = None
        if invocation.outcome is Outcome.FUNCTION_ERROR:
            # The proxy integration's line; that AWS writes it for non-proxy Lambda too is unverified.
            exchange.write(
                f"Lambda execution failed with status 200 due to customer function error: "
                f"{invocation.error_message}. Lambda request id: {invocation.request_id}"
            )
            # AWS docs "Handle Lambda errors in API Gateway": selectionPattern is matched against
            # errorMessage; a successful result only ever meets the default response (LocalStack's
            # test_lambda_selection_patterns, recorded: a pattern "200" never matches a success).
            selector = invocation.error_message or ""
        headers = {"content-type": ["application/json"]}
        return self._integration_response(exchange, integration, selector, invocation.payload, headers, "200")

    # -- integration responses -----------------------------------------------------------------

    def _integration_response(
        self,
        exchange: Exchange,
        integration: Integration,
        selector: str | None,
        body: bytes,
        backend_headers: Mapping[str, list[str]],
        endpoint_status: str | None = None,
    ) -> Result:
        """Select the integration response (`selector` None: the default only) and apply it."""
        chosen = select_response(integration.responses, selector)
        if chosen is None:
            # Real log of an AWS integration with no matching and no default integration response.
            return internal_error(
                "API_CONFIGURATION_ERROR",
                "Execution failed due to configuration error: No match "
                "for output mapping and no default output mapping configured. Endpoint "
                f"Response Status Code: {endpoint_status or selector}",
                exchange,
            )
        declared = exchange.method.response_status_codes if exchange.method is not None else ()
        # A method with no responses in the definition is let through: AWS cannot have such a
        # method (import creates method responses from `responses`), and older definitions omit them.
        if declared and chosen.status_code not in declared:
            return internal_error(
                "API_CONFIGURATION_ERROR",
                "Execution failed due to configuration error: Output mapping refers to an invalid "
                f"method response: {chosen.status_code}",
                exchange,
            )
        try:
            headers = self._response_headers(exchange, chosen, backend_headers, body)
        except mapping.MappingFailure:
            # An expression AWS would refuse at deploy time, or a body path over a non-JSON body:
            # answered as a failed response mapping (the runtime wording is unverified).
            return internal_error("API_CONFIGURATION_ERROR", _TRANSFORM_RESPONSE, exchange)
        content_type = "application/json"
        template = mapping.response_template(chosen.response_templates, exchange.header("accept"))
        if template is not None:
            content_type = template[0]
            binary = media_type_matches(self._binary_media_types, _first(backend_headers, "content-type"))
            text = base64.b64encode(body).decode("ascii") if binary else body.decode("utf-8", errors="replace")
            try:
                body = self._render(template[1], exchange, text).encode("utf-8")
            except TemplateError:
                return internal_error("API_CONFIGURATION_ERROR", _TRANSFORM_RESPONSE, exchange)
        if chosen.content_handling == "CONVERT_TO_TEXT":
            body = base64.b64encode(body)
        elif chosen.content_handling == "CONVERT_TO_BINARY":
            decoded = _b64decode(body)
            if decoded is None:
                return internal_error("API_CONFIGURATION_ERROR", _BASE64, exchange)
            body = decoded
        if not any(name.lower() == "content-type" for name, _ in headers):
            headers.insert(0, ("Content-Type", content_type))
        return _overridden(exchange, MethodResponse(int(chosen.status_code), tuple(headers), body))

    def _response_headers(
        self, exchange: Exchange, chosen: IntegrationResponse, backend_headers: Mapping[str, list[str]], body: bytes
    ) -> list[tuple[str, str]]:
        headers: list[tuple[str, str]] = []
        context: dict[str, str] | None = None
        for target, source in chosen.response_parameters.items():
            if not target.startswith("method.response.header.") or target == "method.response.header.":
                raise mapping.MappingFailure(f"invalid mapping target {target!r}")
            if source.startswith("context.") and context is None:
                context = self._context(exchange)
            value = mapping.response_header(source, backend_headers, body, (context or {}).get, self._stage.variables)
            if value is not None:
                headers.append((target.removeprefix("method.response.header."), value))
        return headerrules.remapped(headers)


def _not_post(integration: Integration) -> bool:
    """Lambda's Invoke is a POST: a Lambda integration with another httpMethod fails every call with 500,
    even with INTEGRATION_FAILURE customised without a status (recorded: LocalStack
    test_lambda_aws_proxy_integration_non_post_method); no execution line is known for it."""
    return (integration.http_method or "POST").upper() != "POST"


def _sets_request_override(integration: Integration) -> bool:
    """Whether a request template may set `$context.requestOverride` (else its maps are never made)."""
    return any("requestOverride" in template for template in integration.request_templates.values() if template)


def _apply_request_override(mapped: dict[str, str], override: Mapping[str, Any], headers: bool) -> None:
    """AWS docs "Override your API's request and response parameters and status codes": overrides come
    "after standard API Gateway mappings have been applied", so one replaces a mapped parameter of its name
    (a header's name in any case). A list is a multi-value header; the guide's Example 2 logs
    `multivalueheader=pets,header1Valheader2Val` for `[$header1Override, $header3Value]`."""
    for name, value in override.items():
        if value is None:
            continue
        text = ",".join(str(item) for item in value) if isinstance(value, list) else str(value)
        if headers:
            for present in [key for key in mapped if key.lower() == str(name).lower()]:
                del mapped[present]
        mapped[str(name)] = text


def _overridden(exchange: Exchange, response: MethodResponse) -> MethodResponse:
    """`$context.responseOverride` applied (AWS docs "Override your API's request and response
    parameters and status codes"): its status replaces the integration response's, even one the method
    does not declare (recorded 444), and its headers replace theirs."""
    override = exchange.response_override
    if not override:
        return response
    status = response.status
    raw = override.get("status")
    if raw is not None and str(raw).strip().isdigit():
        status = int(str(raw).strip())
    headers = list(response.headers)
    for name, value in (override.get("header") or {}).items():
        headers = [(n, v) for n, v in headers if n.lower() != str(name).lower()]
        headers.append((str(name), str(value)))
    return MethodResponse(status, tuple(headers), response.body)


def _mock_status(transformed: Transformed) -> str | None:
    return _mock_status_of(transformed.body)


@functools.lru_cache(maxsize=256)
def _mock_status_of(body: bytes) -> str | None:
    """The request template's `statusCode` (a number; a numeric string is taken too), read as
    leniently as AWS reads it (`mapping.read_lenient_json`: `{statusCode: 200}`, `{'statusCode': 200}`).
    Cached by body: a template without `$` or `#` gives every request the same one."""
    try:
        document = mapping.read_lenient_json(body.decode("utf-8", errors="replace"))
    except ValueError:
        return None
    status = document.get("statusCode") if isinstance(document, dict) else None
    if isinstance(status, bool) or not isinstance(status, int | str):
        return None
    text = str(status)
    return text if text.isdigit() and len(text) == 3 else None


def _first(headers: Mapping[str, list[str]], name: str) -> str | None:
    values = headers.get(name)
    return values[0] if values else None


def _b64decode(data: bytes) -> bytes | None:
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        return None


def select_response(responses: tuple[IntegrationResponse, ...], selector: str | None) -> IntegrationResponse | None:
    """The integration response whose selection pattern matches `selector`, else the default one."""
    default = None
    for response in responses:
        pattern = response.selection_pattern
        if pattern in ("default", ""):
            default = default or response
        elif selector is not None and _matches(pattern, selector):
            return response
    return default


def _matches(pattern: str, selector: str) -> bool:
    try:
        return re.fullmatch(pattern, selector, flags=re.DOTALL) is not None
    except re.error:
        return False  # a pattern Python cannot read (Java syntax) matches nothing here


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


def _source_value(source: str, exchange: Exchange, stage: StageConfig) -> str | None:
    """A requestParameters source: 'literal', stageVariables.*, context.* or method.request.*."""
    if len(source) >= 2 and source.startswith("'") and source.endswith("'"):
        return source[1:-1]
    if source.startswith("stageVariables."):
        return stage.variables.get(source.removeprefix("stageVariables."))
    if source.startswith("context."):
        values = exchange.context_values(stage.rest_api_id, stage.stage_name, stage.account_id)
        return values.get(source.removeprefix("context."))
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
