"""The failure-mode catalogue: the real probes/ folder, the loader's problems, the matching rules.

Sample log lines below are quoted from apigw-reference.md (AWS docs, real logs and captures) or
from the emulator code that cites them; the catalogue's patterns must recognise them.
"""

from __future__ import annotations

import importlib.resources
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from gatecrash import catalogue as catalogue_module
from gatecrash.catalogue import (
    MODE_ORDER,
    RESPONSE_TYPES,
    Catalogue,
    Evidence,
    FailureMode,
    load_catalogue,
    value_matches,
)
from gatecrash.emulator.responses import RESPONSE_TYPES as EMULATOR_RESPONSE_TYPES
from gatecrash.errors import CatalogueError, ConfigError

DESIGN_IDS = (
    "missing-required-param",
    "invalid-body",
    "missing-api-key",
    "invalid-api-key",
    "unsigned-iam",
    "invalid-signature",
    "expired-signature",
    "iam-access-denied",
    "authorizer-deny",
    "authorizer-unauthorized",
    "authorizer-misconfigured",
    "throttled",
    "quota-exceeded",
    "integration-timeout",
    "malformed-lambda-response",
    "lambda-error",
    "lambda-error-mapped",
    "lambda-permission",
    "lambda-throttled",
    "backend-5xx",
    "integration-misconfigured",
    "mapping-error",
    "unknown-route",
    "request-too-large",
    "request-header-too-large",
    "ok",
)
REQUEST_ID = "6d4c1f0e-3b2a-4c5d-8e9f-0a1b2c3d4e5f"


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue()


# --- the real catalogue ----------------------------------------------------------------------------


def test_the_catalogue_holds_exactly_the_design_modes_in_design_order(catalogue: Catalogue) -> None:
    assert catalogue.ids == DESIGN_IDS == MODE_ORDER
    assert len(catalogue) == 26  # DESIGN.md's 24, lambda-error-mapped and request-header-too-large
    assert [mode.id for mode in catalogue] == list(DESIGN_IDS)


def test_each_file_is_named_after_its_id() -> None:
    names = sorted(path.stem for path in catalogue_module.DEFAULT_CATALOGUE_DIR.glob("*.yaml"))
    assert names == sorted(DESIGN_IDS)


@pytest.mark.parametrize("mode_id", DESIGN_IDS)
def test_each_entry_is_well_formed(catalogue: Catalogue, mode_id: str) -> None:
    mode = catalogue.get(mode_id)
    assert mode.statuses and all(re.fullmatch(r"[1-5](\d\d|xx)", status) for status in mode.statuses)
    assert mode.response_type is None or mode.response_type in RESPONSE_TYPES
    assert mode.error_type is None or mode.error_type.endswith("Exception")
    assert "\n" not in mode.title and mode.diagnosis and mode.fix and mode.why and mode.sources
    for pattern in mode.evidence.execution_log:
        re.compile(pattern)
    for value in mode.evidence.access_log.values():
        if value.startswith("/") and value.endswith("/"):
            re.compile(value[1:-1])
    assert set(mode.unverified) == set(mode.unverified_notes)
    assert all(note for note in mode.unverified_notes.values())


@pytest.mark.parametrize("mode_id", DESIGN_IDS)
def test_the_logged_status_and_response_type_agree_with_the_entry(catalogue: Catalogue, mode_id: str) -> None:
    mode = catalogue.get(mode_id)
    access = mode.evidence.access_log
    if mode.evidence.access_log_expected:
        assert "status" in access
    if "error.responseType" in access:
        assert access["error.responseType"] == (mode.response_type or "-")
    else:
        # Left out only where the logged type is unverified (or there is no record at all).
        assert "response-type" in mode.unverified or not mode.evidence.access_log_expected


def test_the_readme_table_agrees_with_the_entries(catalogue: Catalogue) -> None:
    readme = (catalogue_module.DEFAULT_CATALOGUE_DIR / "README.md").read_text(encoding="utf-8")
    rows = [line for line in readme.splitlines() if line.startswith("| `") and line.count("|") == 7]
    expected = []
    for mode in catalogue:
        logged = mode.response_type or ("`-`" if mode.evidence.access_log_expected else "(no record)")
        cells = (
            f"`{mode.id}`",
            mode.expected_status_text(),
            mode.error_type or "(absent)",
            logged,
            "yes" if mode.before_integration else "no",
            ", ".join(mode.unverified),
        )
        expected.append("| " + " | ".join(cells) + " |")
    assert [" ".join(row.split()) for row in rows] == [" ".join(row.split()) for row in expected]


def test_error_types_agree_with_the_emulators_gateway_responses(catalogue: Catalogue) -> None:
    for mode in catalogue:
        emulated = EMULATOR_RESPONSE_TYPES.get(mode.response_type or "")
        if emulated is not None and mode.error_type is not None:
            assert emulated.error_type == mode.error_type, mode.id


def test_gateway_side_rejections_never_reach_the_integration(catalogue: Catalogue) -> None:
    reached = {mode.id for mode in catalogue if not mode.before_integration}
    assert reached == {
        "integration-timeout",
        "malformed-lambda-response",
        "lambda-error",
        "lambda-error-mapped",
        "lambda-permission",
        "lambda-throttled",
        "backend-5xx",
        "integration-misconfigured",
        "mapping-error",
        "ok",
    }


# --- the evidence recognises AWS's own lines -----------------------------------------------------

SAMPLES = [
    (
        "invalid-body",
        'Request body does not match model schema for content type application/json: [object has missing required properties (["a","b"])]',  # noqa: E501
    ),
    ("missing-api-key", f"Verifying Usage Plan for request: {REQUEST_ID}. API Key:  API Stage: a1b2c3/prod"),
    (
        "invalid-api-key",
        "API Key **********************************F0yrv6 not authorized because method 'GET /keyed' requires "
        "API Key and API Key is not associated with a Usage Plan for API Stage a1b2c3/prod: No Usage Plan found "
        "for key and API Stage",
    ),
    (
        "throttled",
        "API Key ****F0yrv6 exceeded throttle limit for API Stage a1b2c3/prod: Key throttle limit exceeded for "
        "Usage Plan ID p1, RestApi a1b2c3, Stage prod, Resource r1x2, HttpMethod GET. Limit: 5.00 Burst: 10",
    ),
    (
        # Method throttling without a key (real 2019 capture, apigw-http-reference.md, last section).
        "throttled",
        "Key throttle limit exceeded for RestApi uwe3g5jm54, Stage Prod, Resource k0w8mc, HttpMethod POST. "
        "Limit: 1.00 Burst: 1",
    ),
    (
        "quota-exceeded",
        "API Key ****F0yrv6 exceeded quota limit for API Stage a1b2c3/prod: Key quota exhausted for Usage Plan "
        "ID p1. Limit: 200 Period: DAY",
    ),
    ("authorizer-deny", f"Starting authorizer: abc123 for request: {REQUEST_ID}"),
    ("authorizer-deny", "The client is not authorized to perform this operation."),
    ("authorizer-unauthorized", f"Unauthorized request: {REQUEST_ID}"),
    (
        "authorizer-misconfigured",
        'Execution failed due to configuration error: Invalid JSON in response: Unrecognized field "errorType" , '
        "not marked as ignorable",
    ),
    ("authorizer-misconfigured", "Execution failed due to configuration error: Authorizer error"),
    ("authorizer-misconfigured", "AuthorizerConfigurationException"),
    ("integration-timeout", "Execution failed due to a timeout error"),
    ("malformed-lambda-response", "Execution failed due to configuration error: Malformed Lambda proxy response"),
    (
        "lambda-error",
        "Lambda execution failed with status 200 due to customer function error: boom. "
        f"Lambda request id: {REQUEST_ID}",
    ),
    (
        "lambda-error",
        "Lambda execution failed with status 200 due to customer function error: 2026-11-25T08:12:03.123Z "
        f"{REQUEST_ID} Task timed out after 0.30 seconds. Lambda request id: {REQUEST_ID}",
    ),
    ("lambda-permission", "Execution failed due to configuration error: Invalid permissions on Lambda function"),
    ("lambda-throttled", f"Lambda invocation failed with status: 429. Lambda request id: {REQUEST_ID}"),
    ("lambda-throttled", "Execution failed due to configuration error: Rate Exceeded."),
    (
        "lambda-throttled",
        "Endpoint response headers: {Connection=keep-alive, x-amzn-RequestId=abc, "
        "x-amzn-ErrorType=TooManyRequestsException, Content-Type=application/json}",
    ),
    ("backend-5xx", "Method completed with status: 503"),
    ("integration-misconfigured", "Execution failed due to configuration error: Invalid endpoint address"),
    (
        "integration-misconfigured",
        "Execution failed due to configuration error: Host name 'api.example.com' does not match the certificate "
        "subject provided by the peer (CN=other.example.com)",
    ),
    ("mapping-error", "Execution failed due to configuration error: Unable to transform request"),
    (
        "mapping-error",
        "Execution failed due to configuration error: Output mapping refers to an invalid method response: 201",
    ),
    (
        "mapping-error",
        "Execution failed due to configuration error: No match for output mapping and no default output mapping "
        "configured. Endpoint Response Status Code: 404",
    ),
    ("ok", "Method completed with status: 200"),
]


@pytest.mark.parametrize(("mode_id", "message"), SAMPLES)
def test_execution_log_patterns_recognise_aws_lines(catalogue: Catalogue, mode_id: str, message: str) -> None:
    assert catalogue.get(mode_id).evidence.execution_log_matches(["Extended Request Id: x", message])


@pytest.mark.parametrize(
    ("mode_id", "message"),
    [
        # The traps: look-alike lines of another cause must not confirm this one.
        ("lambda-error", "Execution failed due to configuration error: Malformed Lambda proxy response"),
        ("malformed-lambda-response", "Lambda execution failed with status 200 due to customer function error: x"),
        ("integration-timeout", "Lambda execution failed with status 200 due to customer function error: Task timed"),
        ("missing-api-key", f"Verifying Usage Plan for request: {REQUEST_ID}. API Key: ****F0yrv6 API Stage: a/b"),
        ("invalid-api-key", f"Verifying Usage Plan for request: {REQUEST_ID}. API Key:  API Stage: a/b"),
        ("ok", "Method completed with status: 502"),
        ("backend-5xx", "Method completed with status: 200"),
        ("lambda-permission", "Execution failed due to configuration error: Rate Exceeded."),
    ],
)
def test_execution_log_patterns_reject_look_alikes(catalogue: Catalogue, mode_id: str, message: str) -> None:
    assert not catalogue.get(mode_id).evidence.execution_log_matches([message])


def test_access_log_evidence_matches_records_as_aws_writes_them(catalogue: Catalogue) -> None:
    lambda_error = {
        "status": "502",
        "error.responseType": "INTEGRATION_FAILURE",
        "integration.error": "Lambda Customer Function Error:the demo function failed on purpose",
    }
    assert catalogue.get("lambda-error").evidence.access_log_matches(lambda_error)
    assert not catalogue.get("lambda-throttled").evidence.access_log_matches(lambda_error)
    throttled = {"status": "429", "error.responseType": "THROTTLED"}
    assert catalogue.get("throttled").evidence.access_log_matches(throttled)
    assert not catalogue.get("quota-exceeded").evidence.access_log_matches(throttled)
    assert catalogue.get("backend-5xx").evidence.access_log_matches(
        {"status": "503", "error.responseType": "-", "integration.status": "503"}
    )
    # A field the stage's format does not log cannot confirm anything.
    assert not catalogue.get("lambda-error").evidence.access_log_matches({"status": "502"})
    assert catalogue.get("missing-required-param").evidence.access_log_matches(
        {
            "status": "400",
            "error.responseType": "BAD_REQUEST_PARAMETERS",
            "error.message": "Missing required request parameters: [x-client-id, q]",
        }
    )


@pytest.mark.parametrize(
    ("mode_id", "message"),
    [
        (
            "expired-signature",
            "Signature expired: 20261125T080000Z is now earlier than 20261125T080703Z (20261125T081203Z - 5 min.)",
        ),
        (
            "expired-signature",
            "Signature not yet current: 20261125T090000Z is still later than 20261125T081703Z "
            "(20261125T081203Z + 5 min.)",
        ),
        (
            "invalid-signature",
            "The request signature we calculated does not match the signature you provided. Check your AWS Secret "
            "Access Key and signing method. Consult the service documentation for details.\n\nThe Canonical String "
            "for this request should have been\n'GET\n/prod/x\n\nhost:a\n\nhost\nabc'\n",
        ),
        (
            "iam-access-denied",
            "User: arn:aws:iam::123456789012:user/probe is not authorized to perform: execute-api:Invoke on "
            "resource: arn:aws:execute-api:us-east-1:123456789012:a1b2c3/prod/GET/pets with an explicit deny",
        ),
        ("authorizer-deny", "User is not authorized to access this resource with an explicit deny"),
        ("authorizer-deny", "User is not authorized to access this resource"),
    ],
)
def test_access_log_messages_as_aws_words_them(catalogue: Catalogue, mode_id: str, message: str) -> None:
    evidence = catalogue.get(mode_id).evidence
    record = {name: value for name, value in evidence.access_log.items() if not value.startswith("/")}
    assert evidence.access_log_matches({**record, "error.message": message})


def test_an_empty_pattern_list_confirms_nothing_and_contradicts_nothing(catalogue: Catalogue) -> None:
    assert catalogue.get("unknown-route").evidence.execution_log_matches([])


# --- the API ---------------------------------------------------------------------------------------


def test_catalogue_lookup_and_suggestions(catalogue: Catalogue) -> None:
    assert catalogue.get("throttled").response_type == "THROTTLED"
    assert "ok" in catalogue and "nope" not in catalogue and 3 not in catalogue
    assert catalogue.suggest("throtled") == "throttled"
    assert catalogue.suggest("Lambda-Eror") == "lambda-error"
    assert catalogue.suggest("zzzzzz") is None
    with pytest.raises(KeyError, match="unknown failure mode 'quota-exeeded' \\(did you mean 'quota-exceeded'\\?\\)"):
        catalogue.get("quota-exeeded")


def test_status_patterns(catalogue: Catalogue) -> None:
    backend = catalogue.get("backend-5xx")
    assert backend.status_matches(500) and backend.status_matches(599) and not backend.status_matches(429)
    assert backend.expected_status_text() == "5xx"
    throttled = catalogue.get("throttled")
    assert throttled.status_matches(429) and not throttled.status_matches(428)
    assert throttled.expected_status_text() == "429"
    assert catalogue.get("ok").status_matches(204)


def test_modes_are_frozen_and_hashable(catalogue: Catalogue) -> None:
    mode = catalogue.get("ok")
    with pytest.raises(AttributeError):
        mode.id = "other"  # type: ignore[misc]
    assert len({mode, catalogue.get("ok"), catalogue.get("throttled")}) == 2
    with pytest.raises(TypeError):
        mode.evidence.access_log["status"] = "500"  # type: ignore[index]


def test_a_catalogue_refuses_two_modes_with_one_id(catalogue: Catalogue) -> None:
    mode = catalogue.get("ok")
    with pytest.raises(ValueError, match="duplicate failure mode id 'ok'"):
        Catalogue((mode, mode))


def test_value_matches_exact_text_or_slash_delimited_regex() -> None:
    assert value_matches("429", "429") and not value_matches("429", "4290")
    assert value_matches("/^5\\d\\d$/", "503") and not value_matches("/^5\\d\\d$/", "429")
    assert value_matches("-", "-")


def test_evidence_defaults_to_an_expected_access_log() -> None:
    evidence = Evidence(access_log={}, execution_log=(), execution_log_expected=False)
    assert evidence.access_log_expected and evidence.access_log_matches({"status": "200"})


def test_the_package_copy_is_used_when_the_repository_folder_is_absent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "package"
    shutil.copytree(catalogue_module.DEFAULT_CATALOGUE_DIR, package / "probes")
    monkeypatch.setattr(catalogue_module, "DEFAULT_CATALOGUE_DIR", tmp_path / "absent")
    monkeypatch.setattr(importlib.resources, "files", lambda name: package)
    assert load_catalogue().ids == DESIGN_IDS


# --- a broken catalogue ----------------------------------------------------------------------------

VALID = """\
id: {id}
title: A test mode
statuses: ["429"]
error-type: TooManyRequestsException
response-type: THROTTLED
before-integration: true
evidence:
  access-log:
    status: "429"
    error.responseType: THROTTLED
  execution-log:
    - '^API Key \\S+ exceeded throttle limit'
  execution-log-expected: false
distinguish-from: []
diagnosis: d
fix: f
why: w
sources: [s]
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(folder: Path) -> list[str]:
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(folder)
    assert isinstance(caught.value, ConfigError)  # exit 2 in the CLI, as every user-file error
    return [str(problem) for problem in caught.value.problems]


def test_a_valid_custom_folder_loads(tmp_path: Path) -> None:
    write(tmp_path, "my-mode.yaml", VALID.format(id="my-mode"))
    write(tmp_path, "ok.yaml", VALID.format(id="ok"))
    write(tmp_path, "README.md", "not an entry")
    loaded = load_catalogue(tmp_path)
    assert loaded.ids == ("ok", "my-mode")  # design order first, then the rest by id
    mode: FailureMode = loaded.get("my-mode")
    assert mode.distinguish_from == () and mode.unverified == () and mode.sources == ("s",)


def test_a_broken_folder_reports_every_problem_with_file_line_and_key(tmp_path: Path) -> None:
    typo = write(tmp_path, "a-typo.yaml", VALID.format(id="a-typo").replace("title:", "titel:"))
    missing = write(tmp_path, "b-missing.yaml", VALID.format(id="b-missing").replace("fix: f\n", ""))
    regex = write(
        tmp_path,
        "c-regex.yaml",
        VALID.format(id="c-regex").replace("'^API Key \\S+ exceeded throttle limit'", "'^Execution failed ('"),
    )
    write(tmp_path, "ok.yaml", VALID.format(id="ok"))
    duplicate = write(tmp_path, "other.yaml", VALID.format(id="ok"))
    assert problems_of(tmp_path) == [
        f"{typo}:1: $.title: missing title (add `title: ...`)",
        f"{typo}:2: $.titel: unknown key 'titel' (did you mean 'title'? valid keys: id, title, statuses, "
        "error-type, response-type, before-integration, evidence, diagnosis, fix, why, sources, "
        "distinguish-from, unverified)",
        f"{missing}:1: $.fix: missing fix (add `fix: ...`)",
        f"{regex}:12: $.evidence.execution-log[0]: not a valid regular expression: missing ), unterminated "
        "subpattern at position 18 (escape literal . ( ) [ ] with a backslash)",
        f"{duplicate}:1: $.id: id 'ok' does not match the file name 'other.yaml' (name files <id>.yaml)",
        f"{duplicate}:1: $.id: duplicate id 'ok' (also in {tmp_path / 'ok.yaml'}) (each failure mode is defined "
        "once; rename or remove one of them)",
    ]


def test_values_are_checked_against_aws_names_and_each_other(tmp_path: Path) -> None:
    text = (
        VALID.format(id="bad-values")
        .replace('statuses: ["429"]', 'statuses: [429, "4x9"]')
        .replace("response-type: THROTTLED", "response-type: THROTTLE")
        .replace("    error.responseType: THROTTLED", "    error.responsetype: THROTTLED\n    integration.error: '/(/'")
        .replace("sources: [s]", "sources: []\nunverified: {error_type: because}")
        .replace("    - '^API Key", "    - 7\n    - '^API Key")
    )
    path = write(tmp_path, "bad-values.yaml", text)
    assert problems_of(tmp_path) == [
        f'{path}:3: $.statuses[0]: must be a quoted string, not a number (write "429"; classes are "4xx", "5xx")',
        f'{path}:3: $.statuses[1]: \'4x9\' is not a status pattern (write a status ("429") or a class ("5xx"))',
        f"{path}:5: $.response-type: unknown gateway response type 'THROTTLE' (did you mean 'THROTTLED'? "
        f"gateway response types: {', '.join(RESPONSE_TYPES)})",
        f"{path}:10: $.evidence.access-log['error.responsetype']: unknown access-log field "
        "'error.responsetype' (did you mean 'error.responseType'?)",
        f"{path}:11: $.evidence.access-log['integration.error']: not a valid regular expression: missing ), "
        "unterminated subpattern at position 0 (escape literal . ( ) [ ] with a backslash)",
        f"{path}:13: $.evidence.execution-log[0]: must be a regular expression (a string), not a number",
        f"{path}:20: $.sources: sources must list at least one item",
        f"{path}:21: $.unverified.error_type: 'error_type' is not a field that can be unverified (did you mean "
        "'error-type'? valid values: statuses, error-type, response-type, before-integration, "
        "evidence.access-log, evidence.access-log-expected, evidence.execution-log, "
        "evidence.execution-log-expected, evidence.execution-log-required)",
    ]


def test_evidence_that_contradicts_the_entry_is_refused(tmp_path: Path) -> None:
    text = VALID.format(id="contradiction").replace('    status: "429"', '    status: "503"')
    text = text.replace("    error.responseType: THROTTLED", "    error.responseType: QUOTA_EXCEEDED")
    path = write(tmp_path, "contradiction.yaml", text)
    assert problems_of(tmp_path) == [
        f"{path}:9: $.evidence.access-log.status: status '503' is not one of statuses 429",
        f"{path}:10: $.evidence.access-log['error.responseType']: error.responseType 'QUOTA_EXCEEDED' "
        "contradicts response-type THROTTLED (`-` goes with response-type: null)",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("- a list\n", "$: an entry must be a mapping, not a list"),
        ("id: [unclosed\n", "$: not valid YAML or JSON"),
        ("", "$: an entry must be a mapping, not null"),
    ],
)
def test_a_file_that_is_not_an_entry(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, "broken.yaml", text)
    (problem,) = problems_of(tmp_path)
    assert problem.startswith(f"{path}:") and expected in problem


@pytest.mark.parametrize("setup", ["missing", "empty"])
def test_a_folder_without_entries(tmp_path: Path, setup: Any) -> None:
    folder = tmp_path / "probes"
    if setup == "empty":
        folder.mkdir()
    (problem,) = problems_of(folder)
    assert problem.startswith(f"{folder}: $: ")
    assert ("not a folder" in problem) if setup == "missing" else ("no *.yaml failure-mode files" in problem)


def test_execution_log_required_needs_patterns(tmp_path: Path) -> None:
    # unknown-route lists no execution-log pattern: requiring one is a contradiction the loader names.
    entry = (catalogue_module.DEFAULT_CATALOGUE_DIR / "unknown-route.yaml").read_text(encoding="utf-8")
    broken = entry.replace("  execution-log-expected:", "  execution-log-required: true\n  execution-log-expected:", 1)
    assert broken != entry
    (tmp_path / "unknown-route.yaml").write_text(broken, encoding="utf-8")
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(tmp_path)
    assert [p.message for p in caught.value.problems] == ["execution-log-required needs execution-log patterns"]


def test_lambda_error_mapped_requires_its_line(catalogue: Catalogue) -> None:
    assert catalogue.get("lambda-error-mapped").evidence.execution_log_required
    assert [m.id for m in catalogue if m.evidence.execution_log_required] == ["lambda-error-mapped"]
