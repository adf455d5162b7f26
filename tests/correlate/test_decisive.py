"""What decided a cause (the classifier's decisive evidence) and how a reason quotes it in one line.

The requests are test_classify's: one per catalogue mode, lines as AWS writes them and access records
in the emulator's default format (thirty fields).
"""

from __future__ import annotations

import pytest

from gatecrash.catalogue import Catalogue, load_catalogue, value_matches
from gatecrash.correlate.classify import classify
from gatecrash.correlate.decisive import VALUE_LIMIT, notable_fields, one_line, shortened
from gatecrash.correlate.model import DecisiveEvidence
from tests.correlate.test_classify import (
    FUNCTION_ERROR,
    LAMBDA_RID,
    MALFORMED,
    SIGNATURE_MISMATCH,
    Case,
    _cases,
    lambda_call,
    request_logs,
    start,
)


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue()


@pytest.mark.parametrize("case", _cases(), ids=lambda case: case.mode)
def test_the_decisive_evidence_is_what_the_chosen_modes_entry_names(catalogue: Catalogue, case: Case) -> None:
    logs = request_logs(case.lines, case.access)
    found = classify(logs, catalogue, case.method_known)
    assert found.cause == case.mode
    mode = catalogue.get(case.mode)
    assert found.decisive, "a cause with nothing that decided it"
    for item in found.decisive:
        if item.field is not None:
            # A field the entry names, with the value the record holds, which the entry accepts.
            assert item.field in mode.evidence.access_log
            assert logs.access is not None and logs.access.fields[item.field] == item.value
            assert value_matches(mode.evidence.access_log[item.field], item.value)
        else:
            # The message of one of the lines the classification rests on, with what the entry's pattern matched.
            assert any(line.endswith(item.value) for line in found.evidence), item.value
            assert item.matched and item.matched in item.value
    text = one_line(found.decisive)
    assert text and "\n" not in text and '"requestId"' not in text


def test_a_function_error_is_decided_by_its_type_its_integration_error_and_its_line(catalogue: Catalogue) -> None:
    logs = request_logs(
        (*start("/failing"), *lambda_call("demo-failing"), FUNCTION_ERROR),
        {
            "status": "502",
            "error.responseType": "INTEGRATION_FAILURE",
            "error.message": "Internal server error",
            "integration.error": "Lambda Customer Function Error:the demo function failed on purpose",
        },
    )
    found = classify(logs, catalogue)
    assert found.decisive == (
        DecisiveEvidence("502", "status"),
        DecisiveEvidence("INTEGRATION_FAILURE", "error.responseType"),
        DecisiveEvidence("Lambda Customer Function Error:the demo function failed on purpose", "integration.error"),
        DecisiveEvidence(
            FUNCTION_ERROR, matched="Lambda execution failed with status 200 due to customer function error: "
        ),
    )
    assert one_line(found.decisive) == (
        'access log error.responseType=INTEGRATION_FAILURE, integration.error="Lambda Customer Function Error:the '
        'demo function failed on purpose"'
    )


def test_a_malformed_response_is_decided_by_its_execution_line(catalogue: Catalogue) -> None:
    logs = request_logs(
        (*start("/malformed"), *lambda_call("demo-malformed"), MALFORMED, "Method completed with status: 502"),
        {"status": "502", "error.responseType": "API_CONFIGURATION_ERROR", "integration.error": MALFORMED},
    )
    found = classify(logs, catalogue)
    assert found.cause == "malformed-lambda-response"
    # The entry names only the status among the fields: its line is what tells it apart.
    assert found.decisive == (DecisiveEvidence("502", "status"), DecisiveEvidence(MALFORMED, matched=MALFORMED))
    assert one_line(found.decisive) == f'execution log "{MALFORMED}"'


def test_logs_no_mode_explains_have_no_decisive_evidence_but_their_error_fields(catalogue: Catalogue) -> None:
    logs = request_logs((), {"status": "418", "error.responseType": "TEAPOT", "error.message": "I'm a teapot"})
    found = classify(logs, catalogue)
    assert (found.cause, found.decisive) == (None, ())
    assert one_line(notable_fields(logs)) == 'access log error.responseType=TEAPOT, error.message="I\'m a teapot"'


def test_a_long_value_keeps_its_head_on_one_line() -> None:
    text = one_line((DecisiveEvidence("403", "status"), DecisiveEvidence(SIGNATURE_MISMATCH, "error.message")))
    value = text.removeprefix('access log error.message="').removesuffix('"')
    assert len(value) == VALUE_LIMIT and value.endswith("…") and "\n" not in value
    assert value.startswith("The request signature we calculated does not match the signature you provided.")


def test_a_line_keeps_what_its_pattern_matched() -> None:
    # lambda-error's pattern matches the start of the line: the message after it is kept too.
    message = (
        "Lambda execution failed with status 200 due to customer function error: 2026-12-04T16:26:09.836Z "
        f"{LAMBDA_RID} Task timed out after 0.30 seconds. Lambda request id: {LAMBDA_RID}"
    )
    start = "Lambda execution failed with status 200 due to customer function error: "
    assert one_line((DecisiveEvidence(message, matched=start),)) == (
        f'execution log "{start}… Task timed out after 0.30 seconds. Lambda request id: …"'
    )
    # The old throttled invoke's headers line: the match ends far into a long line, at the header that decides.
    headers = "Endpoint response headers: {Date=Tue, 04 Dec 2018 15:04:15 GMT, " + "X=y, " * 40
    matched = headers + "x-amzn-ErrorType=TooManyRequestsException"
    text = one_line((DecisiveEvidence(matched + ", Connection=keep-alive}", matched=matched),))
    assert text.startswith('execution log "Endpoint response headers: {Date=Tue, 04 Dec 2018')
    assert text.endswith('x-amzn-ErrorType=TooManyRequestsException"') and "…" in text


def test_ids_and_timestamps_go_before_the_meaningful_tail() -> None:
    timeout = f"Lambda Customer Function Error:2026-12-04T16:26:09.836Z {LAMBDA_RID} Task timed out after 0.30 seconds"
    assert shortened(timeout, 100) == "Lambda Customer Function Error:… Task timed out after 0.30 seconds"
    # A text that fits is left alone, ids and all.
    assert shortened(f"id {LAMBDA_RID}", 100) == f"id {LAMBDA_RID}"
    assert shortened("a\n\n  b", 100) == "a b"
