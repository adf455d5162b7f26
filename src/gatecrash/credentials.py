"""Resolving a scenario's credential references into the secrets a run sends, at run time only.

References: an environment variable (`env`), an AWS profile (`profile`), a key, access key or
token of the embedded emulator, or a made-up key. The secrets live in memory for the run and
are redacted from every report.
"""

from __future__ import annotations

import os
import secrets as random_secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from gatecrash.awssession import aws_session
from gatecrash.emulator.model import StageConfig
from gatecrash.errors import CredentialError, Problem, ProfileNotFoundError
from gatecrash.runner.signing import AwsKeys
from gatecrash.scenario.model import CredentialKind, CredentialRef

# Supplied by the emulator's authorization support: access key id -> keys, and token minting.
IamLookup = Callable[[str], AwsKeys | None]
TokenMinter = Callable[[CredentialRef, str | None], str]


@dataclass(frozen=True, slots=True)
class Secrets:
    """Resolved secrets by credential name; `tokens` are minted per fault on demand."""

    strings: Mapping[str, str] = field(default_factory=dict)
    aws: Mapping[str, AwsKeys] = field(default_factory=dict)
    references: Mapping[str, CredentialRef] = field(default_factory=dict)
    mint: TokenMinter | None = None

    def values(self) -> list[str]:
        """Every secret value, for scrubbing free text (bodies, error messages)."""
        found = list(self.strings.values())
        for keys in self.aws.values():
            found.append(keys.secret_access_key)
            if keys.session_token:
                found.append(keys.session_token)
        return found


def resolve(
    references: Mapping[str, CredentialRef],
    source: str,
    stage: StageConfig | None = None,
    environ: Mapping[str, str] | None = None,
    iam: IamLookup | None = None,
    mint: TokenMinter | None = None,
) -> Secrets:
    """Resolve every reference or raise CredentialError listing each one that cannot be."""
    environ = os.environ if environ is None else environ
    strings: dict[str, str] = {}
    aws: dict[str, AwsKeys] = {}
    problems: list[Problem] = []

    def fail(name: str, message: str, hint: str) -> None:
        problems.append(Problem(source, f"$.credentials.{name}", message, hint=hint))

    for name, reference in references.items():
        kind = reference.kind
        if kind is CredentialKind.ENV:
            value = environ.get(reference.reference)
            if not value:
                fail(
                    name,
                    f"environment variable {reference.reference} is not set",
                    f"export {reference.reference}=... before the run",
                )
            else:
                strings[name] = value
        elif kind is CredentialKind.RANDOM_API_KEY:
            strings[name] = "gatecrash-random-" + random_secrets.token_hex(12)
        elif kind is CredentialKind.EMULATOR_API_KEY:
            key = next((k for k in stage.api_keys if k.id == reference.reference), None) if stage else None
            if key is None:
                known = ", ".join(k.id for k in stage.api_keys) if stage else "(no emulator target)"
                fail(
                    name,
                    f"the emulator side file has no API key with id {reference.reference!r}",
                    f"known key ids: {known}",
                )
            else:
                strings[name] = key.value
        elif kind is CredentialKind.PROFILE:
            try:
                keys = _profile_keys(reference.reference)
            except ProfileNotFoundError:
                fail(
                    name,
                    f"AWS profile {reference.reference!r} is not configured in ~/.aws/config or ~/.aws/credentials",
                    "`aws configure list-profiles` lists the profiles; `aws configure --profile NAME` creates one",
                )
                continue
            if keys is None:
                fail(
                    name,
                    f"AWS profile {reference.reference!r} gives no credentials",
                    "check ~/.aws/config, or run `aws configure --profile NAME`",
                )
            else:
                aws[name] = keys
        elif kind is CredentialKind.EMULATOR_IAM:
            found = iam(reference.reference) if iam is not None else None
            if found is None:
                fail(
                    name,
                    f"the emulator has no access key {reference.reference!r}",
                    "add it to the side file's IAM credentials table, or use profile:",
                )
            else:
                aws[name] = found
        elif kind is CredentialKind.EMULATOR_TOKEN and mint is None:
            fail(
                name,
                "tokens can be minted only for an emulator target with local user pools",
                "point the target at the emulator, or use env: with a real token",
            )
    if problems:
        raise CredentialError(problems)
    return Secrets(strings, aws, dict(references), mint)


def _profile_keys(profile: str) -> AwsKeys | None:
    """The profile's keys; None when it gives none; ProfileNotFoundError when no file defines it."""
    credentials = aws_session(profile).get_credentials()
    if credentials is None:
        return None
    frozen = credentials.get_frozen_credentials()
    if not frozen.access_key or not frozen.secret_key:
        return None
    return AwsKeys(frozen.access_key, frozen.secret_key, frozen.token)
