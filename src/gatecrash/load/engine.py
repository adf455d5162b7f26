"""Running one load phase on locust, in child processes: the generated locustfile, master and workers.

locust monkey-patches the interpreter when imported (style.md item 12), so it never runs in ours:
`python -m locust` runs headless from a locustfile written for the phase. With no workers it is one
process; with `workers` it is a master and that many worker processes on this machine, and with
`master_host` the master listens there so that workers on other machines can join (`remote_workers`
of them are waited for). Every process sends its per-request records to the master, which writes
them to one file; secrets reach the children only through their environment.
"""

from __future__ import annotations

import base64
import inspect
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from gatecrash.credentials import Secrets
from gatecrash.errors import EnvironmentProblem
from gatecrash.load import phases
from gatecrash.load.live import LiveCounter, LiveSecond
from gatecrash.load.records import LoadRecord, read_records
from gatecrash.scenario.model import AuthKind, LoadPhase

_TEMPLATE = Path(__file__).with_name("locustfile.py.tmpl")
SECRET_PREFIX = "GATECRASH_LOAD_"
# A worker stops judging the 5xx share until it has this many answers: one early 502 is not a trend.
STOP_MIN_ANSWERS = 20
# Beyond the schedule: locust's start-up, the last answers and the records' trip to the master.
_GRACE_S = 15.0
_FOLLOW_S = 0.25  # how often the records file is read while the phase runs, for live progress

# Called about once a second while a phase runs, with the second that just completed.
LiveProgress = Callable[[LiveSecond], None]


class LoadEngineError(EnvironmentProblem):
    """locust could not run the phase: not installed, a child failed, or no records came back."""


@dataclass(frozen=True, slots=True)
class EngineOptions:
    workers: int = 0  # local worker processes; 0: a single locust process
    master_host: str | None = None  # where the master listens for workers on other machines
    master_port: int = 0  # 0: a free port
    remote_workers: int = 0  # workers on other machines to wait for (with master_host)
    timeout_s: float = 35.0  # per request


@dataclass(frozen=True, slots=True)
class EngineRun:
    records: tuple[LoadRecord, ...]
    schedule: tuple[float, ...]  # due times, seconds from the phase's start
    started: float  # epoch: the first arrival's due time
    stopped: tuple[str, ...]  # why workers stopped early (the 5xx share), if they did
    complete: bool  # every process finished its schedule and reported
    processes: int  # locust processes that sent load
    users_per_process: int
    locustfile: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class _Plan:
    document: dict[str, Any]
    environment: dict[str, str]


def schedule_of(phase: LoadPhase) -> list[float]:
    segments = [(s.start_rps, s.end_rps, s.duration_s) for s in phase.segments]
    return phases.arrival_times(segments, phase.max_requests, phase.max_duration_s)


def build_plan(
    phase: LoadPhase, base_url: str, region: str, secrets: Secrets, tag: str, processes: int, options: EngineOptions
) -> _Plan:
    """The phase as the locustfile reads it, and the secret variables its processes need."""
    environment: dict[str, str] = {}
    entries = []
    for index, entry in enumerate(phase.mix):
        spec = entry.request
        auth = spec.auth
        secret_env = ""
        if auth.kind in (AuthKind.API_KEY, AuthKind.JWT):
            secret_env = f"{SECRET_PREFIX}{index}"
            environment[secret_env] = secrets.strings[auth.credential or ""]
        elif auth.kind is AuthKind.SIGV4:
            keys = secrets.aws[auth.credential or ""]
            names = [f"{SECRET_PREFIX}{index}_ACCESS", f"{SECRET_PREFIX}{index}_SECRET"]
            environment[names[0]], environment[names[1]] = keys.access_key_id, keys.secret_access_key
            if keys.session_token:
                names.append(f"{SECRET_PREFIX}{index}_TOKEN")
                environment[names[2]] = keys.session_token
            secret_env = ",".join(names)
        parsed = httpx.URL(base_url.rstrip("/") + spec.path, params=list(spec.query) or None)
        url = str(parsed)
        # The request target (path and query) for the fast client, whose host is the origin.
        target = parsed.raw_path.decode("ascii")
        entries.append(
            {
                "name": f"{spec.method} {spec.path}" + (f" [{auth.credential}]" if auth.credential else ""),
                "method": spec.method,
                "url": url,
                "target": target,
                "headers": [list(pair) for pair in spec.headers],
                "body_b64": base64.b64encode(spec.body).decode("ascii") if spec.body else "",
                "auth": auth.kind.value,
                "secret_env": secret_env,
                "user": "signed" if auth.kind is AuthKind.SIGV4 else "fast",
            }
        )
    order = phases.mix_order([entry.weight for entry in phase.mix])
    peak = max(max(s.start_rps, s.end_rps) for s in phase.segments)
    users = phase.users or phases.users_for(peak, processes)
    kinds = {entries[i]["user"] for i in order}
    document = {
        "base_url": base_url,
        "origin": str(httpx.URL(base_url).copy_with(path="/", query=None)).rstrip("/"),
        "region": region,
        "tag": tag,
        "entries": entries,
        "order": order,
        "segments": [[s.start_rps, s.end_rps, s.duration_s] for s in phase.segments],
        "max_requests": phase.max_requests,
        "max_duration_s": phase.max_duration_s,
        "workers": processes,
        "users": {kind: (users if kind in kinds else 0) for kind in ("fast", "signed")},
        "expected": list(_expected_statuses(phase)),
        "stop_5xx_share": phase.stop_backend_5xx_share,
        "stop_min_answers": STOP_MIN_ANSWERS,
        "timeout_s": options.timeout_s,
    }
    return _Plan(document, environment)


def _expected_statuses(phase: LoadPhase) -> tuple[str, ...]:
    """What locust counts as a success: statuses the phase expects (a provoked 429 is not a failure)."""
    named = [b.status for b in phase.expect_statuses if b.maximum > 0]
    return tuple(named) if named else ("2xx", "429")


def render_locustfile(document: Mapping[str, Any]) -> str:
    source = inspect.getsource(phases).replace("from __future__ import annotations\n", "")
    text = _TEMPLATE.read_text(encoding="utf-8")
    return text.replace("__PLAN_JSON__", repr(json.dumps(document))).replace("__PHASES_SOURCE__", source)


def run_phase(
    phase: LoadPhase,
    base_url: str,
    region: str,
    secrets: Secrets,
    tag: str,
    options: EngineOptions = EngineOptions(),
    work_dir: Path | None = None,
    live: LiveProgress | None = None,
) -> EngineRun:
    """Run `phase` to its end (or its caps, or its stop condition) and return every request's record;
    `live` is given each second's offered, accepted and throttled counts while the phase runs."""
    processes = max(options.workers, 0) + max(options.remote_workers, 0)
    distributed = processes > 0
    with tempfile.TemporaryDirectory(prefix="gatecrash-load-") as scratch:
        folder = work_dir or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        plan = build_plan(phase, base_url, region, secrets, tag, processes if distributed else 1, options)
        plan.document["records_path"] = str(folder / "records.jsonl")
        plan.document["summary_path"] = str(folder / "summary.json")
        # The child appends to the records file: one left by an earlier run in a kept folder must go.
        for stale in ("records.jsonl", "summary.json"):
            (folder / stale).unlink(missing_ok=True)
        locustfile = render_locustfile(plan.document)
        path = folder / "locustfile.py"
        path.write_text(locustfile, encoding="utf-8")
        users = sum(plan.document["users"].values())
        run_time = phase.duration_s + _GRACE_S
        follower = _Follower(folder / "records.jsonl", schedule_of(phase), live) if live is not None else None
        total_users = users * (processes if distributed else 1)
        _launch(path, folder, plan, total_users, run_time, options, distributed, follower)
        records = read_records(folder / "records.jsonl")
        summary = _summary(folder / "summary.json")
    schedule = tuple(schedule_of(phase))
    if not records and schedule:
        raise LoadEngineError(f"locust sent none of the phase's {len(schedule)} requests (see its output above)")
    started = min((r.intended for r in records), default=time.time())
    return EngineRun(
        records,
        schedule,
        started,
        tuple(summary.get("stopped", [])),
        bool(summary.get("complete", False)),
        processes if distributed else 1,
        users,
        locustfile,
    )


def _summary(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def _free_port(host: str) -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


def _locust(path: Path, *arguments: str) -> list[str]:
    return [sys.executable, "-m", "locust", "-f", str(path), "--loglevel", "WARNING", *arguments]


def _launch(
    path: Path,
    folder: Path,
    plan: _Plan,
    users: int,
    run_time: float,
    options: EngineOptions,
    distributed: bool,
    follower: _Follower | None = None,
) -> None:
    environment = {**os.environ, **plan.environment, "PYTHONUNBUFFERED": "1"}
    common = ["--headless", "-u", str(users), "-r", str(max(users, 1)), "-t", f"{int(run_time) + 1}s"]
    common += ["--stop-timeout", "2", "--only-summary"]
    children: list[subprocess.Popen[bytes]] = []
    try:
        if not distributed:
            children.append(_start(_locust(path, *common), folder / "locust.log", environment))
        else:
            host = options.master_host or "127.0.0.1"
            port = options.master_port or _free_port(host)
            master = _locust(path, *common, "--master", "--master-bind-host", host, "--master-bind-port", str(port))
            master += ["--expect-workers", str(options.workers + options.remote_workers)]
            children.append(_start(master, folder / "master.log", environment))
            # Local workers reach a master bound to every interface through loopback.
            local = "127.0.0.1" if host in ("0.0.0.0", "::", "*") else host
            for index in range(options.workers):
                worker = _locust(path, "--worker", "--master-host", local, "--master-port", str(port))
                children.append(_start(worker, folder / f"worker-{index}.log", environment))
        _wait(children[0], run_time + _GRACE_S + (60.0 if options.remote_workers else 0.0), folder, follower)
    finally:
        for child in children:
            _end(child)


def _start(command: list[str], log: Path, environment: Mapping[str, str]) -> subprocess.Popen[bytes]:
    try:
        with log.open("wb") as out:
            return subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=dict(environment))
    except OSError as exc:
        raise LoadEngineError(f"could not start locust ({' '.join(command[:3])}): {exc}") from exc


class _Follower:
    """Reads the records the locust child appends while it runs and reports each completed second."""

    def __init__(self, path: Path, schedule: list[float], live: LiveProgress) -> None:
        self._path = path
        self._offset = 0
        self._counter = LiveCounter(schedule)
        self._live = live

    def poll(self) -> None:
        self._read()
        for second in self._counter.complete(time.time()):
            self._live(second)

    def finish(self) -> None:
        self._read()
        for second in self._counter.rest():
            self._live(second)

    def _read(self) -> None:
        try:
            with self._path.open("rb") as records:
                records.seek(self._offset)
                chunk = records.read()
        except FileNotFoundError:
            return  # nothing answered yet
        end = chunk.rfind(b"\n") + 1  # a line still being written waits for the next read
        self._offset += end
        lines = chunk[:end].decode("utf-8").splitlines()
        self._counter.add(LoadRecord(*json.loads(line)) for line in lines if line.strip())


def _wait(child: subprocess.Popen[bytes], timeout: float, folder: Path, follower: _Follower | None = None) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            child.wait(timeout=_FOLLOW_S if follower is not None else max(0.0, deadline - time.monotonic()))
            break
        except subprocess.TimeoutExpired as exc:
            if time.monotonic() >= deadline:
                raise LoadEngineError(
                    f"locust did not finish within {timeout:.0f} s; its output is in {folder}"
                ) from exc
            if follower is not None:
                follower.poll()
    if follower is not None:
        follower.finish()
    if not (folder / "summary.json").is_file():
        output = "".join(
            log.read_text(encoding="utf-8", errors="replace")[-2000:] for log in sorted(folder.glob("*.log"))
        )
        if "No module named locust" in output:
            raise LoadEngineError("locust is not installed: pip install 'gatecrash[load]' (or make test)")
        raise LoadEngineError(f"locust ended without writing its records (exit {child.returncode}):\n{output}")


def _end(child: subprocess.Popen[bytes]) -> None:
    """Stop a child this module started (workers linger a moment after the master quits)."""
    try:
        child.wait(timeout=3)
    except subprocess.TimeoutExpired:
        child.send_signal(signal.SIGTERM)
        try:
            child.wait(timeout=5)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
