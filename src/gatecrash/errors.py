"""gatecrash's exceptions: one tree, raised by the library, mapped to exit codes by the CLI only.

GatecrashError
├── ConfigError          a file the user wrote is wrong (exit 2); carries every Problem found
│   ├── DefinitionError  the API definition (OpenAPI/Swagger with x-amazon-apigateway-*)
│   ├── SideFileError    the emulator side file (stage, usage plans, keys, functions)
│   ├── ScenarioError    a scenario file (target, credentials, probes, limits)
│   ├── CatalogueError   the failure-mode catalogue (probes/*.yaml)
│   └── FileError        a file or folder named cannot be read or written as asked (a folder, a device,
│                        binary, too large, not a canary history, a missing or clashing output)
└── EnvironmentProblem   something outside the user's files is missing or unreachable (exit 3)
    ├── CredentialError  a credential a scenario references is not there (an unset variable ...)
    ├── TargetUnreachable no request of a run reached the target
    ├── LogsError        CloudWatch Logs could not be reached, started or written
    └── AwsConfigError   the AWS configuration names no region, or a profile it does not have
        ├── ProfileNotFoundError
        └── NoRegionError
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong in a file: where it is, what is wrong, and how to fix it."""

    file: str
    pointer: str
    message: str
    line: int | None = None
    hint: str | None = None

    def __str__(self) -> str:
        place = f"{self.file}:{self.line}" if self.line is not None else self.file
        text = f"{place}: {self.pointer or '$'}: {self.message}"
        return f"{text} ({self.hint})" if self.hint else text


class GatecrashError(Exception):
    """Base of every error gatecrash raises on purpose."""


class ConfigError(GatecrashError):
    """A user-written file is wrong; `problems` lists everything found, not just the first."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))


class DefinitionError(ConfigError):
    """The API definition cannot be used as given."""


class SideFileError(ConfigError):
    """The emulator side file cannot be used as given."""


class ScenarioError(ConfigError):
    """A scenario file cannot be used as given."""


class CatalogueError(ConfigError):
    """The failure-mode catalogue cannot be used as given."""


class FileError(ConfigError):
    """A file or folder the user named cannot be read or written as asked."""


class EnvironmentProblem(GatecrashError):
    """Something outside the user's files is missing or unreachable."""


class CredentialError(EnvironmentProblem):
    """Credentials a scenario references cannot be resolved; `problems` names each one."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))


class TargetUnreachable(EnvironmentProblem):
    """Not one request of a run got an answer: the target is down or the URL is wrong."""


class LogsError(EnvironmentProblem):
    """CloudWatch Logs could not be reached, started or written."""


class AwsConfigError(EnvironmentProblem):
    """The AWS configuration (files, AWS_* variables, --profile/--region) cannot give what a call needs."""


class ProfileNotFoundError(AwsConfigError):
    """A profile named by --profile, AWS_PROFILE or a scenario is in neither ~/.aws/config nor credentials."""


class NoRegionError(AwsConfigError):
    """No region from --region, the scenario, AWS_DEFAULT_REGION or the profile."""
