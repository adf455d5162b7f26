"""The emulator as an ASGI app: API Gateway's checks in API Gateway's order, then the integration.

Order (apigw-reference.md, "Order of checks"): route match; then account throttling; then
authorization (AWS_IAM, a Lambda or Cognito authorizer: `auth.gate`); then the usage-plan step: the
API key with its usage-plan throttle and quota, and the stage's per-method throttle; then "Starting
execution", request validation (parameters before body), the integration.
Stage and method throttling sit inside the usage-plan step: a real execution log of 2019 (method
throttling of 1 rps, burst 1, no API key; apigw-http-reference.md, last section) shows
`Verifying Usage Plan ...`, then `Key throttle limit exceeded for RestApi ..., Stage ..., Resource
..., HttpMethod .... Limit: 1.00 Burst: 1` where the "does not require API Key" lines would be, then
`Method completed with status: 429`. For a method that requires a key, the key and its plan are
checked first (the Knowledge Center's order: usage-plan limits, then the stage's per-method limits);
the wording of the throttle line there is unverified and kept the same. No line is known for account
throttling: it answers before any line. `CHECKS` is that order, in one place.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol
from urllib.parse import parse_qsl

from gatecrash.emulator import accesslog, headerrules, ids, responses, validation
from gatecrash.emulator.auth.gate import AuthorizationGate
from gatecrash.emulator.exchange import Exchange
from gatecrash.emulator.execlog import ExecutionLog, java_map, mask, masked_headers
from gatecrash.emulator.integrations import IntegrationRunner, MethodResponse
from gatecrash.emulator.lambdas import LambdaRuntime
from gatecrash.emulator.model import Api, IntegrationType, LoggingLevel, StageConfig
from gatecrash.emulator.responses import GatewayError
from gatecrash.emulator.routing import Router
from gatecrash.emulator.throttle import StageThrottle, take_all
from gatecrash.emulator.usage import KeyOutcome, UsagePlans

_log = logging.getLogger("gatecrash.emulator")
# A check passes (None) or names the gateway response; a check that calls out (a Lambda
# authorizer) is a coroutine function.
Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

# API Gateway's payload limit; over it the front door answers in plain text, before any request
# id exists, and ignores REQUEST_TOO_LARGE customisation (lgtm-generator#10, confirmed 2026-11-25).
MAX_PAYLOAD = 10 * 1024 * 1024
_TOO_LARGE_BODY = f"HTTP content length exceeded {MAX_PAYLOAD} bytes.".encode()
_UNSEEN = frozenset(name.encode("latin-1") for name in headerrules.UNSEEN)
# Rejections whose recorded execution logs end without `Method completed with status`: the key and
# usage-plan lines, and the authorizer's (auth/gate.py).
_NO_METHOD_COMPLETED = frozenset(
    {
        "INVALID_API_KEY",
        "THROTTLED",
        "QUOTA_EXCEEDED",
        "UNAUTHORIZED",
        "ACCESS_DENIED",
        "AUTHORIZER_CONFIGURATION_ERROR",
        "AUTHORIZER_FAILURE",
    }
)


class LogSink(Protocol):
    def emit(self, group: str, stream: str, timestamp_ms: int, message: str) -> None: ...


class Emulator:
    """An ASGI application emulating one deployed stage of one REST API."""

    def __init__(self, api: Api, stage: StageConfig, sink: LogSink) -> None:
        self.api = api
        self.stage = stage
        self._sink = sink
        self._router = Router(api.methods)
        self._stage_throttle = StageThrottle(stage)
        self._usage = UsagePlans(stage)
        # One runtime for integrations and authorizers: they share reserved concurrency, as on Lambda.
        lambdas = LambdaRuntime(stage.functions, stage.handler_paths)
        self._authorization = AuthorizationGate(api, stage, lambdas)
        self._integrations = IntegrationRunner(stage, lambdas, api.binary_media_types)
        self._stage_prefix = f"/{stage.stage_name}"
        self._api_stage = f"{stage.rest_api_id}/{stage.stage_name}"
        self._execution_group = stage.execution_log_group
        self._access_group = stage.access_log_group()
        self._access_format = (stage.access_log.format if stage.access_log else None) or accesslog.DEFAULT_FORMAT
        self._execution_stream = ids.log_stream_name()
        self._access_stream = ids.log_stream_name()

    async def aclose(self) -> None:
        await self._integrations.aclose()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif scope["type"] == "http":
            await self._http(scope, receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return

    # -- the wire ------------------------------------------------------------------------------

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            body = await _read_body(scope, receive)
        except _ClientGone:
            return  # never received whole (the client left, or the front door timed it out): no answer, no log
        if body is None:
            await _send(send, 413, [("Content-Type", "text; charset=utf-8")], _TOO_LARGE_BODY)
            return
        exchange = _exchange_from(scope, body)
        try:
            status, headers, payload = await self.handle(exchange)
        except Exception:
            # A fault of the emulator itself still gets API Gateway's generic answer, never a
            # dropped connection or a traceback on the wire; the traceback goes to the server log.
            _log.exception("emulator fault on %s %s", exchange.http_method, exchange.full_path)
            status, headers, payload = self._gateway_response(exchange, GatewayError("API_CONFIGURATION_ERROR"), False)
        # Every recorded answer says how the connection goes on (keep-alive, or close when asked).
        headers.append(("Connection", "close" if exchange.closing else "keep-alive"))
        await _send(send, status, headers, payload)
        self._finish(exchange, len(payload))

    async def handle(self, exchange: Exchange) -> tuple[int, list[tuple[str, str]], bytes]:
        """Run one request through the gateway; returns status, headers and body."""
        # The checks in AWS's order: routing, account throttling, authorization, API key and usage
        # plan (with method throttling), then validation once execution has started. Authorization
        # writes `Extended Request Id`; authorizer lines follow it, usage-plan lines come after.
        error = self._route(exchange)
        if error is None:
            error = self._account_throttling(exchange)
        if error is None:
            error = await self._authorization.check(exchange)
        if error is None:
            error = self._api_key(exchange)
        if error is None:
            self._start_execution(exchange)
            error = self._validate(exchange)
        trace = False
        if error is None:
            assert exchange.method is not None and exchange.method.integration is not None
            result = await self._integrations.run(exchange, exchange.method.integration)
            if isinstance(result, MethodResponse):
                return self._method_response(exchange, result)
            error = result
        else:
            # A validation error carries the trace header (capture in apigw-reference.md's fact-check).
            trace = error.response_type.startswith("BAD_REQUEST")
        return self._gateway_response(exchange, error, trace)

    # -- the checks, in order ------------------------------------------------------------------

    def _route(self, exchange: Exchange) -> GatewayError | None:
        # Slashes before the stage, and between the stage and the resource path, are dropped
        # (recorded: `//stage/x` and `/stage//x` reach /x; `$context.path` keeps the second).
        path = exchange.full_path = "/" + exchange.full_path.lstrip("/")
        if path != self._stage_prefix and not path.startswith(self._stage_prefix + "/"):
            return GatewayError("MISSING_AUTHENTICATION_TOKEN")
        exchange.path = "/" + path[len(self._stage_prefix) :].lstrip("/")
        match = self._router.match(exchange.path, exchange.http_method)
        if match is None:
            return GatewayError("MISSING_AUTHENTICATION_TOKEN")
        exchange.method = match.method
        exchange.path_parameters = dict(match.path_parameters)
        setting = self.stage.method_setting(match.method.resource_path, match.method.http_method)
        exchange.log = ExecutionLog(exchange.request_id, setting.data_trace_enabled)
        if match.method.integration is None:
            # AWS refuses to deploy a method without an integration; an imported definition can lack one.
            return GatewayError("API_CONFIGURATION_ERROR")
        return None

    def _account_throttling(self, exchange: Exchange) -> GatewayError | None:
        # Only looks: the token is taken with the method's, in the usage-plan step (`_method_throttling`).
        return None if self._stage_throttle.account_available() else GatewayError("THROTTLED")

    def _method_throttling(self, exchange: Exchange) -> GatewayError | None:
        """The stage's per-method bucket (and the account's), inside the usage-plan step."""
        method = exchange.method
        assert method is not None
        verdict = take_all(self._stage_throttle.buckets(method.resource_path, method.http_method))
        if verdict.refused_by is None:
            return None
        limit = self._stage_throttle.method_limit(method.resource_path, method.http_method)
        if verdict.refused_by == "stage" and limit is not None:
            # The 2019 capture (module docstring): one line, then the final status line.
            exchange.write(
                f"Key throttle limit exceeded for RestApi {self.stage.rest_api_id}, Stage {self.stage.stage_name}, "
                f"Resource {ids.resource_id(method.resource_path)}, HttpMethod {method.http_method}. "
                f"Limit: {limit.rate_limit:.2f} Burst: {limit.burst_limit}"
            )
            exchange.write("Method completed with status: 429")
        return GatewayError("THROTTLED")

    def _api_key(self, exchange: Exchange) -> GatewayError | None:
        method = exchange.method
        assert method is not None
        # apiKeySource AUTHORIZER: the key is the Lambda authorizer's usageIdentifierKey (AWS docs).
        value = exchange.header("x-api-key") if self.api.api_key_source == "HEADER" else exchange.authorizer_usage_key
        exchange.api_key_value = value or None
        shown = mask(value) if value else ""
        identity = f"'{method.http_method} {method.resource_path}'"
        exchange.write(
            f"Verifying Usage Plan for request: {exchange.request_id}. API Key: {shown} API Stage: {self._api_stage}"
        )
        if not method.api_key_required:
            throttled = self._method_throttling(exchange)
            if throttled is not None:
                return throttled
            exchange.write(
                f"API Key {shown} authorized because method {identity} does not require API Key. "
                "Request will not contribute to throttle or quota limits"
            )
            exchange.write(f"Usage Plan check succeeded for API Key {shown} and API Stage {self._api_stage}")
            return None
        verdict = self._usage.check(value, method.resource_path, method.http_method)
        exchange.api_key = verdict.key if verdict.key is not None and verdict.key.enabled else None
        if verdict.outcome is KeyOutcome.INVALID:
            # Recorded for a key in no usage plan of the stage; AWS looks the key up by its plan, so
            # a missing, unknown or disabled key meets the same lookup (wording for those unverified).
            exchange.write(
                f"API Key {shown} not authorized because method {identity} requires API Key and API "
                f"Key is not associated with a Usage Plan for API Stage {self._api_stage}: "
                "No Usage Plan found for key and API Stage"
            )
            return GatewayError("INVALID_API_KEY")
        plan = verdict.plan
        assert plan is not None
        if verdict.outcome is KeyOutcome.THROTTLED:
            assert verdict.limit is not None
            exchange.write(
                f"API Key {shown} exceeded throttle limit for API Stage {self._api_stage}: Key throttle limit "
                f"exceeded for Usage Plan ID {plan.id}, RestApi {self.stage.rest_api_id}, Stage "
                f"{self.stage.stage_name}, Resource {ids.resource_id(method.resource_path)}, HttpMethod "
                f"{method.http_method}. Limit: {verdict.limit.rate_limit:.2f} Burst: {verdict.limit.burst_limit}"
            )
            return GatewayError("THROTTLED")
        if verdict.outcome is KeyOutcome.QUOTA_EXCEEDED:
            assert plan.quota is not None
            exchange.write(
                f"API Key {shown} exceeded quota limit for API Stage {self._api_stage}: Key quota "
                f"exhausted for Usage Plan ID {plan.id}. Limit: {plan.quota.limit} "
                f"Period: {plan.quota.period}"
            )
            return GatewayError("QUOTA_EXCEEDED")
        throttled = self._method_throttling(exchange)
        if throttled is not None:
            return throttled
        exchange.write(f"Usage Plan check succeeded for API Key {shown} and API Stage {self._api_stage}")
        return None

    def _start_execution(self, exchange: Exchange) -> None:
        exchange.write(f"Starting execution for request: {exchange.request_id}")
        exchange.write(f"HTTP Method: {exchange.http_method}, Resource Path: {exchange.path}")
        exchange.write_data(f"Method request path: {java_map(exchange.path_parameters.items())}")
        exchange.write_data(f"Method request query string: {java_map(dict(exchange.query).items())}")
        exchange.write_data(f"Method request headers: {masked_headers(exchange.headers)}")
        exchange.write_data(
            "Method request body before transformations: " + exchange.body.decode("utf-8", errors="replace")
        )
        return None

    def _validate(self, exchange: Exchange) -> GatewayError | None:
        method = exchange.method
        assert method is not None
        validator = method.validator
        if validator is None:
            return None
        if validator.validate_request_parameters:
            parts = validation.RequestParts(
                headers={name.lower(): value for name, value in exchange.headers},
                path=exchange.path_parameters,
                query=dict(exchange.query),
            )
            missing = validation.missing_parameters(method, parts)
            if missing:
                # No execution line is written: AWS's wording for it is not recorded anywhere we
                # found; the access log's BAD_REQUEST_PARAMETERS is the evidence.
                message = validation.parameters_message(missing)
                return GatewayError("BAD_REQUEST_PARAMETERS", message=message)
        if validator.validate_request_body:
            model = validation.select_model(method, exchange.header("content-type"))
            if model is not None:
                verdict = validation.validate_body(model[0], model[1], exchange.body)
                if not verdict.valid:
                    exchange.write(
                        f"Request body does not match model schema for content type "
                        f"{verdict.media_type}: {verdict.validation_error}"
                    )
                    return GatewayError("BAD_REQUEST_BODY", validation_error=verdict.validation_error)
                exchange.write(f"Request validation succeeded for content type {verdict.media_type}")
        return None

    # -- answers ---------------------------------------------------------------------------------

    def _ids(self, exchange: Exchange, trace: bool) -> list[tuple[str, str]]:
        headers = [
            ("x-amzn-RequestId", exchange.request_id),
            ("x-amz-apigw-id", exchange.extended_request_id),
        ]
        if trace:
            headers.append(("X-Amzn-Trace-Id", exchange.trace_id))
        return headers

    def _method_response(self, exchange: Exchange, result: MethodResponse) -> tuple[int, list[tuple[str, str]], bytes]:
        headers = list(result.headers)
        exchange.write_data(
            "Method response body after transformations: " + result.body.decode("utf-8", errors="replace")
        )
        exchange.write_data(f"Method response headers: {java_map(headers)}")
        exchange.write("Successfully completed execution")
        exchange.write(f"Method completed with status: {result.status}")
        exchange.status = result.status
        method = exchange.method
        # MOCK answers carry no trace header; HTTP_PROXY answers carry the endpoint's, if any
        # (LocalStack recordings against AWS: test_invocation_trace_id, header remapping).
        trace = (
            method is not None
            and method.integration is not None
            and method.integration.type not in (IntegrationType.MOCK, IntegrationType.HTTP_PROXY)
        )
        return result.status, headers + self._ids(exchange, trace), result.body

    def _gateway_response(
        self, exchange: Exchange, error: GatewayError, trace: bool
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        exchange.error = error
        context = exchange.context_values(self.stage.rest_api_id, self.stage.stage_name, self.stage.account_id)
        rendered = responses.render(
            error,
            self.api.gateway_responses,
            context.get,
            self.stage.variables,
            exchange.method_request_value,
        )
        exchange.status = rendered.status
        if exchange.log is not None and exchange.log.lines and error.response_type not in _NO_METHOD_COMPLETED:
            exchange.write(f"Method completed with status: {rendered.status}")
        return rendered.status, list(rendered.headers) + self._ids(exchange, trace), rendered.body

    # -- logs ------------------------------------------------------------------------------------

    def _finish(self, exchange: Exchange, response_length: int) -> None:
        exchange.response_length = response_length
        exchange.response_latency = int((time.time() - exchange.received) * 1000)
        log = exchange.log
        if log is not None and log.lines and exchange.method is not None:
            level = self.stage.method_setting(exchange.method.resource_path, exchange.method.http_method).logging_level
            if level is LoggingLevel.INFO or (level is LoggingLevel.ERROR and exchange.status >= 400):
                emit, group, stream = self._sink.emit, self._execution_group, self._execution_stream
                if exchange.secrets:
                    for timestamp, line in log.lines:
                        emit(group, stream, timestamp, exchange.redact(line))
                else:
                    for timestamp, line in log.lines:
                        emit(group, stream, timestamp, line)
        values = exchange.context_values(
            self.stage.rest_api_id, self.stage.stage_name, self.stage.account_id, redact=True
        )
        self._sink.emit(
            self._access_group,
            self._access_stream,
            int(exchange.received * 1000),
            accesslog.render(self._access_format, values),
        )


class _ClientGone(Exception):
    """The connection closed before the request's body was complete."""


async def _read_body(scope: Scope, receive: Receive) -> bytes | None:
    """The whole body, or None once it passes API Gateway's 10 MB limit."""
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                if int(value) > MAX_PAYLOAD:
                    return None
            except ValueError:
                pass
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            raise _ClientGone
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_PAYLOAD:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _exchange_from(scope: Scope, body: bytes) -> Exchange:
    raw_path = scope.get("raw_path") or scope["path"].encode("utf-8")
    # ASGI gives header names lower-cased: the headers the gateway never sees are left out
    # (headerrules.py), and the two the gateway acts on itself are noted, in one pass.
    headers: list[tuple[str, str]] = []
    closing = False
    incoming: str | None = None
    for raw_name, raw_value in scope["headers"]:
        if raw_name in _UNSEEN:
            closing = closing or (raw_name == b"connection" and raw_value.lower() == b"close")
            continue
        value = raw_value.decode("latin-1")
        if raw_name == b"x-amzn-trace-id" and incoming is None:
            incoming = value
        headers.append((raw_name.decode("latin-1"), value))
    query_text = scope.get("query_string", b"").decode("latin-1")
    client = scope.get("client") or ("127.0.0.1", 0)
    server = scope.get("server") or ("127.0.0.1", 0)
    exchange = Exchange(
        http_method=scope["method"],
        full_path=raw_path.decode("latin-1").split("?", 1)[0],
        headers=headers,
        query=parse_qsl(query_text, keep_blank_values=True) if query_text else [],
        body=body,
        source_ip=client[0],
        protocol="HTTP/1.1",  # "HTTP/1.1 even for HTTP/2 clients" (AWS docs, $context.protocol)
        server_port=int(server[1] or 0),
        scheme=str(scope.get("scheme") or "http"),
        closing=closing,
    )
    if incoming and incoming.startswith("Root="):
        # A client's trace is continued (recorded: test_invocation_trace_id): whole when it names a
        # parent, else its root with a parent of the gateway's own.
        exchange.trace_id = incoming if ";Parent=" in incoming else f"{incoming};Parent={ids.parent_id()}"
    return exchange


async def _send(send: Send, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
    raw = [(name.encode("latin-1"), value.encode("latin-1", errors="replace")) for name, value in headers]
    raw.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})
