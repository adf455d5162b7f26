"""execute-api:Invoke policies: method ARNs, IAM resource wildcards, and Allow/Deny evaluation.

One evaluator serves both callers API Gateway gives a policy to: the local IAM credentials table
(AWS_IAM methods) and the policy document a Lambda authorizer returns.

- A method ARN is `arn:aws:execute-api:{region}:{account}:{api-id}/{stage}/{METHOD}/{path}` with the
  request's own path (path parameters filled in), `.../GET/` for the root (AWS docs "Output from an
  API Gateway Lambda authorizer"; real 403 bodies, apigw-reference.md "Gateway response types").
- Wildcards: `*` matches any run of characters, `?` exactly one, in every ARN segment (IAM User
  Guide, "IAM JSON policy elements: Resource"). Matching is case-sensitive.
- Evaluation (IAM User Guide, "Policy evaluation logic"): an explicit Deny wins over any Allow; with
  no matching Allow the request is implicitly denied.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

INVOKE = "execute-api:Invoke"
_ARN_SEGMENTS = 6  # arn:partition:service:region:account:resource


def method_arn(region: str, account: str, api_id: str, stage: str, http_method: str, path: str) -> str:
    """The ARN API Gateway authorizes for a request; `path` is the request path without the stage."""
    return f"arn:aws:execute-api:{region}:{account}:{api_id}/{stage}/{http_method}/{path.lstrip('/')}"


@lru_cache(maxsize=1024)
def _pattern(glob: str) -> re.Pattern[str]:
    parts = (".*" if char == "*" else "." if char == "?" else re.escape(char) for char in glob)
    return re.compile("".join(parts), re.DOTALL)


def resource_matches(pattern: str, arn: str) -> bool:
    """Whether an IAM resource pattern (`*` and `?` wildcards) covers `arn`."""
    if pattern == "*":
        return True
    # Segment by segment, so that a wildcard in the region cannot swallow the account.
    wanted = pattern.split(":", _ARN_SEGMENTS - 1)
    actual = arn.split(":", _ARN_SEGMENTS - 1)
    if len(wanted) != len(actual):
        return False
    return all(_pattern(glob).fullmatch(part) is not None for glob, part in zip(wanted, actual, strict=True))


def action_matches(pattern: str, action: str) -> bool:
    # Action names are case-insensitive in IAM ("execute-api:invoke" works).
    return _pattern(pattern.lower()).fullmatch(action.lower()) is not None


class Effect(enum.Enum):
    ALLOW = "Allow"
    DENY = "Deny"


class Decision(enum.Enum):
    ALLOWED = "allowed"
    IMPLICIT_DENY = "implicit_deny"  # no statement allows it
    EXPLICIT_DENY = "explicit_deny"  # a Deny statement matches


@dataclass(frozen=True, slots=True)
class Statement:
    effect: Effect
    actions: tuple[str, ...]
    resources: tuple[str, ...]

    def covers(self, action: str, arn: str) -> bool:
        return any(action_matches(a, action) for a in self.actions) and any(
            resource_matches(r, arn) for r in self.resources
        )


@dataclass(frozen=True, slots=True)
class Policy:
    statements: tuple[Statement, ...]

    def decide(self, arn: str, action: str = INVOKE) -> Decision:
        covering = [statement for statement in self.statements if statement.covers(action, arn)]
        if any(statement.effect is Effect.DENY for statement in covering):
            return Decision.EXPLICIT_DENY
        if covering:
            return Decision.ALLOWED
        return Decision.IMPLICIT_DENY


def allow_deny_policy(allow: Iterable[str], deny: Iterable[str]) -> Policy:
    """The identity policy of a local credential: Allow and Deny of execute-api:Invoke on resources."""
    allow, deny = tuple(allow), tuple(deny)
    statements = []
    if allow:
        statements.append(Statement(Effect.ALLOW, (INVOKE,), tuple(allow)))
    if deny:
        statements.append(Statement(Effect.DENY, (INVOKE,), tuple(deny)))
    return Policy(tuple(statements))


class UnparseablePolicy(ValueError):
    """The document is not an IAM policy API Gateway can evaluate."""


def _strings(value: Any, name: str) -> tuple[str, ...]:
    # IAM accepts one string or a list of strings for Action and Resource.
    if isinstance(value, str):
        return (value,)
    if isinstance(value, Sequence) and value and all(isinstance(item, str) for item in value):
        return tuple(value)
    raise UnparseablePolicy(f"{name} must be a string or a list of strings")


def _statement(raw: Any) -> Statement:
    if not isinstance(raw, Mapping):
        raise UnparseablePolicy("a statement must be an object")
    effect = raw.get("Effect")
    if effect not in ("Allow", "Deny"):
        raise UnparseablePolicy("Effect must be Allow or Deny")
    return Statement(Effect(effect), _strings(raw.get("Action"), "Action"), _strings(raw.get("Resource"), "Resource"))


def parse_policy(document: Any) -> Policy:
    """A policy document as a Lambda authorizer returns it (`Version`, `Statement`: one or a list)."""
    if not isinstance(document, Mapping):
        raise UnparseablePolicy("policyDocument must be an object")
    raw = document.get("Statement")
    if isinstance(raw, Mapping):
        raw = [raw]
    if not isinstance(raw, list) or not raw:
        raise UnparseablePolicy("Statement must be a statement or a non-empty list of them")
    return Policy(tuple(_statement(item) for item in raw))
