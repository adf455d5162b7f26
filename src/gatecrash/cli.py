"""The command line: the only module that prints or exits.

Exit codes (DESIGN.md): 0 everything as expected; 1 some result not as expected; 2 a scenario,
definition or usage error; 3 an environment error (a port taken, a log endpoint unreachable).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.table import Table

from gatecrash import __version__
from gatecrash.errors import ConfigError, EnvironmentProblem, GatecrashError

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_ENVIRONMENT = 0, 1, 2, 3
DEMO_DIR = Path("scenarios/demo")

# Piped output (CI logs, `make demo | tee`) gets a wide table instead of rich's 80 columns.
_out = Console(highlight=False, width=None if sys.stdout.isatty() else 160)
_err = Console(stderr=True, highlight=False, soft_wrap=True)  # error lines stay whole for grep


def _parser() -> argparse.ArgumentParser:
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
        "a REST API, logging to CloudWatch Logs (a local moto server unless --logs-endpoint is given).",
    )
    emulator.add_argument("--definition", required=True, type=Path, help="the API definition (YAML or JSON)")
    emulator.add_argument("--side-file", type=Path, help="stage, usage plans, API keys and local functions (YAML)")
    emulator.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: any free port)")
    emulator.add_argument("--logs-endpoint", help="a CloudWatch Logs endpoint URL instead of the local moto server")
    emulator.add_argument(
        "--stage-variable",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="set or override a stage variable (repeatable)",
    )

    demo = commands.add_parser("demo", help="provoke every supported failure mode on the demo API and check each")
    demo.add_argument("--demo-dir", type=Path, default=DEMO_DIR, help=f"the demo API (default: {DEMO_DIR})")
    return parser


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


def _emulator(args: argparse.Namespace) -> int:
    from gatecrash.emulator.definition import load_definition
    from gatecrash.emulator.model import StageConfig
    from gatecrash.emulator.server import EmulatorServer
    from gatecrash.emulator.sidefile import load_side_file

    variables = _stage_variables(args.stage_variable)
    api = load_definition(args.definition)
    stage = load_side_file(args.side_file) if args.side_file else StageConfig()
    for method in api.methods:
        if method.authorization.type.value != "NONE":
            _err.print(
                f"[yellow]note[/yellow]: {method.http_method} {method.resource_path} uses "
                f"{method.authorization.type.value} authorization, which the emulator does not enforce yet"
            )
    server = EmulatorServer(api, stage, port=args.port, logs_endpoint=args.logs_endpoint, stage_variables=variables)
    server.prepare()
    endpoints = server.endpoints
    assert endpoints is not None
    _out.print(f"Serving [bold]{api.title}[/bold] stage [bold]{stage.stage_name}[/bold] at {endpoints.base_url}")
    _out.print(
        f"Logs: {endpoints.logs_endpoint or 'CloudWatch Logs, ' + stage.region}  "
        f"execution: {endpoints.execution_log_group}  access: {endpoints.access_log_group}"
    )
    _out.print("Press Ctrl-C to stop.")
    try:
        server.serve_prepared()
    except KeyboardInterrupt:
        pass
    return EXIT_OK


def _demo(args: argparse.Namespace) -> int:
    from gatecrash.demo import run_demo

    with _out.status("Provoking every failure mode on the demo API..."):
        outcomes = run_demo(args.demo_dir)
    table = Table(title="gatecrash demo: one request per failure mode")
    for column in ("mode", "request", "expected", "observed", "access log responseType", ""):
        table.add_column(column)
    for outcome in outcomes:
        probe = outcome.probe
        table.add_row(
            probe.mode,
            f"{probe.method} {probe.path}" + (f" x{probe.repeat}" if probe.repeat > 1 else ""),
            f"{probe.status} {probe.error_type or ''}".strip(),
            f"{outcome.status} {outcome.error_type or ''}".strip(),
            outcome.response_type or "(no log: answered at the front door)",
            "[green]as expected[/green]" if outcome.as_expected else "[red]NOT as expected[/red]",
        )
    _out.print(table)
    failed = sum(not outcome.as_expected for outcome in outcomes)
    _out.print(f"{len(outcomes) - failed} as expected, {failed} not.")
    return EXIT_OK if failed == 0 else EXIT_FAILED


def main(argv: Sequence[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    handlers = {"emulator": _emulator, "demo": _demo}
    try:
        code = handlers[args.command](args)
    except ConfigError as exc:
        _err.print(f"[red]error[/red]: {len(exc.problems)} problem(s):")
        for problem in exc.problems:
            _err.print(f"  {problem}", markup=False)
        code = EXIT_USAGE
    except _UsageError as exc:
        _err.print(f"[red]error[/red]: {exc}", markup=False)
        code = EXIT_USAGE
    except EnvironmentProblem as exc:
        _err.print(f"[red]error[/red]: {exc}", markup=False)
        code = EXIT_ENVIRONMENT
    except GatecrashError as exc:
        _err.print(f"[red]error[/red]: {exc}", markup=False)
        code = EXIT_FAILED
    sys.exit(code)
