"""A retried throttle probe waits for the bucket its attempt emptied; a quota probe is not retried blindly.

The emulator's `/limited` method is throttled to 1 request a second, burst 2 (scenarios/demo/stage.yaml).
Here a plain request takes one token just before the burst, so the burst's first try gets one 200, not two.
Retried at once it would meet the bucket that try emptied and fail again; after burst / rate = 2 s it passes.
Logs are not read (correlate off), so a retry follows its attempt within milliseconds.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from gatecrash.canary import refill
from gatecrash.canary.execute import _with_retries, attempt
from gatecrash.catalogue import load_catalogue
from gatecrash.load.limits import ConfiguredLimit
from gatecrash.run import RunOptions, resolve_secrets
from gatecrash.runner.verdict import Verdict
from gatecrash.scenario import load_scenario
from gatecrash.target import LiveTarget, open_target

SCENARIO = """
name: canary-refill
target:
  emulator:
    definition: api.yaml
    side-file: stage.yaml
credentials:
  demo-key: {emulator-api-key: demokey1}
limits:
  max-requests: 60
  max-duration: 30s
concurrency: 1
probes:
  - name: one request to the limited method
    mode: ok
    request: {method: GET, path: /limited}
  - name: burst past the method limit (1 rps, burst 2)
    mode: throttled
    burst:
      requests: 5
      request: {method: GET, path: /limited}
    expect:
      "200": [2, 2]
      "429": [3, 3]
  - name: quota of 5 a day, judged after 2 requests
    mode: quota-exceeded
    request: {method: GET, path: /keyed, auth: {api-key: demo-key}}
    repeat: 2
    judge: last
"""

NO_LOGS = RunOptions(correlate=False)


def _scenario(canary_dir: Path) -> Path:
    path = canary_dir / "refill.yaml"
    path.write_text(SCENARIO, encoding="utf-8")
    return path


def test_a_retried_throttle_probe_waits_for_the_bucket_and_passes(canary_dir: Path) -> None:
    catalogue = load_catalogue()
    scenario = load_scenario(_scenario(canary_dir), catalogue.ids)
    with open_target(scenario.target) as target:
        run, _ = attempt(scenario, target, catalogue, retries=1, number=1, options=NO_LOGS)
    plain, burst, quota = run.probes
    assert (plain.verdict, plain.attempts) == (Verdict.UNCONFIRMED, 1)
    assert (burst.verdict, burst.attempts, sorted(burst.statuses)) == (
        Verdict.UNCONFIRMED,
        2,
        [200, 200, 429, 429, 429],
    )
    assert "retried after waiting" in burst.reason
    assert "stage demo method GET /limited (burst 2 at 1/s) to refill" in burst.reason
    # The quota is spent by requests, not time: the probe is not sent again and its reason says why.
    assert (quota.verdict, quota.attempts) == (Verdict.WRONG_STATUS, 1)
    assert quota.reason.endswith(refill.QUOTA_NOT_RETRIED)


def test_without_the_wait_the_retry_fails_because_of_the_try_before_it(canary_dir: Path) -> None:
    """The control: the same retry sent at once meets the emptied bucket (what the wait prevents)."""
    catalogue = load_catalogue()
    scenario = load_scenario(_scenario(canary_dir), catalogue.ids)
    waits: list[float] = []
    with open_target(scenario.target) as target:
        results, attempts = _with_retries(scenario, target, catalogue, 1, NO_LOGS, sleep=waits.append)
    assert attempts[1] == 2 and results[1].verdict is Verdict.WRONG_STATUS, results[1].reason
    assert len(waits) == 1 and 0.0 < waits[0] <= 2.0  # what it would have waited: what is left of 2 s


def test_the_limits_a_throttle_probe_draws_from_are_the_stage_s_and_its_key_s_plan(canary_dir: Path) -> None:
    catalogue = load_catalogue()
    scenario = load_scenario(_scenario(canary_dir), catalogue.ids)
    with open_target(scenario.target) as target:
        results, _ = _with_retries(scenario, target, catalogue, 0, NO_LOGS)
        secrets = resolve_secrets(scenario, target)
        burst_limits, _ = refill.configured_limits(results[1], target, secrets)
        keyed_limits, _ = refill.configured_limits(results[2], target, secrets)
    assert [(limit.rate, limit.burst) for limit in burst_limits] == [(1.0, 2)]
    assert [(limit.rate, limit.burst) for limit in keyed_limits] == [(10000.0, 5000), (50.0, 100)]
    assert refill.refill_time(keyed_limits).seconds == pytest.approx(2.0)


def test_limits_that_cannot_be_read_fall_back_and_say_why(canary_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # no credentials anywhere: nothing leaves
    catalogue = load_catalogue()
    scenario = load_scenario(_scenario(canary_dir), catalogue.ids)
    with open_target(scenario.target) as emulator:
        results, _ = _with_retries(scenario, emulator, catalogue, 0, NO_LOGS)
    url = "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod"
    aws = LiveTarget("AWS", url, "us-east-1", "a1b2c3d4e5", "prod", None, "API-Gateway-Execution-Logs", None)
    limits, missing = refill.configured_limits(results[1], aws, resolve_secrets(scenario, emulator))
    assert limits == [] and missing.startswith("reading the configured limits failed: NoCredentialsError")
    fallback = refill.refill_time(limits, missing)
    assert fallback.seconds == refill.FALLBACK_S and "NoCredentialsError" in fallback.because


def test_the_refill_is_the_slowest_bucket_s_burst_over_rate_capped() -> None:
    stage = ConfiguredLimit(1.0, 2, "stage s method GET /x")
    plan = ConfiguredLimit(0.5, 4, "usage plan p, key k")
    assert refill.refill_time([stage, plan]) == refill.Refill(8.0, "usage plan p, key k (burst 4 at 0.5/s)")
    slow = refill.refill_time([ConfiguredLimit(1 / 60, 100, "stage s default (*/*)")])
    assert slow.seconds == refill.CAP_S and "capped at 30s" in slow.because
    assert refill.refill_time([]).seconds == refill.FALLBACK_S
    # Time already spent (reading the attempt's logs) counts towards the refill.
    needed = refill.Refill(2.0, "stage")
    assert refill.wait_needed(needed, last_request=100.0, now=100.5) == pytest.approx(1.5)
    assert refill.wait_needed(needed, last_request=100.0, now=103.0) == 0.0
    assert refill.wait_needed(needed, last_request=None, now=103.0) == 2.0
