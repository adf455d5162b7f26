"""Opening a scenario's target: starting the emulator (with its backends) or naming a deployed stage."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, fields

from gatecrash.awssession import aws_session
from gatecrash.emulator.model import Api, StageConfig
from gatecrash.scenario.model import AwsTarget, EmulatorTarget, Target


@dataclass(frozen=True, slots=True)
class LiveTarget:
    """Where requests go and where the gateway's logs are, for one run."""

    description: str
    base_url: str
    region: str
    rest_api_id: str
    stage: str
    logs_endpoint: str | None  # None: the region's CloudWatch Logs endpoint
    execution_log_group: str
    access_log_group: str | None
    emulated: StageConfig | None = None  # the emulator's stage settings, for emulator credentials
    api: Api | None = None  # the emulator's definition: which routes exist
    flush_logs: Callable[[], None] | None = None  # the emulator's: wait until its logs are stored
    logs_trouble: Callable[[], str | None] | None = None  # the emulator's: why its logs are not stored, if so
    profile: str | None = None  # AWS: the profile that reads the logs
    logs_retention_s: float | None = None  # the emulator's: how long its local logs server keeps events

    @property
    def local_logs(self) -> bool:
        return self.emulated is not None


@dataclass(frozen=True, slots=True)
class CheckedEmulatorTarget(EmulatorTarget):
    """An emulator target whose definition was read and checked before anything started
    (`check_definition`): `open_target` serves this `api` instead of reading the file again."""

    api: Api = field(kw_only=True, compare=False, repr=False)


def check_definition(target: EmulatorTarget, *, strict: bool = False) -> CheckedEmulatorTarget:
    """`target` with its definition read: what loading it passed over with a warning, as AWS's
    `import-rest-api` with failonwarnings=false (its default) does, is in `api.warnings`. With `strict`
    (failonwarnings=true) the warnings are problems, raised with the definition's others in one
    DefinitionError."""
    from gatecrash.emulator.definition import load_definition

    return with_api(target, load_definition(target.definition, variables=dict(target.variables) or None, strict=strict))


def with_api(target: EmulatorTarget, api: Api) -> CheckedEmulatorTarget:
    """`target` carrying `api`, its definition as read already (scenarios sharing one definition share it)."""
    settings = {item.name: getattr(target, item.name) for item in fields(EmulatorTarget)}
    return CheckedEmulatorTarget(**settings, api=api)


@contextmanager
def open_target(target: Target, logs_retention_s: float | None = None) -> Iterator[LiveTarget]:
    """The target, live; an emulator's local logs keep events for `logs_retention_s` (None: its default)."""
    if isinstance(target, AwsTarget):
        # Logs, limits and metrics are read later through this profile: an unknown one stops the run
        # here, before anything is sent, instead of as botocore's ProfileNotFound mid-run.
        aws_session(target.profile, target.region)
        yield LiveTarget(
            description=f"AWS {target.rest_api_id}/{target.stage} ({target.region})",
            base_url=target.invoke_url.rstrip("/"),
            region=target.region,
            rest_api_id=target.rest_api_id,
            stage=target.stage,
            logs_endpoint=None,
            execution_log_group=f"API-Gateway-Execution-Logs_{target.rest_api_id}/{target.stage}",
            access_log_group=target.access_log_group,
            profile=target.profile,
        )
        return
    with _emulator(target, logs_retention_s) as live:
        yield live


@contextmanager
def _emulator(target: EmulatorTarget, logs_retention_s: float | None) -> Iterator[LiveTarget]:
    from gatecrash.emulator.backends import serve_asgi
    from gatecrash.emulator.cloudwatch import DEFAULT_LOGS_RETENTION_S
    from gatecrash.emulator.definition import load_definition
    from gatecrash.emulator.server import EmulatorServer
    from gatecrash.emulator.sidefile import load_side_file

    if isinstance(target, CheckedEmulatorTarget):
        api = target.api  # read and checked before the run started: not read again
    else:
        api = load_definition(target.definition, variables=dict(target.variables) or None)
    stage = load_side_file(target.side_file) if target.side_file else StageConfig()
    with ExitStack() as stack:
        variables = dict(target.stage_variables)
        for name, spec in target.backends.items():
            variables[name] = stack.enter_context(serve_asgi(spec))
        retention = logs_retention_s if logs_retention_s is not None else DEFAULT_LOGS_RETENTION_S
        server = stack.enter_context(EmulatorServer(api, stage, stage_variables=variables, logs_retention_s=retention))
        endpoints = server.endpoints
        assert endpoints is not None
        yield LiveTarget(
            description=f"emulator of {target.definition.name} at {endpoints.base_url}",
            base_url=endpoints.base_url,
            region=stage.region,
            rest_api_id=stage.rest_api_id,
            stage=stage.stage_name,
            logs_endpoint=endpoints.logs_endpoint,
            execution_log_group=endpoints.execution_log_group,
            access_log_group=endpoints.access_log_group,
            emulated=server.stage,
            api=api,
            flush_logs=server.flush_logs,
            logs_trouble=server.logs_trouble,
            logs_retention_s=endpoints.logs_retention_s,
        )
