"""Reading parity case files: the values they give, and every problem of a file at once."""

from __future__ import annotations

import json

import pytest
import yaml

from gatecrash._yamlpos import LoadedDocument, ProblemLog, parse_text
from gatecrash.parity.cases import REQUESTS_HEADERS, CaseFile, ParityCaseError, parse_case_file

VALID = """
source: {snapshot: test_apigateway_common.snapshot.json, test: TestX::test_y}
category: MOCK
definition: {paths: {/x: {get: {}}}}
side-file: {stage: {stageName: dev}}
cases:
  - key: first
    request: {method: post, path: /x, json: {a: 1, b: [1, 2]}, headers: {X-Caller: me}}
    expect: {status: 200, json-subset: {a: 1}, headers: {x-seen: null}, error-type: Oops}
  - name: from-the-docs
    source: {doc: "https://docs.aws.amazon.com/x.html", section: Example 1}
    category: routing
    steps:
      - request: {path: "/x?q=1", query: {r: [2, 3]}}
        expect: {body: exact text, absent-headers: [x-amzn-trace-id], execution-log: ["Starting <any>"]}
      - request: {target: //dev/x}
        expect: {status: 403}
"""


def parse(text: str) -> CaseFile:
    loaded = parse_text(text, "cases.yaml")
    assert isinstance(loaded, LoadedDocument)
    return parse_case_file(loaded.data, "cases/sample.yaml", ProblemLog("cases/sample.yaml", loaded.lines))


def test_a_valid_file_gives_its_cases_with_sources_categories_requests_and_expectations() -> None:
    case_file = parse(VALID)
    assert case_file.definition["openapi"] == "3.0.1" and case_file.definition["paths"] == {"/x": {"get": {}}}
    first, second = case_file.cases
    assert first.id == "sample/first" and first.category == "MOCK"
    assert first.source.describe() == "test_apigateway_common.snapshot.json TestX::test_y [first]"
    request = first.steps[0].request
    assert request.method == "POST"
    # python-requests' json=: json.dumps with its default separators, and a JSON content type
    assert request.body == json.dumps({"a": 1, "b": [1, 2]}).encode() == b'{"a": 1, "b": [1, 2]}'
    assert list(request.headers) == [*REQUESTS_HEADERS, ("X-Caller", "me"), ("Content-Type", "application/json")]
    expect = first.steps[0].expect
    assert expect.json_subset is not None and expect.json_subset.value == {"a": 1}
    assert expect.headers == (("x-seen", None), ("x-amzn-ErrorType", "Oops"))
    assert second.id == "sample/from-the-docs" and second.category == "routing"
    assert second.source.doc == "https://docs.aws.amazon.com/x.html" and second.source.snapshot is None
    assert second.steps[0].request.query == (("r", "2"), ("r", "3"))
    assert second.steps[0].expect.body == "exact text" and second.steps[0].expect.reads_logs
    assert second.steps[1].request.target == "//dev/x"


def test_a_header_the_case_gives_replaces_the_clients_default() -> None:
    document = yaml.safe_load(VALID)
    document["cases"][0]["request"]["headers"] = {"user-agent": "test/integration"}
    case_file = parse_case_file(document, "cases/sample.yaml")
    headers = dict(case_file.cases[0].steps[0].request.headers)
    assert headers["user-agent"] == "test/integration" and "User-Agent" not in headers


def test_every_problem_of_a_file_is_reported_at_once_with_its_line() -> None:
    text = """
category: routing
cases:
  - key: no-source
    request: {path: /x}
    expect: {status: 200}
  - name: bad
    source: {doc: "https://docs.aws.amazon.com/x.html", section: s}
    category: routng
    request: {path: x, bogus: 1}
    expect: {status: 99, body: a, json: {}}
"""
    with pytest.raises(ParityCaseError) as raised:
        parse(text)
    messages = [(problem.line, problem.message) for problem in raised.value.problems]
    assert (4, "every case names its source: `snapshot` with `test`, `doc` with `section`, or `capture`") in messages
    assert (9, "unknown category 'routng'") in messages
    assert any(message == "unknown key 'bogus'" for _, message in messages)
    assert any("start with `/`" in message for _, message in messages)
    assert any(message == "must be an HTTP status, not 99" for _, message in messages)
    assert any("give one of `body`, `json` and `json-subset`" in message for _, message in messages)
    hints = [problem.hint for problem in raised.value.problems if problem.message.startswith("unknown category")]
    assert hints and "did you mean 'routing'?" in str(hints[0])


def test_a_snapshot_source_needs_a_key_or_an_assertion_and_two_cases_may_not_share_a_name() -> None:
    document = yaml.safe_load(VALID)
    document["cases"].append(
        {"name": "from-the-docs", "request": {}, "expect": {}, "source": {"doc": "d", "section": "s"}}
    )
    document["cases"].append({"name": "unrecorded", "request": {}, "expect": {}})
    with pytest.raises(ParityCaseError) as raised:
        parse_case_file(document, "cases/sample.yaml")
    messages = [problem.message for problem in raised.value.problems]
    assert "a second case named sample/from-the-docs" in messages
    assert "a snapshot source names the `test`, and the case's `key` or the test's `assertion`" in messages
