"""A deployed API read through boto3: the one place `generate` calls API Gateway.

`read_deployed` makes the calls (`get_export` with the integrations, authorizers and apigateway
extensions, `get_stage`, `get_usage_plans`, `get_usage_plan_keys`, `get_api_keys`, `get_account`,
`get_authorizers`, and STS `get_caller_identity` for the account id, which may be denied); everything
after it is pure. `side_file_document` turns what they return into the emulator's side file, in AWS's
own field names, so the scenario generated from the export also runs offline against the emulator.

Key values are never written. `get_api_keys` is called without values, and `get_usage_plan_keys`
(which prints them anyway) is read for ids only: each key becomes `valueFrom: {env: GATECRASH_KEY_<ID>}`,
a reference the user supplies when running the emulator.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from gatecrash.awssession import REGION_HINT, aws_session
from gatecrash.errors import EnvironmentProblem

# The apigateway stubs (mypy_boto3_apigateway) are not a dependency: the client is typed loosely.
APIGatewayClient = Any

__all__ = [
    "Deployed",
    "DeployedSource",
    "complete_authorizers",
    "key_variable",
    "read_deployed",
    "side_file_document",
    "write_export",
    "write_side_file",
]

_EXTENSIONS = "integrations,authorizers,apigateway"
# What the emulator's side file reads from a method setting; get-stage prints more (caching...),
# which the side file would accept, but copying it would only make the mirror noisier.
_METHOD_SETTING_FIELDS = ("throttlingRateLimit", "throttlingBurstLimit", "loggingLevel", "dataTraceEnabled")
_AUTHORIZER_FIELDS = {
    # get_authorizers field -> x-amazon-apigateway-authorizer field
    "type": "type",
    "authorizerUri": "authorizerUri",
    "authorizerCredentials": "authorizerCredentials",
    "identitySource": "identitySource",
    "identityValidationExpression": "identityValidationExpression",
    "authorizerResultTtlInSeconds": "authorizerResultTtlInSeconds",
    "providerARNs": "providerARNs",
}
_HEADER = (
    "# Emulator side file mirrored from a deployed API by `gatecrash generate --rest-api-id`.\n"
    "# Field names are AWS's own (get-stage, get-usage-plans, get-api-keys). Key values are not\n"
    "# written: export each GATECRASH_KEY_<ID> variable below before running the emulator.\n"
)


@dataclass(frozen=True, slots=True)
class DeployedSource:
    """Which deployed API to read, and how to reach API Gateway."""

    rest_api_id: str
    stage: str
    region: str | None = None
    profile: str | None = None
    endpoint_url: str | None = None  # None: the region's API Gateway endpoint


@dataclass(frozen=True, slots=True)
class Deployed:
    """What API Gateway returned, still in its own shapes (keys never with values)."""

    rest_api_id: str
    region: str
    export: dict[str, Any]
    stage: Mapping[str, Any]
    plans: Sequence[Mapping[str, Any]]
    plan_keys: Mapping[str, Sequence[Mapping[str, Any]]]
    keys: Sequence[Mapping[str, Any]]
    # get_account's answer, plus `accountId` from STS get_caller_identity when STS answered.
    account: Mapping[str, Any] = field(default_factory=dict)


def read_deployed(source: DeployedSource) -> Deployed:
    """Read the API and its stage from API Gateway; every failure an EnvironmentProblem saying what to do."""
    try:
        session = _session(source)
        client = _client(session, source)
        region = client.meta.region_name
        exported = client.get_export(
            restApiId=source.rest_api_id,
            stageName=source.stage,
            exportType="oas30",
            parameters={"extensions": _EXTENSIONS},
            accepts="application/json",
        )
        export = _parse_export(exported["body"].read(), source)
        stage = _response(client.get_stage(restApiId=source.rest_api_id, stageName=source.stage))
        plans = [
            plan
            for plan in _paged(client, "get_usage_plans", {})
            if _plan_stage(plan, source.rest_api_id, source.stage) is not None
        ]
        plan_keys = {plan["id"]: _paged(client, "get_usage_plan_keys", {"usagePlanId": plan["id"]}) for plan in plans}
        # Values stay on AWS: only ids, names and enabled are read.
        keys = _paged(client, "get_api_keys", {"includeValues": False})
        account = _response(client.get_account())
        account_id = _account_id(session, source)
        if account_id is not None:
            account["accountId"] = account_id
        authorizers = _paged(client, "get_authorizers", {"restApiId": source.rest_api_id})
    except EnvironmentProblem:
        raise
    except Exception as exc:
        raise _explain(exc, source) from exc
    return Deployed(
        rest_api_id=source.rest_api_id,
        region=region,
        export=complete_authorizers(export, authorizers),
        stage=stage,
        plans=plans,
        plan_keys=plan_keys,
        keys=keys,
        account=account,
    )


def _session(source: DeployedSource) -> Any:
    return aws_session(source.profile, source.region)  # an unknown profile: ProfileNotFoundError at once


def _client(session: Any, source: DeployedSource) -> APIGatewayClient:
    from botocore.config import Config

    # Adaptive retries: get-usage-plan-keys per plan can hit API Gateway's low control-plane limits.
    config = Config(retries={"mode": "adaptive", "max_attempts": 10})
    return session.client("apigateway", endpoint_url=source.endpoint_url, config=config)


def _account_id(session: Any, source: DeployedSource) -> str | None:
    """The caller's account (STS get_caller_identity, through the same session, region and endpoint),
    or None when STS does not answer: the side file then keeps the emulator's default account."""
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        sts = session.client("sts", endpoint_url=source.endpoint_url, config=Config(retries={"max_attempts": 2}))
        account = sts.get_caller_identity().get("Account")
    except (BotoCoreError, ClientError):
        return None
    return str(account) if account else None


def _response(raw: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in raw.items() if key != "ResponseMetadata"}


def _paged(client: APIGatewayClient, operation: str, arguments: dict[str, Any]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for page in client.get_paginator(operation).paginate(**arguments):
        items.extend(page.get("items", []))
    return items


def _parse_export(body: bytes, source: DeployedSource) -> dict[str, Any]:
    try:
        document = json.loads(body)
    except ValueError as exc:
        raise EnvironmentProblem(
            f"API Gateway's export of {source.rest_api_id}/{source.stage} is not JSON: {exc}"
        ) from exc
    if not isinstance(document, dict):
        raise EnvironmentProblem(f"API Gateway's export of {source.rest_api_id}/{source.stage} is not a document")
    return document


def _explain(exc: Exception, source: DeployedSource) -> EnvironmentProblem:
    from botocore.exceptions import (
        ClientError,
        EndpointConnectionError,
        NoCredentialsError,
        NoRegionError,
        ProfileNotFound,
    )

    where = f"REST API {source.rest_api_id} stage {source.stage}"
    if isinstance(exc, NoCredentialsError):
        return EnvironmentProblem(
            f"no AWS credentials to read {where}: set AWS_PROFILE or pass --profile "
            "(any identity allowed apigateway:GET)"
        )
    if isinstance(exc, ProfileNotFound):
        return EnvironmentProblem(f"AWS profile {source.profile!r} is not configured: check --profile")
    if isinstance(exc, NoRegionError):
        return EnvironmentProblem(f"no AWS region to read {where}: {REGION_HINT}")
    if isinstance(exc, EndpointConnectionError):
        return EnvironmentProblem(f"cannot reach API Gateway at {exc.kwargs.get('endpoint_url', '?')}: {exc}")
    if isinstance(exc, ClientError):
        code = exc.response.get("Error", {}).get("Code", "")
        message = exc.response.get("Error", {}).get("Message", str(exc))
        if code in ("AccessDeniedException", "AccessDenied", "UnauthorizedException", "ForbiddenException"):
            return EnvironmentProblem(
                f"not allowed to read {where} ({message}): the identity needs apigateway:GET on "
                f"arn:aws:apigateway:<region>::/restapis/{source.rest_api_id}/*, /usageplans*, /apikeys* and /account"
            )
        if code == "NotFoundException":
            return EnvironmentProblem(
                f"{where} not found ({message}): check --rest-api-id and --stage, and --region "
                "(`aws apigateway get-rest-apis` and `get-stages` list them)"
            )
        return EnvironmentProblem(f"API Gateway refused to read {where}: {code}: {message}")
    return EnvironmentProblem(f"could not read {where}: {exc}")


# --- pure: what API Gateway returned -> the side file -------------------------------------------


def key_variable(key_id: str) -> str:
    """The environment variable a mirrored key's value is read from."""
    return "GATECRASH_KEY_" + re.sub(r"[^A-Z0-9]", "_", key_id.upper())


def _plan_stage(plan: Mapping[str, Any], rest_api_id: str, stage: str) -> Mapping[str, Any] | None:
    for api_stage in plan.get("apiStages") or ():
        if api_stage.get("apiId") == rest_api_id and api_stage.get("stage") == stage:
            return dict(api_stage)
    return None


def side_file_document(
    stage: Mapping[str, Any],
    plans: Sequence[Mapping[str, Any]],
    plan_keys: Mapping[str, Sequence[Mapping[str, Any]]],
    keys: Sequence[Mapping[str, Any]],
    account: Mapping[str, Any],
    *,
    rest_api_id: str,
    region: str | None = None,
) -> dict[str, Any]:
    """The side file for `stage` of `rest_api_id`, sorted so that an unchanged API mirrors byte for byte.

    Each argument is what the boto3 call of the same name returns (`get_stage`, the items of
    `get_usage_plans`, the items of `get_usage_plan_keys` per plan id, the items of `get_api_keys`,
    `get_account`, with the caller's `accountId` added from STS when known). Plans of other APIs and
    stages, and keys in none of the kept plans, are left out.
    """
    stage_name = str(stage.get("stageName", ""))
    document: dict[str, Any] = {"restApiId": rest_api_id}
    if region:
        document["region"] = region
    if account.get("accountId"):
        document["accountId"] = str(account["accountId"])
    throttle = account.get("throttleSettings")
    if throttle:
        document["account"] = {"throttleSettings": _throttle(throttle)}
    document["stage"] = _stage(stage, stage_name)
    kept = sorted(
        (plan for plan in plans if _plan_stage(plan, rest_api_id, stage_name) is not None),
        key=lambda plan: str(plan["id"]),
    )
    memberships = sorted(
        (str(plan["id"]), str(key["id"]))
        for plan in kept
        for key in plan_keys.get(str(plan["id"]), ())
        if key.get("type", "API_KEY") == "API_KEY"
    )
    key_ids = {key_id for _, key_id in memberships}
    if kept:
        document["usagePlans"] = [_plan(plan, rest_api_id, stage_name) for plan in kept]
    by_id = {str(key["id"]): key for key in keys}
    # A key named by a plan but missing from get-api-keys (another page, a race) is still mirrored.
    mirrored = [by_id.get(key_id, {"id": key_id}) for key_id in sorted(key_ids)]
    if mirrored:
        document["apiKeys"] = [_key(key) for key in mirrored]
        document["usagePlanKeys"] = [
            {"usagePlanId": plan_id, "keyId": key_id, "keyType": "API_KEY"} for plan_id, key_id in memberships
        ]
    return document


def _throttle(raw: Mapping[str, Any]) -> dict[str, Any]:
    return {name: raw[name] for name in ("rateLimit", "burstLimit") if raw.get(name) is not None}


def _stage(stage: Mapping[str, Any], stage_name: str) -> dict[str, Any]:
    mirrored: dict[str, Any] = {"stageName": stage_name}
    if stage.get("variables"):
        mirrored["variables"] = dict(sorted(stage["variables"].items()))
    settings = {
        # "*/*" first: it is the default every other entry inherits from.
        path: {name: value[name] for name in _METHOD_SETTING_FIELDS if value.get(name) is not None}
        for path, value in sorted(
            (stage.get("methodSettings") or {}).items(), key=lambda item: (item[0] != "*/*", item[0])
        )
    }
    if settings:
        mirrored["methodSettings"] = settings
    access = stage.get("accessLogSettings") or {}
    if access.get("destinationArn"):
        mirrored["accessLogSettings"] = {
            name: access[name] for name in ("destinationArn", "format") if access.get(name)
        }
    return mirrored


def _plan(plan: Mapping[str, Any], rest_api_id: str, stage_name: str) -> dict[str, Any]:
    mirrored: dict[str, Any] = {"id": plan["id"], "name": plan.get("name") or plan["id"]}
    if plan.get("throttle"):
        mirrored["throttle"] = _throttle(plan["throttle"])
    quota = plan.get("quota")
    if quota:
        mirrored["quota"] = {name: quota[name] for name in ("limit", "period", "offset") if quota.get(name) is not None}
    api_stage: dict[str, Any] = {"apiId": rest_api_id, "stage": stage_name}
    per_method = (_plan_stage(plan, rest_api_id, stage_name) or {}).get("throttle") or {}
    if per_method:
        api_stage["throttle"] = {path: _throttle(value) for path, value in sorted(per_method.items())}
    # Only this stage's entry: the side file describes one stage, and the others would name APIs
    # the emulator does not serve.
    mirrored["apiStages"] = [api_stage]
    return mirrored


def _key(key: Mapping[str, Any]) -> dict[str, Any]:
    key_id = str(key["id"])
    # Built field by field, never copied: whatever else the response holds (a value) stays out.
    return {
        "id": key_id,
        "name": str(key.get("name") or key_id),
        "enabled": bool(key.get("enabled", True)),
        "valueFrom": {"env": key_variable(key_id)},
    }


def complete_authorizers(export: dict[str, Any], authorizers: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The export with each named authorizer's fields that the export left out filled from `get_authorizers`."""
    schemes = (export.get("components") or {}).get("securitySchemes") or export.get("securityDefinitions") or {}
    for authorizer in authorizers:
        scheme = schemes.get(authorizer.get("name"))
        if not isinstance(scheme, dict):
            continue  # no method uses it: the probes do not need it
        extension = scheme.setdefault("x-amazon-apigateway-authorizer", {})
        for source, target in _AUTHORIZER_FIELDS.items():
            if target not in extension and authorizer.get(source) is not None:
                value = authorizer[source]
                extension[target] = value.lower() if source == "type" else value
    return export


def write_side_file(document: Mapping[str, Any], path: Path) -> None:
    text = yaml.safe_dump(dict(document), sort_keys=False, default_flow_style=False, allow_unicode=True)
    path.write_text(_HEADER + text, encoding="utf-8")


def write_export(export: Mapping[str, Any], path: Path) -> None:
    # Keys in API Gateway's order (it is stable), so an unchanged API exports to the same bytes.
    path.write_text(json.dumps(export, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
