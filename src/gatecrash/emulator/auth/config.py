"""The authorizers of a definition, read from their `x-amazon-apigateway-authorizer` objects.

`definition.py` keeps each authorizer as the raw object (plus the security scheme's `headerName`);
this module turns them into typed values once, when the emulator starts, and reports every problem
API Gateway's import would refuse (AWS docs "x-amazon-apigateway-authorizer object" and the
Authorizer resource of the API reference):

- `authorizerUri` (token, request): a Lambda invocation URI naming a function.
- `identitySource`: TOKEN, one `method.request.header.<name>`; REQUEST, a comma-separated list of
  `method.request.header.<name>`, `method.request.querystring.<name>`, `stageVariables.<name>`,
  `context.<name>`, required when results are cached; COGNITO, a header (default `Authorization`).
- `identityValidationExpression`: a regular expression the TOKEN must match (REQUEST ignores it).
- `authorizerResultTtlInSeconds`: 0 to 3600, default 300; 0 turns caching off.
- `providerARNs` (cognito_user_pools): `arn:aws:cognito-idp:<region>:<account>:userpool/<pool id>`.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gatecrash._yamlpos import JsonPath, ProblemLog, describe_type
from gatecrash.emulator import ids
from gatecrash.emulator.lambdas import function_name_from_uri
from gatecrash.emulator.model import Api
from gatecrash.errors import DefinitionError

_EXTENSION = "x-amazon-apigateway-authorizer"
_DEFAULT_TTL = 300
_MAX_TTL = 3600
_LOCATIONS = ("method.request.header.", "method.request.querystring.", "stageVariables.", "context.")
_POOL_ARN = re.compile(r"arn:aws[a-z-]*:cognito-idp:[a-z0-9-]+:\d{12}:userpool/(?P<pool>[\w-]+_[0-9A-Za-z]+)")


class AuthorizerKind(enum.StrEnum):
    TOKEN = "TOKEN"
    REQUEST = "REQUEST"
    COGNITO_USER_POOLS = "COGNITO_USER_POOLS"


@dataclass(frozen=True, slots=True)
class IdentitySource:
    """One `identitySource` entry, e.g. `method.request.header.Authorization`: a location and a name."""

    location: str  # one of _LOCATIONS, with its trailing dot
    name: str

    @property
    def expression(self) -> str:
        return f"{self.location}{self.name}"

    @classmethod
    def parse(cls, expression: str) -> IdentitySource | None:
        for location in _LOCATIONS:
            if expression.startswith(location) and len(expression) > len(location):
                return cls(location, expression.removeprefix(location))
        return None


@dataclass(frozen=True, slots=True)
class AuthorizerConfig:
    name: str
    kind: AuthorizerKind
    identity_sources: tuple[IdentitySource, ...]
    ttl_seconds: int
    function_uri: str = ""
    validation_expression: re.Pattern[str] | None = None
    pool_ids: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        """A stable 6-character id, as AWS gives authorizers (`Starting authorizer: hhdo4y ...`)."""
        return ids.resource_id(f"authorizer {self.name}")


def load_authorizers(api: Api) -> dict[str, AuthorizerConfig]:
    """Every authorizer of `api` by its security scheme name; `DefinitionError` lists all problems."""
    log = ProblemLog(api.source, None)
    configs: dict[str, AuthorizerConfig] = {}
    for name, raw in api.authorizers.items():
        config = _read(log, name, raw)
        if config is not None:
            configs[name] = config
    log.raise_if_any(DefinitionError)
    return configs


def _where(name: str, *keys: str) -> JsonPath:
    # The loader does not keep the dialect: the path names the scheme and key, not the section.
    return ("securitySchemes", name, _EXTENSION, *keys)


def _read(log: ProblemLog, name: str, raw: Mapping[str, Any]) -> AuthorizerConfig | None:
    kind_text = str(raw.get("type", "")).upper()
    if kind_text not in AuthorizerKind.__members__:
        return None  # definition.py has reported the bad type
    kind = AuthorizerKind(kind_text)
    ttl = _read_ttl(log, name, raw)
    if kind is AuthorizerKind.COGNITO_USER_POOLS:
        return _read_cognito(log, name, raw, ttl)
    uri = raw.get("authorizerUri")
    # A template placeholder left in the URI (`${lambda_invoke_arn}`: see substitute.py) is kept:
    # probes without the identity source never invoke the authorizer, and one that does finds no
    # function, as AWS would (a 500 AuthorizerConfigurationException).
    if not isinstance(uri, str) or (function_name_from_uri(uri) is None and "${" not in uri):
        log.add(
            _where(name, "authorizerUri"),
            f"authorizerUri must be a Lambda invocation URI, not {uri!r}",
            hint="arn:aws:apigateway:<region>:lambda:path/2015-03-31/functions/"
            "arn:aws:lambda:<region>:<account>:function:<name>/invocations",
        )
    sources = _read_sources(log, name, raw, kind, ttl)
    pattern = _read_validation_expression(log, name, raw) if kind is AuthorizerKind.TOKEN else None
    return AuthorizerConfig(name, kind, sources, ttl, uri if isinstance(uri, str) else "", pattern)


def _read_ttl(log: ProblemLog, name: str, raw: Mapping[str, Any]) -> int:
    value = raw.get("authorizerResultTtlInSeconds", _DEFAULT_TTL)
    if isinstance(value, str) and value.isdigit():
        value = int(value)  # exports write numbers; hand-written files sometimes quote them
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= _MAX_TTL:
        log.add(
            _where(name, "authorizerResultTtlInSeconds"),
            f"authorizerResultTtlInSeconds must be a whole number from 0 to {_MAX_TTL}, not {value!r}",
            hint="0 turns the cache off; the default is 300",
        )
        return 0
    return value


def _read_sources(
    log: ProblemLog, name: str, raw: Mapping[str, Any], kind: AuthorizerKind, ttl: int
) -> tuple[IdentitySource, ...]:
    value = raw.get("identitySource")
    if value is None and kind is AuthorizerKind.TOKEN and isinstance(raw.get("headerName"), str):
        value = f"method.request.header.{raw['headerName']}"
    where = _where(name, "identitySource")
    if value is None:
        value = ""
    if not isinstance(value, str):
        log.add(where, f"identitySource must be a string, not {describe_type(value)}")
        return ()
    sources: list[IdentitySource] = []
    for part in filter(None, (part.strip() for part in value.split(","))):
        source = IdentitySource.parse(part)
        if source is None:
            forms = [f"{location}<name>" for location in _LOCATIONS]
            log.add(where, f"'{part}' is not an identity source", hint="forms: " + ", ".join(forms))
            return ()
        sources.append(source)
    if kind is AuthorizerKind.TOKEN and (len(sources) != 1 or sources[0].location != _LOCATIONS[0]):
        log.add(
            where,
            "a TOKEN authorizer reads exactly one header",
            hint="write e.g. identitySource: method.request.header.Authorization",
        )
        return ()
    if kind is AuthorizerKind.REQUEST and not sources and ttl > 0:
        log.add(
            where,
            "a REQUEST authorizer whose results are cached needs an identitySource",
            hint="name the headers or query strings the cache is keyed on, or set authorizerResultTtlInSeconds: 0",
        )
    return tuple(sources)


def _read_validation_expression(log: ProblemLog, name: str, raw: Mapping[str, Any]) -> re.Pattern[str] | None:
    value = raw.get("identityValidationExpression")
    if value is None or value == "":
        return None
    where = _where(name, "identityValidationExpression")
    if not isinstance(value, str):
        log.add(where, f"identityValidationExpression must be a string, not {describe_type(value)}")
        return None
    try:
        return re.compile(value)
    except re.error as error:
        log.add(where, f"identityValidationExpression is not a regular expression: {error}", hint="fix the pattern")
        return None


def _read_cognito(log: ProblemLog, name: str, raw: Mapping[str, Any], ttl: int) -> AuthorizerConfig:
    arns = raw.get("providerARNs")
    pools: list[str] = []
    if not isinstance(arns, list) or not arns:
        log.add(
            _where(name, "providerARNs"),
            "a cognito_user_pools authorizer needs providerARNs",
            hint="list the pools, e.g. arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_AbCd1234",
        )
    else:
        for arn in arns:
            found = _POOL_ARN.fullmatch(arn) if isinstance(arn, str) else None
            if found is None:
                log.add(
                    _where(name, "providerARNs"),
                    f"{arn!r} is not a user pool ARN",
                    hint="arn:aws:cognito-idp:<region>:<account>:userpool/<region>_<id>",
                )
            else:
                pools.append(found.group("pool"))
    value = raw.get("identitySource") or f"{_LOCATIONS[0]}Authorization"
    source = IdentitySource.parse(value) if isinstance(value, str) else None
    if source is None or source.location != _LOCATIONS[0] or "," in source.name:
        log.add(
            _where(name, "identitySource"),
            f"a Cognito authorizer reads one header, not {value!r}",
            hint="write e.g. identitySource: method.request.header.Authorization",
        )
        source = IdentitySource(_LOCATIONS[0], "Authorization")
    return AuthorizerConfig(name, AuthorizerKind.COGNITO_USER_POOLS, (source,), ttl, pool_ids=tuple(pools))
