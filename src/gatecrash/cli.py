"""The command line: the only module that prints or exits.

Exit codes (DESIGN.md): 0 everything as expected; 1 some result not as expected; 2 a scenario,
definition or usage error; 3 an environment error (a port taken, a log endpoint unreachable).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from gatecrash import __version__, settings
from gatecrash.awssession import aws_session, region_of
from gatecrash.canary.schedule import DEFAULT_HOURLY_CEILING, check_every
from gatecrash.catalogue import Catalogue, load_catalogue
from gatecrash.errors import (
    ConfigError,
    CredentialError,
    DefinitionError,
    EnvironmentProblem,
    GatecrashError,
    Problem,
    ScenarioError,
    SideFileError,
    TargetUnreachable,
)
from gatecrash.outputs import check_output_files, check_output_folder, make_folder, write_text
from gatecrash.scenario import Burst, LoadPhase, Scenario, load_scenario, scenario_files
from gatecrash.scenario.model import AwsTarget, EmulatorTarget, Target

if TYPE_CHECKING:
    from gatecrash.correlate.model import DecisiveEvidence
    from gatecrash.generate import Generated, Options
    from gatecrash.load.live import LiveSecond
    from gatecrash.load.phase import LoadOptions
    from gatecrash.run import RunResult
    from gatecrash.runner.verdict import StepResult

# A run's modules (httpx, botocore, locust's engine, the reports) are imported by the commands that run:
# `generate`, `validate` and `--help` start without them.

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_ENVIRONMENT = 0, 1, 2, 3
EXIT_INTERRUPTED = 130
DEMO_DIR = Path("scenarios/demo")
REPORTS_DIR = Path("reports")

_JSON_HELP = "print a JSON document on stdout; progress, tables and notes go to stderr"

# Human output; main() replaces it with _human_console's (wide when piped, on stderr with --json).
_out = Console(highlight=False)
_err = Console(stderr=True, highlight=False, soft_wrap=True)  # error lines stay whole for grep


def _human_console(json_on_stdout: bool, environ: Mapping[str, str]) -> Console:
    """Where tables, progress and notes go: stdout, or stderr when stdout carries JSON.

    Piped output (CI logs, `make demo | tee`) gets a 160-column table instead of rich's 80, unless
    COLUMNS says how wide; a terminal is as wide as it is.
    """
    stream = sys.stderr if json_on_stdout else sys.stdout
    wide = not stream.isatty() and not environ.get("COLUMNS", "").isdigit()
    return Console(stderr=json_on_stdout, highlight=False, width=160 if wide else None)


def _parser(environ: Mapping[str, str]) -> argparse.ArgumentParser:
    """The parser, with option defaults from `environ`'s GATECRASH_* settings (bad ones in settings_problems)."""
    parser = argparse.ArgumentParser(
        prog="gatecrash",
        description="Provoke API Gateway failures on purpose and prove their causes from the gateway's logs.",
    )
    parser.add_argument("--version", action="version", version=f"gatecrash {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    emulator = commands.add_parser(
        "emulator",
        help="serve an API definition on loopback as API Gateway would",
        description="Serve an OpenAPI/Swagger definition with x-amazon-apigateway-* extensions as one stage of "
        "a REST API, logging to CloudWatch Logs (a local moto server unless --endpoint-url is given).",
    )
    emulator.add_argument("--definition", required=True, type=Path, help="the API definition (YAML or JSON)")
    _add_variable_options(emulator)
    _add_strict_option(emulator)
    emulator.add_argument("--side-file", type=Path, help="stage, usage plans, API keys and local functions (YAML)")
    emulator.add_argument("--port", type=_port_number, default=0, help="port on 127.0.0.1 (default: any free port)")
    emulator.add_argument(
        "--logs-port",
        type=_port_number,
        default=None,
        metavar="PORT",
        help="port on 127.0.0.1 of the local CloudWatch Logs server, for the AWS CLI (default: any free port)",
    )
    emulator.add_argument(
        "--endpoint-url", metavar="URL", help="a CloudWatch Logs endpoint to log to instead of a local moto server"
    )
    emulator.add_argument(
        "--logs-retention",
        type=_retention,
        default=None,
        metavar="DURATION",
        help="how long the local logs server keeps log events, e.g. 1m or 2h; older ones are deleted, so its "
        "memory stays bounded (default: 5m)",
    )
    _add_deprecated_logs_endpoint(emulator)
    emulator.add_argument(
        "--stage-variable",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="set or override a stage variable (repeatable)",
    )

    run = commands.add_parser(
        "run",
        help="provoke each scenario's failure modes and check every answer",
        description="Run scenario files (or the scenario files of folders). With no argument, runs "
        f"./{DEMO_DIR}/ if there is one, else the demo shipped with gatecrash (as `gatecrash demo` does).",
    )
    run.add_argument("scenarios", nargs="*", type=Path, help=f"scenario files or folders (default: {DEMO_DIR})")
    run.add_argument(
        "--region", help="the aws target's region, instead of the scenario's (an emulator target ignores it)"
    )
    run.add_argument(
        "--profile", help="the AWS profile for the aws target's logs, instead of the scenario's (emulator: ignored)"
    )
    _add_run_options(run)
    demo = commands.add_parser(
        "demo",
        help="run the demo scenario shipped with gatecrash, on the embedded emulator",
        description="Run the demo scenario that ships with gatecrash (every failure mode the demo API can show) "
        "on the embedded emulator: no AWS account, no files of your own.",
    )
    demo.set_defaults(scenarios=[], region=None, profile=None, demo=True)
    _add_run_options(demo)

    validate = commands.add_parser("validate", help="check scenario files without sending anything")
    validate.add_argument("scenarios", nargs="+", type=Path, help="scenario files or folders")
    validate.add_argument("--json", action="store_true", help=_JSON_HELP)
    _add_strict_option(validate)

    modes = commands.add_parser("modes", help="list the failure modes gatecrash knows")
    modes.add_argument("--json", action="store_true", help=_JSON_HELP)
    _add_generate(commands)
    _add_token(commands)
    _add_diagnose(commands)
    _add_canary(commands)
    _add_compare(commands)
    for name, command in commands.choices.items():
        try:
            command.set_defaults(**settings.defaults_for(name, environ), settings_problems=())
        except settings.SettingsError as exc:  # reported in main(), for the command run only
            command.set_defaults(settings_problems=exc.problems)
        _describe_environment(command, name)
    return parser


def _add_strict_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--strict",
        action="store_true",
        help="refuse a definition with what API Gateway's import only warns about (a $ref to nothing), as "
        "import-rest-api with failonwarnings=true does (default: warn and go on)",
    )


def _add_run_options(run: argparse.ArgumentParser) -> None:
    """The options `run` and `demo` share."""
    _add_strict_option(run)
    run.add_argument("--reports", type=Path, default=REPORTS_DIR, help=f"where reports go (default: {REPORTS_DIR})")
    run.add_argument("--json", action="store_true", help=_JSON_HELP)
    run.add_argument(
        "--no-logs",
        action="store_true",
        help="judge on status and x-amzn-ErrorType only; do not read the gateway's logs (implies --allow-unconfirmed)",
    )
    run.add_argument(
        "--allow-unconfirmed",
        action="store_true",
        help="pass a run whose probes the logs did not prove (UNCONFIRMED); by default they fail it (exit 1)",
    )
    run.add_argument(
        "--logs-deadline",
        type=_seconds,
        default=None,
        metavar="DURATION",
        help="how long to wait for log events, e.g. 30s or 5m (default: 10s emulator, 5m AWS)",
    )
    load = run.add_argument_group(
        "load phases",
        "rate and ramp phases run on locust in child processes. By default one process sends the load; "
        "--workers N runs a locust master and N worker processes on this machine. To add workers on other "
        "machines, pass --master-host with an address they can reach and --remote-workers M, then on each "
        "machine run `locust -f - --worker --master-host ADDRESS --master-port PORT` with the "
        "GATECRASH_LOAD_* variables the phase needs (see README, 'Workers on other machines').",
    )
    load.add_argument(
        "--workers",
        type=_count,
        default=0,
        metavar="N",
        help=f"local locust worker processes (at most {_max_local_workers()}: four per CPU core)",
    )
    load.add_argument(
        "--master-host",
        default=None,
        metavar="ADDRESS",
        help="where the locust master listens for workers on other machines (default: 127.0.0.1)",
    )
    load.add_argument(
        "--master-port", type=_port_number, default=0, metavar="PORT", help="the master's port (default: free)"
    )
    load.add_argument(
        "--remote-workers", type=_count, default=0, metavar="M", help="workers on other machines to wait for"
    )
    load.add_argument(
        "--keep-load-files",
        type=Path,
        default=None,
        metavar="DIR",
        help="keep each phase's locustfile, logs and records here",
    )


def _add_generate(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    generate = commands.add_parser(
        "generate",
        help="write a scenario of the probes an API definition implies",
        description="Read an API definition (OpenAPI 3 / Swagger 2 with x-amazon-apigateway-*) and write a "
        "scenario probing every method. By default only probes the gateway rejects before the integration, plus "
        "ok on GET/HEAD/OPTIONS; the others are written commented out.",
    )
    generate.add_argument(
        "definition", type=Path, nargs="?", help="the API definition (YAML or JSON); or give --rest-api-id"
    )
    _add_variable_options(generate)
    _add_strict_option(generate)
    generate.add_argument("--rest-api-id", metavar="ID", help="read a deployed REST API through boto3 instead")
    generate.add_argument("--stage", metavar="S", help="the deployed API's stage (with --rest-api-id)")
    generate.add_argument("--region", help="the deployed API's region (default: the AWS profile's)")
    generate.add_argument("--profile", help="the AWS profile to read the deployed API with")
    generate.add_argument("--endpoint-url", metavar="URL", help="the API Gateway endpoint (default: the region's)")
    generate.add_argument(
        "--side-file-out",
        type=Path,
        metavar="FILE",
        help="write an emulator side file beside the scenario: with --rest-api-id mirrored from the stage, usage "
        "plans and keys; with a DEFINITION, stand-ins for its functions, endpoints, keys, callers and pools",
    )
    generate.add_argument("-o", "--output", type=Path, help="the scenario file to write (default: stdout)")
    generate.add_argument("--side-file", type=Path, help="the emulator side file (keys, IAM credentials, throttles)")
    generate.add_argument("--paths", action="append", default=[], metavar="GLOB", help="resource paths (repeatable)")
    generate.add_argument("--methods", action="append", default=[], metavar="M", help="HTTP methods (repeatable)")
    generate.add_argument("--modes", action="append", default=[], metavar="ID", help="failure modes (repeatable)")
    generate.add_argument(
        "--include",
        default="",
        metavar="backend,load",
        help="also enable probes that reach the integration (backend) and throttle bursts (load)",
    )


def _add_token(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    token = commands.add_parser(
        "token", help="mint a JWT of one of the emulator's local Cognito user pools (valid or deliberately broken)"
    )
    token.add_argument("--side-file", type=Path, required=True, help="the emulator side file holding userPools")
    token.add_argument("--pool", required=True, help="the user pool id, e.g. us-east-1_demo0001")
    token.add_argument("--client-id", help="the app client (default: the pool's first)")
    token.add_argument("--scope", action="append", default=[], help="an OAuth scope (repeatable): an access token")
    token.add_argument(
        "--fault",
        choices=("expired", "wrong-signature", "wrong-issuer", "wrong-audience"),
        help="mint a token the authorizer must refuse",
    )


def _add_diagnose(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    diagnose = commands.add_parser(
        "diagnose",
        help="classify the errors real traffic already produced, from a stage's logs or exported lines",
        description="Classify every failing request in a stage's CloudWatch logs over a time window, or in a file "
        "of exported log lines, by cause, with the evidence and the fix.",
    )
    source = diagnose.add_mutually_exclusive_group(required=True)
    source.add_argument("--from-file", metavar="FILE", help="exported log lines or filter-log-events JSON; - for stdin")
    source.add_argument("--rest-api-id", help="read the stage's log groups in CloudWatch Logs")
    diagnose.add_argument("--stage", help="the stage, with --rest-api-id")
    diagnose.add_argument("--region", default=None, help="the API's region (default: the AWS configuration's)")
    diagnose.add_argument("--access-log-group", help="the stage's access log group, if it has one")
    diagnose.add_argument("--profile", help="the AWS profile that reads the logs")
    diagnose.add_argument(
        "--endpoint-url",
        metavar="URL",
        help="the CloudWatch Logs endpoint (e.g. the emulator's; default: the region's)",
    )
    _add_deprecated_logs_endpoint(diagnose)
    diagnose.add_argument(
        "--since",
        type=_seconds,
        default=1800.0,
        metavar="DURATION",
        help="how far back to look, e.g. 30m or 2h (default: 30m)",
    )
    diagnose.add_argument("--json", action="store_true", help="print the findings as JSON")


def _add_deprecated_logs_endpoint(parser: argparse.ArgumentParser) -> None:
    # The old name of --endpoint-url, kept for scripts written before it; hidden from --help.
    parser.add_argument("--logs-endpoint", dest="deprecated_logs_endpoint", help=argparse.SUPPRESS)


def _endpoint_url(args: argparse.Namespace) -> str | None:
    if args.deprecated_logs_endpoint is None:
        return args.endpoint_url  # type: ignore[no-any-return]
    _note("--logs-endpoint is deprecated and will go: use --endpoint-url, the AWS CLI's name")
    if args.endpoint_url is not None and args.endpoint_url != args.deprecated_logs_endpoint:
        raise _UsageError("--endpoint-url and its old name --logs-endpoint name different URLs: give one")
    return args.deprecated_logs_endpoint  # type: ignore[no-any-return]


def _describe_environment(command: argparse.ArgumentParser, name: str) -> None:
    variables = settings.variables_of(name)
    if variables:
        listed = ", ".join(f"{setting.variable} ({setting.option})" for setting in variables)
        command.epilog = f"environment: {listed}; a flag overrides its variable (README, Configuration)"


def _add_variable_options(parser: argparse.ArgumentParser) -> None:
    # Definitions kept as templates (Terraform `${x}`, CloudFormation `Ref`/`Fn::Sub`) need values.
    parser.add_argument(
        "--var",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="fill a ${NAME} placeholder, Ref, Fn::GetAtt (Res.Attr) or Fn::If condition (repeatable)",
    )
    parser.add_argument("--vars", type=Path, metavar="FILE", help="a YAML or JSON mapping of such NAME: VALUE pairs")


def _definition_variables(args: argparse.Namespace) -> dict[str, str]:
    """`--vars FILE` first, then each `--var`, so that the command line overrides the file."""
    from gatecrash.emulator.definition import load_variables

    variables = load_variables(args.vars) if args.vars is not None else {}
    for pair in args.var:
        name, separator, value = pair.partition("=")
        if not separator or not name:
            raise _UsageError(f"--var {pair!r}: expected NAME=VALUE, e.g. --var lambda_arn=arn:aws:lambda:...")
        variables[name] = value
    return variables


def _stage_variables(pairs: Sequence[str]) -> dict[str, str]:
    variables: dict[str, str] = {}
    for pair in pairs:
        name, separator, value = pair.partition("=")
        if not separator or not name:
            raise _UsageError(
                f"--stage-variable {pair!r}: expected NAME=VALUE, e.g. --stage-variable backend=127.0.0.1:8080"
            )
        variables[name] = value
    return variables


class _UsageError(Exception):
    pass


def _port_number(text: str) -> int:
    if not text.isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (0-65535)")
    return int(text)


def _emulator(args: argparse.Namespace) -> int:
    from gatecrash.correlate.retention import window_text
    from gatecrash.emulator.cloudwatch import DEFAULT_LOGS_RETENTION_S
    from gatecrash.emulator.definition import load_definition
    from gatecrash.emulator.model import StageConfig
    from gatecrash.emulator.server import EmulatorServer, aws_cli_settings
    from gatecrash.emulator.sidefile import load_side_file

    variables = _stage_variables(args.stage_variable)
    api = load_definition(args.definition, _definition_variables(args), strict=args.strict)
    _warn_imported(api.warnings)
    stage = load_side_file(args.side_file) if args.side_file else StageConfig()
    pools = {pool.id for pool in stage.user_pools}
    for name, authorizer in api.authorizers.items():
        if str(authorizer.get("type", "")).lower() == "cognito_user_pools":
            for arn in authorizer.get("providerARNs", []) or []:
                pool_id = str(arn).rsplit("/", 1)[-1]
                if pool_id not in pools:
                    _note(
                        f"authorizer {name} names user pool {pool_id}, which the side "
                        "file's userPools does not hold: every request it guards will get 401"
                    )
    endpoint_url = _endpoint_url(args)
    if endpoint_url is not None and args.logs_port is not None:
        raise _UsageError("--logs-port is for the local logs server, which an endpoint URL replaces: give one")
    if endpoint_url is not None and args.logs_retention is not None:
        raise _UsageError("--logs-retention is for the local logs server, which an endpoint URL replaces: give one")
    server = EmulatorServer(
        api,
        stage,
        port=args.port,
        logs_endpoint=endpoint_url,
        logs_port=args.logs_port or 0,
        stage_variables=variables,
        logs_retention_s=args.logs_retention if args.logs_retention is not None else DEFAULT_LOGS_RETENTION_S,
    )
    server.prepare()
    _quiet_forced_stop()
    endpoints = server.endpoints
    assert endpoints is not None
    _out.print(f"Serving [bold]{api.title}[/bold] stage [bold]{stage.stage_name}[/bold] at {endpoints.base_url}")
    _out.print(
        f"Logs: {endpoints.logs_endpoint or 'CloudWatch Logs, ' + stage.region}  "
        f"execution: {endpoints.execution_log_group}  access: {endpoints.access_log_group}"
    )
    if endpoints.logs_retention_s is not None:
        _out.print(f"Log events are kept for {window_text(endpoints.logs_retention_s)} (--logs-retention)")
    _out.print("Read the logs with the AWS CLI:")
    for line in aws_cli_settings(endpoints, stage.region):
        _out.print(f"  {line}", markup=False, soft_wrap=True)  # whole lines, to copy
    _out.print("Press Ctrl-C to stop.")
    try:
        server.serve_prepared()
    except KeyboardInterrupt:
        pass  # Ctrl-C, once or twice, is how the emulator is meant to stop: exit 0
    return EXIT_OK


class _ForcedStopFilter(logging.Filter):
    """Drops uvicorn's report of the lifespan task cancelled by a second Ctrl-C.

    The second signal makes uvicorn exit without the app's lifespan shutdown; asyncio then cancels
    the task still waiting for it, and uvicorn logs that as "Exception in 'lifespan' protocol" with
    a traceback. It is the stop the user asked for, not an error.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        cancelled = isinstance(exc, asyncio.CancelledError | KeyboardInterrupt)
        return not (cancelled and "lifespan" in record.getMessage())


def _quiet_forced_stop() -> None:
    logging.getLogger("uvicorn.error").addFilter(_ForcedStopFilter())


def _load(paths: Sequence[Path], *, strict: bool = False) -> tuple[Catalogue, list[Scenario]]:
    """The scenarios of `paths`, their emulator targets' definitions read too: every problem of every file
    at once; the definitions' import warnings said once each (with `strict`, problems)."""
    catalogue = load_catalogue()
    files = scenario_files(paths)
    if not files:
        raise _UsageError(f"no scenario files in {', '.join(map(str, paths))} (a scenario has a top-level 'probes:')")
    scenarios: list[Scenario] = []
    problems: list[Problem] = []
    for path in files:
        try:
            scenarios.append(load_scenario(path, catalogue.ids))
        except ConfigError as exc:
            problems.extend(exc.problems)
    if problems:
        raise ScenarioError(problems)
    for scenario in scenarios:
        for warning in scenario.warnings:
            _warn(str(warning))
    checked = _check_definitions([scenario.target for scenario in scenarios], strict)
    return catalogue, [replace(scenario, target=target) for scenario, target in zip(scenarios, checked, strict=True)]


def _check_definitions(targets: Sequence[Target], strict: bool) -> list[Target]:
    """Each emulator target's definition read once, before anything is started or sent. The targets come
    back carrying what was read (`target.CheckedEmulatorTarget`), so that opening one reads it no more."""
    from gatecrash.target import CheckedEmulatorTarget, check_definition, with_api

    problems: list[Problem] = []
    warnings: list[Problem] = []
    read: dict[tuple[Path, tuple[tuple[str, str], ...]], CheckedEmulatorTarget | None] = {}
    checked: list[Target] = []
    for target in targets:
        if not isinstance(target, EmulatorTarget):
            checked.append(target)
            continue
        key = (target.definition, tuple(sorted(target.variables.items())))
        if key in read:  # scenarios of one folder share their definition: read and said once
            earlier = read[key]
            checked.append(with_api(target, earlier.api) if earlier is not None else target)
            continue
        try:
            found = check_definition(target, strict=strict)
        except ConfigError as exc:
            problems.extend(exc.problems)
            read[key] = None
            checked.append(target)
            continue
        read[key] = found
        checked.append(found)
        warnings.extend(found.api.warnings)
    if problems:
        raise DefinitionError(list(dict.fromkeys(problems)))
    _warn_imported(warnings)
    return checked


def _warn_imported(warnings: Sequence[Problem]) -> None:
    """A definition's import warnings on stderr, once each, as AWS's import-rest-api returns them."""
    in_file_order = sorted(dict.fromkeys(warnings), key=lambda w: (w.file, w.line is None, w.line or 0))
    for warning in in_file_order:
        _warn(f"{warning} (ignored, as API Gateway's import does by default; --strict refuses it)")


def _validate(args: argparse.Namespace) -> int:
    try:
        _, scenarios = _load(args.scenarios, strict=args.strict)
    except ConfigError as exc:
        if args.json:
            _print_json({"valid": False, "scenarios": [], "problems": [_problem_json(p) for p in exc.problems]})
        raise
    for scenario in scenarios:
        _out.print(
            f"{scenario.source}: valid: {len(scenario.steps)} probes, {scenario.planned_requests} requests "
            f"planned (max {scenario.limits.max_requests})",
            markup=False,
        )
    if args.json:
        _print_json(
            {
                "valid": True,
                "scenarios": [
                    {
                        "source": str(scenario.source),
                        "name": scenario.name,
                        "probes": len(scenario.steps),
                        "planned_requests": scenario.planned_requests,
                        "max_requests": scenario.limits.max_requests,
                        "warnings": [_problem_json(w) for w in scenario.warnings],
                    }
                    for scenario in scenarios
                ],
                "problems": [],
            }
        )
    return EXIT_OK


def _problem_json(problem: Problem) -> dict[str, object]:
    return {
        "file": problem.file,
        "line": problem.line,
        "pointer": problem.pointer or "$",
        "message": problem.message,
        "hint": problem.hint,
    }


def _modes(args: argparse.Namespace) -> int:
    if args.json:
        _print_json(
            {
                "modes": [
                    {
                        "id": mode.id,
                        "title": mode.title,
                        "statuses": list(mode.statuses),
                        "error_type": mode.error_type,
                        "response_type": mode.response_type,
                        "before_integration": mode.before_integration,
                        "diagnosis": mode.diagnosis,
                        "fix": mode.fix,
                    }
                    for mode in load_catalogue()
                ]
            }
        )
        return EXIT_OK
    table = Table(title="Failure modes")
    for column in ("mode", "status", "x-amzn-ErrorType", "responseType", "before integration", "title"):
        table.add_column(column)
    for mode in load_catalogue():
        table.add_row(
            mode.id,
            mode.expected_status_text(),
            mode.error_type or "-",
            mode.response_type or "-",
            "yes" if mode.before_integration else "no",
            mode.title,
        )
    _out.print(table)
    return EXIT_OK


_VERDICT_STYLE = {
    "CONFIRMED": "green",
    "UNCONFIRMED": "yellow",
    "WRONG_CAUSE": "red",
    "WRONG_STATUS": "red",
    "ERROR": "red",
}


def _observed(result: StepResult, run: RunResult) -> str:
    observations = result.record.observations
    load = run.load_of(result.name) if isinstance(result.record.step, LoadPhase) else None
    if load is not None:
        mix = ", ".join(f"{count}x {status}" for status, count in load.mix.items())
        return f"{mix} at {load.achieved_rps:.0f} of {load.offered_rps:.0f} rps offered"
    if not observations:
        return "nothing sent"
    if isinstance(result.record.step, Burst):
        counts: dict[str, int] = {}
        for observation in observations:
            key = str(observation.status) if observation.status is not None else "error"
            counts[key] = counts.get(key, 0) + 1
        return ", ".join(f"{count}x {status}" for status, count in sorted(counts.items()))
    last = observations[-1]
    if last.status is None:
        return "no answer"
    return f"{last.status} {last.error_type or ''}".strip()


def _table(run: RunResult) -> Table:
    table = Table(title=f"{run.scenario.name}: {run.target.description}")
    for column in ("probe", "mode", "expected", "observed", "verdict", "reason"):
        table.add_column(column)
    for result in run.results:
        style = _VERDICT_STYLE[result.verdict.value]
        expected = f"{result.mode.expected_status_text()} {result.mode.error_type or ''}".strip()
        reason = result.reason
        table.add_row(
            result.name,
            result.mode.id,
            expected,
            _observed(result, run),
            f"[{style}]{result.verdict.value}[/{style}]",
            reason,
        )
    return table


def _advance(progress: Progress, task: TaskID, step: object, sent: int) -> None:
    progress.advance(task)


def _found(progress: Progress, task: TaskID, found: int, expected: int) -> None:
    progress.update(task, visible=True, completed=found, total=expected)


def _live_load(progress: Progress, task: TaskID, phase: LoadPhase, second: LiveSecond) -> None:
    from gatecrash.load.live import live_text

    total = max(second.seconds, second.second + 1)
    progress.update(
        task, visible=True, description=live_text(phase.name, second), completed=second.second + 1, total=total
    )


def _count(text: str) -> int:
    try:
        return settings.parse_count(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def _max_local_workers() -> int:
    # Each local worker is a whole Python process with its own locust and gevent (tens of MB, one
    # core when busy); locust advises about one per core. Past four per core they only take memory
    # and CPU from one another and from the target, and a typo such as 10000 would fork the machine
    # into the ground before the first request. Remote workers are on other machines: not bounded here.
    return 4 * (os.cpu_count() or 1)


def _load_options(args: argparse.Namespace) -> LoadOptions:
    from gatecrash.load.engine import EngineOptions
    from gatecrash.load.phase import LoadOptions

    if args.workers > _max_local_workers():
        # Checked here, not in the flag's type, so GATECRASH_WORKERS is held to it too.
        raise _UsageError(
            f"--workers {args.workers}: more than this machine's {_max_local_workers()} (four per CPU core); "
            "give fewer, or run workers on other machines with --master-host and --remote-workers"
        )
    if args.remote_workers and not args.master_host:
        raise _UsageError("--remote-workers needs --master-host: an address the workers can reach")
    engine = EngineOptions(args.workers, args.master_host, args.master_port, args.remote_workers)
    return LoadOptions(engine, args.keep_load_files)


def _seconds(text: str) -> float:
    try:
        return settings.parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def _retention(text: str) -> float:
    """The local logs' retention window: a duration over zero."""
    try:
        seconds = settings.parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc
    if seconds <= 0:
        raise argparse.ArgumentTypeError(f"{text!r}: a retention window must be longer than zero, e.g. 15m")
    return seconds


def _every(text: str) -> float:
    """A canary interval: a duration of at least a second."""
    try:
        return check_every(settings.parse_duration(text))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def _run(args: argparse.Namespace) -> int:
    from gatecrash.report.files import FORMATS as REPORT_FORMATS, write_reports
    from gatecrash.run import RunOptions, run_scenario
    from gatecrash.runner.verdict import Verdict

    catalogue, loaded = _load(args.scenarios or [_demo(args)], strict=args.strict)
    scenarios = [_with_aws_options(scenario, args) for scenario in loaded]
    load_options = _load_options(args)  # a usage error before any folder is made
    make_folder(args.reports, "--reports")  # before anything is sent: a report that cannot be written is no run
    if args.keep_load_files is not None:
        make_folder(args.keep_load_files, "--keep-load-files")
    all_expected = True
    summaries: list[dict[str, object]] = []
    for scenario in scenarios:
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=_out,
            transient=True,
        ) as progress:
            task = progress.add_task(f"{scenario.name}: provoking", total=len(scenario.steps))
            logs = progress.add_task("reading the gateway's logs", total=None, visible=False)
            live = progress.add_task("load", total=None, visible=False)  # a load phase, second by second
            options = RunOptions(
                correlate=not args.no_logs,
                logs_deadline_s=args.logs_deadline,
                progress=partial(_advance, progress, task),
                fetch_progress=partial(_found, progress, logs),
                load=load_options.with_progress(partial(_live_load, progress, live)),
            )
            run = run_scenario(scenario, catalogue, options)
        _out.print(_table(run))
        reports = dict(zip(REPORT_FORMATS, write_reports(args.reports, run), strict=True))
        path = reports["json"]
        counts = ", ".join(
            f"{sum(r.verdict == v for r in run.results)} {v.value}"
            for v in Verdict
            if any(r.verdict == v for r in run.results)
        )
        _out.print(
            f"{len(run.results)} probes: {counts}. Report: {reports['html']}  Results: {path}  "
            f"JUnit: {reports['junit']}",
            markup=False,
            soft_wrap=True,  # whole paths, to click or copy
        )
        allowed = _unconfirmed_allowed(args)
        if run.unconfirmed:
            _out.print(_unconfirmed_line(run.unconfirmed, allowed), markup=False, soft_wrap=True)
        summaries.append(_run_json(run, reports, allowed is not None))
        if run.unreachable:
            if args.json:
                _print_json(_runs_json(summaries))
            raise TargetUnreachable(
                f"no request reached {run.target.base_url}: is the target up and the URL right? (results: {path})"
            )
        all_expected = all_expected and run.passes(allowed is not None)
    if args.json:
        _print_json(_runs_json(summaries))
    return EXIT_OK if all_expected else EXIT_FAILED


def _unconfirmed_allowed(args: argparse.Namespace) -> str | None:
    """The flag that lets UNCONFIRMED probes pass, or None when they fail the run."""
    if args.allow_unconfirmed:
        return "--allow-unconfirmed"
    if getattr(args, "no_logs", False):
        return "--no-logs"
    return None


def _unconfirmed_line(count: int, allowed: str | None) -> str:
    if allowed is not None:
        return f"{count} UNCONFIRMED allowed by {allowed}: their cause is not proven from the logs"
    return (
        f"{count} UNCONFIRMED: the logs did not prove their cause, so the run fails "
        "(the reasons say why; --allow-unconfirmed accepts them)"
    )


def _demo(args: argparse.Namespace) -> Path:
    """`gatecrash demo`: the shipped demo; `gatecrash run`: ./scenarios/demo if there is one, else the shipped."""
    from gatecrash.demo_scenario import shipped_demo

    if not getattr(args, "demo", False) and DEMO_DIR.is_dir():
        return DEMO_DIR
    return shipped_demo()


def _with_aws_options(scenario: Scenario, args: argparse.Namespace) -> Scenario:
    """--region and --profile override an aws target's; an emulator target has neither and ignores them."""
    if args.region is None and args.profile is None:
        return scenario
    target = scenario.target
    if not isinstance(target, AwsTarget):
        _note(f"{scenario.source}: --region and --profile apply to an aws target; the emulator ignores them")
        return scenario
    overridden = replace(target, region=args.region or target.region, profile=args.profile or target.profile)
    return replace(scenario, target=overridden)


def _run_json(run: RunResult, reports: Mapping[str, Path], allow_unconfirmed: bool = False) -> dict[str, object]:
    from gatecrash.runner.verdict import Verdict

    """One run for `run --json`: per probe its verdict, every verdict's count (zeros too), the report files;
    `passed` is what the exit status says (UNCONFIRMED fails unless allowed), `as_expected` that nothing
    contradicted a probe."""
    return {
        "scenario": run.scenario.name,
        "source": str(run.scenario.source),
        "target": run.target.description,
        "run_id": run.run_id,
        "as_expected": run.as_expected,
        "passed": run.passes(allow_unconfirmed),
        "unconfirmed_allowed": allow_unconfirmed,
        "counts": {verdict.value: sum(r.verdict == verdict for r in run.results) for verdict in Verdict},
        "probes": [
            {
                "name": result.name,
                "mode": result.mode.id,
                "verdict": result.verdict.value,
                "reason": result.reason,
                "status": result.record.observations[-1].status if result.record.observations else None,
                "observed": _observed(result, run),
            }
            for result in run.results
        ],
        "reports": {name: str(path) for name, path in reports.items()},
    }


def _runs_json(runs: Sequence[dict[str, object]]) -> dict[str, object]:
    return {
        "as_expected": all(run["as_expected"] for run in runs),
        "passed": all(run["passed"] for run in runs),
        "runs": list(runs),
    }


def _token(args: argparse.Namespace) -> int:
    from gatecrash.emulator.auth.cognito import mint_token
    from gatecrash.emulator.sidefile import load_side_file

    stage = load_side_file(args.side_file)
    try:
        token = mint_token(stage, args.pool, client_id=args.client_id, scopes=args.scope, fault=args.fault)
    except SideFileError as exc:  # mint_token knows the side file's content, not its name
        raise SideFileError([replace(problem, file=str(args.side_file)) for problem in exc.problems]) from None
    _out.print(token, soft_wrap=True)
    return EXIT_OK


def _diagnose(args: argparse.Namespace) -> int:
    from gatecrash.correlate.fetch import LogLocation
    from gatecrash.diagnose import NEAREST_MODES, diagnose_cloudwatch, diagnose_text, nothing_read_message
    from gatecrash.inputs import LOG_LIMIT, read_text_file, read_text_stream

    catalogue = load_catalogue()
    if args.from_file is not None:
        expected = "a text file of exported log lines"
        if args.from_file == "-":
            text = read_text_stream(sys.stdin.buffer, "standard input", limit=LOG_LIMIT, expected=expected)
        else:
            text = read_text_file(Path(args.from_file), limit=LOG_LIMIT, expected=expected)
        result = diagnose_text(text, args.from_file, catalogue)
        if result.nothing_read:
            raise _UsageError(nothing_read_message("standard input" if args.from_file == "-" else args.from_file))
    else:
        if not args.stage:
            raise _UsageError("--rest-api-id needs --stage, e.g. --rest-api-id a1b2c3d4e5 --stage prod")
        endpoint = _endpoint_url(args)
        local = endpoint is not None and args.profile is None  # the emulator's moto server
        region = args.region
        if not (local and region):
            region = region_of(aws_session(args.profile, args.region), "for CloudWatch Logs")
        location = LogLocation(
            region,
            f"API-Gateway-Execution-Logs_{args.rest_api_id}/{args.stage}",
            args.access_log_group,
            endpoint,
            args.profile,
            local=local,
        )
        now_ms = int(time.time() * 1000)
        result = diagnose_cloudwatch(location, now_ms - int(args.since * 1000), now_ms, catalogue)
    if args.json:
        _print_json(
            {
                "requests_seen": result.requests_seen,
                "by_cause": dict(result.counts()),
                "findings": [
                    {
                        "request_id": f.request_id,
                        "status": f.status,
                        "cause": f.cause,
                        "evidence": list(f.evidence),
                        "decisive": [_decisive_json(item) for item in f.decisive],
                        "fix": f.fix,
                        "notes": list(f.notes),
                        "candidates": list(f.candidates),
                    }
                    for f in result.findings
                ],
            }
        )
        return EXIT_OK
    summary = Table(title=f"{len(result.findings)} failing requests of {result.requests_seen}, by cause")
    for column in ("cause", "requests", "fix"):
        summary.add_column(column)
    for cause, count in result.counts():
        fix = catalogue.get(cause).fix if cause in catalogue else "no mode matches these logs; read the evidence"
        summary.add_row(cause, str(count), fix)
    _out.print(summary)
    detail = Table(title="Requests")
    detail.add_column("request id", overflow="fold")  # whole, to search the logs for
    for column in ("status", "cause", "evidence", "notes"):
        detail.add_column(column)
    for finding in result.findings:
        cause = finding.cause or "unknown"
        if finding.cause is None and finding.candidates:
            cause += f" (nearest: {', '.join(finding.candidates)})"
        detail.add_row(
            finding.request_id,
            str(finding.status or "-"),
            cause,
            finding.evidence_line(),
            "\n".join(note for note in finding.notes if not note.startswith(NEAREST_MODES)) or "-",
        )
    _out.print(detail)
    return EXIT_OK


def _decisive_json(item: DecisiveEvidence) -> dict[str, str]:
    """As results.json lists what decided: an access-log field with its value, or an execution line."""
    if item.field is not None:
        return {"log": "access", "field": item.field, "value": item.value}
    entry = {"log": "execution", "value": item.value}
    if item.matched is not None:
        entry["matched"] = item.matched
    return entry


def _generate(args: argparse.Namespace) -> int:
    from gatecrash.generate import Options, generate

    catalogue = load_catalogue()
    include = {part.strip() for part in args.include.split(",") if part.strip()}
    unknown = sorted(include - {"backend", "load"}) + [m for m in args.modes if m not in catalogue]
    if unknown:
        raise _UsageError(f"unknown --include or --modes value(s): {', '.join(unknown)}")
    options = Options(
        paths=tuple(args.paths),
        methods=tuple(m.upper() for m in args.methods),
        modes=tuple(args.modes),
        include_backend="backend" in include,
        include_load="load" in include,
    )
    if (args.definition is None) == (args.rest_api_id is None):
        raise _UsageError("give either a DEFINITION file or --rest-api-id ID --stage S, not both or neither")
    _check_generate_outputs(args)
    if args.rest_api_id is not None:
        generated = _generate_deployed(args, catalogue, options)
    else:
        if args.stage:
            raise _UsageError("--stage goes with --rest-api-id")
        if args.side_file and args.side_file_out:
            raise _UsageError("--side-file reads a side file and --side-file-out writes one: give one of them")
        variables = _definition_variables(args)
        from gatecrash.target import CheckedEmulatorTarget

        (checked,) = _check_definitions([EmulatorTarget(args.definition, variables=variables or {})], args.strict)
        assert isinstance(checked, CheckedEmulatorTarget)  # an emulator target that passed the check
        generated = generate(
            args.definition,
            catalogue,
            options,
            args.side_file,
            args.output,
            variables=variables,
            mirror_out=args.side_file_out,
            api=checked.api,  # read by the check: not again
        )
        if args.side_file_out is not None:
            _err.print(
                f"wrote the offline side file {args.side_file_out} (stand-ins for what the definition names)",
                markup=False,
            )
    if args.output is None:
        sys.stdout.write(generated.text)
    else:
        write_text(args.output, generated.text, "-o")
    probes = generated.plan.probes
    sent = sum(p.gate.value == "enabled" for p in probes)
    _err.print(f"generated {sent} probe(s); {len(probes) - sent} written commented out", markup=False)
    for gate in ("backend", "load"):
        held = sum(p.gate.value == gate for p in probes)
        if held:
            _err.print(f"  {held} commented out: enable with --include {gate}", markup=False)
    for skipped in generated.plan.skipped:
        _err.print(f"  skipped {skipped.mode} on {skipped.where}: {skipped.reason}", markup=False)
    return EXIT_OK


def _check_generate_outputs(args: argparse.Namespace) -> None:
    """Before anything is read or written: every output can be written, and none is an input or another output."""
    from gatecrash.generate import export_path

    outputs = {"-o": args.output, "--side-file-out": args.side_file_out}
    if args.rest_api_id is not None and args.stage:
        outputs["the export of the deployed API"] = export_path(args.output, args.rest_api_id, args.stage)
    inputs = {"definition": args.definition, "side file": args.side_file, "--vars file": args.vars}
    check_output_files(outputs, inputs)


def _generate_deployed(args: argparse.Namespace, catalogue: Catalogue, options: Options) -> Generated:
    from gatecrash.generate import generate_deployed
    from gatecrash.generate.deployed import DeployedSource

    if not args.stage:
        raise _UsageError("--rest-api-id needs --stage S (`aws apigateway get-stages` lists them)")
    if args.side_file:
        raise _UsageError("--side-file reads a side file; with --rest-api-id write one with --side-file-out")
    source = DeployedSource(args.rest_api_id, args.stage, args.region, args.profile, args.endpoint_url)
    generated, export = generate_deployed(source, catalogue, options, args.output, args.side_file_out)
    _err.print(f"saved the export of {args.rest_api_id}/{args.stage} to {export}", markup=False)
    if args.side_file_out is not None:
        _err.print(
            f"wrote the side file {args.side_file_out}: export its GATECRASH_KEY_* variables to run the emulator",
            markup=False,
        )
    return generated


def _add_canary(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    canary = commands.add_parser(
        "canary",
        help="run a scenario once or on a schedule, keep a history and publish CloudWatch metrics",
        description="Run one scenario as a canary: --once (for cron, a CI schedule, an EventBridge job) or "
        "--every DURATION until SIGINT/SIGTERM. The target is opened once for every run. Each run is kept in "
        "a SQLite history, rendered to index.html beside it, and published as CloudWatch metrics.",
    )
    canary.add_argument("scenario", type=Path, help="the scenario file")
    canary.add_argument("--region", help="the aws target's region, instead of the scenario's (emulator: ignored)")
    canary.add_argument(
        "--profile", help="the AWS profile for the aws target's logs and metrics, instead of the scenario's"
    )
    when = canary.add_mutually_exclusive_group(required=True)
    when.add_argument("--once", action="store_true", help="one run, then exit (0 when no probe failed, else 1)")
    when.add_argument("--every", type=_every, metavar="DURATION", help="run every DURATION (at least 1s), e.g. 5m")
    canary.add_argument("--jitter", default="10%", help="move each start by up to this share of --every (10%%)")
    canary.add_argument("--timeout", type=_seconds, default=120.0, metavar="DURATION", help="per run (2m)")
    canary.add_argument(
        "--retries",
        type=_count,
        default=2,
        help="retries of a failed probe before it counts (2); a run and its retries share the scenario's limits",
    )
    canary.add_argument(
        "--max-requests-per-hour",
        type=_count,
        default=DEFAULT_HOURLY_CEILING,
        metavar="N",
        help=f"the schedule's ceiling: requests of every run and retry in any hour ({DEFAULT_HOURLY_CEILING})",
    )
    canary.add_argument("--namespace", default="Gatecrash", help="the CloudWatch namespace (Gatecrash)")
    canary.add_argument("--dimensions", default="", help="also publish per probe and/or mode: probe,mode")
    canary.add_argument(
        "--create-alarms", action="store_true", help="create a SuccessPercent alarm; missing data is breaching"
    )
    canary.add_argument("--no-metrics", action="store_true", help="keep the history only; publish nothing")
    canary.add_argument(
        "--allow-unconfirmed",
        action="store_true",
        help="--once exits 0 though some probes stay UNCONFIRMED (by default they fail it; SuccessPercent never "
        "counts them a success)",
    )
    canary.add_argument(
        "--on-stop",
        choices=("finish", "abandon"),
        default="finish",
        help="what SIGINT/SIGTERM does to the run under way: finish lets it complete, then stops (a second "
        "signal abandons it); abandon records it as abandoned at once (finish)",
    )
    canary.add_argument(
        "--logs-deadline",
        type=_seconds,
        default=None,
        metavar="DURATION",
        help="how long each run waits for log events before a probe stays UNCONFIRMED (10s emulator, 5m AWS)",
    )
    canary.add_argument(
        "--history", type=Path, default=REPORTS_DIR / "canary", help="history and page (reports/canary)"
    )


def _canary(args: argparse.Namespace) -> int:
    import threading

    from gatecrash.canary.history import History
    from gatecrash.canary.loop import CanaryOptions, OnStop, run_canary, stop_on_signals
    from gatecrash.canary.metrics import parse_dimensions
    from gatecrash.canary.model import CanaryRun
    from gatecrash.canary.schedule import parse_jitter
    from gatecrash.run import RunOptions, run_logs_retention_s
    from gatecrash.target import open_target

    catalogue, loaded = _load([args.scenario])
    if len(loaded) != 1:
        raise _UsageError(f"{args.scenario}: a canary runs one scenario; name one file")
    scenarios = [_with_aws_options(loaded[0], args)]
    needed = min(scenarios[0].planned_requests, scenarios[0].limits.max_requests)
    if needed > args.max_requests_per_hour:
        raise _UsageError(
            f"{args.scenario}: a run sends {needed} requests, more than --max-requests-per-hour "
            f"{args.max_requests_per_hour}: raise the ceiling or send fewer"
        )
    try:
        options = CanaryOptions(
            every_s=None if args.once else args.every,
            jitter=parse_jitter(args.jitter),
            timeout_s=args.timeout,
            retries=args.retries,
            namespace=args.namespace,
            dimensions=parse_dimensions(args.dimensions),
            create_alarms=args.create_alarms,
            history_dir=args.history,
            publish=not args.no_metrics,
            on_stop=OnStop(args.on_stop),
            run=RunOptions(logs_deadline_s=args.logs_deadline),
            max_per_hour=args.max_requests_per_hour,
        )
    except ValueError as exc:
        raise _UsageError(str(exc)) from exc

    def report(run: CanaryRun) -> None:
        from gatecrash.canary.summary import run_line

        _out.print(run_line(run), markup=False, soft_wrap=True)  # one line per run, whole for grep and cron logs

    History(args.history)  # a history it cannot use stops the canary before the target is opened
    stop, abandon = threading.Event(), threading.Event()
    retention = run_logs_retention_s(scenarios[0], args.every)  # an emulator's logs last until the re-check
    with stop_on_signals(stop, abandon), open_target(scenarios[0].target, retention) as target:
        _out.print(f"canary {scenarios[0].name} on {target.description}; history in {args.history}", markup=False)
        runs = run_canary(scenarios[0], target, catalogue, options, stop, report, abandon)
    if args.every is not None:
        return EXIT_OK
    unconfirmed = sum(run.unconfirmed for run in runs)
    allowed = "--allow-unconfirmed" if args.allow_unconfirmed else None
    if unconfirmed:
        _out.print(_unconfirmed_line(unconfirmed, allowed), markup=False, soft_wrap=True)
    passed = all(run.ok if allowed else run.proven for run in runs)
    return EXIT_OK if passed else EXIT_FAILED


def _add_compare(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    compare = commands.add_parser(
        "compare",
        help="run a scenario's probes against two targets and show where their answers differ",
        description="Run the same probes against two targets (the local mirror and the deployed stage, or two "
        "emulators) and print, per probe, where the answers differ: status, x-amzn-ErrorType, body, headers (not "
        "the per-request ids and dates) and the cause each side's logs prove. Exit 1 when they differ. A target is "
        "`emulator` or `aws` (the scenario's own), `aws:INVOKE_URL` (a deployed stage), or another scenario file "
        "(its target).",
    )
    compare.add_argument("scenario", type=Path, help="the scenario file whose probes both sides get")
    compare.add_argument(
        "--target-a", default="emulator", metavar="TARGET", help="side A (default: emulator, the scenario's own)"
    )
    compare.add_argument(
        "--target-b",
        required=True,
        metavar="TARGET",
        help="side B: aws, aws:https://ID.execute-api.REGION.amazonaws.com/STAGE, emulator or a scenario file",
    )
    compare.add_argument("--region", help="an aws side's region, instead of its own")
    compare.add_argument("--profile", help="the AWS profile for an aws side's logs, instead of its own")
    compare.add_argument(
        "--endpoint-url", metavar="URL", help="the CloudWatch Logs endpoint of an aws side (default: the region's)"
    )
    compare.add_argument("--no-logs", action="store_true", help="compare the answers only; do not read the logs")
    compare.add_argument(
        "--logs-deadline",
        type=_seconds,
        default=None,
        metavar="DURATION",
        help="how long to wait for each side's log events (default: 10s emulator, 5m AWS)",
    )
    compare.add_argument(
        "--record", type=Path, metavar="DIR", help="write side B's answers as a parity case file in DIR"
    )
    compare.add_argument("--json", action="store_true", help=_JSON_HELP)
    _add_strict_option(compare)


def _compare(args: argparse.Namespace) -> int:
    from gatecrash.compare.runs import CompareOptions, compare, record_side_b
    from gatecrash.compare.sides import AwsOverrides, Side, SideKind, read_side, resolve_side
    from gatecrash.run import RunOptions

    catalogue, loaded = _load([args.scenario], strict=args.strict)
    if len(loaded) != 1:
        raise _UsageError(f"{args.scenario}: compare runs one scenario; name one file")
    scenario = loaded[0]
    if args.record is not None:
        check_output_folder(args.record, "--record")  # before both sides run, not after
    overrides = AwsOverrides(args.region, args.profile)
    sides: list[Side] = []
    for option, text in (("--target-a", args.target_a), ("--target-b", args.target_b)):
        spec = read_side(option, text, scenario.source)
        other = (
            _load([spec.path], strict=args.strict)[1][0]
            if spec.kind is SideKind.FILE and spec.path is not None
            else None
        )
        sides.append(resolve_side(spec, scenario, other, overrides))
    with Progress(TextColumn("{task.description}"), TimeElapsedColumn(), console=_out, transient=True) as progress:
        task = progress.add_task("", total=None)
        options = CompareOptions(
            RunOptions(correlate=not args.no_logs, logs_deadline_s=args.logs_deadline),
            logs_endpoint=args.endpoint_url,
            starting=lambda side: progress.update(task, description=f"{scenario.name}: probing {side.label}"),
        )
        compared = compare(scenario, sides[0], sides[1], catalogue, options)
    comparison = compared.comparison
    table = Table(title=f"{comparison.scenario}: A = {comparison.a}, B = {comparison.b}")
    for column in ("probe", "mode", "A", "B", "where they differ"):
        table.add_column(column)
    for probe in comparison.probes:
        found = "\n".join(f"{d.aspect}: A {d.a} | B {d.b}" for d in probe.differences)
        table.add_row(probe.name, probe.mode, probe.a, probe.b, Text(found, style="red") if found else "same")
    _out.print(table)
    if comparison.not_compared:
        _note(f"load phases are not compared: {', '.join(comparison.not_compared)}")
    differing = len(comparison.differing)
    _out.print(
        f"{differing} of {len(comparison.probes)} probes differ" if differing else "the two sides agree",
        markup=False,
    )
    recorded = record_side_b(compared, args.record) if args.record is not None else None
    if recorded is not None:
        _out.print(f"recorded {recorded.cases} cases of side B in {recorded.path}", markup=False, soft_wrap=True)
        for name, reason in recorded.skipped:
            _note(f"not recorded: {name}: {reason}")
    if args.json:
        _print_json(
            {
                "scenario": comparison.scenario,
                "a": comparison.a,
                "b": comparison.b,
                "agree": comparison.agrees,
                "probes": [
                    {
                        "name": p.name,
                        "mode": p.mode,
                        "a": p.a,
                        "b": p.b,
                        "differences": [{"aspect": d.aspect, "a": d.a, "b": d.b} for d in p.differences],
                    }
                    for p in comparison.probes
                ],
                "not_compared": list(comparison.not_compared),
                "recorded": None
                if recorded is None
                else {"file": str(recorded.path), "cases": recorded.cases, "skipped": dict(recorded.skipped)},
            }
        )
    return EXIT_OK if comparison.agrees else EXIT_FAILED


def main(argv: Sequence[str] | None = None) -> None:
    global _out
    args = _parser(os.environ).parse_args(argv)
    if args.settings_problems:
        for problem in args.settings_problems:
            _error(problem)
        sys.exit(EXIT_USAGE)
    _out = _human_console(getattr(args, "json", False), os.environ)
    handlers = {
        "emulator": _emulator,
        "run": _run,
        "demo": _run,
        "validate": _validate,
        "modes": _modes,
        "diagnose": _diagnose,
        "token": _token,
        "canary": _canary,
        "compare": _compare,
        "generate": _generate,
    }
    try:
        code = handlers[args.command](args)
    except ConfigError as exc:
        _error(f"{len(exc.problems)} problem(s):")
        for problem in exc.problems:
            _err.print(f"  {problem}", markup=False)
        code = EXIT_USAGE
    except _UsageError as exc:
        _error(str(exc))
        code = EXIT_USAGE
    except CredentialError as exc:
        _error(f"{len(exc.problems)} credential(s) cannot be resolved:")
        for problem in exc.problems:
            _err.print(f"  {problem}", markup=False)
        code = EXIT_ENVIRONMENT
    except EnvironmentProblem as exc:
        _error(str(exc))
        code = EXIT_ENVIRONMENT
    except GatecrashError as exc:
        _error(str(exc))
        code = EXIT_FAILED
    except KeyboardInterrupt:
        code = EXIT_INTERRUPTED  # Ctrl-C: the shell's 128 + SIGINT, without a traceback
    except OSError as exc:  # the machine refused (a full disk, a file vanished): said in one line, never a traceback
        _error(f"{exc.filename}: {exc.strerror or exc}" if exc.filename else str(exc.strerror or exc))
        code = EXIT_ENVIRONMENT
    sys.exit(code)


def _print_json(document: object) -> None:
    """A JSON document on stdout as is: never wrapped, styled or highlighted."""
    sys.stdout.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def _error(message: str) -> None:
    """`error: message` on stderr: the prefix styled, the message as written (it may hold brackets)."""
    _err.print(Text.assemble(("error", "bold red"), ": ", message))


def _note(message: str) -> None:
    _err.print(Text.assemble(("note", "yellow"), ": ", message))


def _warn(message: str) -> None:
    _err.print(Text.assemble(("warning", "yellow"), ": ", message))
