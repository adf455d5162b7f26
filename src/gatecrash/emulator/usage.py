"""API keys and usage plans: which key, is it allowed on this stage, its throttle and its quota.

AWS docs "Usage plans and API keys for REST APIs": a key must exist, be enabled and belong to a
usage plan of this stage, else 403 `Forbidden`; the plan's per-method limit (or else its per-client
limit) throttles the key (429 `Too Many Requests`); the quota counts the key's requests per DAY,
WEEK or MONTH (429 `Limit Exceeded`). QuotaSettings.offset is "the number of requests subtracted
from the given limit in the initial time period" (API reference, QuotaSettings).
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from gatecrash.emulator.model import ApiKey, Quota, QuotaPeriod, StageConfig, ThrottleLimit, UsagePlan
from gatecrash.emulator.throttle import Clock, TokenBucket

WallClock = Callable[[], float]


class KeyOutcome(enum.Enum):
    ALLOWED = "allowed"
    INVALID = "invalid"
    THROTTLED = "throttled"
    QUOTA_EXCEEDED = "quota_exceeded"


@dataclass(frozen=True, slots=True)
class KeyVerdict:
    outcome: KeyOutcome
    key: ApiKey | None = None
    plan: UsagePlan | None = None
    limit: ThrottleLimit | None = None


def period_start(moment: datetime, period: QuotaPeriod) -> datetime:
    """Start of the UTC calendar period holding `moment` (weeks start on Monday, ISO 8601)."""
    day = moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    if period is QuotaPeriod.DAY:
        return day
    if period is QuotaPeriod.WEEK:
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


class UsagePlans:
    def __init__(self, stage: StageConfig, clock: Clock = time.monotonic, wall: WallClock = time.time) -> None:
        self._keys = {key.value: key for key in stage.api_keys}
        self._plans = {plan.id: plan for plan in stage.usage_plans}
        self._clock = clock
        self._wall = wall
        self._buckets: dict[tuple[str, str, tuple[str, str] | None], TokenBucket] = {}
        self._used: dict[tuple[str, str], tuple[datetime, int]] = {}
        self._first_period: dict[tuple[str, str], datetime] = {}

    def plan_for(self, key: ApiKey) -> UsagePlan | None:
        for plan_id in key.usage_plan_ids:
            plan = self._plans.get(plan_id)
            if plan is not None:
                return plan
        return None

    def check(self, key_value: str | None, resource_path: str, http_method: str) -> KeyVerdict:
        key = self._keys.get(key_value) if key_value else None
        if key is None or not key.enabled:
            return KeyVerdict(KeyOutcome.INVALID, key)
        plan = self.plan_for(key)
        if plan is None:
            return KeyVerdict(KeyOutcome.INVALID, key)
        limit, bucket = self._bucket(key, plan, resource_path, http_method)
        if bucket is not None:
            if not bucket.available():
                return KeyVerdict(KeyOutcome.THROTTLED, key, plan, limit)
            bucket.take()
        if plan.quota is not None and not self._count(key, plan, plan.quota):
            return KeyVerdict(KeyOutcome.QUOTA_EXCEEDED, key, plan)
        return KeyVerdict(KeyOutcome.ALLOWED, key, plan)

    def _bucket(
        self, key: ApiKey, plan: UsagePlan, resource_path: str, http_method: str
    ) -> tuple[ThrottleLimit | None, TokenBucket | None]:
        method_key = (resource_path, http_method)
        limit = plan.method_throttles.get(method_key)
        scope: tuple[str, str] | None = method_key
        if limit is None:
            limit, scope = plan.throttle, None
        if limit is None:
            return None, None
        bucket_key = (key.id, plan.id, scope)
        bucket = self._buckets.get(bucket_key)
        if bucket is None:
            bucket = self._buckets[bucket_key] = TokenBucket(limit, self._clock)
        return limit, bucket

    def _count(self, key: ApiKey, plan: UsagePlan, quota: Quota) -> bool:
        """Count one request against the key's quota; False when the period's quota is used up."""
        now = datetime.fromtimestamp(self._wall(), UTC)
        start = period_start(now, quota.period)
        slot = (key.id, plan.id)
        first = self._first_period.setdefault(slot, start)
        since, used = self._used.get(slot, (start, quota.offset if start == first else 0))
        if since != start:
            used = 0
        if used >= quota.limit:
            self._used[slot] = (start, used)
            return False
        self._used[slot] = (start, used + 1)
        return True
