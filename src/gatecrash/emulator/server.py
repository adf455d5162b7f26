"""Serving the emulator over loopback: uvicorn, plus the CloudWatch Logs endpoint it writes to.

`EmulatorServer` owns everything one running emulator needs: the log server (a local moto
server, on `logs_port` or any free port, unless an endpoint is given), the log sink, and uvicorn
serving the app on a socket bound before start so that port 0 means "any free port".

Losing logs shows at once: when the log server or the shipper dies, or CloudWatch Logs refuses events,
the emulator says so on stderr (the `gatecrash.emulator` logger) when it happens, and `logs_trouble()`
says why for as long as it lasts (for the rest of the run once events are lost): the runner reads it
before it looks for evidence.
"""

from __future__ import annotations

import gc
import logging
import shlex
import socket
import threading
import time
from dataclasses import dataclass, replace
from types import TracebackType
from typing import Self

import uvicorn

from gatecrash.emulator.app import Emulator
from gatecrash.emulator.cloudwatch import (
    DEFAULT_LOGS_RETENTION_S,
    CloudWatchLogSink,
    LocalLogsServer,
    roll_interval_ms,
)
from gatecrash.emulator.fastdoor import front_door
from gatecrash.emulator.frontdoor import IDLE_CONNECTION_TIMEOUT_S, FrontDoorLimits
from gatecrash.emulator.model import Api, StageConfig
from gatecrash.errors import EnvironmentProblem, LogsError

_START_TIMEOUT_S = 10.0
_log = logging.getLogger("gatecrash.emulator")


@dataclass(frozen=True, slots=True)
class Endpoints:
    base_url: str  # the stage's invoke URL: http://127.0.0.1:<port>/<stage>
    logs_endpoint: str | None  # None: the standard AWS endpoint for the region
    execution_log_group: str
    access_log_group: str
    local_logs: bool = False  # logs_endpoint is the emulator's own moto server (any credentials do)
    logs_retention_s: float | None = None  # how long the local server keeps events (None: not local)


def aws_cli_settings(endpoints: Endpoints, region: str) -> tuple[str, ...]:
    """Shell lines that point the AWS CLI at the emulator's logs and read them (README: "Reading the
    emulator's logs with the AWS CLI"). The local moto server takes any credentials: dummy ones keep
    the CLI from looking for real ones, and the region must be the stage's (moto keeps one store per region)."""
    endpoint = f" --endpoint-url {endpoints.logs_endpoint}" if endpoints.logs_endpoint else ""
    access = shlex.quote(endpoints.access_log_group)
    lines = [f"export AWS_DEFAULT_REGION={region}"]
    if endpoints.local_logs:
        lines = [f"export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION={region}"]
    return (
        *lines,
        f"aws logs tail {access} --since 5m{endpoint}",
        f"aws logs filter-log-events{endpoint} --log-group-name {access} --filter-pattern '{{ $.status = 429 }}'",
        f"aws logs filter-log-events{endpoint} --log-group-name {shlex.quote(endpoints.execution_log_group)} "
        "--filter-pattern '\"Method completed with status: 5\"'",
    )


def bind_loopback(port: int = 0, host: str = "127.0.0.1") -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise EnvironmentProblem(f"cannot listen on {host}:{port}: {exc.strerror}; choose another --port") from exc
    sock.listen(2048)
    return sock


class EmulatorServer:
    """Start with `start()` (or `with`), stop with `close()`; `endpoints` says where things are."""

    def __init__(
        self,
        api: Api,
        stage: StageConfig,
        *,
        port: int = 0,
        host: str = "127.0.0.1",
        logs_endpoint: str | None = None,
        local_logs: bool = True,
        logs_port: int = 0,
        stage_variables: dict[str, str] | None = None,
        idle_timeout_s: float = IDLE_CONNECTION_TIMEOUT_S,
        logs_retention_s: float = DEFAULT_LOGS_RETENTION_S,
    ) -> None:
        if stage_variables:
            stage = replace(stage, variables={**stage.variables, **stage_variables})
        self.api = api
        self.stage = stage
        self._port = port
        self._host = host
        self._logs_endpoint = logs_endpoint
        self._local_logs = local_logs and logs_endpoint is None
        self._logs_port = logs_port
        self._front_door = FrontDoorLimits(idle_timeout_s=idle_timeout_s)
        # The local logs server's window (cloudwatch.py, "retention"); another endpoint keeps its own.
        self._logs_retention_s = logs_retention_s
        self._logs_server: LocalLogsServer | None = None
        self._logs_lost: str | None = None  # the first trouble that lost events: lost they stay
        self._reported: set[str] = set()
        self._report_lock = threading.Lock()
        self.sink: CloudWatchLogSink | None = None
        self.app: Emulator | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self.endpoints: Endpoints | None = None

    def _start_logs(self) -> tuple[CloudWatchLogSink, str | None]:
        endpoint = self._logs_endpoint
        if self._local_logs:
            self._logs_server = LocalLogsServer(
                port=self._logs_port, on_exit=self._lost, retention_s=self._logs_retention_s
            )
            endpoint = self._logs_server.endpoint_url
        roll_ms = roll_interval_ms(self._logs_retention_s) if self._logs_server is not None else None
        sink = CloudWatchLogSink(
            endpoint_url=endpoint, region=self.stage.region, on_trouble=self._report, roll_ms=roll_ms
        )
        return sink, endpoint

    def logs_trouble(self) -> str | None:
        """Why the emulator's log events are not (all) being stored, or None while they are."""
        if self._logs_lost is not None:
            return self._logs_lost
        server_trouble = self._logs_server.trouble if self._logs_server is not None else None
        if server_trouble is not None:
            return self._lost(server_trouble)
        # The sink's trouble lasts as long as events are not stored, for good once the shipper has died.
        return self.sink.trouble if self.sink is not None else None

    def _lost(self, trouble: str) -> str:
        """Events are gone (the log server or the shipper died): say so once, and for the rest of the run."""
        with self._report_lock:
            if self._logs_lost is None:
                self._logs_lost = trouble
        self._report(trouble)
        return self._logs_lost

    def _report(self, trouble: str) -> None:
        """On stderr, when it happens (from the thread that noticed), once per distinct message."""
        with self._report_lock:
            if trouble in self._reported:
                return
            self._reported.add(trouble)
        _log.error("gatecrash emulator: log events are not being stored: %s", trouble)

    def prepare(self) -> Self:
        """Start the log server and bind the socket, without serving yet (see `serve_prepared`)."""
        self._socket = bind_loopback(self._port, self._host)
        try:
            self.sink, endpoint = self._start_logs()
        except BaseException:
            self._socket.close()
            raise
        try:
            # The emulator reads its authorizers here; a DefinitionError must not leak the socket or logs.
            self.app = Emulator(self.api, self.stage, self.sink)
        except BaseException:
            self.close()
            raise
        port = self._socket.getsockname()[1]
        self.endpoints = Endpoints(
            base_url=f"http://{self._host}:{port}/{self.stage.stage_name}",
            logs_endpoint=endpoint,
            execution_log_group=self.stage.execution_log_group,
            access_log_group=self.stage.access_log_group(),
            local_logs=self._logs_server is not None,
            logs_retention_s=self._logs_retention_s if self._logs_server is not None else None,
        )
        config = uvicorn.Config(
            self.app,
            # The front door (frontdoor.py, fastdoor.py): AWS's head-size limit and idle timeout, every request
            # answered; httptools reads what h11 would read the same way, h11 the rest.
            http=front_door(self._front_door),
            log_level="warning",
            access_log=False,
            server_header=False,
            # `$context.identity.sourceIp` is "the source IP address of the immediate TCP connection making
            # the request" (AWS docs, $context variables): a client's X-Forwarded-For does not change it.
            proxy_headers=False,
            lifespan="on",
        )
        self._server = uvicorn.Server(config)
        return self

    def start(self) -> Self:
        """Serve in a background thread; returns once the server accepts connections."""
        self.prepare()
        assert self._server is not None and self._socket is not None
        server, sock = self._server, self._socket
        # uvicorn listens for signals only on the main thread, so a server in a thread leaves them
        # to the caller; `run` picks uvloop when installed.
        self._thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + _START_TIMEOUT_S
        while not server.started and self._thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.01)
        if not server.started:
            self.close()
            raise EnvironmentProblem("the emulator did not start; see the messages above")
        return self

    def serve_prepared(self) -> None:
        """Serve on this thread (after `prepare`) until interrupted, then clean up."""
        if self._server is None or self._socket is None:
            self.prepare()
        assert self._server is not None and self._socket is not None
        # This process is the server from here on: what start-up built (the definition's model, the
        # imported libraries) lives as long as it does, so the collector need not walk it on every pass.
        gc.freeze()
        try:
            self._server.run(sockets=[self._socket])
        finally:
            self.close()

    def flush_logs(self, timeout: float = 10.0) -> None:
        """Block until every log event written so far is stored in CloudWatch Logs; LogsError if they
        cannot be (at once when they are already lost)."""
        lost = self._logs_lost or (self._logs_server.trouble if self._logs_server is not None else None)
        if lost is not None:
            raise LogsError(self._lost(lost))
        if self.sink is not None:
            self.sink.flush(timeout)

    def close(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=_START_TIMEOUT_S)
            self._thread = None
        if self._socket is not None:
            self._socket.close()
            self._socket = None
        if self.sink is not None:
            try:
                self.sink.close()
            except LogsError as exc:
                # Events that could not be stored are lost; that is said (here, or when it happened) and the
                # run's report says it too: closing must not turn it into a failure of its own.
                self._report(str(exc))
            self.sink = None
        if self._logs_server is not None:
            self._logs_server.close()
            self._logs_server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
