from __future__ import annotations

from gatecrash.emulator.model import MethodSetting, StageConfig, ThrottleLimit
from gatecrash.emulator.throttle import StageThrottle, TokenBucket, take_all


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_bucket_starts_full_and_refills_at_the_rate() -> None:
    clock = FakeClock()
    bucket = TokenBucket(ThrottleLimit(rate_limit=10, burst_limit=3), clock)
    taken = 0
    while bucket.available():
        bucket.take()
        taken += 1
    assert taken == 3
    clock.now = 0.25  # 2.5 tokens
    granted = []
    for _ in range(3):
        granted.append(bucket.available())
        if granted[-1]:
            bucket.take()
    assert granted == [True, True, False]


def test_refill_never_exceeds_the_burst() -> None:
    clock = FakeClock()
    bucket = TokenBucket(ThrottleLimit(rate_limit=1000, burst_limit=5), clock)
    clock.now = 60.0
    count = 0
    while bucket.available():
        bucket.take()
        count += 1
    assert count == 5


def test_accepted_count_follows_burst_plus_rate_times_time() -> None:
    # AWS docs' token bucket: 300 rps offered to 100 rps / burst 200 for 10 s accepts 200 + 100 x 10.
    clock = FakeClock()
    stage = TokenBucket(ThrottleLimit(100, 200), clock)
    accepted = 0
    for index in range(3000):
        clock.now = index / 300
        if take_all([("stage", stage)]).refused_by is None:
            accepted += 1
    assert accepted == 1199  # the last request leaves at 9.9967 s: 200 + 999.67 tokens


def test_take_all_takes_nothing_when_one_bucket_is_empty() -> None:
    clock = FakeClock()
    full = TokenBucket(ThrottleLimit(1, 5), clock)
    empty = TokenBucket(ThrottleLimit(1, 1), clock)
    empty.take()
    assert take_all([("stage", full), ("account", empty)]).refused_by == "account"
    count = 0
    while full.available():
        full.take()
        count += 1
    assert count == 5


def test_stage_default_is_a_per_method_limit_and_overrides_win() -> None:
    clock = FakeClock()
    stage = StageConfig(
        method_settings={
            ("*", "*"): MethodSetting(throttle=ThrottleLimit(1, 1)),
            ("/fast", "GET"): MethodSetting(throttle=ThrottleLimit(1, 3)),
        }
    )
    throttle = StageThrottle(stage, clock)

    def accepted(path: str, n: int) -> int:
        return sum(take_all(throttle.buckets(path, "GET")).refused_by is None for _ in range(n))

    assert accepted("/a", 5) == 1
    assert accepted("/b", 5) == 1  # its own bucket at the default's limit
    assert accepted("/fast", 5) == 3


def test_account_limit_applies_without_stage_limits() -> None:
    clock = FakeClock()
    throttle = StageThrottle(StageConfig(account_throttle=ThrottleLimit(1, 2)), clock)
    results = [take_all(throttle.buckets("/x", "GET")).refused_by for _ in range(3)]
    assert results == [None, None, "account"]
