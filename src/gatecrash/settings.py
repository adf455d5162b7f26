"""Configuration by environment: `GATECRASH_*` variables as the defaults of command-line options (pure).

A flag on the command line overrides its variable; an empty variable counts as unset. Only gatecrash's
own options have variables: the AWS profile, region and endpoints stay boto3's (`AWS_PROFILE`,
`AWS_DEFAULT_REGION`, `AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_<SERVICE>`), which boto3 reads itself.
`GATECRASH_LOAD_*` (secrets handed to locust workers) and `GATECRASH_KEY_*` (API key values a mirrored
side file refers to) are other families with their own meanings; no setting's name starts with either.
The README's "Configuration" table lists them all (a test keeps it in step with SETTINGS).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PREFIX = "GATECRASH_"
RESERVED_PREFIXES = ("GATECRASH_LOAD_", "GATECRASH_KEY_")
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(text: str) -> float:
    """Seconds in `30s`, `500ms`, `5m` or `2h`."""
    match = re.fullmatch(r"(\d+(?:\.\d+)?)(ms|s|m|h)", text.strip())
    if match is None:
        raise ValueError(f"{text!r}: write a duration such as 30s, 500ms or 5m")
    return float(match.group(1)) * _UNITS[match.group(2)]


def parse_count(text: str) -> int:
    if not text.strip().isdigit():
        raise ValueError(f"{text!r}: write a whole number, e.g. 2")
    return int(text)


def parse_switch(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError(f"{text!r}: write 1 or 0 (also true/false, yes/no, on/off)")


def parse_path(text: str) -> Path:
    return Path(text)


@dataclass(frozen=True, slots=True)
class Setting:
    """One variable: the option it sets on which commands, and how its text is read."""

    variable: str
    option: str  # the flag it stands for, e.g. --reports
    commands: tuple[str, ...]
    parse: Callable[[str], Any]
    example: str

    @property
    def dest(self) -> str:
        return self.option.removeprefix("--").replace("-", "_")


SETTINGS: tuple[Setting, ...] = (
    Setting("GATECRASH_REPORTS", "--reports", ("run", "demo"), parse_path, "ci/reports"),
    Setting("GATECRASH_NO_LOGS", "--no-logs", ("run", "demo"), parse_switch, "1"),
    Setting("GATECRASH_LOGS_DEADLINE", "--logs-deadline", ("run", "demo", "canary"), parse_duration, "5m"),
    Setting("GATECRASH_WORKERS", "--workers", ("run", "demo"), parse_count, "4"),
    Setting("GATECRASH_HISTORY", "--history", ("canary",), parse_path, "/var/lib/gatecrash/canary"),
)


class SettingsError(ValueError):
    """Variables whose values cannot be read; `problems` names each variable and what to write."""

    def __init__(self, problems: tuple[str, ...]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


def defaults_for(command: str, environ: Mapping[str, str]) -> dict[str, Any]:
    """The option defaults `environ` sets for `command`, by argparse dest; SettingsError lists every bad one."""
    defaults: dict[str, Any] = {}
    problems: list[str] = []
    for setting in SETTINGS:
        text = environ.get(setting.variable, "")
        if command not in setting.commands or not text:
            continue
        try:
            defaults[setting.dest] = setting.parse(text)
        except ValueError as exc:
            problems.append(f"{setting.variable}={exc} (the variable sets {setting.option}: fix it or unset it)")
    if problems:
        raise SettingsError(tuple(problems))
    return defaults


def variables_of(command: str) -> tuple[Setting, ...]:
    return tuple(setting for setting in SETTINGS if command in setting.commands)
