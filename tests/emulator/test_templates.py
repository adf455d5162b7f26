"""VTL mapping templates: the values AWS prints, from LocalStack's recordings against AWS
(test_apigateway_common.snapshot.json: test_input_path_template_formatting,
test_input_body_formatting) and AWS docs ("Variables for data transformations": $input.params
search order, escapeJavaScript's single quotes)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from gatecrash.emulator.templates import TemplateCache, TemplateError, TemplateVariables, nested_context

CACHE = TemplateCache()


def render(template: str, body: str = "", **fields: Any) -> str:
    return CACHE.render(template, TemplateVariables(body=body, **fields))


PATH = '#set($result = $input.path("$.json"))$result'
PROBE = (
    '{"body": $result, "nested": $result.nested, "isNull": #if( $result == $null )"true"#else"false"#end, '
    '"isEmptyString": #if( $result == "" )"true"#else"false"#end}'
)


@pytest.mark.parametrize(
    ("template", "body", "expected"),
    [
        (PATH, '{"json": {"foo": "bar"}}', "{foo=bar}"),
        (PATH, '{"json": [{"foo": "bar"}]}', '[{"foo":"bar"}]'),
        ('#set($result = $input.path("$.json"))$result.nested', '{"json": {"nested": {"foo": "bar"}}}', "{foo=bar}"),
        ('#set($result = $input.path("$.json"))$result[0]', '{"json": [[{"foo": "bar"}]]}', '[{"foo":"bar"}]'),
        (PATH, '{"json": {"foo": [{"nested": "bar"}]}}', '{foo=[{"nested":"bar"}]}'),
        (
            PATH,
            '{"json": {"bigger": "dict", "to": "test", "with": "separators"}}',
            "{bigger=dict, to=test, with=separators}",
        ),
        (
            '#set($result = $input.path("$.json"))$result.toString()',
            '{"json": {"list": [{"foo": "bar"}]}}',
            '{list=[{"foo":"bar"}]}',
        ),
        (
            '#set($result = $input.path("$.nonExisting"))' + PROBE,
            "",
            '{"body": , "nested": , "isNull": "true", "isEmptyString": "true"}',
        ),
        (
            '#set($result = $input.path("$.json.listValue"))' + PROBE,
            '{"json": {"listValue": []}}',
            '{"body": [], "nested": , "isNull": "false", "isEmptyString": "false"}',
        ),
        (
            '#set($result = $input.path("$.json.listValue"))' + PROBE,
            '{"json": {"listValue": null}}',
            '{"body": , "nested": , "isNull": "true", "isEmptyString": "true"}',
        ),
    ],
)
def test_input_path_prints_as_recorded_on_aws(template: str, body: str, expected: str) -> None:
    assert render(template, body) == expected


@pytest.mark.parametrize(
    ("body", "raw", "encoded"),
    [
        ("", "{}", "EncodedBody=%7B%7D&EncodedBodyAccess="),
        ('{"some": "value"}', '{"some": "value"}', "EncodedBody=%7B%22some%22%3A+%22value%22%7D&EncodedBodyAccess="),
        ("some raw data", "some raw data", "EncodedBody=some+raw+data&EncodedBodyAccess="),
    ],
)
def test_input_body_and_url_encode_as_recorded_on_aws(body: str, raw: str, encoded: str) -> None:
    assert render("#set($result = $input.body)$result", body) == raw
    assert render("Action=SendMessage&MessageBody=$input.body", body) == f"Action=SendMessage&MessageBody={raw}"
    template = "EncodedBody=$util.urlEncode($input.body)&EncodedBodyAccess=$util.urlEncode($input.body.testAccess)"
    assert render(template, body) == encoded


def test_json_and_path_on_nested_arrays() -> None:
    body = '{"orders": [{"id": 1, "items": [{"sku": "a"}, {"sku": "b"}]}, {"id": 2, "items": []}]}'
    assert render("$input.json('$.orders[0].items')", body) == '[{"sku":"a"},{"sku":"b"}]'
    assert render("$input.json('$.orders[*].id')", body) == "[1,2]"
    assert render("$input.json('$.orders[0].items[1].sku')", body) == '"b"'
    assert render("$input.path('$.orders[0].items[1].sku')", body) == "b"
    assert render("$input.path('$.orders[0].items').size()", body) == "2"
    assert render("#foreach($o in $input.path('$.orders'))$o.id:$o.items.size() #end", body) == "1:2 2:0 "


def test_escape_javascript_quotes_and_unicode() -> None:
    # Commons Lang escapeJavaScript: ' and " and / and \ escaped, non-ASCII as \uXXXX (UTF-16 units).
    body = '{"text": "it\'s \\"quoted\\" / caf\\u00e9 \\ud83d\\ude00\\n"}'
    assert render("$util.escapeJavaScript($input.path('$.text'))", body) == (
        'it\\\'s \\"quoted\\" \\/ caf\\u00E9 \\uD83D\\uDE00\\n'
    )
    # AWS docs' own advice for JSON: turn \' back into '.
    assert render('$util.escapeJavaScript("it\'s").replaceAll("\\\\\'","\'")') == "it's"


def test_util_functions() -> None:
    assert render("$util.parseJson($input.body).a.b[1]", '{"a": {"b": [1, 2]}}') == "2"
    assert render("$util.base64Encode('hello world')") == "aGVsbG8gd29ybGQ="
    assert render("$util.base64Decode('aGVsbG8gd29ybGQ=')") == "hello world"
    assert render("$util.urlDecode('a+b%2Fc')") == "a b/c"
    assert render("$util.urlEncode('a b/c~*')") == "a+b%2Fc%7E*"


def test_params_context_stage_variables_and_directives() -> None:
    fields: dict[str, Any] = {
        "path": {"id": "7"},
        "querystring": {"id": "q", "limit": "5"},
        "header": {"X-Tenant": "acme"},
        "context": nested_context(
            {"requestId": "r-1", "identity.sourceIp": "10.0.0.1", "authorizer.principalId": "me"}
        ),
        "stage_variables": {"table": "orders"},
    }
    # AWS docs: params(name) searches path, then query string, then headers.
    assert (
        render("$input.params('id') $input.params('limit') $input.params('X-Tenant') [$input.params('none')]", **fields)
        == "7 5 acme []"
    )
    assert render("$input.params().querystring.limit", **fields) == "5"
    template = (
        "#set($n = 2)#if($n > 1)$context.requestId $context.identity.sourceIp "
        "$context.authorizer.principalId $stageVariables.table#end"
    )
    assert render(template, **fields) == "r-1 10.0.0.1 me orders"


def test_failures_are_template_errors_and_templates_compile_once() -> None:
    with pytest.raises(TemplateError):
        render("$input.json('$.a')", "not json")
    with pytest.raises(TemplateError):
        render("$util.parseJson('{')")
    cache = TemplateCache()
    assert cache.compile("$input.body") is cache.compile("$input.body")


def test_a_template_without_references_or_directives_is_static() -> None:
    from gatecrash.emulator.templates import is_static

    assert is_static('{"statusCode": 200}')
    assert not is_static('{"id": "$context.requestId"}')
    assert not is_static("#set($a = 1)")


def test_aws_docs_example_5_params_path_size_and_json() -> None:
    # AWS docs "Examples using variables for mapping template transformations", Example 5: path
    # parameter 123 and this body give {"id":"123","count":"3","things":{"1":{},"2":{},"3":{}}}.
    template = (
        '{\n    "id" : "$input.params(\'id\')",\n    "count" : "$input.path(\'$.things\').size()",\n'
        "    \"things\" : $input.json('$.things')\n}"
    )
    body = '{\n      "things": {\n            "1": {},\n            "2": {},\n            "3": {}\n      }\n}'
    output = render(template, body, path={"id": "123"})
    assert json.loads(output) == {"id": "123", "count": "3", "things": {"1": {}, "2": {}, "3": {}}}


def test_aws_docs_example_4_escape_javascript_of_json() -> None:
    # Same page, Example 4: query string name=Bella and {"Age": "6"} give "body": "\"6\"".
    template = (
        '{\n    "name" : "$input.params(\'name\')",\n    "body" : "$util.escapeJavaScript($input.json(\'$.Age\'))"\n}'
    )
    output = render(template, '{"Age": "6"}', querystring={"name": "Bella"})
    assert json.loads(output) == {"name": "Bella", "body": '"6"'}


def test_input_path_of_the_whole_body_that_is_not_json_is_its_raw_text() -> None:
    # The form-post recipe (Stack Overflow 32057053; parity case capture-form-body-templates):
    # `$input.path('$')` of `a=1&b=2` is that text, and `.split('&')` works on it.
    form = "name=Marcus&email=email%40example.com&message="
    assert render("$input.path('$')", form) == form
    assert render("#foreach($t in $input.path('$').split('&'))[$t]#end", form) == (
        "[name=Marcus][email=email%40example.com][message=]"
    )
    assert render("$input.body", form) == form
    with pytest.raises(TemplateError):
        render("$input.path('$.name')", form)  # a path into it: no recorded answer, still a failure
