"""The caps cases of bench/fuzz.py: `gatecrash run` and `gatecrash canary --once --retries N` against a
loopback emulator whose one route leads to a backend that counts what it gets (tests/fixtures/counting),
under retries, slow answers, rate phases and a SIGINT. Issue 16, "Caps are absolute".

The emulator runs on its own (`gatecrash emulator`), so that what the gateway saw can be read back from
its access log after each case; the scenario targets it as an `aws:` target, and every AWS call
gatecrash makes goes to the emulator's local logs server (AWS_ENDPOINT_URL): nothing leaves loopback.
Per case, counted against the scenario's `limits`:
- the requests the backend got, and those the gateway logged (its access-log records);
- the span between the backend's first and last request, against max-duration;
- anything that reached the backend after gatecrash exited (a locust process left sending).
What reached the backend after a SIGINT is printed too; it is not a cap.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from procs import free_port  # type: ignore[import-not-found]  # bench/procs.py, beside this file

ROOT = Path(__file__).resolve().parent.parent
GATECRASH = ROOT / ".venv" / "bin" / "gatecrash"
COUNTING = ROOT / "tests" / "fixtures" / "counting"
TRACEBACK = "Traceback (most recent call last)"
CASE_BOUND_S = 120.0
# The backend stamps a request when it arrives: one sent just before max-duration ran out may land
# this much after it on a loaded machine.
ARRIVAL_SLACK_S = 0.5
START_BOUND_S = 60.0


@dataclass(frozen=True, slots=True)
class CapsCase:
    """`gatecrash *argv SCENARIO` with `limits` and `probes`; SIGINT after `interrupt_after_s` if set."""

    name: str
    argv: tuple[str, ...]
    max_requests: int
    max_duration_s: float
    probes: str
    interrupt_after_s: float | None = None


def _rate(rps: int, seconds: int, path: str) -> str:
    # Every answer is allowed, so that the phase runs whatever the backend answers.
    return (
        f"  - name: load {path}\n    mode: ok\n    rate: {{rps: {rps}, duration: {seconds}s}}\n"
        f"    request: {{method: GET, path: /count/{path}}}\n"
        '    expect: {status: {"200": [1.0, 1.0]}}\n'
    )


def _probe(name: str, path: str, repeat: int) -> str:
    return f"  - {{name: {name}, mode: ok, repeat: {repeat}, request: {{method: GET, path: /count/{path}}}}}\n"


RUN = ("run", "--no-logs")
CANARY = ("canary", "--once", "--no-metrics", "--logs-deadline", "3s")

CAPS_CASES = (
    CapsCase(
        "run: repeats and a rate phase share max-requests",
        RUN,
        15,
        30,
        _probe("p", "status/503", 5) + _rate(10, 1, "status/200"),
    ),
    CapsCase("run: a rate phase of slow answers past max-duration", RUN, 40, 2, _rate(10, 4, "sleep/800/200")),
    CapsCase("run: SIGINT in a rate phase", RUN, 40, 30, _rate(10, 4, "status/200"), interrupt_after_s=2.5),
    CapsCase("canary --retries 5: failing repeats", (*CANARY, "--retries", "5"), 7, 30, _probe("p", "status/503", 3)),
    CapsCase(
        "canary --retries 3: a failing rate phase", (*CANARY, "--retries", "3"), 25, 30, _rate(10, 1, "status/503")
    ),
    CapsCase(
        "canary --retries 3: slow failures past max-duration",
        (*CANARY, "--retries", "3"),
        50,
        1,
        _probe("p", "sleep/700/503", 1),
    ),
    CapsCase(
        "canary --retries 5: SIGINT during retries",
        (*CANARY, "--retries", "5"),
        20,
        30,
        _probe("p", "sleep/300/503", 4),
        interrupt_after_s=2.0,
    ),
    CapsCase(
        "canary --retries 2: SIGINT in a rate phase",
        (*CANARY, "--retries", "2"),
        30,
        30,
        _rate(10, 3, "status/503"),
        interrupt_after_s=1.5,
    ),
)


@dataclass(frozen=True, slots=True)
class CapsResult:
    case: CapsCase
    backend: int
    gateway: int
    span_s: float
    after_exit: int
    after_signal: int | None  # requests that reached the backend after the SIGINT (None: no signal sent)
    traceback: bool
    hung: bool

    def exceeded(self) -> list[str]:
        """What broke a cap, in words (empty: every cap held)."""
        broken = []
        cap = self.case.max_requests
        if self.backend > cap:
            broken.append(f"the backend got {self.backend} requests, max-requests {cap}")
        if self.gateway > cap:
            broken.append(f"the gateway logged {self.gateway} requests, max-requests {cap}")
        if self.span_s > self.case.max_duration_s + ARRIVAL_SLACK_S:
            broken.append(f"requests arrived over {self.span_s:.2f} s, max-duration {self.case.max_duration_s:g} s")
        if self.after_exit:
            broken.append(f"{self.after_exit} requests reached the backend after gatecrash exited")
        return broken


def _environment(logs_port: int) -> dict[str, str]:
    """AWS calls (logs, metrics) go to the local logs server only, with throwaway keys."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and not k.startswith("GATECRASH_")}
    return {
        **environ,
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{logs_port}",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }


def _stop(child: subprocess.Popen[bytes]) -> None:
    if child.poll() is None:
        child.terminate()
        try:
            child.wait(timeout=15)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


@dataclass(frozen=True, slots=True)
class Stack:
    invoke_url: str
    api_id: str
    stage: str
    access_group: str
    logs_port: int
    count_file: Path


@contextmanager
def counting_stack(folder: Path) -> Iterator[Stack]:
    """The counting backend and an emulator in front of it, each a child process on loopback."""
    count_file = folder / "counts.txt"
    backend_port, port, logs_port = free_port(), free_port(), free_port()
    backend = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--app-dir", str(COUNTING), "backend:app"]
        + ["--host", "127.0.0.1", "--port", str(backend_port), "--log-level", "warning"],
        env={**os.environ, "GATECRASH_COUNT_FILE": str(count_file)},
        stdout=subprocess.DEVNULL,
        stderr=(folder / "backend.log").open("wb"),
    )
    emulator_out = folder / "emulator.log"
    emulator = subprocess.Popen(
        [str(GATECRASH), "emulator", "--definition", str(COUNTING / "api.yaml")]
        + ["--stage-variable", f"backend=127.0.0.1:{backend_port}", "--port", str(port)]
        + ["--logs-port", str(logs_port), "--logs-retention", "30m"],
        stdout=emulator_out.open("wb"),
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + START_BOUND_S
        text = ""
        while "Press Ctrl-C" not in text:
            if time.monotonic() > deadline or emulator.poll() is not None:
                raise SystemExit(f"the counting emulator did not start:\n{text}")
            time.sleep(0.2)
            text = emulator_out.read_text(errors="replace")
        served = re.search(r"at (http://127\.0\.0\.1:\d+/(\S+))", text)
        access = re.search(r"access: (API-Gateway-Access-Logs_(\S+?)/\S+)", text)
        if served is None or access is None:
            raise SystemExit(f"the counting emulator's banner changed:\n{text}")
        yield Stack(served.group(1), access.group(2), served.group(2), access.group(1), logs_port, count_file)
    finally:
        _stop(emulator)
        _stop(backend)


def _arrivals(count_file: Path) -> list[float]:
    if not count_file.exists():
        return []
    return [float(line.split(" ", 1)[0]) for line in count_file.read_text().splitlines() if line.strip()]


def _gateway_total(stack: Stack) -> int:
    import boto3

    client = boto3.client(
        "logs",
        endpoint_url=f"http://127.0.0.1:{stack.logs_port}",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    total = 0
    try:
        for page in client.get_paginator("filter_log_events").paginate(logGroupName=stack.access_group):
            total += len(page["events"])
    except client.exceptions.ResourceNotFoundException:
        return 0
    return total


def _scenario(stack: Stack, case: CapsCase) -> str:
    return (
        "name: caps\n"
        f'target: {{aws: {{invoke-url: "{stack.invoke_url}", region: us-east-1, rest-api-id: {stack.api_id}, '
        f"stage: {stack.stage}, access-log-group: {stack.access_group}}}}}\n"
        f"limits: {{max-requests: {case.max_requests}, max-duration: {case.max_duration_s:g}s}}\n"
        f"probes:\n{case.probes}"
    )


def run_caps_case(stack: Stack, case: CapsCase, folder: Path) -> CapsResult:
    before_backend = len(_arrivals(stack.count_file))
    before_gateway = _gateway_total(stack)
    work = Path(tempfile.mkdtemp(prefix="caps-", dir=folder))
    (work / "caps.yaml").write_text(_scenario(stack, case))
    argv = [str(GATECRASH), case.argv[0], "caps.yaml", *case.argv[1:]]
    argv += ["--history", "history"] if case.argv[0] == "canary" else ["--reports", "reports"]
    output = work / "output.txt"
    hung = False
    signalled: float | None = None
    with output.open("wb") as out:
        child = subprocess.Popen(
            argv, cwd=work, env=_environment(stack.logs_port), stdout=out, stderr=subprocess.STDOUT
        )
        try:
            if case.interrupt_after_s is not None:
                try:
                    child.wait(timeout=case.interrupt_after_s)
                except subprocess.TimeoutExpired:
                    signalled = time.time()
                    child.send_signal(signal.SIGINT)
            child.wait(timeout=CASE_BOUND_S)
        except subprocess.TimeoutExpired:
            hung = True
        finally:
            _stop(child)
    at_exit = len(_arrivals(stack.count_file))
    time.sleep(1.5)  # anything still sending (a locust process) shows now; the log shipper catches up
    arrivals = _arrivals(stack.count_file)[before_backend:]
    span = max(arrivals) - min(arrivals) if arrivals else 0.0
    return CapsResult(
        case,
        backend=len(arrivals),
        gateway=_gateway_total(stack) - before_gateway,
        span_s=span,
        after_exit=len(arrivals) + before_backend - at_exit,
        after_signal=None if signalled is None else sum(arrival > signalled for arrival in arrivals),
        traceback=TRACEBACK in output.read_text(errors="replace"),
        hung=hung,
    )
