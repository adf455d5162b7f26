"""execute-api:Invoke policies: method ARNs, IAM resource wildcards, Allow/Deny evaluation.

Sources: AWS docs "Output from an API Gateway Lambda authorizer" (method ARN form, `*` wildcards);
IAM User Guide "IAM JSON policy elements: Resource" (`*` and `?` in any ARN segment) and "Policy
evaluation logic" (an explicit Deny wins; no Allow is an implicit deny).
"""

from __future__ import annotations

import pytest

from gatecrash.emulator.auth.iam import (
    Decision,
    UnparseablePolicy,
    allow_deny_policy,
    method_arn,
    parse_policy,
    resource_matches,
)

ARN = "arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/pets/42"


def test_method_arn_has_the_request_path_and_a_trailing_slash_for_the_root() -> None:
    assert method_arn("us-east-1", "123456789012", "abc123", "prod", "GET", "/pets/42") == ARN
    assert method_arn("us-west-2", "123456789012", "ymy8tbxw7b", "prod", "GET", "/") == (
        "arn:aws:execute-api:us-west-2:123456789012:ymy8tbxw7b/prod/GET/"
    )


@pytest.mark.parametrize(
    ("pattern", "matches"),
    [
        (ARN, True),
        ("*", True),
        ("arn:aws:execute-api:us-east-1:123456789012:abc123/*", True),
        ("arn:aws:execute-api:us-east-1:123456789012:abc123/*/GET/*", True),
        ("arn:aws:execute-api:*:*:abc123/prod/*/pets/*", True),
        ("arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/pets/4?", True),
        ("arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/pets", False),
        ("arn:aws:execute-api:us-east-1:123456789012:abc123/prod/POST/*", False),
        ("arn:aws:execute-api:us-east-1:123456789012:abc123/prod/get/pets/42", False),  # case-sensitive
        ("arn:aws:execute-api:us-east-*:123456789012:abc123/prod/GET/pets/42", True),
        ("arn:aws:execute-api:*:abc123/prod/GET/pets/42", False),  # a wildcard stays in its segment
        ("arn:aws:execute-api:us-east-1:123456789012:abc123/[a-z]*", False),  # brackets are literal
    ],
)
def test_resource_wildcards(pattern: str, matches: bool) -> None:
    assert resource_matches(pattern, ARN) is matches


def test_explicit_deny_wins_and_no_allow_is_an_implicit_deny() -> None:
    policy = allow_deny_policy(["arn:aws:execute-api:*:*:abc123/*"], ["arn:aws:execute-api:*:*:abc123/prod/DELETE/*"])
    assert policy.decide(ARN) is Decision.ALLOWED
    assert policy.decide(ARN.replace("/GET/", "/DELETE/")) is Decision.EXPLICIT_DENY
    assert policy.decide(ARN.replace("abc123", "zzz999")) is Decision.IMPLICIT_DENY
    assert allow_deny_policy([], []).decide(ARN) is Decision.IMPLICIT_DENY


def test_authorizer_policy_documents_take_one_statement_or_a_list_and_action_lists() -> None:
    single = parse_policy(
        {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "execute-api:invoke", "Resource": ARN}}
    )
    assert single.decide(ARN) is Decision.ALLOWED  # action names are case-insensitive in IAM
    listed = parse_policy(
        {
            "Statement": [
                {"Effect": "Allow", "Action": ["execute-api:*"], "Resource": ["*"]},
                {"Effect": "Deny", "Action": "*", "Resource": [ARN]},
            ]
        }
    )
    assert listed.decide(ARN) is Decision.EXPLICIT_DENY
    other_action = parse_policy({"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]})
    assert other_action.decide(ARN) is Decision.IMPLICIT_DENY


@pytest.mark.parametrize(
    "document",
    [
        None,
        "policy",
        {},
        {"Statement": []},
        {"Statement": [{"Effect": "Maybe", "Action": "execute-api:Invoke", "Resource": "*"}]},
        {"Statement": [{"Effect": "Allow", "Resource": "*"}]},
        {"Statement": [{"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": [1]}]},
        {"Statement": ["Allow"]},
    ],
)
def test_unparseable_policies(document: object) -> None:
    with pytest.raises(UnparseablePolicy):
        parse_policy(document)
