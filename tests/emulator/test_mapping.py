"""Non-template mappings: the lenient reading of a MOCK request template's output."""

from __future__ import annotations

import pytest

from gatecrash.emulator.mapping import read_lenient_json


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"statusCode": 200}', {"statusCode": 200}),
        # CDK's CORS preflight template (LocalStack test_integration_mock_with_path_param, recorded: 200)
        ("{statusCode: 200}", {"statusCode": 200}),
        ("{ statusCode: 200 }", {"statusCode": 200}),
        # the single-quoted template of public Terraform CORS modules (gatecrash issue 14)
        ("{ 'statusCode': 200 }", {"statusCode": 200}),
        ("{'a': 'it\\'s', b: true, c: null, \"d\": [1, 'x']}", {"a": "it's", "b": True, "c": None, "d": [1, "x"]}),
        ("{'e': 'A\\u0042\\n'}", {"e": "AB\n"}),
    ],
)
def test_lenient_json_reads_unquoted_names_and_single_quotes(text: str, expected: object) -> None:
    assert read_lenient_json(text) == expected


@pytest.mark.parametrize("text", ["{statusCode 200}", "{'open: 1}", "statusCode: 200", ""])
def test_what_is_not_json_even_leniently_is_a_value_error(text: str) -> None:
    with pytest.raises(ValueError):
        read_lenient_json(text)
