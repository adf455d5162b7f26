"""Load the emulator side file: what AWS keeps outside the API definition.

The file is YAML and uses AWS's own field names, so the output of `aws apigateway get-stage`,
`get-usage-plans`, `get-api-keys --include-values` and `get-account` can be pasted in (the
`{items: [...]}` wrapper of the list commands may be kept). Fields AWS prints that the emulator
does not use (`deploymentId`, `createdDate`, `cacheClusterEnabled`...) are accepted and ignored;
any other key is a Problem. Every section is optional: `StageConfig()` is the configuration
without a side file.

```yaml
restApiId: a1b2c3d4e5          # optional, default "gatecrash0"
region: us-east-1               # optional
accountId: "123456789012"       # optional
account:                        # as `aws apigateway get-account` prints it
  throttleSettings: {rateLimit: 10000, burstLimit: 5000}
stage:                          # as `aws apigateway get-stage` prints it
  stageName: demo
  variables: {backend: "127.0.0.1:8080"}
  methodSettings:               # "resourcePath/httpMethod"; "*/*" is the stage default;
                                # "~1pets~1{id}/GET" (AWS's escaping) or "/pets/{id}/GET"
    "*/*": {throttlingRateLimit: 100, throttlingBurstLimit: 200, loggingLevel: INFO, dataTraceEnabled: true}
    "~1pets/GET": {throttlingRateLimit: 5, throttlingBurstLimit: 10}
  accessLogSettings:            # destinationArn may also be a bare log group name
    destinationArn: "arn:aws:logs:us-east-1:123456789012:log-group:my-access-logs"
    format: '{"requestId":"$context.requestId"}'
usagePlans:                     # as `aws apigateway get-usage-plans` prints items
  - id: plan1
    name: basic
    throttle: {rateLimit: 5, burstLimit: 10}
    quota: {limit: 200, period: DAY, offset: 0}
    apiStages:
      - apiId: a1b2c3d4e5
        stage: demo
        throttle: {"/pets/GET": {rateLimit: 1, burstLimit: 2}}
apiKeys:                        # as `aws apigateway get-api-keys --include-values` prints items
  - id: key1
    name: demo-key
    enabled: true
    value: "local-demo-key-0123456789"          # inline: for local-only demo keys
    # or valueFrom: {env: MY_KEY}               # by reference: read from the environment
usagePlanKeys:                  # as create-usage-plan-key takes them
  - {usagePlanId: plan1, keyId: key1}
functions:                      # emulator-only: local handlers standing in for Lambda functions
  demo-fast: {handler: "handlers:fast", timeout: 3, invokePermission: true, reservedConcurrency: 10}
iamCredentials:                 # emulator-only: who may sign AWS_IAM requests (LOCAL credentials only)
  - accessKeyId: AKIAEXAMPLELOCAL0001
    secretAccessKey: local-only-secret-0123456789   # inline: local-only; or secretAccessKeyFrom: {env: NAME}
    arn: arn:aws:iam::123456789012:user/caller      # as `aws sts get-caller-identity` prints Arn
    userId: AIDAEXAMPLELOCAL00001                   # optional: its UserId (default derived from arn)
    allow: ["arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/demo/GET/*"]   # execute-api:Invoke
    deny: []
  - accessKeyId: ASIAEXAMPLELOCAL0001               # temporary credentials: sessionToken (or sessionTokenFrom)
    secretAccessKey: local-only-secret-abcdefghij
    sessionToken: local-only-session-token
    expiration: "2099-01-01T00:00:00Z"
    arn: arn:aws:sts::123456789012:assumed-role/probe/session1
    allow: ["*"]
userPools:                      # emulator-only: local Cognito user pools whose tokens the emulator verifies
  - id: us-east-1_Local0001
    clientIds: [localappclient0001]
    signingKeySeed: local-pool-seed   # optional (default: the pool id); or signingKeySeedFrom: {env: NAME}
endpointOverrides:              # emulator-only: HTTP integrations to this origin go to a local stand-in
  "https://api.example.com": "http://${stageVariables.backend}"   # or a fixed http://127.0.0.1:PORT
```

Rules where AWS leaves a choice to the tool:

- A method setting inherits every field it does not give from `"*/*"`: throttling, logging
  level and data trace (AWS copies the stage settings into a new override the same way). A
  throttling field missing from both is taken from the account throttle, so
  `{throttlingRateLimit: 5}` alone means rate 5 with the account's burst. An entry (or `"*/*"`)
  with neither throttling field, and nothing to inherit, has no stage throttle: only the
  account limit applies. Without a side file value, `loggingLevel` is INFO and
  `dataTraceEnabled` true, so the emulator logs everything by default.
- `account.throttleSettings` may give one field; the other keeps AWS's default (10000 / 5000).
  A usage plan's `throttle` and its per-method throttles need both `rateLimit` and `burstLimit`.
- A usage plan is kept only if one of its `apiStages` names this API (`apiId` equal to
  `restApiId`, or omitted) and this stage; a plan without `apiStages` belongs to no stage and is
  dropped. Its per-method throttles come from the matching `apiStages` entries.
- `ApiKey.usage_plan_ids` lists only the kept plans; a `usagePlanKeys` entry naming a plan of
  another stage is valid but has no effect here.
- `handler_paths` is the folder of the side file, so `handlers:fast` means `handlers.py` there.
- `iamCredentials` and `userPools` describe LOCAL principals and pools only: the emulator needs the
  secret access key to recompute a SigV4 signature, and derives a pool's RSA signing key from its
  seed (`auth/cognito.py`). Never put real credentials here; `...From: {env: NAME}` keeps a value out
  of the file. A credential without `userId` gets one derived from its ARN (`AIDA...` for users,
  `AROA...:<session>` for assumed roles), not AWS's.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from gatecrash._yamlpos import (
    ROOT,
    JsonPath,
    LineIndex,
    ProblemLog,
    choice_hint,
    describe_type,
    format_pointer,
    read_document,
)
from gatecrash.emulator.model import (
    STAGE_DEFAULT_METHOD,
    AccessLogSettings,
    ApiKey,
    IamCredential,
    LambdaFunction,
    LoggingLevel,
    MethodSetting,
    Quota,
    QuotaPeriod,
    StageConfig,
    ThrottleLimit,
    UsagePlan,
    UserPool,
)
from gatecrash.errors import SideFileError

__all__ = ["load_side_file", "parse_side_file"]

_DEFAULTS = StageConfig()

_TOP_KEYS = (
    "restApiId",
    "region",
    "accountId",
    "account",
    "stage",
    "usagePlans",
    "apiKeys",
    "usagePlanKeys",
    "functions",
    "iamCredentials",
    "userPools",
    "endpointOverrides",
)
_ACCOUNT_KEYS = ("throttleSettings", "cloudwatchRoleArn", "features", "apiKeyVersion")
_THROTTLE_KEYS = ("rateLimit", "burstLimit")
_STAGE_KEYS = (
    "stageName",
    "variables",
    "methodSettings",
    "accessLogSettings",
    # Printed by get-stage, not used by the emulator.
    "deploymentId",
    "clientCertificateId",
    "description",
    "cacheClusterEnabled",
    "cacheClusterSize",
    "cacheClusterStatus",
    "documentationVersion",
    "canarySettings",
    "tracingEnabled",
    "webAclArn",
    "tags",
    "createdDate",
    "lastUpdatedDate",
)
_METHOD_SETTING_KEYS = (
    "throttlingRateLimit",
    "throttlingBurstLimit",
    "loggingLevel",
    "dataTraceEnabled",
    # Printed by get-stage, not used by the emulator.
    "metricsEnabled",
    "cachingEnabled",
    "cacheTtlInSeconds",
    "cacheDataEncrypted",
    "requireAuthorizationForCacheControl",
    "unauthorizedCacheControlHeaderStrategy",
)
_ACCESS_LOG_KEYS = ("destinationArn", "format")
_USAGE_PLAN_KEYS = ("id", "name", "description", "apiStages", "throttle", "quota", "productCode", "tags")
_API_STAGE_KEYS = ("apiId", "stage", "throttle")
_QUOTA_KEYS = ("limit", "period", "offset")
_API_KEY_KEYS = (
    "id",
    "name",
    "value",
    "valueFrom",
    "enabled",
    # Printed by get-api-keys, not used by the emulator.
    "customerId",
    "description",
    "createdDate",
    "lastUpdatedDate",
    "stageKeys",
    "tags",
)
_VALUE_FROM_KEYS = ("env",)
_USAGE_PLAN_KEY_KEYS = ("usagePlanId", "keyId", "keyType")
_FUNCTION_KEYS = ("handler", "timeout", "invokePermission", "reservedConcurrency")
_CREDENTIAL_KEYS = (
    "accessKeyId",
    "secretAccessKey",
    "secretAccessKeyFrom",
    "sessionToken",
    "sessionTokenFrom",
    "expiration",
    "arn",
    "userId",
    "allow",
    "deny",
)
_USER_POOL_KEYS = ("id", "clientIds", "signingKeySeed", "signingKeySeedFrom")
# arn:aws:iam::123456789012:user/name, arn:aws:sts::123456789012:assumed-role/role/session, ...
_PRINCIPAL_ARN = re.compile(r"arn:aws[a-z-]*:(?:iam|sts)::(?P<account>\d{12}):(?P<resource>\S+)")
_POOL_ID = re.compile(r"[a-z]{2}(?:-[a-z]+)+-\d_[0-9A-Za-z]+")
_LIST_WRAPPER_KEYS = ("items", "position")

_HTTP_METHODS = ("GET", "PUT", "POST", "DELETE", "PATCH", "HEAD", "OPTIONS", "ANY")
_LOGGING_LEVELS = tuple(level.value for level in LoggingLevel)
_QUOTA_PERIODS = tuple(period.value for period in QuotaPeriod)
# The offset is the first day of the period: none for DAY, Sunday=0..6 for WEEK, 0..27 for MONTH.
_MAX_QUOTA_OFFSET = {QuotaPeriod.DAY: 0, QuotaPeriod.WEEK: 6, QuotaPeriod.MONTH: 27}
_LAMBDA_DEFAULT_TIMEOUT = 3.0
_LAMBDA_MAX_TIMEOUT = 900.0
_IDENTIFIER = r"[A-Za-z_][A-Za-z0-9_]*"
_HANDLER = re.compile(rf"{_IDENTIFIER}(\.{_IDENTIFIER})*:{_IDENTIFIER}(\.{_IDENTIFIER})*")
_STAGE_VARIABLE_NAME = re.compile(r"[A-Za-z0-9_]+")
_ACCOUNT_ID = re.compile(r"\d{12}")


def load_side_file(path: str | Path, environ: Mapping[str, str] | None = None) -> StageConfig:
    """Read a side file (YAML); `environ` (default `os.environ`) serves `valueFrom: {env: ...}`."""
    source = str(path)
    loaded = read_document(Path(path), source, SideFileError)
    return parse_side_file(loaded.data, source, loaded.lines, environ)


def parse_side_file(
    document: Any,
    source: str,
    lines: LineIndex | None = None,
    environ: Mapping[str, str] | None = None,
) -> StageConfig:
    """Build a `StageConfig` from a parsed side file; `source` names it in every Problem."""
    log = ProblemLog(source, lines)
    if document is None:
        document = {}  # an empty file: every default
    if not isinstance(document, Mapping):
        log.add(
            ROOT,
            f"the side file must be a mapping, not {describe_type(document)}",
            hint="write sections such as `stage:` and `apiKeys:` at the top level",
        )
        log.raise_if_any(SideFileError)
    log.check_keys(document, ROOT, _TOP_KEYS)
    rest_api_id = _read_string(log, document, "restApiId", ROOT) or _DEFAULTS.rest_api_id
    account_throttle = _read_account(log, document)
    stage = _read_stage(log, document, account_throttle)
    plans = _read_usage_plans(log, document, rest_api_id, stage.name)
    kept_plan_ids = [plan.id for plan in plans if plan.applies]
    memberships = _read_usage_plan_keys(log, document, plans, _declared_key_ids(document))
    config = StageConfig(
        rest_api_id=rest_api_id,
        stage_name=stage.name,
        region=_read_string(log, document, "region", ROOT) or _DEFAULTS.region,
        account_id=_read_account_id(log, document),
        variables=stage.variables,
        method_settings=stage.method_settings,
        access_log=stage.access_log,
        account_throttle=account_throttle,
        usage_plans=tuple(plan.plan for plan in plans if plan.applies),
        api_keys=_read_api_keys(
            log, document, environ if environ is not None else os.environ, memberships, kept_plan_ids
        ),
        functions=_read_functions(log, document),
        iam_credentials=_read_credentials(log, document, environ if environ is not None else os.environ),
        user_pools=_read_user_pools(log, document, environ if environ is not None else os.environ),
        endpoint_overrides=_read_endpoint_overrides(log, document),
        handler_paths=(str(Path(source).resolve().parent),),
    )
    log.raise_if_any(SideFileError)
    return config


# --- typed field readers -------------------------------------------------------------------------


def _wrong_type(log: ProblemLog, where: JsonPath, value: Any, expected: str) -> None:
    log.add(where, f"must be {expected}, not {describe_type(value)}")


def _read_section(
    log: ProblemLog, container: Mapping[str, Any], key: str, path: JsonPath, keys: Collection[str] | None
) -> Mapping[str, Any] | None:
    """The mapping under `key` (None when absent), its keys checked against `keys` if given."""
    value = container.get(key)
    if value is None:
        return None
    return _as_mapping(log, value, (*path, key), keys)


def _as_mapping(log: ProblemLog, value: Any, where: JsonPath, keys: Collection[str] | None) -> Mapping[str, Any] | None:
    if not isinstance(value, Mapping):
        _wrong_type(log, where, value, "a mapping")
        return None
    if keys is not None:
        log.check_keys(value, where, keys)
    return value


def _read_list(log: ProblemLog, container: Mapping[str, Any], key: str) -> list[tuple[Any, JsonPath]]:
    """Entries of a top-level list, also when pasted with the CLI's `{items: [...]}` wrapper."""
    value = container.get(key)
    where: JsonPath = (key,)
    if value is None:
        return []
    if isinstance(value, Mapping) and "items" in value:
        log.check_keys(value, where, _LIST_WRAPPER_KEYS)
        value, where = value["items"], (key, "items")
    if not isinstance(value, list):
        _wrong_type(log, where, value, "a list")
        return []
    return [(item, (*where, index)) for index, item in enumerate(value)]


def _read_string(
    log: ProblemLog, container: Mapping[str, Any], key: str, path: JsonPath, *, required: bool = False
) -> str | None:
    value = container.get(key)
    if value is None:
        if required:
            log.add((*path, key), f"missing {key}", hint=f"add `{key}: ...`")
        return None
    if not isinstance(value, str) or not value:
        _wrong_type(log, (*path, key), value, "a non-empty string")
        return None
    return value


def _read_bool(log: ProblemLog, container: Mapping[str, Any], key: str, path: JsonPath) -> bool | None:
    value = container.get(key)
    if value is None or isinstance(value, bool):
        return value
    _wrong_type(log, (*path, key), value, "true or false")
    return None


def _read_count(log: ProblemLog, container: Mapping[str, Any], key: str, path: JsonPath) -> int | None:
    """A whole number of zero or more (a burst, a quota, a concurrency)."""
    value = container.get(key)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        _wrong_type(log, (*path, key), value, "a whole number")
        return None
    if value < 0:
        log.add((*path, key), f"must not be negative, not {value}", hint="use 0 or more")
        return None
    return value


def _read_rate(log: ProblemLog, container: Mapping[str, Any], key: str, path: JsonPath) -> float | None:
    """A number of zero or more (requests per second, seconds)."""
    value = container.get(key)
    if value is None:
        return None
    if not isinstance(value, int | float) or isinstance(value, bool):
        _wrong_type(log, (*path, key), value, "a number")
        return None
    if value < 0:
        log.add((*path, key), f"must not be negative, not {value}", hint="use 0 or more")
        return None
    return float(value)


def _read_choice(
    log: ProblemLog, container: Mapping[str, Any], key: str, path: JsonPath, choices: tuple[str, ...], label: str
) -> str | None:
    text = _read_string(log, container, key, path)
    if text is None:
        return None
    if text.upper() in choices:
        return text.upper()
    log.add((*path, key), f"unknown {label} '{text}'", hint=choice_hint(text, choices))
    return None


def _read_throttle(log: ProblemLog, value: Any, where: JsonPath) -> ThrottleLimit | None:
    """A usage-plan `{rateLimit, burstLimit}`; both are needed."""
    settings = _as_mapping(log, value, where, _THROTTLE_KEYS)
    if settings is None:
        return None
    rate = _read_rate(log, settings, "rateLimit", where)
    burst = _read_count(log, settings, "burstLimit", where)
    missing = [key for key in _THROTTLE_KEYS if settings.get(key) is None]
    if missing:
        log.add(
            where,
            f"throttle needs both rateLimit and burstLimit; {missing[0]} is missing",
            hint=f"add `{missing[0]}: ...`",
        )
    if rate is None or burst is None:
        return None
    return ThrottleLimit(rate_limit=rate, burst_limit=burst)


# --- top level ------------------------------------------------------------------------------------


def _read_account_id(log: ProblemLog, document: Mapping[str, Any]) -> str:
    value = document.get("accountId")
    if value is None:
        return _DEFAULTS.account_id
    # Unquoted in YAML, an account id is a number; leading zeros are then lost.
    text = f"{value:012d}" if isinstance(value, int) and not isinstance(value, bool) else value
    if isinstance(text, str) and _ACCOUNT_ID.fullmatch(text):
        return text
    log.add(("accountId",), f"accountId must be 12 digits, not {value!r}", hint='quote it: accountId: "123456789012"')
    return _DEFAULTS.account_id


def _read_account(log: ProblemLog, document: Mapping[str, Any]) -> ThrottleLimit:
    default = _DEFAULTS.account_throttle
    account = _read_section(log, document, "account", ROOT, _ACCOUNT_KEYS)
    if account is None:
        return default
    settings = _read_section(log, account, "throttleSettings", ("account",), _THROTTLE_KEYS)
    if settings is None:
        return default
    path = ("account", "throttleSettings")
    rate = _read_rate(log, settings, "rateLimit", path)
    burst = _read_count(log, settings, "burstLimit", path)
    return ThrottleLimit(
        rate_limit=rate if rate is not None else default.rate_limit,
        burst_limit=burst if burst is not None else default.burst_limit,
    )


# --- stage ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Stage:
    name: str
    variables: Mapping[str, str]
    method_settings: Mapping[tuple[str, str], MethodSetting]
    access_log: AccessLogSettings | None


def _read_stage(log: ProblemLog, document: Mapping[str, Any], account: ThrottleLimit) -> _Stage:
    stage = _read_section(log, document, "stage", ROOT, _STAGE_KEYS)
    if stage is None:
        return _Stage(_DEFAULTS.stage_name, {}, {}, None)
    path: JsonPath = ("stage",)
    return _Stage(
        name=_read_string(log, stage, "stageName", path) or _DEFAULTS.stage_name,
        variables=_read_stage_variables(log, stage, path),
        method_settings=_read_method_settings(log, stage, path, account),
        access_log=_read_access_log(log, stage, path),
    )


def _read_stage_variables(log: ProblemLog, stage: Mapping[str, Any], path: JsonPath) -> dict[str, str]:
    table = _read_section(log, stage, "variables", path, None)
    variables: dict[str, str] = {}
    for name, value in (table or {}).items():
        where = (*path, "variables", str(name))
        if not _STAGE_VARIABLE_NAME.fullmatch(str(name)):
            log.add(where, f"stage variable name '{name}' may only use letters, digits and _", hint="rename it")
        elif not isinstance(value, str):
            log.add(
                where,
                f"stage variable values are strings, not {describe_type(value)}",
                hint=f'quote it: {name}: "{value}"',
            )
        else:
            variables[str(name)] = value
    return variables


@dataclass(frozen=True, slots=True)
class _GivenSetting:
    """The fields one methodSettings entry writes; None where it leaves them to inheritance."""

    rate: float | None
    burst: int | None
    logging_level: LoggingLevel | None
    data_trace: bool | None


def _read_method_settings(
    log: ProblemLog, stage: Mapping[str, Any], path: JsonPath, account: ThrottleLimit
) -> dict[tuple[str, str], MethodSetting]:
    table = _read_section(log, stage, "methodSettings", path, None)
    given: dict[tuple[str, str], _GivenSetting] = {}
    spelled: dict[tuple[str, str], str] = {}
    for raw_key, raw_entry in (table or {}).items():
        where = (*path, "methodSettings", str(raw_key))
        key = _parse_method_key(log, str(raw_key), where, allow_stage_default=True)
        entry = _as_mapping(log, raw_entry, where, _METHOD_SETTING_KEYS)
        if key is None or entry is None:
            continue
        if key in spelled:
            log.add(where, f"'{raw_key}' names the same method as '{spelled[key]}'", hint="merge the two entries")
            continue
        spelled[key] = str(raw_key)
        given[key] = _read_given_setting(log, entry, where)
    stage_default = _resolve_setting(given.get(STAGE_DEFAULT_METHOD), None, account)
    settings = {key: _resolve_setting(entry, stage_default, account) for key, entry in given.items()}
    if STAGE_DEFAULT_METHOD in given:
        settings[STAGE_DEFAULT_METHOD] = stage_default
    return settings


def _read_given_setting(log: ProblemLog, entry: Mapping[str, Any], where: JsonPath) -> _GivenSetting:
    if entry.get("loggingLevel") is False:
        # YAML 1.1 reads an unquoted `loggingLevel: OFF` as the boolean false.
        level: str | None = LoggingLevel.OFF.value
    else:
        level = _read_choice(log, entry, "loggingLevel", where, _LOGGING_LEVELS, "logging level")
    return _GivenSetting(
        rate=_read_rate(log, entry, "throttlingRateLimit", where),
        burst=_read_count(log, entry, "throttlingBurstLimit", where),
        logging_level=LoggingLevel(level) if level is not None else None,
        data_trace=_read_bool(log, entry, "dataTraceEnabled", where),
    )


def _resolve_setting(given: _GivenSetting | None, base: MethodSetting | None, account: ThrottleLimit) -> MethodSetting:
    """Fill what an entry leaves out from `base` (the stage default), then from the account."""
    base = base or MethodSetting()
    if given is None:
        return base
    throttle = base.throttle
    if given.rate is not None or given.burst is not None:
        fallback = base.throttle or account
        throttle = ThrottleLimit(
            rate_limit=given.rate if given.rate is not None else fallback.rate_limit,
            burst_limit=given.burst if given.burst is not None else fallback.burst_limit,
        )
    return MethodSetting(
        throttle=throttle,
        logging_level=given.logging_level or base.logging_level,
        data_trace_enabled=given.data_trace if given.data_trace is not None else base.data_trace_enabled,
    )


def _parse_method_key(
    log: ProblemLog, key: str, where: JsonPath, *, allow_stage_default: bool
) -> tuple[str, str] | None:
    """`~1pets~1{id}/GET` or `/pets/{id}/GET` -> ("/pets/{id}", "GET"); `*/*` -> ("*", "*")."""
    example = '"/pets/GET" or AWS\'s "~1pets/GET"'
    if key == "*/*" and allow_stage_default:
        return STAGE_DEFAULT_METHOD
    if "/" not in key:
        log.add(where, f"'{key}' is not resourcePath/httpMethod", hint=f"write e.g. {example}")
        return None
    resource, method = key.rsplit("/", 1)
    resource = resource.replace("~1", "/")
    if "*" in resource or method == "*":
        hint = '"*/*" (every method) is the only wildcard' if allow_stage_default else "name one method"
        log.add(where, f"'{key}' is not a method of the API", hint=hint)
        return None
    if method.upper() not in _HTTP_METHODS:
        log.add(where, f"unknown HTTP method '{method}' in '{key}'", hint=choice_hint(method, _HTTP_METHODS))
        return None
    return (resource if resource.startswith("/") else f"/{resource}", method.upper())


def _read_access_log(log: ProblemLog, stage: Mapping[str, Any], path: JsonPath) -> AccessLogSettings | None:
    settings = _read_section(log, stage, "accessLogSettings", path, _ACCESS_LOG_KEYS)
    if settings is None:
        return None
    where = (*path, "accessLogSettings")
    destination = _read_string(log, settings, "destinationArn", where, required=True)
    log_format = _read_string(log, settings, "format", where)
    if log_format is not None and not re.search(r"\$context\.(requestId|extendedRequestId)\b", log_format):
        log.add(
            (*where, "format"),
            "the access log format must include $context.requestId or $context.extendedRequestId",
            hint='add e.g. "requestId":"$context.requestId" (API Gateway refuses the format otherwise)',
        )
    group = _log_group_name(log, destination, (*where, "destinationArn")) if destination else None
    return AccessLogSettings(log_group=group, format=log_format) if group else None


def _log_group_name(log: ProblemLog, destination: str, where: JsonPath) -> str | None:
    if not destination.startswith("arn:"):
        return destination
    # arn:aws:logs:<region>:<account>:log-group:<name>[:*]
    parts = destination.split(":")
    if len(parts) >= 7 and parts[2] == "logs" and parts[5] == "log-group" and parts[6]:
        return parts[6]
    log.add(
        where,
        f"'{destination}' is not a CloudWatch Logs log group ARN",
        hint="the emulator writes access logs to CloudWatch Logs: "
        "use arn:aws:logs:<region>:<account>:log-group:<name> or the bare group name",
    )
    return None


# --- usage plans and keys ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _ReadPlan:
    plan: UsagePlan
    path: JsonPath
    applies: bool  # to this API and stage

    @property
    def id(self) -> str:
        return self.plan.id


def _read_usage_plans(
    log: ProblemLog, document: Mapping[str, Any], rest_api_id: str, stage_name: str
) -> list[_ReadPlan]:
    plans: list[_ReadPlan] = []
    seen: dict[str, JsonPath] = {}
    for raw, where in _read_list(log, document, "usagePlans"):
        entry = _as_mapping(log, raw, where, _USAGE_PLAN_KEYS)
        if entry is None:
            continue
        plan = _read_usage_plan(log, entry, where, rest_api_id, stage_name)
        if plan is None:
            continue
        if _reported_twice(
            log, seen, plan.id, (*where, "id"), f"duplicate usage plan id '{plan.id}'", "give each plan its own id"
        ):
            continue
        seen[plan.id] = where
        plans.append(plan)
    return plans


def _read_usage_plan(
    log: ProblemLog, entry: Mapping[str, Any], where: JsonPath, rest_api_id: str, stage_name: str
) -> _ReadPlan | None:
    plan_id = _read_string(log, entry, "id", where, required=True)
    name = _read_string(log, entry, "name", where)
    throttle = (
        _read_throttle(log, entry["throttle"], (*where, "throttle")) if entry.get("throttle") is not None else None
    )
    quota = _read_quota(log, entry, where)
    applies, method_throttles = _read_api_stages(log, entry, where, rest_api_id, stage_name)
    if plan_id is None:
        return None
    plan = UsagePlan(
        id=plan_id, name=name or plan_id, throttle=throttle, quota=quota, method_throttles=method_throttles
    )
    return _ReadPlan(plan, where, applies)


def _read_quota(log: ProblemLog, entry: Mapping[str, Any], path: JsonPath) -> Quota | None:
    settings = _read_section(log, entry, "quota", path, _QUOTA_KEYS)
    if settings is None:
        return None
    where = (*path, "quota")
    limit = _read_count(log, settings, "limit", where)
    if settings.get("limit") is None:
        log.add((*where, "limit"), "missing limit", hint="add `limit: <requests per period>`")
    period = _read_choice(log, settings, "period", where, _QUOTA_PERIODS, "quota period")
    if settings.get("period") is None:
        log.add((*where, "period"), "missing period", hint="valid values: " + ", ".join(_QUOTA_PERIODS))
    offset = _read_count(log, settings, "offset", where) or 0
    if limit is None or period is None:
        return None
    quota_period = QuotaPeriod(period)
    if offset > _MAX_QUOTA_OFFSET[quota_period]:
        log.add(
            (*where, "offset"),
            f"offset {offset} is out of range for period {period}",
            hint=f"use 0 to {_MAX_QUOTA_OFFSET[quota_period]}",
        )
        return None
    return Quota(limit=limit, period=quota_period, offset=offset)


def _read_api_stages(
    log: ProblemLog, entry: Mapping[str, Any], path: JsonPath, rest_api_id: str, stage_name: str
) -> tuple[bool, dict[tuple[str, str], ThrottleLimit]]:
    """Whether the plan applies to this API's stage, and its per-method throttles there."""
    raw = entry.get("apiStages")
    if raw is None:
        return False, {}
    if not isinstance(raw, list):
        _wrong_type(log, (*path, "apiStages"), raw, "a list")
        return False, {}
    applies = False
    throttles: dict[tuple[str, str], ThrottleLimit] = {}
    for index, raw_stage in enumerate(raw):
        where = (*path, "apiStages", index)
        api_stage = _as_mapping(log, raw_stage, where, _API_STAGE_KEYS)
        if api_stage is None:
            continue
        api_id = _read_string(log, api_stage, "apiId", where)
        stage = _read_string(log, api_stage, "stage", where, required=True)
        method_throttles = _read_method_throttles(log, api_stage, where)
        if stage == stage_name and api_id in (None, rest_api_id):
            applies = True
            throttles.update(method_throttles)
    return applies, throttles


def _read_method_throttles(
    log: ProblemLog, api_stage: Mapping[str, Any], path: JsonPath
) -> dict[tuple[str, str], ThrottleLimit]:
    table = _read_section(log, api_stage, "throttle", path, None)
    throttles: dict[tuple[str, str], ThrottleLimit] = {}
    for raw_key, value in (table or {}).items():
        where = (*path, "throttle", str(raw_key))
        key = _parse_method_key(log, str(raw_key), where, allow_stage_default=False)
        throttle = _read_throttle(log, value, where)
        if key is not None and throttle is not None:
            throttles[key] = throttle
    return throttles


def _declared_key_ids(document: Mapping[str, Any]) -> set[str]:
    raw = document.get("apiKeys")
    if isinstance(raw, Mapping):
        raw = raw.get("items")
    if not isinstance(raw, list):
        return set()
    return {entry["id"] for entry in raw if isinstance(entry, Mapping) and isinstance(entry.get("id"), str)}


def _read_usage_plan_keys(
    log: ProblemLog, document: Mapping[str, Any], plans: list[_ReadPlan], key_ids: set[str]
) -> dict[str, list[str]]:
    """Plan ids per API key id, as declared (plans of other stages included)."""
    plan_ids = [plan.id for plan in plans]
    memberships: dict[str, list[str]] = {}
    for raw, where in _read_list(log, document, "usagePlanKeys"):
        entry = _as_mapping(log, raw, where, _USAGE_PLAN_KEY_KEYS)
        if entry is None:
            continue
        plan_id = _read_string(log, entry, "usagePlanId", where, required=True)
        key_id = _read_string(log, entry, "keyId", where, required=True)
        key_type = _read_string(log, entry, "keyType", where)
        if key_type not in (None, "API_KEY"):
            log.add((*where, "keyType"), f"unknown keyType '{key_type}'", hint="the only key type is API_KEY")
        if plan_id is not None and plan_id not in plan_ids:
            log.add(
                (*where, "usagePlanId"),
                f"no usage plan with id '{plan_id}'",
                hint=_known_hint(plan_id, plan_ids, "usagePlans"),
            )
        if key_id is not None and key_id not in key_ids:
            log.add(
                (*where, "keyId"),
                f"no API key with id '{key_id}'",
                hint=_known_hint(key_id, sorted(key_ids), "apiKeys"),
            )
        if plan_id in plan_ids and key_id in key_ids:
            memberships.setdefault(str(key_id), []).append(str(plan_id))
    return memberships


def _known_hint(word: str, known: Collection[str], section: str) -> str:
    if not known:
        return f"declare it under {section}"
    return choice_hint(word, known, f"ids declared under {section}")


def _read_api_keys(
    log: ProblemLog,
    document: Mapping[str, Any],
    environ: Mapping[str, str],
    memberships: Mapping[str, list[str]],
    kept_plan_ids: list[str],
) -> tuple[ApiKey, ...]:
    keys: list[ApiKey] = []
    ids: dict[str, JsonPath] = {}
    values: dict[str, JsonPath] = {}
    for raw, where in _read_list(log, document, "apiKeys"):
        entry = _as_mapping(log, raw, where, _API_KEY_KEYS)
        if entry is None:
            continue
        key_id = _read_string(log, entry, "id", where, required=True)
        name = _read_string(log, entry, "name", where)
        enabled = _read_bool(log, entry, "enabled", where)
        value = _read_key_value(log, entry, where, environ)
        if key_id is None or value is None:
            continue
        if _reported_twice(
            log, ids, key_id, (*where, "id"), f"duplicate API key id '{key_id}'", "give each key its own id"
        ):
            continue
        if _reported_twice(
            log,
            values,
            value,
            where,
            "two API keys have the same value",
            "API Gateway tells keys apart by value: give each its own",
        ):
            continue
        ids[key_id], values[value] = where, where
        plan_ids = tuple(plan_id for plan_id in memberships.get(key_id, []) if plan_id in kept_plan_ids)
        keys.append(
            ApiKey(id=key_id, name=name or key_id, value=value, enabled=enabled is not False, usage_plan_ids=plan_ids)
        )
    return tuple(keys)


def _read_key_value(
    log: ProblemLog, entry: Mapping[str, Any], where: JsonPath, environ: Mapping[str, str]
) -> str | None:
    has_value, has_reference = entry.get("value") is not None, entry.get("valueFrom") is not None
    if has_value and has_reference:
        log.add(where, "an API key has either value or valueFrom, not both", hint="remove one of them")
        return None
    if has_value:
        return _read_string(log, entry, "value", where)
    if not has_reference:
        log.add(
            where,
            "the API key has no value",
            hint="add `value: ...` (get-api-keys prints it with --include-values) or `valueFrom: {env: NAME}`",
        )
        return None
    reference = _read_section(log, entry, "valueFrom", where, _VALUE_FROM_KEYS)
    if reference is None:
        return None
    variable = _read_string(log, reference, "env", (*where, "valueFrom"), required=True)
    if variable is None:
        return None
    value = environ.get(variable)
    if not value:
        log.add(
            (*where, "valueFrom", "env"),
            f"environment variable {variable} is not set",
            hint=f"export {variable}=<the API key value> before starting gatecrash",
        )
        return None
    return value


# --- functions ------------------------------------------------------------------------------------


def _read_functions(log: ProblemLog, document: Mapping[str, Any]) -> dict[str, LambdaFunction]:
    table = _read_section(log, document, "functions", ROOT, None)
    functions: dict[str, LambdaFunction] = {}
    for name, raw in (table or {}).items():
        where = ("functions", str(name))
        entry = _as_mapping(log, raw, where, _FUNCTION_KEYS)
        if entry is None:
            continue
        function = _read_function(log, str(name), entry, where)
        if function is not None:
            functions[str(name)] = function
    return functions


def _read_function(log: ProblemLog, name: str, entry: Mapping[str, Any], where: JsonPath) -> LambdaFunction | None:
    handler = _read_string(log, entry, "handler", where, required=True)
    if handler is not None and not _HANDLER.fullmatch(handler):
        suggestion = ":".join(handler.rsplit(".", 1)) if "." in handler and ":" not in handler else "handlers:fast"
        log.add(
            (*where, "handler"),
            f"handler '{handler}' is not in module:callable form",
            hint=f"write e.g. {suggestion} (a callable in a module importable from the side file's folder)",
        )
        handler = None
    timeout = _read_timeout(log, entry, where)
    may_invoke = _read_bool(log, entry, "invokePermission", where)
    concurrency = _read_count(log, entry, "reservedConcurrency", where)
    if handler is None:
        return None
    return LambdaFunction(
        name=name,
        handler=handler,
        timeout_seconds=timeout,
        gateway_may_invoke=may_invoke is not False,
        reserved_concurrency=concurrency,
    )


def _read_timeout(log: ProblemLog, entry: Mapping[str, Any], where: JsonPath) -> float:
    timeout = _read_rate(log, entry, "timeout", where)
    if timeout is None:
        return _LAMBDA_DEFAULT_TIMEOUT
    if not 0 < timeout <= _LAMBDA_MAX_TIMEOUT:
        log.add(
            (*where, "timeout"),
            f"timeout must be more than 0 and at most {_LAMBDA_MAX_TIMEOUT:g} seconds, not {timeout:g}",
            hint="Lambda allows 1 to 900 seconds; its default is 3",
        )
        return _LAMBDA_DEFAULT_TIMEOUT
    return timeout


# --- IAM credentials and user pools ---------------------------------------------------------------


def _read_inline_or_env(
    log: ProblemLog,
    entry: Mapping[str, Any],
    where: JsonPath,
    environ: Mapping[str, str],
    key: str,
    *,
    required: bool,
) -> str | None:
    """`key: value` inline, or `keyFrom: {env: NAME}` read from the environment."""
    reference_key = f"{key}From"
    has_value, has_reference = entry.get(key) is not None, entry.get(reference_key) is not None
    if has_value and has_reference:
        log.add(where, f"give either {key} or {reference_key}, not both", hint="remove one of them")
        return None
    if has_value:
        return _read_string(log, entry, key, where)
    if not has_reference:
        if required:
            log.add(where, f"missing {key}", hint=f"add `{key}: ...` (local only) or `{reference_key}: {{env: NAME}}`")
        return None
    reference = _read_section(log, entry, reference_key, where, _VALUE_FROM_KEYS)
    variable = _read_string(log, reference, "env", (*where, reference_key), required=True) if reference else None
    if variable is None:
        return None
    value = environ.get(variable)
    if not value:
        log.add(
            (*where, reference_key, "env"),
            f"environment variable {variable} is not set",
            hint=f"export {variable}=... before starting gatecrash",
        )
    return value or None


def _read_resources(log: ProblemLog, entry: Mapping[str, Any], key: str, where: JsonPath) -> tuple[str, ...]:
    value = entry.get(key)
    if value is None:
        return ()
    if not isinstance(value, list):
        _wrong_type(log, (*where, key), value, "a list of execute-api resource ARNs")
        return ()
    resources: list[str] = []
    for index, item in enumerate(value):
        if isinstance(item, str) and (item == "*" or item.startswith("arn:aws:execute-api:")):
            resources.append(item)
        else:
            log.add(
                (*where, key, index),
                f"{item!r} is not an execute-api resource ARN",
                hint="arn:aws:execute-api:<region>:<account>:<api-id>/<stage>/<METHOD>/<path>, with * wildcards",
            )
    return tuple(resources)


def _read_expiration(log: ProblemLog, entry: Mapping[str, Any], where: JsonPath) -> float | None:
    value = entry.get("expiration")
    if value is None:
        return None
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            log.add(
                (*where, "expiration"),
                f"expiration {value!r} is not a date and time",
                hint='e.g. "2030-01-01T00:00:00Z"',
            )
            return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def _derived_user_id(arn: str) -> str:
    """A stable stand-in for the principal id AWS would assign (it cannot be known locally)."""
    digest = base64.b32encode(hashlib.sha256(arn.encode("utf-8")).digest()).decode("ascii")[:17]
    if ":assumed-role/" in arn:
        return f"AROA{digest}:{arn.rsplit('/', 1)[-1]}"
    return f"AIDA{digest}"


def _read_credentials(
    log: ProblemLog, document: Mapping[str, Any], environ: Mapping[str, str]
) -> tuple[IamCredential, ...]:
    credentials: list[IamCredential] = []
    seen: dict[str, JsonPath] = {}
    for raw, where in _read_list(log, document, "iamCredentials"):
        entry = _as_mapping(log, raw, where, _CREDENTIAL_KEYS)
        if entry is None:
            continue
        key_id = _read_string(log, entry, "accessKeyId", where, required=True)
        credential = _read_credential(log, entry, where, environ, key_id)
        if key_id is None:
            continue
        if _reported_twice(
            log,
            seen,
            key_id,
            (*where, "accessKeyId"),
            f"duplicate accessKeyId '{key_id}'",
            "give each credential its own access key id",
        ):
            continue
        seen[key_id] = where
        if credential is not None:
            credentials.append(credential)
    return tuple(credentials)


def _read_credential(
    log: ProblemLog, entry: Mapping[str, Any], where: JsonPath, environ: Mapping[str, str], key_id: str | None
) -> IamCredential | None:
    """The other fields of a credential, each checked; None when one of them is unusable."""
    secret = _read_inline_or_env(log, entry, where, environ, "secretAccessKey", required=True)
    token = _read_inline_or_env(log, entry, where, environ, "sessionToken", required=False)
    arn = _read_string(log, entry, "arn", where, required=True)
    principal = _PRINCIPAL_ARN.fullmatch(arn) if arn else None
    if arn and principal is None:
        log.add(
            (*where, "arn"),
            f"'{arn}' is not an IAM principal ARN",
            hint="as `aws sts get-caller-identity` prints it, e.g. arn:aws:iam::123456789012:user/name",
        )
    user_id = _read_string(log, entry, "userId", where)
    expiration = _read_expiration(log, entry, where)
    allow, deny = _read_resources(log, entry, "allow", where), _read_resources(log, entry, "deny", where)
    if key_id is None or secret is None or arn is None or principal is None:
        return None
    return IamCredential(
        access_key_id=key_id,
        secret_access_key=secret,
        arn=arn,
        user_id=user_id or _derived_user_id(arn),
        account=principal.group("account"),
        session_token=token,
        expiration=expiration,
        allow=allow,
        deny=deny,
    )


def _read_client_ids(log: ProblemLog, entry: Mapping[str, Any], where: JsonPath) -> tuple[str, ...]:
    value = entry.get("clientIds")
    if value is None:
        log.add(where, "missing clientIds", hint="list the pool's app client ids, e.g. clientIds: [abc123]")
        return ()
    if not isinstance(value, list) or not value or not all(isinstance(item, str) and item for item in value):
        _wrong_type(log, (*where, "clientIds"), value, "a non-empty list of app client ids")
        return ()
    return tuple(value)


def _read_user_pools(log: ProblemLog, document: Mapping[str, Any], environ: Mapping[str, str]) -> tuple[UserPool, ...]:
    pools: list[UserPool] = []
    seen: dict[str, JsonPath] = {}
    for raw, where in _read_list(log, document, "userPools"):
        entry = _as_mapping(log, raw, where, _USER_POOL_KEYS)
        if entry is None:
            continue
        pool_id = _read_string(log, entry, "id", where, required=True)
        if pool_id is not None and not _POOL_ID.fullmatch(pool_id):
            log.add((*where, "id"), f"'{pool_id}' is not a user pool id", hint="<region>_<id>, e.g. us-east-1_AbCd1234")
            pool_id = None
        client_ids = _read_client_ids(log, entry, where)
        seed = _read_inline_or_env(log, entry, where, environ, "signingKeySeed", required=False)
        if pool_id is not None and _reported_twice(
            log, seen, pool_id, (*where, "id"), f"duplicate user pool id '{pool_id}'", "give each pool its own id"
        ):
            continue
        if pool_id is None or not client_ids:
            continue
        seen[pool_id] = where
        pools.append(UserPool(id=pool_id, client_ids=client_ids, signing_key_seed=seed or pool_id))
    return tuple(pools)


_ORIGIN = re.compile(r"https?://[^/?#\s]+")


def _read_endpoint_overrides(log: ProblemLog, document: Mapping[str, Any]) -> dict[str, str]:
    """Origin -> origin: where HTTP integrations to that origin are sent instead (local only)."""
    table = _read_section(log, document, "endpointOverrides", ROOT, None)
    overrides: dict[str, str] = {}
    for origin, raw in (table or {}).items():
        where = ("endpointOverrides", str(origin))
        if not _ORIGIN.fullmatch(str(origin)):
            log.add(
                where,
                f"'{origin}' is not an origin",
                hint="write scheme and host only, e.g. https://api.example.com (no path)",
            )
            continue
        if not isinstance(raw, str) or not (_ORIGIN.fullmatch(raw) or raw.startswith("http://${stageVariables.")):
            log.add(
                where,
                f"must be an origin such as http://127.0.0.1:8081, not {raw!r}",
                hint="or http://${stageVariables.NAME} for a backend the scenario serves",
            )
            continue
        overrides[str(origin).rstrip("/")] = raw.rstrip("/")
    return overrides


def _reported_twice(
    log: ProblemLog, seen: Mapping[str, JsonPath], value: str, where: JsonPath, message: str, hint: str
) -> bool:
    """Report `value` if an earlier entry had it, naming where; the caller records first sightings."""
    earlier = seen.get(value)
    if earlier is None:
        return False
    log.add(where, f"{message} (also at {format_pointer(earlier)})", hint=hint)
    return True
