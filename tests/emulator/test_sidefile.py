"""The side file loader: the documented format, AWS CLI pastes, and one snippet per Problem."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import yaml

from gatecrash.emulator import sidefile
from gatecrash.emulator.model import (
    AccessLogSettings,
    ApiKey,
    LambdaFunction,
    LoggingLevel,
    MethodSetting,
    Quota,
    QuotaPeriod,
    StageConfig,
    ThrottleLimit,
    UsagePlan,
)
from gatecrash.emulator.sidefile import load_side_file, parse_side_file
from gatecrash.errors import Problem, SideFileError

ACCOUNT = ThrottleLimit(rate_limit=10_000.0, burst_limit=5_000)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "stage.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def load(tmp_path: Path, text: str, environ: dict[str, str] | None = None) -> StageConfig:
    return load_side_file(write(tmp_path, text), environ=environ or {})


def problems(tmp_path: Path, text: str, environ: dict[str, str] | None = None) -> list[Problem]:
    with pytest.raises(SideFileError) as caught:
        load(tmp_path, text, environ)
    return list(caught.value.problems)


def only_problem(tmp_path: Path, text: str, environ: dict[str, str] | None = None) -> Problem:
    found = problems(tmp_path, text, environ)
    assert len(found) == 1, found
    return found[0]


def documented_example() -> str:
    doc = sidefile.__doc__
    assert doc is not None
    return doc.split("```yaml\n", 1)[1].split("```", 1)[0]


# --- the documented format -----------------------------------------------------------------------


def test_documented_example_loads(tmp_path: Path) -> None:
    config = load(tmp_path, documented_example())
    assert (config.rest_api_id, config.stage_name, config.region, config.account_id) == (
        "a1b2c3d4e5",
        "demo",
        "us-east-1",
        "123456789012",
    )
    assert config.variables == {"backend": "127.0.0.1:8080"}
    assert config.account_throttle == ACCOUNT
    assert config.method_settings == {
        ("*", "*"): MethodSetting(ThrottleLimit(100.0, 200), LoggingLevel.INFO, True),
        ("/pets", "GET"): MethodSetting(ThrottleLimit(5.0, 10), LoggingLevel.INFO, True),
    }
    assert config.access_log == AccessLogSettings("my-access-logs", '{"requestId":"$context.requestId"}')
    assert config.usage_plans == (
        UsagePlan(
            id="plan1",
            name="basic",
            throttle=ThrottleLimit(5.0, 10),
            quota=Quota(200, QuotaPeriod.DAY, 0),
            method_throttles={("/pets", "GET"): ThrottleLimit(1.0, 2)},
        ),
    )
    assert config.api_keys == (ApiKey("key1", "demo-key", "local-demo-key-0123456789", True, ("plan1",)),)
    assert config.functions == {
        "demo-fast": LambdaFunction("demo-fast", "handlers:fast", 3.0, True, 10),
    }
    assert config.handler_paths == (str(tmp_path.resolve()),)


def test_empty_file_is_the_no_side_file_config(tmp_path: Path) -> None:
    config = load(tmp_path, "# nothing yet\n")
    assert config == StageConfig(handler_paths=(str(tmp_path.resolve()),))


def test_pasted_get_stage_output_with_fields_the_emulator_ignores(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        """\
        stage:
          deploymentId: abc123
          stageName: prod
          cacheClusterEnabled: false
          cacheClusterStatus: NOT_AVAILABLE
          methodSettings:
            "~1pets~1{id}/GET":
              metricsEnabled: false
              loggingLevel: ERROR
              dataTraceEnabled: false
              throttlingBurstLimit: 5000
              throttlingRateLimit: 10000.0
              cachingEnabled: false
              cacheTtlInSeconds: 300
              cacheDataEncrypted: false
              requireAuthorizationForCacheControl: true
              unauthorizedCacheControlHeaderStrategy: SUCCEED_WITH_RESPONSE_HEADER
          tracingEnabled: false
          createdDate: "2024-05-01T10:00:00+02:00"
          lastUpdatedDate: 2024-05-01T10:00:00+02:00
        """,
    )
    assert config.stage_name == "prod"
    assert config.method_settings == {
        ("/pets/{id}", "GET"): MethodSetting(ThrottleLimit(10_000.0, 5_000), LoggingLevel.ERROR, False)
    }


def test_pasted_list_commands_keep_their_items_wrapper(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        """\
        stage: {stageName: demo}
        usagePlans:
          items:
            - {id: p1, name: gold, apiStages: [{apiId: gatecrash0, stage: demo}]}
        apiKeys:
          position: abc
          items:
            - {id: k1, name: one, value: local-key-one-0123456789, createdDate: "2024-01-01", stageKeys: []}
        usagePlanKeys: [{usagePlanId: p1, keyId: k1, keyType: API_KEY}]
        """,
    )
    assert [plan.id for plan in config.usage_plans] == ["p1"]
    assert config.api_keys == (ApiKey("k1", "one", "local-key-one-0123456789", True, ("p1",)),)


def test_unquoted_account_id_keeps_its_leading_zeros(tmp_path: Path) -> None:
    assert load(tmp_path, "accountId: 12345678901\n").account_id == "012345678901"


def test_bare_log_group_name(tmp_path: Path) -> None:
    config = load(tmp_path, "stage:\n  accessLogSettings: {destinationArn: my-group}\n")
    assert config.access_log == AccessLogSettings("my-group", None)


# --- method settings ------------------------------------------------------------------------------


def test_method_settings_inherit_from_the_stage_default_then_the_account(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        """\
        stage:
          methodSettings:
            "*/*": {throttlingRateLimit: 100, loggingLevel: error, dataTraceEnabled: false}
            "/pets/GET": {throttlingBurstLimit: 7}
            "~1pets/POST": {loggingLevel: OFF}  # YAML 1.1 reads this OFF as false
            "/pets/{id}/delete": {}
        """,
    )
    stage_default = MethodSetting(ThrottleLimit(100.0, 5_000), LoggingLevel.ERROR, False)
    assert config.method_settings == {
        ("*", "*"): stage_default,
        ("/pets", "GET"): MethodSetting(ThrottleLimit(100.0, 7), LoggingLevel.ERROR, False),
        ("/pets", "POST"): MethodSetting(ThrottleLimit(100.0, 5_000), LoggingLevel.OFF, False),
        ("/pets/{id}", "DELETE"): stage_default,
    }


def test_method_setting_without_stage_default_takes_the_account_limit(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        """\
        account: {throttleSettings: {rateLimit: 50, burstLimit: 20}}
        stage:
          methodSettings:
            "/a/GET": {throttlingBurstLimit: 3}
            "/b/GET": {dataTraceEnabled: false}
        """,
    )
    assert config.account_throttle == ThrottleLimit(50.0, 20)
    assert config.method_settings == {
        ("/a", "GET"): MethodSetting(ThrottleLimit(50.0, 3), LoggingLevel.INFO, True),
        ("/b", "GET"): MethodSetting(None, LoggingLevel.INFO, False),
    }


def test_unknown_method_setting_key_suggests_the_right_one(tmp_path: Path) -> None:
    problem = only_problem(
        tmp_path,
        """\
        stage:
          methodSettings:
            "*/*":
              throttlingRateLimt: 100
        """,
    )
    assert problem.pointer == "$.stage.methodSettings['*/*'].throttlingRateLimt"
    assert problem.line == 4
    assert problem.message == "unknown key 'throttlingRateLimt'"
    assert problem.hint is not None
    assert problem.hint.startswith(
        "did you mean 'throttlingRateLimit'? valid keys: throttlingRateLimit, throttlingBurstLimit, loggingLevel,"
    )


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("pets", "'pets' is not resourcePath/httpMethod"),
        ("/pets/FETCH", "unknown HTTP method 'FETCH' in '/pets/FETCH'"),
        ("*/GET", "'*/GET' is not a method of the API"),
    ],
)
def test_bad_method_setting_keys(tmp_path: Path, key: str, message: str) -> None:
    problem = only_problem(tmp_path, f'stage:\n  methodSettings:\n    "{key}": {{}}\n')
    assert (problem.line, problem.message) == (3, message)


def test_two_spellings_of_one_method(tmp_path: Path) -> None:
    problem = only_problem(tmp_path, 'stage:\n  methodSettings:\n    "~1pets/GET": {}\n    "/pets/GET": {}\n')
    assert (problem.line, problem.message) == (4, "'/pets/GET' names the same method as '~1pets/GET'")


# --- usage plans and keys -------------------------------------------------------------------------


def test_only_plans_of_this_api_and_stage_are_kept(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        """\
        restApiId: api1
        stage: {stageName: demo}
        usagePlans:
          - {id: mine, apiStages: [{apiId: api1, stage: demo, throttle: {"~1a/GET": {rateLimit: 1, burstLimit: 1}}}]}
          - {id: any-api, apiStages: [{stage: demo}]}
          - {id: other-stage, apiStages: [{apiId: api1, stage: prod}]}
          - {id: other-api, apiStages: [{apiId: api2, stage: demo}]}
          - {id: no-stage}
        apiKeys:
          - {id: k, value: local-key-0123456789abc}
        usagePlanKeys:
          - {usagePlanId: mine, keyId: k}
          - {usagePlanId: other-stage, keyId: k}
        """,
    )
    assert [plan.id for plan in config.usage_plans] == ["mine", "any-api"]
    assert config.usage_plans[0].name == "mine"
    assert config.usage_plans[0].method_throttles == {("/a", "GET"): ThrottleLimit(1.0, 1)}
    assert config.api_keys[0].usage_plan_ids == ("mine",)


def test_usage_plan_keys_must_name_declared_plans_and_keys(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        """\
        usagePlans: [{id: plan1}]
        apiKeys: [{id: key1, value: local-key-0123456789abc}]
        usagePlanKeys:
          - {usagePlanId: plan2, keyId: key1}
          - {usagePlanId: plan1, keyId: kye1}
        """,
    )
    assert [(p.pointer, p.line, p.message, p.hint) for p in found] == [
        (
            "$.usagePlanKeys[0].usagePlanId",
            4,
            "no usage plan with id 'plan2'",
            "did you mean 'plan1'? ids declared under usagePlans: plan1",
        ),
        (
            "$.usagePlanKeys[1].keyId",
            5,
            "no API key with id 'kye1'",
            "did you mean 'key1'? ids declared under apiKeys: key1",
        ),
    ]


def test_quota_problems(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        """\
        usagePlans:
          - id: p
            quota: {limit: -1, period: YEAR}
          - id: q
            quota: {limit: 5, period: week, offset: 7}
        """,
    )
    assert [(p.pointer, p.message, p.hint) for p in found] == [
        ("$.usagePlans[0].quota.limit", "must not be negative, not -1", "use 0 or more"),
        ("$.usagePlans[0].quota.period", "unknown quota period 'YEAR'", "valid values: DAY, WEEK, MONTH"),
        ("$.usagePlans[1].quota.offset", "offset 7 is out of range for period WEEK", "use 0 to 6"),
    ]


def test_throttles_need_both_fields_and_no_negatives(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        """\
        usagePlans:
          - id: p
            throttle: {rateLimit: 5}
        stage:
          methodSettings:
            "*/*": {throttlingBurstLimit: -2, throttlingRateLimit: fast}
        """,
    )
    assert [(p.line, p.message) for p in found] == [
        (3, "throttle needs both rateLimit and burstLimit; burstLimit is missing"),
        (6, "must be a number, not a string"),
        (6, "must not be negative, not -2"),
    ]


# --- API keys ---------------------------------------------------------------------------------------


def test_api_key_value_from_the_environment(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        "apiKeys:\n  - {id: k, name: from-env, enabled: false, valueFrom: {env: MY_KEY}}\n",
        environ={"MY_KEY": "secret-from-env-0123456789"},
    )
    assert config.api_keys == (ApiKey("k", "from-env", "secret-from-env-0123456789", False, ()),)


def test_api_key_environment_variable_not_set(tmp_path: Path) -> None:
    problem = only_problem(tmp_path, "apiKeys:\n  - id: k\n    valueFrom: {env: MY_KEY}\n")
    assert problem == Problem(
        file=str(tmp_path / "stage.yaml"),
        pointer="$.apiKeys[0].valueFrom.env",
        message="environment variable MY_KEY is not set",
        line=3,
        hint="export MY_KEY=<the API key value> before starting gatecrash",
    )


def test_api_key_value_and_reference_together_or_neither(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        "apiKeys:\n  - {id: a, value: x, valueFrom: {env: A}}\n  - {id: b, name: b}\n",
        environ={"A": "y"},
    )
    assert [(p.line, p.message) for p in found] == [
        (2, "an API key has either value or valueFrom, not both"),
        (3, "the API key has no value"),
    ]


def test_duplicate_key_values(tmp_path: Path) -> None:
    problem = only_problem(tmp_path, "apiKeys:\n  - {id: a, value: same-value}\n  - {id: b, value: same-value}\n")
    assert (problem.pointer, problem.message) == (
        "$.apiKeys[1]",
        "two API keys have the same value (also at $.apiKeys[0])",
    )


def test_duplicate_ids_name_the_first(tmp_path: Path) -> None:
    keys = only_problem(tmp_path, "apiKeys:\n  - {id: a, value: one-value}\n  - {id: a, value: two-value}\n")
    assert (keys.pointer, keys.message) == ("$.apiKeys[1].id", "duplicate API key id 'a' (also at $.apiKeys[0])")
    plans = only_problem(tmp_path, "usagePlans:\n  - {id: p, name: one}\n  - {id: p, name: two}\n")
    assert (plans.pointer, plans.message) == (
        "$.usagePlans[1].id",
        "duplicate usage plan id 'p' (also at $.usagePlans[0])",
    )
    pools = only_problem(
        tmp_path,
        "userPools:\n  - {id: us-east-1_aaaa, clientIds: [c1]}\n  - {id: us-east-1_aaaa, clientIds: [c2]}\n",
    )
    assert (pools.pointer, pools.message) == (
        "$.userPools[1].id",
        "duplicate user pool id 'us-east-1_aaaa' (also at $.userPools[0])",
    )


# --- functions ---------------------------------------------------------------------------------------


def test_function_defaults(tmp_path: Path) -> None:
    config = load(tmp_path, "functions:\n  f: {handler: pkg.mod:Handler.run}\n")
    assert config.functions == {"f": LambdaFunction("f", "pkg.mod:Handler.run", 3.0, True, None)}


def test_lambda_style_handler_is_refused_with_the_fix(tmp_path: Path) -> None:
    problem = only_problem(tmp_path, "functions:\n  f: {handler: handlers.fast}\n")
    assert problem.pointer == "$.functions.f.handler"
    assert problem.message == "handler 'handlers.fast' is not in module:callable form"
    assert problem.hint == "write e.g. handlers:fast (a callable in a module importable from the side file's folder)"


def test_function_problems(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        """\
        functions:
          f: {handler: "h:f", timeout: 0, invokePermission: "yes", reservedConcurrency: 1.5, memory: 128}
          g: {timeout: 2}
        """,
    )
    assert [(p.pointer, p.message) for p in found] == [
        ("$.functions.f.memory", "unknown key 'memory'"),
        ("$.functions.f.timeout", "timeout must be more than 0 and at most 900 seconds, not 0"),
        ("$.functions.f.invokePermission", "must be true or false, not a string"),
        ("$.functions.f.reservedConcurrency", "must be a whole number, not a number"),
        ("$.functions.g.handler", "missing handler"),
    ]


# --- everything else -------------------------------------------------------------------------------


def test_unknown_top_level_key(tmp_path: Path) -> None:
    problem = only_problem(tmp_path, "stages: {}\n")
    assert problem.message == "unknown key 'stages'"
    assert problem.hint == (
        "did you mean 'stage'? valid keys: restApiId, region, accountId, account, stage, usagePlans, apiKeys, "
        "usagePlanKeys, functions, iamCredentials, userPools, endpointOverrides"
    )


def test_stage_variables_are_strings(tmp_path: Path) -> None:
    found = problems(tmp_path, "stage:\n  variables:\n    port: 8080\n    bad-name: x\n")
    assert [(p.line, p.message, p.hint) for p in found] == [
        (3, "stage variable values are strings, not a number", 'quote it: port: "8080"'),
        (4, "stage variable name 'bad-name' may only use letters, digits and _", "rename it"),
    ]


def test_access_log_format_must_carry_a_request_id(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        """\
        stage:
          accessLogSettings:
            destinationArn: arn:aws:firehose:us-east-1:123456789012:deliverystream/amazon-apigateway-x
            format: '{"status":"$context.status"}'
        """,
    )
    assert [(p.line, p.message) for p in found] == [
        (
            3,
            "'arn:aws:firehose:us-east-1:123456789012:deliverystream/amazon-apigateway-x' "
            "is not a CloudWatch Logs log group ARN",
        ),
        (4, "the access log format must include $context.requestId or $context.extendedRequestId"),
    ]


def test_side_file_must_be_a_mapping(tmp_path: Path) -> None:
    problem = only_problem(tmp_path, "- stage\n")
    assert (problem.pointer, problem.message) == ("$", "the side file must be a mapping, not a list")


def test_yaml_syntax_error(tmp_path: Path) -> None:
    problem = only_problem(tmp_path, "stage:\n  stageName: [demo\n")
    assert problem.message.startswith("not valid YAML or JSON: ")
    assert problem.line == 3


def test_missing_side_file(tmp_path: Path) -> None:
    with pytest.raises(SideFileError) as caught:
        load_side_file(tmp_path / "absent.yaml")
    assert [p.message for p in caught.value.problems] == ["cannot read the file: No such file or directory"]


def test_parse_side_file_defaults_to_os_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATECRASH_TEST_KEY", "value-from-os-environ-0123")
    config = parse_side_file({"apiKeys": [{"id": "k", "valueFrom": {"env": "GATECRASH_TEST_KEY"}}]}, "x/stage.yaml")
    assert config.api_keys[0].value == "value-from-os-environ-0123"


@pytest.mark.parametrize("junk", [None, 7, "x", [], {}, True, [None], {"a": None}])
@pytest.mark.parametrize(
    "key",
    ["restApiId", "accountId", "account", "stage", "usagePlans", "apiKeys", "usagePlanKeys", "functions"],
)
def test_any_damaged_section_gives_a_side_file_error_not_a_crash(key: str, junk: object) -> None:
    document = yaml.safe_load(documented_example())
    document[key] = junk
    try:
        parse_side_file(document, "stage.yaml")
    except SideFileError as error:
        assert error.problems
