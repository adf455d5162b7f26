"""The emulator's domain: an API definition and its stage settings, as frozen values.

`definition.load_definition` builds an `Api` from an OpenAPI/Swagger document with the
`x-amazon-apigateway-*` extensions; `sidefile.load_side_file` builds a `StageConfig` from
what AWS keeps outside that document. Field names follow AWS's own where AWS has one.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from gatecrash.errors import Problem

JsonSchema = Mapping[str, Any]


class IntegrationType(enum.StrEnum):
    AWS_PROXY = "AWS_PROXY"
    AWS = "AWS"
    HTTP_PROXY = "HTTP_PROXY"
    HTTP = "HTTP"
    MOCK = "MOCK"


class ParameterLocation(enum.StrEnum):
    """Where a method request parameter lives, named as in `method.request.<location>.<name>`."""

    PATH = "path"
    QUERYSTRING = "querystring"
    HEADER = "header"


class AuthorizationType(enum.StrEnum):
    NONE = "NONE"
    AWS_IAM = "AWS_IAM"
    CUSTOM = "CUSTOM"
    COGNITO_USER_POOLS = "COGNITO_USER_POOLS"


class QuotaPeriod(enum.StrEnum):
    DAY = "DAY"
    WEEK = "WEEK"
    MONTH = "MONTH"


class LoggingLevel(enum.StrEnum):
    OFF = "OFF"
    ERROR = "ERROR"
    INFO = "INFO"


@dataclass(frozen=True, slots=True)
class Parameter:
    name: str
    location: ParameterLocation
    required: bool


@dataclass(frozen=True, slots=True)
class RequestValidator:
    name: str
    validate_request_body: bool
    validate_request_parameters: bool


@dataclass(frozen=True, slots=True)
class IntegrationResponse:
    """One entry of `x-amazon-apigateway-integration.responses`, keyed by its selection pattern."""

    selection_pattern: str
    status_code: str
    response_parameters: Mapping[str, str] = field(default_factory=dict)
    response_templates: Mapping[str, str] = field(default_factory=dict)
    content_handling: str | None = None


@dataclass(frozen=True, slots=True)
class Integration:
    type: IntegrationType
    uri: str = ""
    http_method: str | None = None
    timeout_in_millis: int = 29_000
    passthrough_behavior: str = "WHEN_NO_MATCH"
    request_templates: Mapping[str, str] = field(default_factory=dict)
    request_parameters: Mapping[str, str] = field(default_factory=dict)
    responses: tuple[IntegrationResponse, ...] = ()
    credentials: str | None = None
    content_handling: str | None = None


@dataclass(frozen=True, slots=True)
class Authorization:
    type: AuthorizationType = AuthorizationType.NONE
    authorizer: str | None = None
    scopes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Method:
    """One operation: a resource path and an HTTP method (`ANY` for x-amazon-apigateway-any-method)."""

    resource_path: str
    http_method: str
    pointer: str
    operation_name: str | None = None
    api_key_required: bool = False
    authorization: Authorization = Authorization()
    parameters: tuple[Parameter, ...] = ()
    request_models: Mapping[str, JsonSchema] = field(default_factory=dict)
    validator: RequestValidator | None = None
    integration: Integration | None = None
    response_status_codes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class GatewayResponse:
    """A customised entry of `x-amazon-apigateway-gateway-responses`."""

    response_type: str
    status_code: int | None = None
    response_parameters: Mapping[str, str] = field(default_factory=dict)
    response_templates: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Api:
    source: str
    title: str
    methods: tuple[Method, ...]
    api_key_source: str = "HEADER"
    gateway_responses: Mapping[str, GatewayResponse] = field(default_factory=dict)
    binary_media_types: tuple[str, ...] = ()
    authorizers: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    # What a lenient import passed over (definition.py): AWS's import-rest-api warnings.
    warnings: tuple[Problem, ...] = ()


@dataclass(frozen=True, slots=True)
class ThrottleLimit:
    """A token bucket: `rate_limit` tokens per second, `burst_limit` tokens of capacity."""

    rate_limit: float
    burst_limit: int


@dataclass(frozen=True, slots=True)
class MethodSetting:
    throttle: ThrottleLimit | None = None
    logging_level: LoggingLevel = LoggingLevel.INFO
    data_trace_enabled: bool = True


@dataclass(frozen=True, slots=True)
class Quota:
    limit: int
    period: QuotaPeriod
    offset: int = 0


@dataclass(frozen=True, slots=True)
class UsagePlan:
    id: str
    name: str
    throttle: ThrottleLimit | None = None
    quota: Quota | None = None
    # Per-method limits of this plan on this API's stage, keyed (resourcePath, HTTP method).
    method_throttles: Mapping[tuple[str, str], ThrottleLimit] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ApiKey:
    id: str
    name: str
    value: str
    enabled: bool = True
    usage_plan_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class LambdaFunction:
    """A local Python callable standing in for a Lambda function."""

    name: str
    handler: str
    timeout_seconds: float = 3.0
    gateway_may_invoke: bool = True
    reserved_concurrency: int | None = None


@dataclass(frozen=True, slots=True)
class IamCredential:
    """An access key the emulator accepts on AWS_IAM methods, with what its principal may invoke.

    Local only: the emulator must hold the secret to recompute a SigV4 signature. Field names follow
    `aws sts get-caller-identity` (`Arn`, `UserId`) and `assume-role` credentials (`SessionToken`).
    """

    access_key_id: str
    secret_access_key: str
    arn: str
    # The principal id: AIDA... for an IAM user, AROA...:<session> for an assumed role.
    user_id: str
    account: str
    session_token: str | None = None
    expiration: float | None = None  # epoch seconds; temporary credentials only
    # execute-api:Invoke resource ARNs (IAM wildcards) allowed, and explicitly denied.
    allow: tuple[str, ...] = ()
    deny: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class UserPool:
    """A local Cognito user pool: its id, its app clients and the seed of its RS256 signing key."""

    id: str
    client_ids: tuple[str, ...]
    signing_key_seed: str

    @property
    def region(self) -> str:
        # Pool ids are `<region>_<suffix>` (us-east-1_AbCd1234).
        return self.id.split("_", 1)[0]

    @property
    def issuer(self) -> str:
        return f"https://cognito-idp.{self.region}.amazonaws.com/{self.id}"


@dataclass(frozen=True, slots=True)
class AccessLogSettings:
    log_group: str
    format: str | None = None


DEFAULT_ACCOUNT_THROTTLE = ThrottleLimit(rate_limit=10_000.0, burst_limit=5_000)
STAGE_DEFAULT_METHOD = ("*", "*")


@dataclass(frozen=True, slots=True)
class StageConfig:
    """What AWS keeps outside the definition, plus what only the emulator needs."""

    rest_api_id: str = "gatecrash0"
    stage_name: str = "local"
    region: str = "us-east-1"
    account_id: str = "123456789012"
    variables: Mapping[str, str] = field(default_factory=dict)
    # Keyed (resourcePath, HTTP method); ("*", "*") is the stage default.
    method_settings: Mapping[tuple[str, str], MethodSetting] = field(default_factory=dict)
    access_log: AccessLogSettings | None = None
    account_throttle: ThrottleLimit = DEFAULT_ACCOUNT_THROTTLE
    usage_plans: tuple[UsagePlan, ...] = ()
    api_keys: tuple[ApiKey, ...] = ()
    functions: Mapping[str, LambdaFunction] = field(default_factory=dict)
    # Folders added to the import path so that `module:callable` handlers resolve.
    handler_paths: tuple[str, ...] = ()
    iam_credentials: tuple[IamCredential, ...] = ()
    user_pools: tuple[UserPool, ...] = ()
    # Local only: an HTTP integration to a key's origin is sent to the value's origin instead (the
    # logs keep the definition's URI, as AWS would write it). Values may name stage variables.
    endpoint_overrides: Mapping[str, str] = field(default_factory=dict)

    @property
    def execution_log_group(self) -> str:
        return f"API-Gateway-Execution-Logs_{self.rest_api_id}/{self.stage_name}"

    def access_log_group(self) -> str:
        if self.access_log is not None:
            return self.access_log.log_group
        return f"API-Gateway-Access-Logs_{self.rest_api_id}/{self.stage_name}"

    def method_setting(self, resource_path: str, http_method: str) -> MethodSetting:
        specific = self.method_settings.get((resource_path, http_method))
        if specific is not None:
            return specific
        return self.method_settings.get(STAGE_DEFAULT_METHOD, MethodSetting())
