from __future__ import annotations

from datetime import UTC, datetime

from gatecrash.emulator.model import ApiKey, Quota, QuotaPeriod, StageConfig, ThrottleLimit, UsagePlan
from gatecrash.emulator.usage import KeyOutcome, UsagePlans, period_start

PLAN = UsagePlan(
    id="p1",
    name="basic",
    throttle=ThrottleLimit(100, 100),
    quota=Quota(3, QuotaPeriod.DAY, offset=1),
    method_throttles={("/slow", "GET"): ThrottleLimit(1, 1)},
)
KEYS = (
    ApiKey(id="k1", name="good", value="good-key-123456", usage_plan_ids=("p1",)),
    ApiKey(id="k2", name="off", value="disabled-key-1", enabled=False, usage_plan_ids=("p1",)),
    ApiKey(id="k3", name="orphan", value="orphan-key-123", usage_plan_ids=()),
)


def plans(now: list[float]) -> UsagePlans:
    return UsagePlans(StageConfig(usage_plans=(PLAN,), api_keys=KEYS), clock=lambda: now[0], wall=lambda: now[0])


def test_missing_unknown_disabled_and_planless_keys_are_invalid() -> None:
    usage = plans([1_700_000_000.0])
    for value in (None, "", "nope", "disabled-key-1", "orphan-key-123"):
        assert usage.check(value, "/x", "GET").outcome is KeyOutcome.INVALID


def test_quota_counts_the_offset_in_the_first_period_and_resets_at_utc_midnight() -> None:
    noon = datetime(2026, 11, 25, 12, tzinfo=UTC).timestamp()
    now = [noon]
    usage = plans(now)
    outcomes = [usage.check("good-key-123456", "/x", "GET").outcome for _ in range(3)]
    # limit 3, offset 1: two requests in the first period.
    assert outcomes == [KeyOutcome.ALLOWED, KeyOutcome.ALLOWED, KeyOutcome.QUOTA_EXCEEDED]
    now[0] = datetime(2026, 11, 26, 0, 0, 1, tzinfo=UTC).timestamp()
    outcomes = [usage.check("good-key-123456", "/x", "GET").outcome for _ in range(4)]
    assert outcomes == [KeyOutcome.ALLOWED] * 3 + [KeyOutcome.QUOTA_EXCEEDED]


def test_per_method_plan_limit_wins_over_the_plan_limit() -> None:
    now = [1_700_000_000.0]
    usage = plans(now)
    first = usage.check("good-key-123456", "/slow", "GET")
    second = usage.check("good-key-123456", "/slow", "GET")
    assert first.outcome is KeyOutcome.ALLOWED
    assert second.outcome is KeyOutcome.THROTTLED
    assert second.limit == ThrottleLimit(1, 1)
    assert second.plan == PLAN


def test_period_starts() -> None:
    moment = datetime(2026, 11, 25, 15, 30, tzinfo=UTC)  # a Wednesday
    assert period_start(moment, QuotaPeriod.DAY) == datetime(2026, 11, 25, tzinfo=UTC)
    assert period_start(moment, QuotaPeriod.WEEK) == datetime(2026, 11, 23, tzinfo=UTC)
    assert period_start(moment, QuotaPeriod.MONTH) == datetime(2026, 11, 1, tzinfo=UTC)
