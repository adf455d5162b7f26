"""The front door's 431 (request line and headers over 10,240 bytes) is confirmed from its own answer.

AWS logs nothing for it ("Monitor REST APIs": no logs or metrics for 431 Request Header Fields Too
Large errors) and gives it no request id, as for the 413; what only the front door sends is the proof:
431, `HTTP header is larger than 10240 bytes.` (ntsblog.homedev.com.au, 2021-03-09) in the front
door's plain text, and a request whose head was over the limit (emulator/frontdoor.py).
"""

from __future__ import annotations

from pathlib import Path

from gatecrash.catalogue import load_catalogue
from gatecrash.correlate.model import Classification, RequestLogs
from gatecrash.correlate.verdicts import confirm, head_size
from gatecrash.run import RunOptions, run_scenario
from gatecrash.runner.fire import StepRecord
from gatecrash.runner.record import Observation, SentRequest
from gatecrash.runner.verdict import StepResult, Verdict, judge
from gatecrash.scenario import load_scenario
from gatecrash.scenario.model import Probe, RequestSpec
from tests.conftest import DEMO

CATALOGUE = load_catalogue()
BODY = "HTTP header is larger than 10240 bytes."
PLAIN = "text; charset=utf-8"
PAD = 11_000


def no_logs(logs: RequestLogs) -> Classification:
    return Classification(logs.request_id, None, None, ())


def answer(body: str = BODY, content_type: str | None = PLAIN, pad: int = PAD, request_id: str | None = None):
    headers = tuple(
        (k, v) for k, v in (("content-type", content_type), ("x-amzn-requestid", request_id)) if v is not None
    )
    request = SentRequest("GET", "http://x/s/pets?a=1", (("x-padding", "a" * pad),), "", 0)
    observation = Observation("p", 0, request, 0.0, 0.1, 431, headers, body)
    probe = Probe("p", "request-header-too-large", RequestSpec("GET", "/pets"))
    return judge(StepRecord(probe, (observation,)), CATALOGUE.get("request-header-too-large"))


def test_the_head_is_measured_as_the_front_door_counts_it() -> None:
    request = SentRequest("GET", "http://x/s/pets?a=1", (("x-padding", "abc"),), "", 0)
    assert head_size(request) == len(b"GET /s/pets?a=1 HTTP/1.1\r\n") + len(b"x-padding: abc\r\n")


def test_a_431_with_what_only_the_front_door_sends_is_confirmed_with_its_own_reason() -> None:
    confirmed = confirm(answer(), {}, no_logs)
    assert confirmed.verdict is Verdict.CONFIRMED, confirmed.reason
    size = head_size(answer().record.observations[0].request)
    assert size > 10_240
    assert confirmed.reason == (
        "confirmed from the front door's own answer: 'HTTP header is larger than 10240 bytes.' in "
        f"'text; charset=utf-8', no request id, to a {size:,}-byte head (request line and headers) "
        "(AWS logs nothing for it)"
    )
    assert confirmed.observed_cause == "request-header-too-large"


def test_a_431_lacking_what_only_the_front_door_sends_is_not_confirmed() -> None:
    small = confirm(answer(pad=100), {}, no_logs)
    assert small.verdict is Verdict.UNCONFIRMED
    assert "the request's head (request line and headers) was" in small.reason and "within the limit" in small.reason
    json_431 = confirm(answer(body='{"message": "too big"}', content_type="application/json"), {}, no_logs)
    assert json_431.verdict is Verdict.UNCONFIRMED
    assert "Content-Type application/json, not text; charset=utf-8" in json_431.reason
    assert f"the body is not {BODY!r}" in json_431.reason
    with_id = confirm(answer(request_id="r1"), {}, no_logs)
    assert with_id.verdict is Verdict.UNCONFIRMED
    assert with_id.reason == "expected the front door's answer without a request id; got r1"


def test_the_413s_body_does_not_confirm_a_431() -> None:
    crossed = confirm(answer(body="HTTP content length exceeded 10485760 bytes."), {}, no_logs)
    assert crossed.verdict is Verdict.UNCONFIRMED


def run_against_the_emulator(tmp_path: Path) -> list[StepResult]:
    path = tmp_path / "scenario.yaml"
    path.write_text(
        f"target: {{emulator: {{definition: {DEMO}/api.yaml, side-file: {DEMO}/stage.yaml}}}}\n"
        "limits: {max-requests: 5, max-duration: 60s}\n"
        "probes:\n"
        f"  - {{name: oversize headers, mode: request-header-too-large, request: {{method: GET, path: /pets, "
        f"headers: {{X-Padding: {'a' * PAD}}}}}}}\n"
        "  - {name: list pets, mode: ok, request: {method: GET, path: /pets}}\n"
    )
    run = run_scenario(load_scenario(path, CATALOGUE.ids), CATALOGUE, RunOptions(logs_deadline_s=10.0))
    return list(run.results)


def test_the_emulators_431_is_confirmed_from_the_front_doors_own_answer(tmp_path: Path) -> None:
    oversize, listed = run_against_the_emulator(tmp_path)
    assert oversize.verdict is Verdict.CONFIRMED, oversize.reason
    assert oversize.reason.startswith(
        "confirmed from the front door's own answer: 'HTTP header is larger than 10240 bytes.'"
    )
    assert "head (request line and headers)" in oversize.reason
    assert listed.verdict is Verdict.CONFIRMED, listed.reason  # the next request is served as usual
