"""Recorded answers as a parity case file: what is written, what is left out and why, and no secret."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from gatecrash.catalogue import load_catalogue
from gatecrash.emulator.definition import parse_definition
from gatecrash.emulator.sidefile import parse_side_file
from gatecrash.parity.cases import ANY, parse_case_file
from gatecrash.parity.record import (
    Mirror,
    RecordError,
    Recording,
    read_mirror,
    record,
    redacted_side_file,
    render,
    write_recording,
)
from gatecrash.run import RunResult
from gatecrash.runner.fire import StepRecord
from gatecrash.runner.record import Observation, SentRequest
from gatecrash.runner.verdict import StepResult, Verdict
from gatecrash.scenario.model import (
    Auth,
    AuthKind,
    Burst,
    EmulatorTarget,
    JwtFault,
    Limits,
    Probe,
    RequestSpec,
    Scenario,
    SigV4Fault,
)
from gatecrash.target import LiveTarget

CATALOGUE = load_catalogue()
MOMENT = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
SENT = SentRequest("GET", "http://127.0.0.1:4321/dev/x", (), "", 0)
REAL_KEY = "real-key-value-0123456789abcdef"
MOCK = {
    "type": "mock",
    "requestTemplates": {"application/json": '{"statusCode": 200}'},
    "responses": {"default": {"statusCode": "200"}},
}
DEFINITION: dict[str, Any] = {
    "openapi": "3.0.1",
    "info": {"title": "t", "version": "1"},
    "paths": {
        "/pets": {"get": {"responses": {"200": {"description": "ok"}}, "x-amazon-apigateway-integration": MOCK}},
        "/fn": {
            "get": {
                "responses": {"200": {"description": "ok"}},
                "x-amazon-apigateway-integration": {
                    "type": "aws_proxy",
                    "httpMethod": "POST",
                    "uri": "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
                    "arn:aws:lambda:us-east-1:123456789012:function:fn/invocations",
                },
            }
        },
        "/proxy/{p+}": {
            "get": {
                "parameters": [{"name": "p", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {"200": {"description": "ok"}},
                "x-amazon-apigateway-integration": {
                    "type": "http_proxy",
                    "httpMethod": "GET",
                    "uri": "http://${stageVariables.backend}/{p}",
                },
            }
        },
    },
}
SIDE_FILE: dict[str, Any] = {
    "stage": {"stageName": "dev", "variables": {"backend": "127.0.0.1:9", "kept": "yes"}},
    "apiKeys": [{"id": "k1", "name": "good", "enabled": True, "value": REAL_KEY}],
    "functions": {"fn": {"handler": "handlers:fast"}, "other": {"handler": "gatecrash.parity.handlers:echo"}},
    "iamCredentials": [
        {
            "accessKeyId": "AKIALOCAL0000000001",
            "secretAccessKey": "local-secret-0123456789",
            "sessionToken": "local-session-0123",
            "arn": "arn:aws:iam::123456789012:user/u",
            "allow": ["*"],
        }
    ],
    "userPools": [{"id": "us-east-1_pool", "clientIds": ["c1"], "signingKeySeedFrom": {"env": "POOL_SEED"}}],
}


def stage_of(side_file: Mapping[str, Any]) -> Any:
    return parse_side_file(side_file, "stage.yaml", environ={"POOL_SEED": "a-local-seed"})


def mirror(served: tuple[str, ...] = ()) -> Mirror:
    stage = stage_of(SIDE_FILE)
    return Mirror(DEFINITION, SIDE_FILE, stage, parse_definition(DEFINITION, "api.yaml"), {"extra": "1"}, served)


def answer(
    status: int | None,
    *,
    body: str = "",
    headers: Sequence[tuple[str, str]] = (),
    request_id: str = "req-0001",
    error: str | None = None,
) -> Observation:
    every = (("x-amzn-RequestId", request_id), ("Date", "Fri, 02 Jan 2026 03:04:05 GMT"), *headers)
    if status is None:
        every = ()
    kept = tuple((n.lower(), v) for n, v in every if n.lower() in ("x-amzn-requestid", "x-amzn-errortype"))
    return Observation("p", 0, SENT, 0.0, 0.1, status, kept, body, error, every)


def step_result(step: Probe | Burst, observations: Sequence[Observation], cause: str | None = None) -> StepResult:
    return StepResult(StepRecord(step, tuple(observations)), CATALOGUE.get(step.mode), Verdict.CONFIRMED, "", cause)


def recorded(
    results: Sequence[StepResult], api_keys: Mapping[str, str] | None = None, side: Mirror | None = None
) -> Recording:
    steps = tuple(r.record.step for r in results)
    scenario = Scenario(Path("s.yaml"), "s", EmulatorTarget(Path("api.yaml")), Limits(50, 30.0), steps)
    live = LiveTarget(
        "AWS abc/dev (us-east-1)", "http://127.0.0.1:4321/dev", "us-east-1", "abc", "dev", None, "e", None
    )
    run = RunResult(scenario, live, "run0run0", MOMENT, MOMENT, tuple(results))
    return record(run, api_keys or {}, side if side is not None else mirror(), "AWS abc/dev (us-east-1), 2026-01-02")


def probe(name: str, mode: str, path: str = "/pets", **request: Any) -> Probe:
    return Probe(name, mode, RequestSpec(request.pop("method", "GET"), path, **request))


def case_named(recording: Recording, name: str) -> dict[str, Any]:
    return next(case for case in recording.document["cases"] if case["name"] == name)


def loaded(recording: Recording) -> Any:
    """The file as the parity suite reads it."""
    return parse_case_file(yaml.safe_load(render(recording, "heading")), "recorded.yaml")


def test_an_answer_is_written_with_its_status_error_type_headers_and_body() -> None:
    forbidden = answer(
        403,
        body='{"message":"Forbidden"}',
        headers=[
            ("Content-Type", "application/json"),
            ("x-amzn-ErrorType", "ForbiddenException"),
            ("x-amz-apigw-id", "abc="),
            ("Content-Length", "23"),
        ],
    )
    ok = answer(200, body='[{"name": "Rex"}]', headers=[("Content-Type", "application/json")])
    recording = recorded(
        [
            step_result(probe("no key", "missing-api-key"), [forbidden], "missing-api-key"),
            step_result(probe("list", "ok"), [ok]),
        ]
    )
    assert case_named(recording, "no key") == {
        "name": "no key",
        "category": "API keys and usage plans",
        "request": {"method": "GET", "path": "/pets"},
        "expect": {
            "status": 403,
            "error-type": "ForbiddenException",
            "headers": {"content-type": "application/json"},  # not the ids, date or length of this one answer
            "body": '{"message":"Forbidden"}',
        },
        "note": "the logs showed missing-api-key",
    }
    listing = case_named(recording, "list")
    assert listing["category"] == "MOCK"  # the integration the request reached
    assert listing["expect"]["absent-headers"] == ["x-amzn-ErrorType"]
    assert recording.document["source"] == {"capture": "AWS abc/dev (us-east-1), 2026-01-02"}
    files = loaded(recording)
    assert [case.id for case in files.cases] == ["recorded/no key", "recorded/list"]
    assert files.cases[0].steps[0].expect.status == 403


def test_the_answers_own_request_id_and_run_become_any() -> None:
    echo = answer(
        200,
        body='{"requestId": "req-0001", "tag": "run0run0/echo/0", "path": "/fn"}',
        headers=[("X-Echo-Id", "id=req-0001")],
    )
    text = answer(200, body="your request req-0001 is done")
    recording = recorded(
        [step_result(probe("echo", "ok", "/fn"), [echo]), step_result(probe("text", "ok", "/fn"), [text])]
    )
    echoed = case_named(recording, "echo")
    assert echoed["category"] == "Lambda proxy"
    assert echoed["expect"]["json"] == {"requestId": ANY, "tag": ANY, "path": "/fn"}
    assert echoed["expect"]["headers"] == {"x-echo-id": None}  # present, any value
    texted = case_named(recording, "text")
    assert "body" not in texted["expect"] and "json" not in texted["expect"]
    assert "request id" in texted["note"]
    loaded(recording)


def test_a_body_longer_than_the_excerpt_is_not_written_as_if_whole() -> None:
    long = answer(200, body="x" * 2048 + "... (9000 bytes)")
    case = case_named(recorded([step_result(probe("big", "ok"), [long])]), "big")
    assert "body" not in case["expect"] and "9000 bytes" in case["note"]


def test_repeated_requests_are_steps() -> None:
    quota = Probe("quota", "quota-exceeded", RequestSpec("GET", "/pets"), repeat=2)
    recording = recorded(
        [step_result(quota, [answer(200), answer(429, headers=[("x-amzn-ErrorType", "LimitExceededException")])])]
    )
    case = case_named(recording, "quota")
    assert [step["expect"]["status"] for step in case["steps"]] == [200, 429]
    assert len(loaded(recording).cases[0].steps) == 2


def test_an_api_key_is_a_stand_in_the_recorded_side_file_holds_too() -> None:
    good = probe("good key", "ok", auth=Auth(AuthKind.API_KEY, "good"))
    made_up = probe("made-up key", "invalid-api-key", auth=Auth(AuthKind.API_KEY, "made-up"))
    recording = recorded(
        [step_result(good, [answer(200)]), step_result(made_up, [answer(403)])],
        {"good": REAL_KEY, "made-up": "gatecrash-random-0123456789ab"},
    )
    assert case_named(recording, "good key")["request"]["headers"] == {"x-api-key": "gatecrash-recorded-key-k1"}
    assert recording.document["side-file"]["apiKeys"][0]["value"] == "gatecrash-recorded-key-k1"
    unknown = case_named(recording, "made-up key")["request"]["headers"]["x-api-key"]
    assert unknown == "gatecrash-recorded-unknown-made-up"
    text = render(recording, "heading")
    assert REAL_KEY not in text and "gatecrash-random-0123456789ab" not in text
    # The replayed emulator knows the stand-in as the key it replaced.
    [key] = stage_of(recording.document["side-file"]).api_keys
    assert (key.id, key.value) == ("k1", "gatecrash-recorded-key-k1")


def test_the_side_files_other_secrets_become_stand_ins_and_the_scenarios_stage_variables_win() -> None:
    side = redacted_side_file(
        {
            **SIDE_FILE,
            "apiKeys": {"items": [{"id": "k2", "valueFrom": {"env": "PROD_KEY"}}]},  # get-api-keys' wrapper
        },
        {"backend": "10.0.0.1:80"},
    )
    assert side["apiKeys"] == {"items": [{"id": "k2", "value": "gatecrash-recorded-key-k2"}]}
    [credential] = side["iamCredentials"]
    assert credential["secretAccessKey"] == "gatecrash-recorded-secret-0"
    assert credential["sessionToken"] == "gatecrash-recorded-session-token-0"
    assert side["userPools"][0] == {
        "id": "us-east-1_pool",
        "clientIds": ["c1"],
        "signingKeySeed": "gatecrash-recorded-seed-0",
    }
    assert side["stage"]["variables"] == {"backend": "10.0.0.1:80", "kept": "yes"}
    assert SIDE_FILE["iamCredentials"][0]["secretAccessKey"] == "local-secret-0123456789"  # the input is untouched


@pytest.mark.parametrize(
    ("step", "why"),
    [
        (probe("signed", "ok", auth=Auth(AuthKind.SIGV4, "caller")), "a SigV4 signature"),
        (probe("token", "ok", auth=Auth(AuthKind.JWT, "reader")), "a token"),
        (probe("bearer", "ok", headers=(("Authorization", "Bearer allow"),)), "a secret in its Authorization header"),
        (probe("query key", "ok", query=(("api_key", "k"),)), "a secret in its api_key query parameter"),
        (probe("huge", "request-too-large", method="POST", body=b"x" * 70_000), "70000-byte body is too large"),
        (probe("binary", "ok", method="POST", body=b"\xff\xfe"), "not UTF-8"),
        (
            probe("backend", "backend-5xx", "/proxy/status/503"),
            "the backend the scenario served as ${stageVariables.backend}",
        ),
    ],
)
def test_what_a_replay_could_not_reproduce_is_left_out_with_its_reason(step: Probe, why: str) -> None:
    recording = recorded([step_result(step, [answer(200)])], side=mirror(served=("backend",)))
    assert recording.cases == 0
    [(name, reason)] = recording.skipped
    assert name == step.name and why in reason


def test_a_burst_and_a_request_without_answer_are_left_out() -> None:
    burst = Burst("burst", "throttled", RequestSpec("GET", "/pets"), 2)
    recording = recorded(
        [
            step_result(burst, [answer(200), answer(429)]),
            step_result(probe("down", "ok"), [answer(None, error="timeout (ReadTimeout)")]),
        ]
    )
    assert dict(recording.skipped) == {
        "burst": "a burst's answers depend on timing; the suite sends one request at a time",
        "down": "no answer to record (timeout (ReadTimeout))",
    }


def test_requests_without_a_secret_are_kept_even_when_signing_or_token_faults_leave_none() -> None:
    unsigned = probe("unsigned", "unsigned-iam", auth=Auth(AuthKind.SIGV4, "caller", sigv4_fault=SigV4Fault.UNSIGNED))
    no_token = probe(
        "no token", "authorizer-unauthorized", auth=Auth(AuthKind.JWT, "reader", jwt_fault=JwtFault.MISSING)
    )
    recording = recorded([step_result(unsigned, [answer(403)]), step_result(no_token, [answer(401)])])
    assert recording.cases == 2 and recording.skipped == ()
    assert case_named(recording, "unsigned")["category"] == "authorizers"
    assert "headers" not in case_named(recording, "unsigned")["request"]


def test_without_an_emulator_the_file_says_its_definition_is_missing() -> None:
    steps = (probe("list", "ok"),)
    scenario = Scenario(Path("s.yaml"), "s", EmulatorTarget(Path("api.yaml")), Limits(5, 5.0), steps)
    live = LiveTarget(
        "AWS abc/dev", "https://abc.execute-api.us-east-1.amazonaws.com/dev", "us-east-1", "abc", "dev", None, "e", None
    )
    run = RunResult(scenario, live, "r", MOMENT, MOMENT, (step_result(steps[0], [answer(200)]),))
    recording = record(run, {}, None, "capture")
    assert "definition" not in recording.document and "side-file" not in recording.document
    assert "not recorded" in recording.document["source"]["note"]
    assert case_named(recording, "list")["category"] == "routing"


def test_the_writer_copies_the_handler_modules_and_the_file_loads_back(tmp_path: Path) -> None:
    handlers = tmp_path / "api" / "handlers.py"
    handlers.parent.mkdir()
    handlers.write_text("def fast(event, context):\n    return {}\n")
    side = Mirror(
        DEFINITION,
        SIDE_FILE,
        stage_of(SIDE_FILE),
        parse_definition(DEFINITION, "a"),
        {},
        (),
        handlers.parent,
    )
    recording = recorded([step_result(probe("list", "ok"), [answer(200, body="[]")])], side=side)
    assert recording.handler_modules == ("handlers",)  # the installed gatecrash.parity.handlers needs no copy
    out = tmp_path / "cases" / "mine.yaml"
    written = write_recording(out, recording, "recorded from a test\nsecond line", side)
    assert [case.id for case in written.cases] == ["mine/list"]
    assert (out.parent / "handlers.py").read_text() == handlers.read_text()
    assert out.read_text().startswith("# recorded from a test\n# second line\n")


def test_the_writer_will_not_replace_another_handlers_module(tmp_path: Path) -> None:
    (tmp_path / "api").mkdir()
    (tmp_path / "api" / "handlers.py").write_text("A = 1\n")
    (tmp_path / "cases").mkdir()
    (tmp_path / "cases" / "handlers.py").write_text("B = 2\n")
    side = Mirror(
        DEFINITION,
        SIDE_FILE,
        stage_of(SIDE_FILE),
        parse_definition(DEFINITION, "a"),
        {},
        (),
        tmp_path / "api",
    )
    recording = recorded([step_result(probe("list", "ok"), [answer(200)])], side=side)
    with pytest.raises(RecordError) as raised:
        write_recording(tmp_path / "cases" / "mine.yaml", recording, "h", side)
    [problem] = raised.value.problems
    assert problem.file == str(tmp_path / "cases" / "handlers.py") and "record into another folder" in str(problem.hint)
    assert not (tmp_path / "cases" / "mine.yaml").exists()
    assert (tmp_path / "cases" / "handlers.py").read_text() == "B = 2\n"


def test_the_mirror_is_the_definition_with_its_placeholders_filled(tmp_path: Path) -> None:
    definition = tmp_path / "api.yaml"
    definition.write_text(
        "openapi: 3.0.1\ninfo: {title: t, version: '1'}\npaths:\n  /fn:\n    get:\n"
        "      responses: {'200': {description: ok}}\n      x-amazon-apigateway-integration:\n"
        "        type: aws_proxy\n        httpMethod: POST\n        uri: ${lambda_uri}\n"
    )
    side_file = tmp_path / "stage.yaml"
    side_file.write_text("stage: {stageName: dev}\n")
    uri = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:1:function:f/x"
    target = EmulatorTarget(definition, side_file, {"v": "1"}, {"backend": "b.py:app"}, {"lambda_uri": uri})
    read = read_mirror(target, parse_side_file({}, "s"), parse_definition(DEFINITION, "a"))
    assert read.definition["paths"]["/fn"]["get"]["x-amazon-apigateway-integration"]["uri"] == uri
    assert read.side_file == {"stage": {"stageName": "dev"}}
    assert (read.stage_variables, read.served, read.handler_folder) == ({"v": "1"}, ("backend",), tmp_path)
