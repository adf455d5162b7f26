"""Two runs' answers, probe by probe: what counts as a difference and what never does."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from gatecrash.catalogue import load_catalogue
from gatecrash.compare.diff import Volatile, answer_differences, comparable, compare_runs
from gatecrash.run import RunResult
from gatecrash.runner.fire import StepRecord
from gatecrash.runner.record import Observation, SentRequest
from gatecrash.runner.verdict import StepResult, Verdict
from gatecrash.scenario.model import (
    Burst,
    EmulatorTarget,
    Limits,
    LoadKind,
    LoadPhase,
    MixEntry,
    Probe,
    RateSegment,
    RequestSpec,
    Scenario,
)
from gatecrash.target import LiveTarget

CATALOGUE = load_catalogue()
MOMENT = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
SENT = SentRequest("GET", "http://127.0.0.1:1/demo/x", (), "", 0)
A, B = Volatile("runA", "127.0.0.1:1111"), Volatile("runB", "127.0.0.1:2222")


def answer(
    status: int | None,
    *,
    body: str = "",
    headers: Sequence[tuple[str, str]] = (),
    request_id: str = "11111111-aaaa",
    error: str | None = None,
    index: int = 0,
) -> Observation:
    stamped = [("x-amzn-requestid", request_id), ("x-amz-apigw-id", f"ext-{request_id}"), ("date", "Fri, 02 Jan")]
    every = tuple([*stamped, *headers]) if status is not None else ()
    kept = tuple(
        (name.lower(), value) for name, value in every if name.lower() in ("x-amzn-requestid", "x-amzn-errortype")
    )
    return Observation("p", index, SENT, 0.0, 0.1 if status else None, status, kept, body, error, every)


def result(step: Probe | Burst, observations: Sequence[Observation], cause: str | None = None) -> StepResult:
    return StepResult(StepRecord(step, tuple(observations)), CATALOGUE.get(step.mode), Verdict.UNCONFIRMED, "", cause)


def run(results: Sequence[StepResult], side: Volatile) -> RunResult:
    steps = tuple(r.record.step for r in results)
    scenario = Scenario(Path("s.yaml"), "pair", EmulatorTarget(Path("api.yaml")), Limits(50, 30.0), steps)
    live = LiveTarget(
        f"emulator {side.run_id}", f"http://{side.host}/demo", "us-east-1", "api", "demo", None, "e", None
    )
    return RunResult(scenario, live, side.run_id, MOMENT, MOMENT, tuple(results))


PROBE = Probe("keyed", "invalid-api-key", RequestSpec("GET", "/keyed"))


def test_the_same_answer_with_other_ids_and_dates_agrees() -> None:
    a = answer(403, body='{"message":"Forbidden"}', headers=[("content-type", "application/json")], request_id="aaaa")
    b = answer(403, body='{"message":"Forbidden"}', headers=[("Content-Type", "application/json")], request_id="bbbb")
    assert answer_differences(a, b, A, B) == []


def test_status_error_type_body_and_headers_each_differ() -> None:
    a = answer(
        403,
        body='{"message":"Forbidden"}',
        headers=[("x-amzn-ErrorType", "ForbiddenException"), ("Access-Control-Allow-Origin", "*")],
    )
    b = answer(200, body="[]")
    found = {d.aspect: (d.a, d.b) for d in answer_differences(a, b, A, B)}
    assert found == {
        "status": ("403", "200"),
        "x-amzn-ErrorType": ("ForbiddenException", "(none)"),
        "body": ('{"message":"Forbidden"}', "[]"),
        "header access-control-allow-origin": ("*", "(absent)"),
    }


def test_an_echo_of_each_sides_own_request_id_run_and_host_reads_the_same() -> None:
    a = answer(
        200, body='{"requestId": "aaaa", "tag": "runA/p/0", "url": "http://127.0.0.1:1111/x"}', request_id="aaaa"
    )
    b = answer(
        200, body='{"requestId": "bbbb", "tag": "runB/p/0", "url": "http://127.0.0.1:2222/x"}', request_id="bbbb"
    )
    assert answer_differences(a, b, A, B) == []


def test_a_signature_mismatch_quoting_each_sides_date_and_digest_reads_the_same() -> None:
    # The emulator quotes the canonical request and string-to-sign, which hold X-Amz-Date and a SHA-256 digest.
    def mismatch(stamp: str, digest: str) -> str:
        scope = "20260102/us-east-1/execute-api/aws4_request"
        return f'{{"message":"...should have been\\n\'AWS4-HMAC-SHA256\\n{stamp}\\n{scope}\\n{digest}\'\\n"}}'

    a = answer(403, body=mismatch("20260102T030405Z", "a" * 64))
    b = answer(403, body=mismatch("20260102T030409Z", "b" * 64))
    assert answer_differences(a, b, A, B) == []


def test_json_bodies_compare_by_value_and_true_is_not_one() -> None:
    assert answer_differences(answer(200, body='{"a": 1, "b": 2}'), answer(200, body='{"b":2,"a":1}'), A, B) == []
    [difference] = answer_differences(answer(200, body='{"ok": true}'), answer(200, body='{"ok": 1}'), A, B)
    assert difference.aspect == "body"


def test_a_long_body_is_shown_from_where_it_departs() -> None:
    common = '{"message": "' + "x" * 200
    [difference] = answer_differences(answer(200, body=common + 'A"}'), answer(200, body=common + 'B"}'), A, B)
    assert difference.a.startswith("...") and difference.a.endswith('A"}')
    assert difference.b.startswith("...") and difference.b.endswith('B"}')


def test_a_transport_failure_on_one_side_is_the_difference() -> None:
    [difference] = answer_differences(answer(200), answer(None, error="timeout (ReadTimeout)"), A, B)
    assert (difference.aspect, difference.a, difference.b) == ("answer", "200", "timeout (ReadTimeout)")


def test_repeated_requests_are_compared_one_by_one_and_the_causes_too() -> None:
    quota = Probe("quota", "quota-exceeded", RequestSpec("GET", "/keyed"), repeat=2)
    a = run([result(quota, [answer(200), answer(429, index=1)], cause="quota-exceeded")], A)
    b = run([result(quota, [answer(200), answer(200, index=1)], cause="ok")], B)
    comparison = compare_runs(a, b, "emulator", "aws")
    [probe] = comparison.probes
    assert [(d.aspect, d.a, d.b) for d in probe.differences] == [
        ("request 2 of 2: status", "429", "200"),
        ("cause", "quota-exceeded", "ok"),
    ]
    assert (probe.a, probe.b) == ("200, 429", "2x 200")
    assert not comparison.agrees and comparison.differing == (probe,)
    assert comparison.a == "emulator (emulator runA)" and comparison.b == "aws (emulator runB)"


def test_without_the_logs_causes_are_not_compared() -> None:
    a = run([result(PROBE, [answer(403)], cause="invalid-api-key")], A)
    b = run([result(PROBE, [answer(403)], cause=None)], B)
    assert compare_runs(a, b, "a", "b", causes=False).agrees
    [difference] = compare_runs(a, b, "a", "b").probes[0].differences
    assert (difference.aspect, difference.a, difference.b) == ("cause", "invalid-api-key", "no log evidence")


def test_a_burst_compares_how_many_answers_of_each_status() -> None:
    burst = Burst("burst", "throttled", RequestSpec("GET", "/limited"), 3)
    throttled = [("x-amzn-ErrorType", "TooManyRequestsException")]
    a = run([result(burst, [answer(429, headers=throttled), answer(200), answer(200)])], A)
    same = run([result(burst, [answer(200), answer(429, headers=throttled), answer(200)])], B)
    other = run([result(burst, [answer(200), answer(200), answer(200)])], B)
    assert compare_runs(a, same, "a", "b", causes=False).agrees
    [difference] = compare_runs(a, other, "a", "b", causes=False).probes[0].differences
    assert (difference.aspect, difference.a, difference.b) == (
        "answers",
        "2x 200, 1x 429 TooManyRequestsException",
        "3x 200",
    )


def test_load_phases_are_left_out_and_named() -> None:
    phase = LoadPhase(
        "soak", "throttled", LoadKind.RATE, (RateSegment(5, 5, 2),), (MixEntry(RequestSpec("GET", "/x")),), 10, 3.0
    )
    scenario = Scenario(Path("s.yaml"), "s", EmulatorTarget(Path("api.yaml")), Limits(50, 30.0), (PROBE, phase))
    probes, phases = comparable(scenario)
    assert probes.steps == (PROBE,) and phases == ("soak",)
