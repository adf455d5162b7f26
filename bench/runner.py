"""Benchmark the runner: burst release spread, and requests per second beside httpx and wrk.

    .venv/bin/python bench/runner.py [--seconds 5]

A trivial ASGI endpoint (uvicorn, one worker) runs pinned to CPU 1; every client runs pinned to
CPU 0, one at a time, in the same run:
1. burst: the time from the first to the last of 500 requests leaving (goal: under 20 ms);
2. gatecrash's runner with 100 requests in flight (100 probes, concurrency 100);
3. a bare httpx.AsyncClient with one request in flight: httpx's best case (goal: 2 >= 0.9 x 3);
4. wrk with 100 connections, for scale.
Results are printed; record them in bench/README.md. Nothing here asserts a timing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from gatecrash.credentials import Secrets
from gatecrash.runner.build import WireRequest
from gatecrash.runner.burst import release
from gatecrash.runner.fire import Runner
from gatecrash.scenario.model import EmulatorTarget, Limits, Probe, RequestSpec, Scenario
from gatecrash.target import LiveTarget
from procs import free_port  # type: ignore[import-not-found]  # bench/procs.py, beside this file

CLIENT_CPU, SERVER_CPU = 0, 1
ENDPOINT = """
async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/plain"), (b"content-length", b"2")]})
    await send({"type": "http.response.body", "body": b"ok"})
"""


def wait_for_port(port: int) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"the endpoint did not listen on {port}")


async def burst_spread(url: str, count: int) -> float:
    wires = [WireRequest("GET", url, (), b"") for _ in range(count)]
    import ssl

    answers = await release(wires, ssl.create_default_context(), 30.0)
    failed = sum(answer.status != 200 for answer in answers)
    if failed:
        print(f"  warning: {failed} burst requests failed")
    stamps = [answer.sent_at for answer in answers]
    return (max(stamps) - min(stamps)) * 1000


def runner_rate(base: str, in_flight: int, seconds: float, probe_rate_guess: int = 3000) -> float:
    repeat = max(1, int(probe_rate_guess * seconds / in_flight))
    probes = tuple(Probe(f"p{i}", "ok", RequestSpec("GET", "/"), repeat=repeat) for i in range(in_flight))
    scenario = Scenario(
        Path("bench"),
        "bench",
        EmulatorTarget(Path("unused")),
        Limits(in_flight * repeat, 3600.0),
        probes,
        concurrency=in_flight,
    )
    target = LiveTarget("bench endpoint", base, "us-east-1", "bench", "bench", None, "-", None)
    runner = Runner(scenario, target, Secrets())
    started = time.perf_counter()
    records = asyncio.run(runner.run())
    elapsed = time.perf_counter() - started
    total = sum(len(record.observations) for record in records)
    bad = sum(o.status != 200 for record in records for o in record.observations)
    if bad:
        print(f"  warning: {bad} runner requests did not answer 200")
    return total / elapsed


async def httpx_best_case(url: str, seconds: float) -> float:
    async with httpx.AsyncClient() as client:
        await client.get(url)
        count = 0
        deadline = time.perf_counter() + seconds
        started = time.perf_counter()
        while time.perf_counter() < deadline:
            await client.get(url)
            count += 1
        return count / (time.perf_counter() - started)


def wrk_rate(url: str, seconds: int) -> float:
    output = subprocess.run(
        ["taskset", "-c", str(CLIENT_CPU), "wrk", "-t1", "-c100", f"-d{seconds}s", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    match = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if match is None:
        raise SystemExit(f"could not read wrk's output:\n{output}")
    return float(match.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    if shutil.which("wrk") is None or shutil.which("taskset") is None:
        raise SystemExit("needs wrk and taskset: apt-get install wrk util-linux")
    os.sched_setaffinity(0, {CLIENT_CPU})
    work = Path(tempfile.mkdtemp(prefix="gatecrash-bench-"))
    (work / "endpoint.py").write_text(ENDPOINT)
    port = free_port()
    server = subprocess.Popen(
        [
            "taskset",
            "-c",
            str(SERVER_CPU),
            sys.executable,
            "-m",
            "uvicorn",
            "endpoint:app",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
            "--backlog",
            "4096",
        ],
        cwd=work,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        wait_for_port(port)
        url = f"http://127.0.0.1:{port}/"
        spreads = [asyncio.run(burst_spread(url, 500)) for _ in range(3)]
        print(
            f"burst of 500: first to last request leaving in {min(spreads):.1f} ms "
            f"(3 runs: {', '.join(f'{s:.1f}' for s in spreads)} ms; goal < 20 ms)"
        )
        runner = runner_rate(url.rstrip("/"), 100, args.seconds)
        best = asyncio.run(httpx_best_case(url, args.seconds))
        wrk = wrk_rate(url, int(args.seconds))
        print(f"gatecrash runner, 100 in flight: {runner:,.0f} requests/s on one core")
        print(f"bare httpx.AsyncClient, 1 in flight (its best case): {best:,.0f} requests/s")
        print(f"wrk, 100 connections: {wrk:,.0f} requests/s")
        print(f"runner / httpx best case = {runner / best:.2f} (goal >= 0.9)")
    finally:
        server.terminate()
        server.wait(10)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
