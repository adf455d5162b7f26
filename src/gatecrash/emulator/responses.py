"""Gateway responses: the answers API Gateway gives when it, not the integration, decides.

Defaults from AWS docs "Gateway response types for API Gateway" and LocalStack's
GetGatewayResponses snapshot recorded against AWS (apigw-reference.md, "Gateway response types").
Every default body is the template `{"message":$context.error.messageString}`. Some message
strings start with a space: integration errors (`{"message": "Internal server error"}`, 36 bytes,
LocalStack recording) and validation errors (`{"message": "Invalid request body"}`, 35 bytes, real
capture; `{"message": "Missing required request parameters: [key]"}`, pulumi-awsx test against
AWS); others do not (`{"message":"Unauthorized"}`, 26 bytes; `{"message":"Forbidden"}`, 23 bytes).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from gatecrash.emulator.model import GatewayResponse


@dataclass(frozen=True, slots=True)
class ResponseType:
    name: str
    status: int
    message: str | None
    error_type: str
    spaced: bool = False
    # Real ACCESS_DENIED answers use the key `Message` (captures in apigw-reference.md), although
    # GetGatewayResponses reports the lower-case template.
    message_key: str = "message"


_TYPES = (
    ResponseType(
        "MISSING_AUTHENTICATION_TOKEN",
        403,
        "Missing Authentication Token",
        "MissingAuthenticationTokenException",
    ),
    ResponseType("INVALID_API_KEY", 403, "Forbidden", "ForbiddenException"),
    ResponseType("INVALID_SIGNATURE", 403, None, "InvalidSignatureException"),
    ResponseType(
        "EXPIRED_TOKEN", 403, "The security token included in the request is expired", "ExpiredTokenException"
    ),
    ResponseType(
        "ACCESS_DENIED",
        403,
        "User is not authorized to access this resource",
        "AccessDeniedException",
        message_key="Message",
    ),
    ResponseType("UNAUTHORIZED", 401, "Unauthorized", "UnauthorizedException"),
    ResponseType("AUTHORIZER_CONFIGURATION_ERROR", 500, None, "AuthorizerConfigurationException"),
    ResponseType("AUTHORIZER_FAILURE", 500, None, "AuthorizerFailureException"),
    ResponseType("BAD_REQUEST_PARAMETERS", 400, None, "BadRequestException", spaced=True),
    ResponseType("BAD_REQUEST_BODY", 400, "Invalid request body", "BadRequestException", spaced=True),
    ResponseType("THROTTLED", 429, "Too Many Requests", "TooManyRequestsException"),
    ResponseType("QUOTA_EXCEEDED", 429, "Limit Exceeded", "LimitExceededException"),
    ResponseType("REQUEST_TOO_LARGE", 413, "Request Too Long", "BadRequestException", spaced=True),
    ResponseType("UNSUPPORTED_MEDIA_TYPE", 415, "Unsupported Media Type", "BadRequestException"),
    # Documented but never seen answered; the emulator does not emit it.
    ResponseType("RESOURCE_NOT_FOUND", 404, None, "NotFoundException"),
    ResponseType("INTEGRATION_TIMEOUT", 504, "Endpoint request timed out", "InternalServerErrorException", spaced=True),
    ResponseType("INTEGRATION_FAILURE", 504, "Internal server error", "InternalServerErrorException", spaced=True),
    ResponseType("API_CONFIGURATION_ERROR", 500, "Internal server error", "InternalServerErrorException", spaced=True),
    ResponseType("WAF_FILTERED", 403, "Forbidden", "ForbiddenException"),
    # Answers AWS logs as DEFAULT_4XX (azul#7470: a 403 IncompleteSignatureException) have no fixed
    # status, message or error type: whoever raises one gives all three on the GatewayError.
    ResponseType("DEFAULT_4XX", 403, None, "BadRequestException"),
)

RESPONSE_TYPES: Mapping[str, ResponseType] = {t.name: t for t in _TYPES}


@dataclass(frozen=True, slots=True)
class GatewayError:
    """Why the gateway answered itself: the response type and the message for this request."""

    response_type: str
    message: str | None = None
    # The integration's status, kept by INTEGRATION_FAILURE unless its statusCode is customised
    # (azul#7470, #6624: 502 for a function error, 500 for a rejected invoke).
    status_override: int | None = None
    validation_error: str | None = None
    # Where one response type answers with more than one x-amzn-ErrorType or body key (SigV4
    # failures: apigw-reference.md, "Gateway response types"); None keeps the type's own.
    error_type: str | None = None
    message_key: str | None = None

    @property
    def type(self) -> ResponseType:
        return RESPONSE_TYPES[self.response_type]

    @property
    def effective_message(self) -> str | None:
        return self.message if self.message is not None else self.type.message

    def message_string(self) -> str:
        """`$context.error.messageString`: the message quoted, with a leading space for some types."""
        message = self.effective_message
        if message is None:
            return "null"
        quoted = json.dumps(message, ensure_ascii=False)
        return f" {quoted}" if self.type.spaced else quoted


@dataclass(frozen=True, slots=True)
class RenderedResponse:
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes


# `$context.error.message`, `${context.requestId}`, `$stageVariables.name` ...
_REFERENCE = re.compile(
    r"\$\{(?P<braced_scope>context|stageVariables)(?P<braced>(?:\.[A-Za-z0-9_]+)+)\}"
    r"|\$(?P<scope>context|stageVariables)(?P<name>(?:\.[A-Za-z0-9_]+)+)"
)
Lookup = Callable[[str], str | None]


def substitute(template: str, context: Lookup, stage_variables: Mapping[str, str]) -> str:
    """Fill `$context.*` and `$stageVariables.*` references, the part of VTL gateway responses use."""

    def replace(match: re.Match[str]) -> str:
        scope = match.group("braced_scope") or match.group("scope")
        dotted = (match.group("braced") or match.group("name"))[1:]
        value = context(dotted) if scope == "context" else stage_variables.get(dotted)
        return "" if value is None else value

    return _REFERENCE.sub(replace, template)


def _customisation(response_type: ResponseType, customised: Mapping[str, GatewayResponse]) -> GatewayResponse | None:
    if response_type.name in customised:
        return customised[response_type.name]
    # Customising DEFAULT_4XX / DEFAULT_5XX changes every response of that class not customised
    # itself (AWS docs, "Gateway response types").
    fallback = "DEFAULT_4XX" if response_type.status < 500 else "DEFAULT_5XX"
    return customised.get(fallback)


def _header_value(expression: str, request_value: Callable[[str], str | None]) -> str | None:
    # Gateway response header values are 'literals' or method.request.*, stageVariables.*, context.*.
    if len(expression) >= 2 and expression.startswith("'") and expression.endswith("'"):
        return expression[1:-1]
    return request_value(expression)


def render(
    error: GatewayError,
    customised: Mapping[str, GatewayResponse],
    context: Lookup,
    stage_variables: Mapping[str, str],
    request_value: Callable[[str], str | None],
) -> RenderedResponse:
    """The status, headers (without the per-request id headers) and body AWS sends for `error`."""
    response_type = error.type
    custom = _customisation(response_type, customised)
    status = error.status_override or response_type.status
    headers: list[tuple[str, str]] = []
    template = None
    content_type = "application/json"
    if custom is not None:
        if custom.status_code is not None and custom.response_type == response_type.name:
            status = custom.status_code
        for name, expression in custom.response_parameters.items():
            if name.startswith("gatewayresponse.header."):
                value = _header_value(expression, request_value)
                if value is not None:
                    headers.append((name.removeprefix("gatewayresponse.header."), value))
        if custom.response_templates:
            content_type = (
                "application/json"
                if "application/json" in custom.response_templates
                else next(iter(custom.response_templates))
            )
            template = custom.response_templates[content_type]
    if template is None:
        body = "{" + json.dumps(error.message_key or response_type.message_key) + ":" + error.message_string() + "}"
    else:
        body = substitute(template, context, stage_variables)
    headers.insert(0, ("Content-Type", content_type))
    headers.append(("x-amzn-ErrorType", error.error_type or response_type.error_type))
    return RenderedResponse(status=status, headers=tuple(headers), body=body.encode("utf-8"))
