"""The throttle a request is configured to meet: from the emulator's side file, or from AWS.

AWS keeps these outside the definition: the stage's `methodSettings` (keyed `~1path/VERB`, `*/*` for
the stage default: `throttlingRateLimit`, `throttlingBurstLimit`), each usage plan's `throttle` and
per-method `apiStages[].throttle` (keyed `/path/VERB`), and the account's per-Region limit
(`get-account` `throttleSettings`). The AWS side reads them with the apigateway client: it needs
`apigateway:GET` on the stage, usage plans and API keys.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from gatecrash.emulator.model import STAGE_DEFAULT_METHOD, Api, StageConfig
from gatecrash.emulator.routing import Router


@dataclass(frozen=True, slots=True)
class ConfiguredLimit:
    rate: float
    burst: int
    source: str  # which setting, in words: "stage load method GET /limited"


def stage_limit(stage: StageConfig, api: Api | None, path: str, method: str) -> ConfiguredLimit | None:
    """The emulator stage's per-method throttle for a request (the `*/*` default when none is set)."""
    resource = _resource_of(api, path, method) if api is not None else path
    setting = stage.method_settings.get((resource, method))
    where = f"stage {stage.stage_name} method {method} {resource}"
    if setting is None or setting.throttle is None:
        setting = stage.method_settings.get(STAGE_DEFAULT_METHOD)
        where = f"stage {stage.stage_name} default (*/*)"
    if setting is None or setting.throttle is None:
        account = stage.account_throttle
        return ConfiguredLimit(account.rate_limit, account.burst_limit, "account (per Region)")
    return ConfiguredLimit(setting.throttle.rate_limit, setting.throttle.burst_limit, where)


def plan_limit(stage: StageConfig, api: Api | None, key_value: str, path: str, method: str) -> ConfiguredLimit | None:
    """The throttle of the usage plan an emulator API key belongs to (its per-method limit first)."""
    key = next((k for k in stage.api_keys if k.value == key_value), None)
    if key is None:
        return None
    plans = {plan.id: plan for plan in stage.usage_plans}
    plan = next((plans[i] for i in key.usage_plan_ids if i in plans), None)
    if plan is None:
        return None
    resource = _resource_of(api, path, method) if api is not None else path
    limit = plan.method_throttles.get((resource, method))
    where = f"usage plan {plan.id} method {method} {resource}, key {key.id}"
    if limit is None:
        limit, where = plan.throttle, f"usage plan {plan.id}, key {key.id}"
    if limit is None:
        return None
    return ConfiguredLimit(limit.rate_limit, limit.burst_limit, where)


def _resource_of(api: Api, path: str, method: str) -> str:
    match = Router(api.methods).match(path, method)
    return match.method.resource_path if match is not None else path


# --- AWS -----------------------------------------------------------------------------------------


def aws_stage_limit(client: Any, rest_api_id: str, stage: str, path: str, method: str) -> ConfiguredLimit | None:
    """The deployed stage's method throttle (or its `*/*` default, or the account's)."""
    resource = _aws_resource(client, rest_api_id, path)
    settings = client.get_stage(restApiId=rest_api_id, stageName=stage).get("methodSettings", {})
    for key, where in (
        (f"{_escape(resource)}/{method}", f"stage {stage} method {method} {resource}"),
        ("*/*", f"stage {stage} default (*/*)"),
    ):
        found = settings.get(key, {})
        if "throttlingRateLimit" in found and "throttlingBurstLimit" in found:
            return ConfiguredLimit(float(found["throttlingRateLimit"]), int(found["throttlingBurstLimit"]), where)
    account = client.get_account().get("throttleSettings", {})
    if "rateLimit" in account:
        return ConfiguredLimit(float(account["rateLimit"]), int(account["burstLimit"]), "account (per Region)")
    return None


def aws_plan_limit(
    client: Any, rest_api_id: str, stage: str, key_value: str, path: str, method: str
) -> ConfiguredLimit | None:
    """The throttle of the usage plan (of this stage) that holds the API key with this value."""
    key_id = _aws_key_id(client, key_value)
    if key_id is None:
        return None
    resource = _aws_resource(client, rest_api_id, path)
    for plan in _pages(client, "get_usage_plans", keyId=key_id):
        for api_stage in plan.get("apiStages", []):
            if api_stage.get("apiId") != rest_api_id or api_stage.get("stage") != stage:
                continue
            per_method = api_stage.get("throttle", {}).get(f"{resource}/{method}")
            if per_method and "rateLimit" in per_method:
                where = f"usage plan {plan['id']} method {method} {resource}, key {key_id}"
                return ConfiguredLimit(float(per_method["rateLimit"]), int(per_method["burstLimit"]), where)
            throttle = plan.get("throttle", {})
            if "rateLimit" in throttle:
                where = f"usage plan {plan['id']}, key {key_id}"
                return ConfiguredLimit(float(throttle["rateLimit"]), int(throttle["burstLimit"]), where)
    return None


def _escape(resource: str) -> str:
    # methodSettings keys escape the resource path's slashes as ~1 (AWS UpdateStage patch paths).
    return resource.replace("~", "~0").replace("/", "~1")


def _aws_key_id(client: Any, key_value: str) -> str | None:
    for key in _pages(client, "get_api_keys", includeValues=True):
        if key.get("value") == key_value:
            found: str = key["id"]
            return found
    return None


def _aws_resource(client: Any, rest_api_id: str, path: str) -> str:
    """The resource path (`/pets/{petId}`) a request path matches, most specific first."""
    resources = [item.get("path", "") for item in _pages(client, "get_resources", restApiId=rest_api_id)]
    matching = [r for r in resources if _template(r).fullmatch(path)]
    matching.sort(key=lambda r: (r.count("{"), -len(r)))
    return matching[0] if matching else path


def _template(resource: str) -> re.Pattern[str]:
    parts = []
    for segment in resource.strip("/").split("/"):
        if segment.endswith("+}"):
            parts.append(".+")
        elif segment.startswith("{"):
            parts.append("[^/]+")
        else:
            parts.append(re.escape(segment))
    return re.compile("/" + "/".join(parts) if resource.strip("/") else "/")


def _pages(client: Any, operation: str, **arguments: Any) -> Sequence[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    position: str | None = None
    while True:
        page = client.__getattribute__(operation)(**arguments, **({"position": position} if position else {}))
        items.extend(page.get("items", []))
        position = page.get("position")
        if not position:
            return items
