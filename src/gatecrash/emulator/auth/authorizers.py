"""Lambda authorizers (TOKEN and REQUEST): the identity they need, the event they get, what they answer.

Pure functions; `gate.py` invokes the function and writes the log lines.

- Identity (AWS docs "Use API Gateway Lambda authorizers"): a missing or empty identity source, or a
  TOKEN not matching `identityValidationExpression` (Java `matches`: the whole token), is 401
  `Unauthorized` without invoking the function.
- Events (AWS docs "Input to an API Gateway Lambda authorizer"; aws-lambda-go testdata
  `apigw-custom-auth-request-type-request.json`): TOKEN `{type, authorizationToken, methodArn}`;
  REQUEST with the method ARN, resource, path, method, the single and multi-value header and query
  maps, path parameters, stage variables and a request context.
- Output (AWS docs "Output from an API Gateway Lambda authorizer"): `principalId`, `policyDocument`,
  optional `context` (string, number and boolean values, stringified for the integration) and
  `usageIdentifierKey`. A function error whose `errorMessage` is exactly `Unauthorized` is 401
  (auth0-samples/jwt-rsa-aws-custom-authorizer#6: any other text is 500). Anything else that is not
  such an output is a configuration error, 500 with `message: null`; the recorded log reasons are
  `Could not parse policy` (a null result, ExpanseLLC/lambda_authorizer#1) and `Invalid JSON in
  response: Unrecognized field "errorType" , not marked as ignorable` (a crashed function, whose
  Lambda error payload is parsed as the result; apigw-reference.md).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from gatecrash.emulator.auth.config import AuthorizerConfig, IdentitySource
from gatecrash.emulator.auth.iam import Policy, UnparseablePolicy, parse_policy

# The result fields API Gateway knows; `errorMessage` must be one of them, since the recorded parse
# failure of a crashed function names `errorType`, the Lambda error payload's second field.
_KNOWN_FIELDS = ("principalId", "policyDocument", "context", "usageIdentifierKey", "errorMessage")
UNAUTHORIZED = "Unauthorized"


class ConfigurationError(ValueError):
    """The authorizer's answer cannot be used: `str(error)` is the reason AWS logs after
    `Execution failed due to configuration error: `."""


@dataclass(frozen=True, slots=True)
class AuthorizerResult:
    principal_id: str
    policy: Policy
    context: Mapping[str, str] = field(default_factory=dict)
    usage_identifier_key: str | None = None


@dataclass(frozen=True, slots=True)
class RequestView:
    """The parts of a request an authorizer may read."""

    http_method: str
    resource_path: str
    path: str  # without the stage
    full_path: str
    headers: Sequence[tuple[str, str]]
    query: Sequence[tuple[str, str]]
    path_parameters: Mapping[str, str]
    stage_variables: Mapping[str, str]
    context: Mapping[str, str]  # `$context` values by name

    def value(self, source: IdentitySource) -> str | None:
        if source.location == "method.request.header.":
            wanted = source.name.lower()
            return next((value for name, value in self.headers if name.lower() == wanted), None)
        if source.location == "method.request.querystring.":
            return next((value for name, value in reversed(self.query) if name == source.name), None)
        if source.location == "stageVariables.":
            return self.stage_variables.get(source.name)
        return self.context.get(source.name)


def identity(config: AuthorizerConfig, request: RequestView) -> tuple[str, ...] | None:
    """The identity source values, or None when the request must get 401 without an invocation."""
    values = tuple(request.value(source) for source in config.identity_sources)
    present = tuple(value for value in values if value)
    if len(present) != len(values):
        return None
    if config.validation_expression is not None and config.validation_expression.fullmatch(present[0]) is None:
        return None
    return present


def token_event(token: str, method_arn: str) -> dict[str, Any]:
    return {"type": "TOKEN", "authorizationToken": token, "methodArn": method_arn}


def _single(pairs: Sequence[tuple[str, str]]) -> dict[str, str]:
    return dict(pairs)


def _multi(pairs: Sequence[tuple[str, str]]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for name, value in pairs:
        grouped.setdefault(name, []).append(value)
    return grouped


def request_event(request: RequestView, method_arn: str, request_context: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "type": "REQUEST",
        "methodArn": method_arn,
        "resource": request.resource_path,
        "path": request.path,
        "httpMethod": request.http_method,
        "headers": _single(request.headers),
        "multiValueHeaders": _multi(request.headers),
        "queryStringParameters": _single(request.query),
        "multiValueQueryStringParameters": _multi(request.query),
        "pathParameters": dict(request.path_parameters),
        "stageVariables": dict(request.stage_variables),
        "requestContext": dict(request_context),
    }


def is_unauthorized(error_payload: bytes) -> bool:
    """A function error that asks for 401: `raise Exception("Unauthorized")`."""
    try:
        document = json.loads(error_payload)
    except ValueError:
        return False
    return isinstance(document, dict) and document.get("errorMessage") == UNAUTHORIZED


def _stringified(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    # An object or array in `context` is refused (chalice#1636: 500, authorizer misconfigured); the
    # logged reason is not recorded: API Gateway's generic authorizer configuration error is used.
    raise ConfigurationError("Authorizer error")


def parse_result(payload: bytes) -> AuthorizerResult:
    """The authorizer's answer, or `ConfigurationError` with the reason AWS logs."""
    try:
        document = json.loads(payload)
    except ValueError:
        raise ConfigurationError("Could not parse policy") from None
    if not isinstance(document, dict):
        raise ConfigurationError("Could not parse policy")
    for name in document:
        if name not in _KNOWN_FIELDS:
            raise ConfigurationError(f'Invalid JSON in response: Unrecognized field "{name}" , not marked as ignorable')
    try:
        policy = parse_policy(document.get("policyDocument"))
    except UnparseablePolicy:
        raise ConfigurationError("Could not parse policy") from None
    context = document.get("context") or {}
    if not isinstance(context, dict):
        raise ConfigurationError("Authorizer error")
    usage_key = document.get("usageIdentifierKey")
    return AuthorizerResult(
        principal_id=str(document.get("principalId") or ""),
        policy=policy,
        context={str(name): _stringified(value) for name, value in context.items()},
        usage_identifier_key=usage_key if isinstance(usage_key, str) else None,
    )
