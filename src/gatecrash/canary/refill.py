"""Before a failed probe is retried: whether waiting can help it, and how long.

API Gateway throttles with token buckets that refill at `rate` tokens a second up to `burst` (AWS docs,
"Throttle requests to your REST APIs for better throughput"). A throttle probe's attempt empties the
bucket it aims at, so a retry sent at once meets the bucket its own attempt emptied and fails for that
reason alone. Before such a retry the canary waits until the bucket is full again: burst / rate seconds
after the attempt's last request, for the slowest bucket the request draws from (the stage's method
limit and, with an API key, its usage plan's). A usage-plan quota counts requests per DAY, WEEK or
MONTH (probes/quota-exceeded.yaml): no wait refills it, so a quota probe is not retried at all.

Pure, but for `configured_limits`, which reads the limits from the emulator's side file or from AWS.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from gatecrash.credentials import Secrets
from gatecrash.load.limits import ConfiguredLimit
from gatecrash.load.phase import limit_lookup
from gatecrash.runner.verdict import StepResult
from gatecrash.scenario.model import AuthKind, LimitSource, LoadPhase, MixEntry, RequestSpec
from gatecrash.target import LiveTarget

# No configured limit could be read (on AWS: no apigateway:GET): long enough for a low limit of a few
# requests a second to refill, short enough not to hold a run up.
FALLBACK_S = 5.0
# A limit of one request a minute with a burst of 100 would take 100 minutes: a canary run cannot wait
# that long, so the wait stops here (and its note says so).
CAP_S = 30.0

# The gateway response types whose cause is a token bucket, and a period's quota (probes/*.yaml).
BUCKET_RESPONSE_TYPE = "THROTTLED"
QUOTA_RESPONSE_TYPE = "QUOTA_EXCEEDED"
THROTTLED_ERROR_TYPE = "TooManyRequestsException"  # x-amzn-ErrorType of a THROTTLED 429

QUOTA_NOT_RETRIED = "not retried: a usage-plan quota is not refilled by waiting (it resets with its DAY, WEEK or MONTH)"


@dataclass(frozen=True, slots=True)
class Refill:
    """How long the buckets a request draws from take to go from empty to full, and which they are."""

    seconds: float
    because: str


def drains_a_bucket(result: StepResult) -> bool:
    """A throttle probe, or any probe whose failed attempt was throttled: both leave a bucket empty."""
    if result.mode.response_type == BUCKET_RESPONSE_TYPE:
        return True
    return any(o.error_type == THROTTLED_ERROR_TYPE for o in result.record.observations)


def spends_a_quota(result: StepResult) -> bool:
    return result.mode.response_type == QUOTA_RESPONSE_TYPE


def refill_time(limits: Sequence[ConfiguredLimit], unknown: str = "") -> Refill:
    """The slowest bucket's burst / rate, at most `CAP_S`; `FALLBACK_S` when no limit is known
    (`unknown` says why)."""
    known = [limit for limit in limits if limit.rate > 0]
    if not known:
        return Refill(FALLBACK_S, f"no configured limit known ({unknown or 'none found'}), {FALLBACK_S:g}s assumed")
    slowest = max(known, key=lambda limit: limit.burst / limit.rate)
    seconds = slowest.burst / slowest.rate
    because = f"{slowest.source} (burst {slowest.burst} at {slowest.rate:g}/s)"
    if seconds > CAP_S:
        return Refill(CAP_S, f"{because}, capped at {CAP_S:g}s of its {seconds:g}s")
    return Refill(seconds, because)


def last_request_at(result: StepResult) -> float | None:
    """Epoch seconds the attempt's last request ended (its answer, or its sending if none came)."""
    moments = [o.received_at or o.sent_at for o in result.record.observations]
    return max(moments) if moments else None


def wait_needed(refill: Refill, last_request: float | None, now: float) -> float:
    """What is left of the refill since the attempt's last request (all of it if that is unknown)."""
    if last_request is None:
        return refill.seconds
    return min(refill.seconds, max(0.0, last_request + refill.seconds - now))


def retried_after(result: StepResult, waited: float, refill: Refill) -> StepResult:
    if waited >= 0.05:
        note = f"retried after waiting {waited:.1f}s for {refill.because} to refill"
    else:  # reading the logs of the attempt took longer than the refill
        note = f"retried once {refill.because} had refilled"
    return replace(result, reason=f"{result.reason} ({note})" if result.reason else note)


def configured_limits(result: StepResult, target: LiveTarget, secrets: Secrets) -> tuple[list[ConfiguredLimit], str]:
    """The limits each request of the probe draws from (stage, and usage plan with an API key), and
    why none could be read, if so. Reads the side file, or the stage on AWS (apigateway:GET)."""
    try:
        lookup = limit_lookup(target, secrets)
        found: list[ConfiguredLimit] = []
        for request in _requests(result):
            entry = MixEntry(request)
            sources = [LimitSource.STAGE]
            if request.auth.kind is AuthKind.API_KEY:
                sources.append(LimitSource.USAGE_PLAN)
            found += [limit for source in sources if (limit := lookup(source, entry)) is not None]
    except Exception as exc:  # botocore raises many types: a missing limit is a fallback, not a crash
        return [], f"reading the configured limits failed: {type(exc).__name__}: {exc}"
    return found, ""


def _requests(result: StepResult) -> tuple[RequestSpec, ...]:
    step = result.record.step
    if isinstance(step, LoadPhase):
        return tuple(entry.request for entry in step.mix)
    return (step.request,)
