"""Judging a phase's expectations: shares, throttle limits within a tolerance, AWS's best effort."""

from __future__ import annotations

from gatecrash.load.estimate import Band, BucketEstimate
from gatecrash.load.limits import ConfiguredLimit
from gatecrash.load.verify import BEST_EFFORT_NOTE, BucketFit, Check, throttle_checks, verdict
from gatecrash.runner.verdict import Verdict

CONFIGURED = ConfiguredLimit(100.0, 200, "stage prod method GET /pets")


def fit(rate: float, burst: float, tolerance: float, configured: ConfiguredLimit | None = CONFIGURED) -> BucketFit:
    estimate = BucketEstimate(Band(rate, rate - 1, rate + 1), Band(burst, burst - 2, burst + 2), 900, 300, 8.0)
    return BucketFit("GET /pets", 1200, configured, estimate, tolerance)


def test_estimates_within_the_tolerance_pass_and_outside_fail() -> None:
    rate, burst = throttle_checks([fit(104.0, 190.0, 0.05)], on_aws=False)
    assert rate.passed and burst.passed
    assert "104.00 rps" in rate.observed and "+4.0%" in rate.observed
    rate, _ = throttle_checks([fit(94.0, 200.0, 0.05)], on_aws=False)
    assert not rate.passed


def test_on_aws_small_overshoot_passes_but_a_wrong_configuration_fails() -> None:
    overshoot, _ = throttle_checks([fit(115.0, 215.0, 0.20)], on_aws=True)
    assert overshoot.passed and BEST_EFFORT_NOTE in overshoot.expected
    wrong, _ = throttle_checks([fit(50.0, 100.0, 0.20)], on_aws=True)
    assert not wrong.passed


def test_no_configured_limit_fails_saying_why() -> None:
    missing = BucketFit("GET /pets", 10, None, BucketEstimate(None, None, 10, 0, 0.0), 0.05, "AccessDenied")
    [check] = throttle_checks([missing], on_aws=True)
    assert not check.passed and check.observed == "none found: AccessDenied"


def test_a_failed_expectation_is_a_wrong_status_and_a_wrong_cause_only_when_the_rest_holds() -> None:
    met = Check("status", "status 200 share", True, "", "")
    cause = Check("cause", "cause from the access log", False, "", "30x 429 QUOTA_EXCEEDED")
    assert verdict([met, cause], confirmed=True)[0] is Verdict.WRONG_CAUSE
    assert verdict([Check("status", "s", False, "", ""), cause], confirmed=True)[0] is Verdict.WRONG_STATUS
    assert verdict([met], confirmed=True)[0] is Verdict.CONFIRMED
    assert verdict([met], confirmed=False)[0] is Verdict.UNCONFIRMED
