"""CloudWatch Logs filter patterns against the examples of AWS's own documentation.

Each example gives the events, the pattern and the events that match, as the page states them:
AWS docs "Filter pattern syntax for metric filters, subscription filters, filter log events, and Live
Tail", https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html, whose
earlier full text is https://github.com/awsdocs/amazon-cloudwatch-logs-user-guide/blob/
5ae5c9aeccbdc909d7549b9260291ce7ed2a92f3/doc_source/FilterAndPatternSyntax.md (cited below as "the
page"). Refusals are AWS's recorded InvalidParameterException messages, each cited where tested.
"""

from __future__ import annotations

import pytest

from gatecrash.emulator.filterpattern import FilterPatternError, compile_pattern, split_fields


def matching(pattern: str, events: list[str]) -> list[str]:
    compiled = compile_pattern(pattern)
    return [event for event in events if compiled.matches(event)]


# -- Matching terms in unstructured log events ---------------------------------------------------

FATAL = "[ERROR] A fatal exception has occurred"
EXITING = "Exiting with ERRORCODE: -1"
CAUGHT = "[ERROR] Caught IllegalArgumentException"
UNHANDLED = "[ERROR] Unhandled Exception"
FAILED_WARN = "[WARN] Failed to process the request"
FAILED_ERROR = "[ERROR] Unable to continue: Failed to process the request"
TERM_EVENTS = [FATAL, EXITING, CAUGHT, UNHANDLED, FAILED_WARN, FAILED_ERROR]


def test_page_example_1_the_empty_pattern_matches_everything() -> None:
    assert matching("", TERM_EVENTS) == TERM_EVENTS


def test_page_example_2_a_single_term_matches_inside_words_too() -> None:
    # "ERROR" matches "[ERROR] A fatal exception has occurred" and "Exiting with ERRORCODE: -1".
    assert matching("ERROR", [FATAL, EXITING]) == [FATAL, EXITING]


@pytest.mark.parametrize("pattern", ['"ERROR" - "Exiting"', "ERROR -Exiting"])
def test_page_example_3_a_minus_excludes_a_term(pattern: str) -> None:
    assert matching(pattern, [FATAL, EXITING]) == [FATAL]


def test_page_example_4_every_term_must_occur_case_sensitive() -> None:
    # "ERROR Exception" matches the two Exception events; FATAL's "exception" is lower case.
    assert matching("ERROR Exception", TERM_EVENTS) == [CAUGHT, UNHANDLED]
    assert matching("Failed to process the request", TERM_EVENTS) == [FAILED_WARN, FAILED_ERROR]


def test_the_current_pages_error_examples() -> None:
    # The current page: ERROR matches "[ERROR 400] BAD REQUEST" and "[ERROR 401] UNAUTHORIZED REQUEST".
    events = ["[ERROR 400] BAD REQUEST", "[ERROR 401] UNAUTHORIZED REQUEST", "[SUCCESS 200] AUTHORIZED REQUEST"]
    assert matching("ERROR", events) == events[:2]


OR_EVENTS = ["ERROR WARN message", "ERROR message", "WARN message"]


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("ERROR", [1, 2]),
        ("?ERROR ?WARN", [1, 2, 3]),
        ("ERROR WARN", [1]),
        ("ERROR -WARN", [2]),
    ],
)
def test_page_or_pattern_matching_in_terms(pattern: str, expected: list[int]) -> None:
    assert matching(pattern, OR_EVENTS) == [OR_EVENTS[n - 1] for n in expected]


def test_a_quoted_phrase_is_one_term_and_may_hold_any_character() -> None:
    events = ["[ERROR 500] INTERNAL SERVER ERROR", "ERROR on SERVER: INTERNAL"]
    assert matching('"INTERNAL SERVER ERROR"', events) == events[:1]
    assert matching('"[ERROR 500]"', events) == events[:1]


# -- Regular expressions ----------------------------------------------------------------------------


def test_current_page_regex_example_searches_the_message() -> None:
    # %AUTHORIZED% returns "[ERROR 401] UNAUTHORIZED REQUEST" and "[SUCCESS 200] AUTHORIZED REQUEST".
    events = ["[ERROR 401] UNAUTHORIZED REQUEST", "[SUCCESS 200] AUTHORIZED REQUEST", "[ERROR 400] BAD REQUEST"]
    assert matching("%AUTHORIZED%", events) == events[:2]
    assert matching(r"%^\[ERROR4\d+\]%", ["[ERROR401] x", "x [ERROR401]"]) == ["[ERROR401] x"]


@pytest.mark.parametrize("pattern", ["%something!%", "%(ERROR|WARN)%", "%grüße%"])
def test_regex_outside_the_supported_characters_is_refused(pattern: str) -> None:
    # The page: "%something!% would be rejected since '!' is not supported"; "( and ) operators are
    # not supported"; "Multi-byte characters are not supported".
    with pytest.raises(FilterPatternError, match="^Invalid filter pattern$"):
        compile_pattern(pattern)


# -- JSON ---------------------------------------------------------------------------------------------

TRAIL = """{
  "eventType": "UpdateTrail",
  "sourceIPAddress": "111.111.111.111",
  "arrayKey": ["value", "another value"],
  "objectList": [{"name": "a", "id": 1}, {"name": "b", "id": 2}],
  "SomeObject": null,
  "ThisFlag": true
}"""


@pytest.mark.parametrize(
    "pattern",
    [
        '{ $.eventType = "UpdateTrail" }',
        "{ $.sourceIPAddress != 123.123.* }",
        '{ $.arrayKey[0] = "value" }',
        "{ $.objectList[1].id = 2 }",
        "{ $.SomeObject IS NULL }",
        "{ $.SomeOtherObject NOT EXISTS }",
        "{ $.ThisFlag IS TRUE }",
    ],
)
def test_page_json_metric_filter_examples_all_match(pattern: str) -> None:
    assert compile_pattern(pattern).matches(TRAIL)


@pytest.mark.parametrize(
    "pattern",
    [
        '{ $.eventType = "PutTrail" }',
        "{ $.sourceIPAddress != 111.111.* }",
        '{ $.eventType[0] = "value" }',  # "If arrayKey is not an array this will be false"
        "{ $.objectList[0].id = 2 }",
        "{ $.objectList[1].missing = 2 }",  # "do not have an id property, this will be false"
        "{ $.ThisFlag IS NULL }",  # "only be true is the specified object is set to null"
        "{ $.SomeObject NOT EXISTS }",
        "{ $.ThisFlag IS FALSE }",
    ],
)
def test_page_json_metric_filter_examples_turned_false(pattern: str) -> None:
    assert not compile_pattern(pattern).matches(TRAIL)


def test_page_json_string_wildcards() -> None:
    # "*Event will match PutEvent and GetEvent. Event* will match EventId and EventName. Ev*ent will
    # only match the actual string Ev*ent."
    names = ["PutEvent", "GetEvent", "EventId", "EventName", "Ev*ent", "Evident"]
    events = [f'{{"name": "{name}"}}' for name in names]
    assert matching("{ $.name = *Event }", events) == events[0:2]
    assert matching("{ $.name = Event* }", events) == events[2:4]
    assert matching('{ $.name = "Ev*ent" }', events) == events[4:5]


def test_page_json_or_pattern_matching() -> None:
    events = ['{"foo": "bar"}', '{"foo": "baz"}']
    assert matching("{$.foo = bar}", events) == events[:1]
    assert matching("{$.foo = baz }", events) == events[1:]
    assert matching("{$.foo = bar || $.foo = baz }", events) == events


USERS = """{
  "user": {"id": 1, "email": "John.Stiles@example.com"},
  "users": [{"id": 2, "email": "John.Doe@example.com"}, {"id": 3, "email": "Jane.Doe@example.com"}],
  "actions": ["GET", "PUT", "DELETE"],
  "coordinates": [[0, 1, 2], [4, 5, 6], [7, 8, 9]]
}"""


@pytest.mark.parametrize(
    ("pattern", "matches"),
    [
        ('{ ($.user.id = 1) && ($.users[0].email = "John.Doe@example.com") }', True),
        ('{ ($.user.id = 2 && $.users[0].email = "nonmatch") || $.actions[2] = "GET" }', False),
        (
            '{ $.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = nonmatch && $.actions[2] = nomatch }',
            True,
        ),
        (
            '{ ($.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = nonmatch) '
            "&& $.actions[2] = nomatch }",
            False,
        ),
    ],
)
def test_page_json_compound_conditions(pattern: str, matches: bool) -> None:
    assert compile_pattern(pattern).matches(USERS) is matches


@pytest.mark.parametrize("pattern", ["{$.users = 1}", "{$.users != 1}"])
def test_page_a_selector_on_an_array_matches_neither_equal_nor_unequal(pattern: str) -> None:
    # "both {$.users = 1} and {$.users != 1} will fail to match a log event where users is an array"
    assert not compile_pattern(pattern).matches('{"users": [1, 2, 3]}')


def test_page_numeric_comparisons() -> None:
    # The page's numeric examples, on an event of ours that each one matches, and one none matches.
    patterns = [
        "{ $.latency >= 500 }",
        "{ $.numbers[0] < 10e3 }",
        "{ $.numbers[0] < 10e-3 }",
        "{ $.processes[4].averageRuntime <= 55.5 }",
        "{ $.errorCode = 400 }",
        "{ $.errorCode != 500 }",
        "{ $.latency > +1000 }",
    ]
    processes = [{}, {}, {}, {}, {"averageRuntime": 55.5}]
    hit = f'{{"latency": 1500, "numbers": [0.001], "processes": {processes}, "errorCode": 400}}'.replace("'", '"')
    miss = '{"latency": 100, "numbers": [20000], "processes": [], "errorCode": 500}'
    assert all(compile_pattern(pattern).matches(hit) for pattern in patterns)
    assert not any(compile_pattern(pattern).matches(miss) for pattern in patterns)


def test_api_gateway_access_log_status_compares_as_a_number_and_as_text() -> None:
    # API Gateway's JSON access logs quote $context.status; `{ $.status = 429 }` is how users ask.
    record = '{"requestId": "r-1", "status": "429", "error.responseType": "THROTTLED"}'
    assert compile_pattern("{ $.status = 429 }").matches(record)
    assert compile_pattern("{ $.status >= 400 && $.status < 500 }").matches(record)
    assert compile_pattern("{ $.status = 4* }").matches(record)
    assert compile_pattern('{ $.status != "200" }').matches(record)
    assert not compile_pattern("{ $.status = 200 }").matches(record)


def test_a_json_pattern_never_matches_a_message_that_is_not_json() -> None:
    assert not compile_pattern("{ $.x NOT EXISTS }").matches("plain text")
    assert not compile_pattern('{ $.x != "y" }').matches("plain text")


def test_regex_values_in_json_conditions() -> None:
    events = ['{"path": "/orders/17"}', '{"path": "/users/3"}']
    assert matching("{ $.path = %^/orders/[0-9]+$% }", events) == events[:1]
    assert matching("{ $.path != %orders% }", events) == events[1:]


# -- Space-delimited -----------------------------------------------------------------------------------

APACHE = [
    '127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /apache_pb.gif HTTP/1.0" 200 1534',
    '127.0.0.1 - frank [10/Oct/2000:13:35:22 -0700] "GET /apache_pb.gif HTTP/1.0" 500 5324',
    '127.0.0.1 - frank [10/Oct/2000:13:50:35 -0700] "GET /apache_pb.gif HTTP/1.0" 200 4355',
]


def test_page_brackets_and_quotes_make_one_field() -> None:
    assert split_fields(APACHE[0]) == [
        "127.0.0.1",
        "-",
        "frank",
        "10/Oct/2000:13:25:15 -0700",
        "GET /apache_pb.gif HTTP/1.0",
        "200",
        "1534",
    ]


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("[ip, user, username, timestamp, request, status_code, bytes]", [0, 1, 2]),
        ("[..., status_code, bytes]", [0, 1, 2]),
        ("[ip, user, ..., status_code, bytes]", [0, 1, 2]),
        ("[ip, user, ...]", [0, 1, 2]),
        ("[ip, user, username, timestamp, request, status_code, bytes > 1000]", [0, 1, 2]),
        ("[ip, user, username, timestamp, request, status_code = 200, bytes]", [0, 2]),
        ("[ip, user, username, timestamp, request, status_code = 4*, bytes]", []),
        ("[ip, user, username, timestamp, request = *html*, status_code = 4*, bytes]", []),
        ("[ip, user, username, timestamp, request, status_code = 403 || status_code = 404, bytes]", []),
        ("[ip, user, username, timestamp, request = *gif*, status_code = 5* || status_code = 2*, bytes > 5000]", [1]),
        ("[ip, user, username, timestamp, request, status_code]", []),  # one field short, no ellipsis
    ],
)
def test_page_space_delimited_examples(pattern: str, expected: list[int]) -> None:
    assert matching(pattern, APACHE) == [APACHE[n] for n in expected]


def test_page_extracted_fields_example_matches_with_its_trailing_unnamed_field() -> None:
    # "[..., request=*.html*, status_code=4*,]" against the page's example event.
    event = '127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /index.html HTTP/1.0" 404 1534'
    assert compile_pattern("[..., request=*.html*, status_code=4*,]").matches(event)
    assert not compile_pattern("[..., request=*.html*, status_code=4*,]").matches(APACHE[0])


def test_page_or_pattern_matching_in_space_delimited_filters() -> None:
    # "[w1=ERROR, w2] matches pattern 2" and "[w1=ERROR || w1=WARN, w2] matches patterns 2 and 3". The
    # page's third example, "[w1!=ERROR&&w1!=WARN, w2] matches ... pattern 1", contradicts the first
    # two (pattern 1 has three fields, which the two-field patterns above do not match) and is left out.
    assert matching("[w1=ERROR, w2]", OR_EVENTS) == [OR_EVENTS[1]]
    assert matching("[w1=ERROR || w1=WARN, w2]", OR_EVENTS) == OR_EVENTS[1:]


# -- Patterns AWS refuses (InvalidParameterException) -------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        # DefangLabs/defang issue 1008 (recorded): `Invalid filter pattern: Invalid character(s) in term '""'`
        ('""', "Invalid character(s) in term '\"\"'"),
        # Miserlou/Zappa issue 651: an unquoted e-mail address is refused; the wording is
        # serverless-plugin-log-subscription issue 47's "Invalid character(s) in term '?'".
        ("email@domain.com", "Invalid character(s) in term 'email@domain.com'"),
        # jorgebastida/awslogs issue 210 (recorded)
        ('{$.kubernetes.namespace_name="abc" &&', "If a filter pattern starts with '{' it must end with '}'"),
        # awsdocs/amazon-cloudwatch-logs-user-guide issue 21: the page's own example is refused
        ("[ip, user, username, timestamp, request, status_code = 4* && bytes > 1000]", "Invalid filter pattern"),
        ("{ $.status = }", "Invalid filter pattern"),
        ("{ $.latency > fast }", "Invalid filter pattern"),
        ("{ status = 429 }", "Invalid filter pattern"),
        ("{ $.a = 1 && }", "Invalid filter pattern"),
        ("{ ($.a = 1 }", "Invalid filter pattern"),
        ("[a, b", "Invalid filter pattern"),
        ('"unterminated', "Invalid filter pattern"),
        ("{ $.a = %x% || $.b = %y% || $.c = %z% }", "Invalid filter pattern"),  # "a limit of 2 regex"
    ],
)
def test_refused_patterns_raise_with_awss_message(pattern: str, message: str) -> None:
    with pytest.raises(FilterPatternError) as raised:
        compile_pattern(pattern)
    assert str(raised.value) == message
