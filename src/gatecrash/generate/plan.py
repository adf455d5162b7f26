"""Which probes a method's configuration implies, and which of them are safe to send by default.

Pure: takes the loaded definition (`Api`), the optional side file (`StageConfig`) and the ids of the
catalogue modes that the gateway rejects before the integration, and returns a `Plan`. Safety by
construction: a probe is `ENABLED` only when its mode is rejected before the integration (nothing
reaches the backend), or it is `ok` on GET/HEAD/OPTIONS; other probes are planned `BACKEND` or
`LOAD` and rendered commented out unless the user includes them.
"""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field, replace
from fnmatch import fnmatchcase
from typing import Any

from gatecrash.emulator import standins
from gatecrash.emulator.auth.iam import method_arn, resource_matches
from gatecrash.emulator.model import (
    Api,
    AuthorizationType,
    IntegrationType,
    Method,
    Parameter,
    ParameterLocation,
    StageConfig,
    ThrottleLimit,
)
from gatecrash.generate.bodies import NoValidBody, invalid_bodies, string_matching, valid_body
from gatecrash.generate.mirror import cognito_pool_ids, function_name

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")  # `ok` on these is sent by default: no side effects by HTTP's contract
# Tried in this order for `unknown-route`: the first method the resource does not have.
_UNKNOWN_METHODS = ("DELETE", "PATCH", "PUT", "POST", "GET", "HEAD", "OPTIONS")
_PATH_PARAM = re.compile(r"\{([^}+]+)(\+?)\}")
MAX_BURST = 500  # a burst larger than this is load, not a probe: left to a load phase written by hand
JSON = "application/json"
_PLACEHOLDER = re.compile(r"\$\{(?!stageVariables\.)[^}]*\}")
# Identity sources a request carries (stage variables and $context values it cannot leave out).
_REQUEST_SOURCES = ("method.request.header.", "method.request.querystring.")


class Gate(enum.StrEnum):
    ENABLED = "enabled"  # rejected before the integration, or `ok` on a safe method
    BACKEND = "backend"  # reaches the integration: commented out unless --include backend
    LOAD = "load"  # a throttle burst: commented out unless --include load


class CredentialUse(enum.StrEnum):
    API_KEY = "api-key"  # a key the stage accepts
    MADE_UP_KEY = "made-up-key"  # a key no stage knows
    CALLER = "caller"  # SigV4 credentials
    ID_TOKEN = "id-token"  # a Cognito ID token (methods without authorization scopes)
    ACCESS_TOKEN = "access-token"  # a Cognito access token carrying the methods' scopes


@dataclass(frozen=True, slots=True)
class Credential:
    """A credential reference the scenario declares: never a secret, and a note when the user must fill it."""

    name: str
    reference: tuple[tuple[str, Any], ...]  # the YAML mapping, in order
    note: str


@dataclass(frozen=True, slots=True)
class Request:
    method: str
    path: str
    query: tuple[tuple[str, str], ...] = ()
    headers: tuple[tuple[str, str], ...] = ()
    json: Any = None
    has_json: bool = False
    auth: tuple[tuple[str, str], ...] = ()  # e.g. (("sigv4", "caller"), ("fault", "unsigned"))


@dataclass(frozen=True, slots=True)
class PlannedProbe:
    name: str
    mode: str
    request: Request
    gate: Gate
    note: str = ""  # why it is commented out, or what it costs
    burst: int | None = None  # a burst of this many requests instead of one
    expect: tuple[tuple[str, int, int], ...] = ()
    wait_s: float = 0.0  # how long the probe takes by design (a slow-backend probe waits for the timeout)

    @property
    def requests(self) -> int:
        return self.burst if self.burst is not None else 1


@dataclass(frozen=True, slots=True)
class Skipped:
    where: str  # "GET /pets"
    mode: str
    reason: str


@dataclass(frozen=True, slots=True)
class MethodPlan:
    title: str  # the comment above the method's probes
    probes: tuple[PlannedProbe, ...]


@dataclass(frozen=True, slots=True)
class Plan:
    methods: tuple[MethodPlan, ...]
    credentials: tuple[Credential, ...]
    skipped: tuple[Skipped, ...]

    @property
    def probes(self) -> tuple[PlannedProbe, ...]:
        return tuple(p for m in self.methods for p in m.probes)


@dataclass(frozen=True, slots=True)
class Options:
    paths: tuple[str, ...] = ()  # fnmatch globs on the resource path; empty: all
    methods: tuple[str, ...] = ()  # HTTP methods; empty: all
    modes: tuple[str, ...] = ()  # catalogue ids; empty: all
    include_backend: bool = False
    include_load: bool = False


@dataclass(frozen=True, slots=True)
class _Auth:
    """What a request needs to get past authorization and the key check, or why we cannot provide it."""

    items: tuple[tuple[str, str], ...] = ()
    missing: str | None = None
    # What a Lambda authorizer reads: the identity sources, filled with the token its stand-in allows.
    headers: tuple[tuple[str, str], ...] = ()
    query: tuple[tuple[str, str], ...] = ()


@dataclass(slots=True)
class _Planner:
    api: Api
    stage: StageConfig | None
    safe_modes: frozenset[str]
    options: Options
    used: set[CredentialUse] = field(default_factory=set)
    skipped: list[Skipped] = field(default_factory=list)
    names: set[str] = field(default_factory=set)


def plan(api: Api, stage: StageConfig | None, safe_modes: Collection[str], options: Options = Options()) -> Plan:
    """The probes of every method the filters keep, in the definition's order."""
    planner = _Planner(api, stage, frozenset(safe_modes), options)
    methods = tuple(_plan_method(planner, m) for m in api.methods if _kept(options, m))
    methods += _unknown_routes(planner)
    credentials = tuple(_credential(planner, use) for use in CredentialUse if use in planner.used)
    return Plan(tuple(m for m in methods if m.probes), credentials, tuple(planner.skipped))


def _kept(options: Options, method: Method) -> bool:
    if options.paths and not any(fnmatchcase(method.resource_path, glob) for glob in options.paths):
        return False
    return not options.methods or method.http_method in options.methods


def _plan_method(planner: _Planner, method: Method) -> MethodPlan:
    candidates = [
        *_ok(planner, method),
        *_missing_params(planner, method),
        *_invalid_bodies(planner, method),
        *_api_key_probes(planner, method),
        *_iam_probes(planner, method),
        *_authorizer_probes(planner, method),
        *_slow_backend(planner, method),
        *_throttle_burst(planner, method),
    ]
    kept = [p for p in candidates if not planner.options.modes or p.mode in planner.options.modes]
    return MethodPlan(_title(method), tuple(_finish(planner, p) for p in kept))


def _title(method: Method) -> str:
    integration = method.integration.type.value if method.integration is not None else "no integration"
    parts = [integration, f"authorization {method.authorization.type.value}"]
    if method.api_key_required:
        parts.append("API key required")
    if method.validator is not None:
        parts.append(f"validator '{method.validator.name}'")
    return f"{_where(method)}: {', '.join(parts)}"


def _finish(planner: _Planner, probe: PlannedProbe) -> PlannedProbe:
    """Open the gate the user asked for, note the credentials used, and make the name unique."""
    options = planner.options
    if (probe.gate is Gate.BACKEND and options.include_backend) or (probe.gate is Gate.LOAD and options.include_load):
        probe = replace(probe, gate=Gate.ENABLED)
    for key, value in probe.request.auth:
        if key in ("api-key", "sigv4", "jwt"):
            planner.used.add(CredentialUse(value))
    name, n = probe.name, 2
    while name in planner.names:
        name, n = f"{probe.name} ({n})", n + 1
    planner.names.add(name)
    return replace(probe, name=name)


def _where(method: Method) -> str:
    return f"{method.http_method} {method.resource_path}"


def _skip(planner: _Planner, method: Method, mode: str, reason: str) -> None:
    if not planner.options.modes or mode in planner.options.modes:
        planner.skipped.append(Skipped(_where(method), mode, reason))


def _gate(planner: _Planner, mode: str) -> Gate:
    return Gate.ENABLED if mode in planner.safe_modes else Gate.BACKEND


# -- requests ---------------------------------------------------------------------------------------


def _concrete_method(method: Method) -> str:
    # x-amazon-apigateway-any-method answers every verb: GET is the one without side effects.
    return "GET" if method.http_method == "ANY" else method.http_method


def _fill_path(resource_path: str) -> str:
    """A concrete path: `1` for a path parameter (ids are often numbers), `example` for a greedy one."""
    return _PATH_PARAM.sub(lambda m: "example" if m.group(2) else "1", resource_path)


def _base_request(method: Method, auth: _Auth, leave_out: Parameter | None = None) -> Request:
    def present(location: ParameterLocation) -> tuple[tuple[str, str], ...]:
        return tuple(
            (p.name, "example") for p in method.parameters if p.location is location and p.required and p != leave_out
        )

    return Request(
        method=_concrete_method(method),
        path=_fill_path(method.resource_path),
        query=_merged(present(ParameterLocation.QUERYSTRING), auth.query),
        headers=_without_token_header(auth, _merged(present(ParameterLocation.HEADER), auth.headers)),
        auth=auth.items,
    )


def _without_token_header(auth: _Auth, headers: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    # A `jwt` credential is sent as the Authorization header: no literal value may stand beside it.
    if not any(kind == "jwt" for kind, _ in auth.items):
        return headers
    return tuple((name, value) for name, value in headers if name.lower() != "authorization")


def _merged(values: tuple[tuple[str, str], ...], extra: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    """`values` with `extra` set over them (names compared without case)."""
    taken = {name.lower() for name, _ in extra}
    return tuple((n, v) for n, v in values if n.lower() not in taken) + extra


def _json_model(method: Method) -> Mapping[str, Any] | None:
    return method.request_models.get(JSON)


def _with_valid_body(method: Method, request: Request) -> Request | str:
    """The request with a body its model accepts, or why none could be made."""
    model = _json_model(method)
    if model is None:
        return request
    try:
        return replace(request, json=valid_body(model), has_json=True)
    except NoValidBody as error:
        return f"no body satisfies the model: {error}"


# -- authorization ---------------------------------------------------------------------------------


def _valid_auth(planner: _Planner, method: Method) -> _Auth:
    """Credentials that pass the method's authorization and key check (one credential per request)."""
    kind = method.authorization.type
    key = (("api-key", CredentialUse.API_KEY.value),) if method.api_key_required else ()
    if kind is AuthorizationType.CUSTOM:
        return _stand_in_authorizer(planner, method, key)
    if kind is AuthorizationType.COGNITO_USER_POOLS:
        if key:
            return _Auth(missing="needs a token and an API key; a scenario request carries one credential")
        if _local_pool(planner) is None:
            return _Auth(missing="needs a Cognito token: give the side file a local user pool (--side-file-out)")
        use = CredentialUse.ACCESS_TOKEN if method.authorization.scopes else CredentialUse.ID_TOKEN
        return _Auth(items=(("jwt", use.value),))
    if kind is AuthorizationType.AWS_IAM and method.api_key_required:
        return _Auth(missing="needs a signature and an API key; a scenario request carries one credential")
    if kind is AuthorizationType.AWS_IAM:
        if planner.stage is not None and _allowed_caller(planner.stage, method) is None:
            return _Auth(missing="no credential of the side file's iamCredentials may invoke this method")
        return _Auth(items=(("sigv4", CredentialUse.CALLER.value),))
    if method.api_key_required:
        return _Auth(items=(("api-key", CredentialUse.API_KEY.value),))
    return _Auth()


def _stand_in_authorizer(planner: _Planner, method: Method, key: tuple[tuple[str, str], ...]) -> _Auth:
    """The identity sources a Lambda authorizer reads, when the side file runs it as gatecrash's stand-in."""
    config = planner.api.authorizers.get(method.authorization.authorizer or "", {})
    variables = planner.stage.variables if planner.stage is not None else {}
    name = function_name(str(config.get("authorizerUri", "")), variables)
    function = planner.stage.functions.get(name) if planner.stage is not None and name else None
    if function is None or function.handler != standins.AUTHORIZER_HANDLER:
        return _Auth(missing="needs a token the Lambda authorizer accepts: write this probe by hand")
    token = standins.AUTHORIZER_TOKEN
    expression = config.get("identityValidationExpression")
    if isinstance(expression, str) and str(config.get("type", "")).lower() == "token":
        # API Gateway refuses a token the expression does not match (401) before invoking the function.
        matching = string_matching(expression)
        if matching is None:
            return _Auth(missing=f"no token matches the identityValidationExpression {expression!r}")
        token = matching
    headers: list[tuple[str, str]] = []
    query: list[tuple[str, str]] = []
    for source in _identity_sources(planner.api, method):
        if source.startswith("method.request.header."):
            headers.append((source.removeprefix("method.request.header."), token))
        elif source.startswith("method.request.querystring."):
            query.append((source.removeprefix("method.request.querystring."), token))
    return _Auth(items=key, headers=tuple(headers), query=tuple(query))


def _local_pool(planner: _Planner) -> tuple[str, str] | None:
    """(pool id, app client) of the side file's first pool that a Cognito authorizer names."""
    if planner.stage is None:
        return None
    named = cognito_pool_ids(planner.api)
    pool = next((p for p in planner.stage.user_pools if p.id in named), None)
    return (pool.id, pool.client_ids[0]) if pool is not None else None


def _allowed_caller(stage: StageConfig, method: Method) -> str | None:
    """The first access key of the side file that may invoke the method."""
    arn = method_arn(
        stage.region,
        stage.account_id,
        stage.rest_api_id,
        stage.stage_name,
        _concrete_method(method),
        _fill_path(method.resource_path),
    )
    for credential in stage.iam_credentials:
        denied = any(resource_matches(p, arn) for p in credential.deny)
        if not denied and any(resource_matches(p, arn) for p in credential.allow):
            return credential.access_key_id
    return None


def _any_caller(stage: StageConfig | None) -> str | None:
    return stage.iam_credentials[0].access_key_id if stage is not None and stage.iam_credentials else None


def _stage_key(stage: StageConfig | None) -> str | None:
    """An enabled key in a usage plan of this stage: one the gateway accepts."""
    if stage is None:
        return None
    plans = {plan.id for plan in stage.usage_plans}
    usable = (key for key in stage.api_keys if key.enabled and plans.intersection(key.usage_plan_ids))
    return next((key.id for key in usable), None)


def _credential(planner: _Planner, use: CredentialUse) -> Credential:
    if use in (CredentialUse.ID_TOKEN, CredentialUse.ACCESS_TOKEN):
        pool = _local_pool(planner)
        assert pool is not None  # a token is used only when the side file has the pool
        reference: tuple[tuple[str, Any], ...] = (("emulator-token", pool[0]), ("client-id", pool[1]))
        if use is CredentialUse.ACCESS_TOKEN:
            kept = (m for m in planner.api.methods if _kept(planner.options, m))
            reference += (("scopes", tuple(sorted({scope for m in kept for scope in m.authorization.scopes}))),)
        return Credential(use.value, reference, f"a Cognito {use.value} the emulator mints for its local pool")
    if use is CredentialUse.MADE_UP_KEY:
        return Credential(use.value, (("random-api-key", True),), "a key no stage knows")
    if use is CredentialUse.API_KEY:
        key = _stage_key(planner.stage)
        if key is not None:
            return Credential(use.value, (("emulator-api-key", key),), "a key of the side file's usage plans")
        return Credential(use.value, (("env", "GATECRASH_API_KEY"),), "FILL IN: export a key the stage accepts")
    caller = _allowed_caller_any(planner)
    if caller is not None:
        return Credential(use.value, (("emulator-iam", caller),), "an access key of the side file's iamCredentials")
    return Credential(use.value, (("profile", "default"),), "FILL IN: an AWS profile allowed to invoke the API")


def _allowed_caller_any(planner: _Planner) -> str | None:
    """One access key for every SigV4 probe: the first allowed on an IAM method, else any of the table."""
    stage = planner.stage
    if stage is None:
        return None
    for method in planner.api.methods:
        if method.authorization.type is AuthorizationType.AWS_IAM and _kept(planner.options, method):
            found = _allowed_caller(stage, method)
            if found is not None:
                return found
    return _any_caller(stage)


# -- the probes of one method ----------------------------------------------------------------------


def _ok(planner: _Planner, method: Method) -> Iterator[PlannedProbe]:
    request = _authorized_request(planner, method, "ok")
    if request is None:
        return
    fault = _mock_mapping_fault(method)
    if fault is not None:
        gate = Gate.ENABLED if request.method in SAFE_METHODS else Gate.BACKEND
        note = "" if gate is Gate.ENABLED else "may change data (--include backend)"
        _skip(planner, method, "ok", f"it cannot answer 2xx: {fault}")
        yield PlannedProbe(f"{_where(method)}: {fault}", "mapping-error", request, gate, note)
        return
    gap = _offline_gap(method)
    if gap is not None:
        yield PlannedProbe(f"{_where(method)}: ok", "ok", request, Gate.BACKEND, f"{gap} (--include backend)")
    elif request.method in SAFE_METHODS:
        yield PlannedProbe(f"{_where(method)}: ok", "ok", request, Gate.ENABLED)
    else:
        note = f"reaches the integration: {request.method} may change data (--include backend)"
        yield PlannedProbe(f"{_where(method)}: ok", "ok", request, Gate.BACKEND, note)


_MOCK_STATUS = re.compile(r'"statusCode"\s*:\s*"?(\d{3})\b')


def _mock_mapping_fault(method: Method) -> str | None:
    """A MOCK whose own configuration maps every call to a 500, as the emulator and AWS apply it.

    The request template's statusCode selects an integration response; one the method does not
    declare is "Output mapping refers to an invalid method response" (catalogue: mapping-error).
    """
    integration = method.integration
    if integration is None or integration.type is not IntegrationType.MOCK or not method.response_status_codes:
        return None
    template = integration.request_templates.get(JSON)
    found = _MOCK_STATUS.search(template) if template is not None else None
    if found is None:
        return None
    # Imported here: the integrations module brings httpx, which nothing else in `generate` needs.
    from gatecrash.emulator.integrations import select_response

    chosen = select_response(integration.responses, found.group(1))
    if chosen is None:
        return f"no integration response maps status {found.group(1)}"
    if chosen.status_code not in method.response_status_codes:
        return f"its integration response answers {chosen.status_code}, which the method does not declare"
    return None


def _offline_gap(method: Method) -> str | None:
    """Why the emulator cannot serve this method's integration offline, if it cannot."""
    integration = method.integration
    if integration is None:
        return None
    placeholder = _PLACEHOLDER.search(integration.uri)
    if placeholder is not None:
        return f"its integration URI still holds {placeholder.group(0)}: supply it with --var to send this"
    if integration.type is IntegrationType.AWS and ":lambda:path/" not in integration.uri:
        parts = integration.uri.split(":")
        service = parts[4] if len(parts) > 4 else integration.uri
        return f"reaches {service}, an AWS service the emulator does not serve: send it against AWS"
    return None


def _slow_backend(planner: _Planner, method: Method) -> Iterator[PlannedProbe]:
    """A backend slower than the integration timeout: 504 (proxy integrations pass the delay header on)."""
    mode = "integration-timeout"
    integration = method.integration
    if integration is None or integration.type not in (IntegrationType.AWS_PROXY, IntegrationType.HTTP_PROXY):
        return
    if _offline_gap(method) is not None:
        return
    request = _authorized_request(planner, method, mode)
    if request is None:
        return
    timeout_ms = integration.timeout_in_millis
    delay = ((standins.DELAY_HEADER, str(timeout_ms + 1000)),)
    request = replace(request, headers=_merged(request.headers, delay))
    note = (
        f"waits {timeout_ms / 1000:g} s for the integration timeout; the backend must be slower: "
        f"gatecrash's stand-ins sleep as {standins.DELAY_HEADER} asks (--include backend)"
    )
    name = f"{_where(method)}: a backend slower than the {timeout_ms} ms timeout"
    yield PlannedProbe(name, mode, request, Gate.BACKEND, note, wait_s=timeout_ms / 1000)


def _authorized_request(planner: _Planner, method: Method, mode: str) -> Request | None:
    """A request past authorization with a body the model accepts; else None, the reason noted as skipped."""
    auth = _valid_auth(planner, method)
    if auth.missing is not None:
        _skip(planner, method, mode, auth.missing)
        return None
    request = _with_valid_body(method, _base_request(method, auth))
    if isinstance(request, str):
        _skip(planner, method, mode, request)
        return None
    return request


def _validates_parameters(method: Method) -> bool:
    return method.validator is not None and method.validator.validate_request_parameters


def _validates_body(method: Method) -> bool:
    return method.validator is not None and method.validator.validate_request_body


def _missing_params(planner: _Planner, method: Method) -> Iterator[PlannedProbe]:
    mode = "missing-required-param"
    required = [p for p in method.parameters if p.required and p.location is not ParameterLocation.PATH]
    if not required or not _validates_parameters(method):
        return
    auth = _valid_auth(planner, method)
    if auth.missing is not None:
        _skip(planner, method, mode, auth.missing)
        return
    for parameter in required:
        if _is_identity_source(planner.api, method, parameter):
            # Without it the authorizer answers 401 before validation runs: authorizer-unauthorized covers it.
            _skip(planner, method, mode, f"{parameter.name} is the authorizer's identity source")
            continue
        request = _with_valid_body(method, _base_request(method, auth, leave_out=parameter))
        if isinstance(request, str):
            _skip(planner, method, mode, request)
            return
        what = f"without {_location_word(parameter.location)} {parameter.name}"
        yield PlannedProbe(f"{_where(method)}: {what}", mode, request, _gate(planner, mode))


def _is_identity_source(api: Api, method: Method, parameter: Parameter) -> bool:
    if method.authorization.type not in (AuthorizationType.CUSTOM, AuthorizationType.COGNITO_USER_POOLS):
        return False
    prefix = (
        "method.request.header." if parameter.location is ParameterLocation.HEADER else "method.request.querystring."
    )
    wanted = (prefix + parameter.name).lower()
    return any(source.lower() == wanted for source in _identity_sources(api, method))


def _location_word(location: ParameterLocation) -> str:
    return "query parameter" if location is ParameterLocation.QUERYSTRING else "header"


def _invalid_bodies(planner: _Planner, method: Method) -> Iterator[PlannedProbe]:
    mode = "invalid-body"
    model = _json_model(method)
    if model is None or not _validates_body(method):
        return
    request = _authorized_request(planner, method, mode)
    if request is None:
        return
    for body in invalid_bodies(model, request.json):
        yield PlannedProbe(
            f"{_where(method)}: body {body.what}", mode, replace(request, json=body.body), _gate(planner, mode)
        )


def _api_key_probes(planner: _Planner, method: Method) -> Iterator[PlannedProbe]:
    if not method.api_key_required:
        return
    auth = _valid_auth(planner, method)
    if auth.missing is not None and method.authorization.type is not AuthorizationType.NONE:
        for mode in ("missing-api-key", "invalid-api-key"):
            _skip(planner, method, mode, auth.missing)
        return
    # Past the authorizer (its stand-in's token), so that the key check is what answers.
    keyless = replace(auth, items=tuple(item for item in auth.items if item[0] != "api-key"))
    base = _base_request(method, keyless)
    yield PlannedProbe(f"{_where(method)}: no API key", "missing-api-key", base, _gate(planner, "missing-api-key"))
    made_up = replace(base, auth=(*base.auth, ("api-key", CredentialUse.MADE_UP_KEY.value)))
    yield PlannedProbe(
        f"{_where(method)}: a key no stage knows", "invalid-api-key", made_up, _gate(planner, "invalid-api-key")
    )


def _iam_probes(planner: _Planner, method: Method) -> Iterator[PlannedProbe]:
    if method.authorization.type is not AuthorizationType.AWS_IAM:
        return
    base = _base_request(method, _Auth())
    faults = (
        ("unsigned-iam", "unsigned", "unsigned"),
        ("invalid-signature", "wrong-secret", "signed with the wrong secret"),
        ("expired-signature", "skewed-clock", "signed 20 minutes ago"),
    )
    for mode, fault, what in faults:
        auth = (("sigv4", CredentialUse.CALLER.value), ("fault", fault))
        yield PlannedProbe(f"{_where(method)}: {what}", mode, replace(base, auth=auth), _gate(planner, mode))


def _authorizer_probes(planner: _Planner, method: Method) -> Iterator[PlannedProbe]:
    mode = "authorizer-unauthorized"
    if method.authorization.type not in (AuthorizationType.CUSTOM, AuthorizationType.COGNITO_USER_POOLS):
        return
    sources = _identity_sources(planner.api, method)
    if not any(source.startswith(_REQUEST_SOURCES) for source in sources):
        # AWS API reference, CreateAuthorizer identitySource: a REQUEST authorizer's sources are
        # optional when caching is off, and only a missing source is refused (401) before the
        # function runs; without a header or query source, every request reaches the authorizer.
        reason = "the REQUEST authorizer has no header or query identity source: no request is refused before it"
        _skip(planner, method, mode, reason)
        return
    source = _identity_source(planner.api, method)
    request = _base_request(method, _Auth())
    # Every other required header stays: only the identity source is missing.
    request = replace(request, headers=tuple((k, v) for k, v in request.headers if k.lower() != source.lower()))
    yield PlannedProbe(f"{_where(method)}: no {source} for the authorizer", mode, request, _gate(planner, mode))


def _identity_sources(api: Api, method: Method) -> list[str]:
    """The authorizer's identity sources (Cognito and TOKEN default: the Authorization header; a
    REQUEST authorizer has none unless it names them)."""
    config = api.authorizers.get(method.authorization.authorizer or "", {})
    default = "" if str(config.get("type", "")).lower() == "request" else "method.request.header.Authorization"
    text = str(config.get("identitySource") or default)
    return [part.strip() for part in text.split(",") if part.strip()]


def _identity_source(api: Api, method: Method) -> str:
    """The header the authorizer reads first; only its absence is provoked."""
    sources = [source for source in _identity_sources(api, method) if source.startswith(_REQUEST_SOURCES)]
    source = next(iter(sources), "method.request.header.Authorization")
    return source.rsplit(".", 1)[-1] or "Authorization"


def _throttle_burst(planner: _Planner, method: Method) -> Iterator[PlannedProbe]:
    mode = "throttled"
    stage = planner.stage
    setting = stage.method_settings.get((method.resource_path, method.http_method)) if stage else None
    if setting is None or setting.throttle is None:
        return
    auth = _valid_auth(planner, method)
    if auth.missing is not None:
        _skip(planner, method, mode, auth.missing)
        return
    limit = setting.throttle
    if limit.burst_limit > MAX_BURST:
        _skip(planner, method, mode, f"burst limit {limit.burst_limit} is load: write a rate phase by hand")
        return
    request = _with_valid_body(method, _base_request(method, auth))
    if isinstance(request, str):
        _skip(planner, method, mode, request)
        return
    yield _burst_probe(method, request, limit)


def _burst_probe(method: Method, request: Request, limit: ThrottleLimit) -> PlannedProbe:
    """Twice the burst plus one, released together: the bucket admits `burst`, the rest are 429.

    While the burst is written the bucket refills at `rate` per second; one extra token is allowed.
    """
    requests = 2 * limit.burst_limit + 1
    passed = limit.burst_limit + 1
    expect = (("2xx", limit.burst_limit, passed), ("429", requests - passed, requests - limit.burst_limit))
    refill = math.ceil(limit.burst_limit / limit.rate_limit) if limit.rate_limit > 0 else 0
    note = (
        f"costs {requests} requests in about 1 s ({limit.burst_limit} reach the integration); "
        f"the bucket refills in {refill} s (rate {limit.rate_limit:g}/s, burst {limit.burst_limit}) (--include load)"
    )
    name = f"{_where(method)}: burst of {requests} past {limit.rate_limit:g}/s, burst {limit.burst_limit}"
    return PlannedProbe(name, "throttled", request, Gate.LOAD, note, burst=requests, expect=expect)


def _unknown_routes(planner: _Planner) -> tuple[MethodPlan, ...]:
    """One `unknown-route` per resource: a method it does not have (none when it has ANY)."""
    mode = "unknown-route"
    if planner.options.modes and mode not in planner.options.modes:
        return ()
    by_resource: dict[str, list[Method]] = {}
    for method in planner.api.methods:
        by_resource.setdefault(method.resource_path, []).append(method)
    plans: list[MethodPlan] = []
    for resource, methods in by_resource.items():
        if not any(_kept(planner.options, m) for m in methods):
            continue
        probe = _unknown_route(planner, resource, {m.http_method for m in methods})
        if probe is not None:
            plans.append(MethodPlan(f"{resource}: a method it does not have", (_finish(planner, probe),)))
    return tuple(plans)


def _unknown_route(planner: _Planner, resource: str, present: set[str]) -> PlannedProbe | None:
    absent = next((m for m in _UNKNOWN_METHODS if m not in present), None)
    if "ANY" in present or absent is None:
        return None
    request = Request(method=absent, path=_fill_path(resource))
    return PlannedProbe(
        f"{absent} {resource}: a method the resource does not have",
        "unknown-route",
        request,
        _gate(planner, "unknown-route"),
    )
