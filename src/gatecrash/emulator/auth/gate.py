"""The authorization step of the pipeline: AWS_IAM, a Lambda authorizer, or a Cognito user pool.

It records on the exchange what API Gateway records (`$context.identity.*`, `$context.authorizer.*`,
execution log lines) and returns the gateway error AWS answers with, or None to go on.

Execution log lines (apigw-reference.md, "Execution logs"; real logs in chalice#670, #971,
sbarski/serverless-architectures-aws#11, localstack#10636, ExpanseLLC/lambda_authorizer#1):
`Extended Request Id` first, then for a Lambda authorizer `Starting authorizer: <id> for request:
<id>`, `Incoming identity: <masked>`, the endpoint request lines, `Sending request to <uri>`,
`Authorizer result body before parsing: <body>`, `Using valid authorizer policy for principal:
<masked>`, `Successfully completed authorizer execution`; a policy that does not allow the method
adds `The client is not authorized to perform this operation.`; a configuration error ends
`Execution failed due to configuration error: <reason>`, `AuthorizerConfigurationException`; a 401
ends `Unauthorized request: <id>`. None of these requests writes `Method completed` (the recorded
failures end on the lines above). AWS_IAM failures write no execution line at all (none was ever
found; the access log is the evidence), so `Extended Request Id` follows a successful check.
Unverified and chosen here: a cache hit writes only the two policy lines; a missing identity and a
Cognito refusal write `Unauthorized request: <id>`; a Cognito success writes nothing of its own.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from gatecrash.emulator import ids
from gatecrash.emulator.auth import cognito
from gatecrash.emulator.auth.authorizers import (
    UNAUTHORIZED,
    AuthorizerResult,
    ConfigurationError,
    RequestView,
    identity,
    is_unauthorized,
    parse_result,
    request_event,
    token_event,
)
from gatecrash.emulator.auth.cache import TtlCache
from gatecrash.emulator.auth.config import AuthorizerConfig, AuthorizerKind, load_authorizers
from gatecrash.emulator.auth.iam import Decision, allow_deny_policy, method_arn
from gatecrash.emulator.auth.sigv4 import IncomingRequest, authenticate
from gatecrash.emulator.exchange import Exchange
from gatecrash.emulator.execlog import SECRET_HEADERS, java_map, mask
from gatecrash.emulator.lambdas import Invocation, LambdaRuntime, Outcome, function_arn_from_uri, function_name_from_uri
from gatecrash.emulator.model import Api, AuthorizationType, StageConfig
from gatecrash.emulator.responses import GatewayError

Clock = Callable[[], float]
_STAGE_VARIABLE = re.compile(r"\$\{stageVariables\.([A-Za-z0-9_.:-]+)\}")
_EXPLICIT_DENY = "User is not authorized to access this resource with an explicit deny"
_NOT_AUTHORIZED_LINE = "The client is not authorized to perform this operation."


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


class AuthorizationGate:
    """Checks each request against its method's authorization; one per emulated stage."""

    def __init__(
        self,
        api: Api,
        stage: StageConfig,
        lambdas: LambdaRuntime,
        *,
        clock: Clock = time.time,
        monotonic: Clock = time.monotonic,
    ) -> None:
        self._stage = stage
        self._authorizers = load_authorizers(api)
        self._credentials = {credential.access_key_id: credential for credential in stage.iam_credentials}
        self._pools = {pool.id: pool for pool in stage.user_pools}
        self._lambdas = lambdas
        self._cache: TtlCache[AuthorizerResult] = TtlCache(monotonic)
        self._clock = clock

    async def check(self, exchange: Exchange) -> GatewayError | None:
        method = exchange.method
        assert method is not None
        # Headers execution logs mask (apigw-reference.md): masked wherever else they would be logged
        # too, e.g. inside a Lambda event body.
        exchange.secrets.extend(value for name, value in exchange.headers if name.lower() in SECRET_HEADERS)
        authorization = method.authorization
        if authorization.type is AuthorizationType.AWS_IAM:
            return self._iam(exchange)
        exchange.write(f"Extended Request Id: {exchange.extended_request_id}")
        config = self._authorizers.get(authorization.authorizer or "")
        if authorization.type is AuthorizationType.NONE or config is None:
            return None
        started = time.monotonic()
        try:
            if config.kind is AuthorizerKind.COGNITO_USER_POOLS:
                return self._cognito(exchange, config, authorization.scopes)
            return await self._lambda(exchange, config)
        finally:
            exchange.authorizer_latency = _ms(started)

    def _method_arn(self, exchange: Exchange) -> str:
        stage = self._stage
        return method_arn(
            stage.region, stage.account_id, stage.rest_api_id, stage.stage_name, exchange.http_method, exchange.path
        )

    # -- AWS_IAM ---------------------------------------------------------------------------------

    def _iam(self, exchange: Exchange) -> GatewayError | None:
        request = IncomingRequest(
            exchange.http_method, exchange.full_path, exchange.query, exchange.headers, exchange.body
        )
        now = datetime.fromtimestamp(self._clock(), UTC)
        outcome = authenticate(request, self._credentials, self._stage.region, now)
        if isinstance(outcome, GatewayError):
            return outcome
        credential = outcome.credential
        exchange.iam_credential = credential
        arn = self._method_arn(exchange)
        decision = allow_deny_policy(credential.allow, credential.deny).decide(arn)
        if decision is not Decision.ALLOWED:
            # KC "api-gateway-troubleshoot-403-forbidden"; real bodies (guardian/manage-frontend#483).
            explicit = " with an explicit deny" if decision is Decision.EXPLICIT_DENY else ""
            message = f"User: {credential.arn} is not authorized to perform: execute-api:Invoke on resource: {arn}"
            return GatewayError("ACCESS_DENIED", message=message + explicit)
        exchange.write(f"Extended Request Id: {exchange.extended_request_id}")
        return None

    # -- Cognito ---------------------------------------------------------------------------------

    def _cognito(self, exchange: Exchange, config: AuthorizerConfig, scopes: tuple[str, ...]) -> GatewayError | None:
        token = exchange.header(config.identity_sources[0].name)
        if token:
            exchange.secrets.append(token)  # the identity header may be other than Authorization
        pools = [self._pools[pool_id] for pool_id in config.pool_ids if pool_id in self._pools]
        verdict = cognito.verify(token, pools, scopes, self._clock())
        if isinstance(verdict, cognito.Refused):
            return self._unauthorized(exchange)
        exchange.authorizer_claims = cognito.claims_for_integration(verdict.claims)
        exchange.authorizer_status = 200
        return None

    # -- Lambda authorizers ----------------------------------------------------------------------

    def _view(self, exchange: Exchange) -> RequestView:
        assert exchange.method is not None
        stage = self._stage
        return RequestView(
            http_method=exchange.http_method,
            resource_path=exchange.method.resource_path,
            path=exchange.path,
            full_path=exchange.full_path,
            headers=exchange.headers,
            query=exchange.query,
            path_parameters=exchange.path_parameters,
            stage_variables=stage.variables,
            context=exchange.context_values(stage.rest_api_id, stage.stage_name, stage.account_id),
        )

    def _request_context(self, exchange: Exchange) -> dict[str, Any]:
        """The REQUEST event's requestContext, with the fields AWS documents for it."""
        assert exchange.method is not None
        stage = self._stage
        return {
            "path": exchange.full_path,
            "accountId": stage.account_id,
            "resourceId": ids.resource_id(exchange.method.resource_path),
            "stage": stage.stage_name,
            "requestId": exchange.request_id,
            "identity": {"apiKey": exchange.header("x-api-key"), "sourceIp": exchange.source_ip},
            "resourcePath": exchange.method.resource_path,
            "httpMethod": exchange.http_method,
            "apiId": stage.rest_api_id,
        }

    async def _lambda(self, exchange: Exchange, config: AuthorizerConfig) -> GatewayError | None:
        view = self._view(exchange)
        values = identity(config, view)
        if config.kind is AuthorizerKind.TOKEN and values:
            exchange.secrets.extend(values)
        if values is None:
            return self._unauthorized(exchange)
        arn = self._method_arn(exchange)
        key = (config.name, values)
        result = self._cache.get(key)
        if result is None:
            event = token_event(values[0], arn) if config.kind is AuthorizerKind.TOKEN else None
            if event is None:
                event = request_event(view, arn, self._request_context(exchange))
            invoked = await self._invoke(exchange, config, values, event)
            if isinstance(invoked, GatewayError):
                return invoked
            result = invoked
            self._cache.put(key, result, config.ttl_seconds)
        return self._apply(exchange, result, arn)

    async def _invoke(
        self, exchange: Exchange, config: AuthorizerConfig, values: tuple[str, ...], event: Mapping[str, Any]
    ) -> AuthorizerResult | GatewayError:
        stage = self._stage
        uri = _STAGE_VARIABLE.sub(lambda found: stage.variables.get(found.group(1), ""), config.function_uri)
        function_arn = function_arn_from_uri(uri)
        endpoint = f"https://lambda.{stage.region}.amazonaws.com/2015-03-31/functions/{function_arn}/invocations"
        exchange.write(f"Starting authorizer: {config.id} for request: {exchange.request_id}")
        exchange.write(f"Incoming identity: {mask(','.join(values))}")
        exchange.write(f"Endpoint request URI: {endpoint}")
        exchange.write_data(
            "Endpoint request headers: "
            + java_map(
                [
                    ("x-amzn-lambda-integration-tag", exchange.request_id),
                    ("X-Amz-Date", datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")),
                    ("x-amzn-apigateway-api-id", stage.rest_api_id),
                    ("Accept", "application/json"),
                    ("User-Agent", f"AmazonAPIGateway_{stage.rest_api_id}"),
                    ("Host", f"lambda.{stage.region}.amazonaws.com"),
                ]
            )
        )
        exchange.write_data(f"Endpoint request body after transformations: {exchange.redact(json.dumps(event))}")
        exchange.write(f"Sending request to {endpoint}")
        invocation = await self._lambdas.invoke(function_name_from_uri(uri) or "", function_arn, event)
        exchange.authorizer_integration_latency = invocation.latency_ms
        exchange.authorizer_integration_status = str(invocation.status)
        exchange.authorizer_request_id = invocation.request_id
        return self._outcome(exchange, invocation)

    def _outcome(self, exchange: Exchange, invocation: Invocation) -> AuthorizerResult | GatewayError:
        if invocation.outcome is Outcome.NOT_PERMITTED:
            return self._configuration_error(exchange, "Invalid permissions on Lambda function", "Authorizer error")
        if invocation.outcome in (Outcome.THROTTLED, Outcome.NOT_FOUND):
            exchange.write(
                f"Lambda invocation failed with status: {invocation.status}. Lambda request id: {invocation.request_id}"
            )
            return self._configuration_error(exchange, "Authorizer error")
        if invocation.outcome is Outcome.FUNCTION_ERROR and is_unauthorized(invocation.payload):
            return self._unauthorized(exchange)
        body = invocation.payload.decode("utf-8", errors="replace")
        exchange.write(f"Authorizer result body before parsing: {body}")
        try:
            return parse_result(invocation.payload)
        except ConfigurationError as error:
            return self._configuration_error(exchange, str(error))

    def _apply(self, exchange: Exchange, result: AuthorizerResult, arn: str) -> GatewayError | None:
        exchange.authorizer_principal_id = result.principal_id
        exchange.authorizer_context = dict(result.context)
        exchange.authorizer_usage_key = result.usage_identifier_key
        exchange.write(f"Using valid authorizer policy for principal: {mask(result.principal_id)}")
        exchange.write("Successfully completed authorizer execution")
        decision = result.policy.decide(arn)
        if decision is Decision.ALLOWED:
            exchange.authorizer_status = 200
            return None
        exchange.write(_NOT_AUTHORIZED_LINE)
        # chalice#971 (real): no matching Allow is 403 `User is not authorized to access this resource`;
        # KC: an explicit Deny adds ` with an explicit deny`.
        error = GatewayError("ACCESS_DENIED", message=_EXPLICIT_DENY if decision is Decision.EXPLICIT_DENY else None)
        exchange.authorizer_status = 403
        exchange.authorizer_error = error.effective_message
        return error

    def _unauthorized(self, exchange: Exchange) -> GatewayError:
        exchange.write(f"Unauthorized request: {exchange.request_id}")
        exchange.authorizer_status = 401
        exchange.authorizer_error = UNAUTHORIZED
        return GatewayError("UNAUTHORIZED")

    def _configuration_error(self, exchange: Exchange, *reasons: str) -> GatewayError:
        for reason in reasons:
            exchange.write(f"Execution failed due to configuration error: {reason}")
        exchange.write("AuthorizerConfigurationException")
        exchange.authorizer_status = 500
        exchange.authorizer_error = reasons[-1]
        return GatewayError("AUTHORIZER_CONFIGURATION_ERROR")
