"""Benchmark the runner: burst release spread, and the runner beside httpx's best set-up and aiohttp.

    .venv/bin/python bench/runner.py [--seconds 5] [--rounds 2] [--profile CLIENT]

A trivial ASGI endpoint (uvicorn, one worker) runs pinned to CPU 1. Every client runs as its own
subprocess pinned to CPU 0, one at a time, interleaved over the rounds (A B C ... A B C ...), each
with 100 requests in flight on the default asyncio loop:
- `runner`: gatecrash's runner (100 probes, concurrency 100), its whole per-request path;
- `httpx-shared-default`: one httpx.AsyncClient with its default limits (100 connections, 20 kept alive);
- `httpx-shared-pool100`: one AsyncClient, http1 only, 100 connections all kept alive;
- `httpx-per-task`: one AsyncClient per task (sharing one SSLContext), as the runner does;
- `httpx-one-in-flight`: one AsyncClient, one request at a time (the reference this bench used before);
- `aiohttp`: one ClientSession with a TCPConnector(limit=100).
Each client reports its requests, wall time and its own user + system CPU (getrusage, all threads)
over the timed window; the parent reads the load average around each one. The best httpx set-up
(highest requests/s, median over rounds) is the reference for the runner (goal: >= 0.9x).
wrk (100 connections) is run once for scale. `--profile CLIENT` runs one client once under cProfile
(CPU time) on CPU 0 and prints where its time goes. Results are printed; record them in bench/README.md. Nothing here
asserts a timing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import resource
import shutil
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import httpx

from gatecrash.credentials import Secrets
from gatecrash.runner.build import WireRequest
from gatecrash.runner.burst import release
from gatecrash.runner.fire import Runner
from gatecrash.scenario.model import EmulatorTarget, Limits, Probe, RequestSpec, Scenario
from gatecrash.target import LiveTarget
from procs import free_port  # type: ignore[import-not-found]  # bench/procs.py, beside this file

CLIENT_CPU, SERVER_CPU = 0, 1
IN_FLIGHT = 100
ENDPOINT = """
async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/plain"), (b"content-length", b"2")]})
    await send({"type": "http.response.body", "body": b"ok"})
"""


@dataclass(frozen=True, slots=True)
class Tally:
    """What one client subprocess did over its timed window."""

    requests: int
    failed: int
    wall_s: float
    cpu_s: float  # the client process's user + system time, all threads

    @property
    def rate(self) -> float:
        return self.requests / self.wall_s

    @property
    def cpu_us_per_request(self) -> float:
        return self.cpu_s / self.requests * 1e6


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measured(work: Callable[[], tuple[int, int]]) -> Tally:
    cpu, wall = own_cpu_seconds(), time.perf_counter()
    requests, failed = work()
    return Tally(requests, failed, time.perf_counter() - wall, own_cpu_seconds() - cpu)


# --- the clients (each runs in its own pinned subprocess) -------------------------------------


async def loop_until(deadline: float, send: Callable[[], Awaitable[int]]) -> tuple[int, int]:
    """One task's closed loop: send, wait for the whole answer, again until the deadline."""
    sent = failed = 0
    while time.perf_counter() < deadline:
        status = await send()
        sent += 1
        failed += status != 200
    return sent, failed


async def in_flight(
    tasks: int, seconds: float, sender: Callable[[int], Callable[[], Awaitable[int]]]
) -> tuple[int, int]:
    deadline = time.perf_counter() + seconds
    counts = await asyncio.gather(*(loop_until(deadline, sender(task)) for task in range(tasks)))
    return sum(sent for sent, _ in counts), sum(failed for _, failed in counts)


async def httpx_shared(
    url: str, seconds: float, limits: httpx.Limits | None, tasks: int = IN_FLIGHT
) -> tuple[int, int]:
    options = {"limits": limits} if limits is not None else {}
    async with httpx.AsyncClient(http1=True, http2=False, **options) as client:  # type: ignore[arg-type]

        async def get() -> int:
            return (await client.get(url)).status_code

        return await in_flight(tasks, seconds, lambda _: get)


async def httpx_per_task(url: str, seconds: float) -> tuple[int, int]:
    tls = ssl.create_default_context()
    clients = [httpx.AsyncClient(verify=tls) for _ in range(IN_FLIGHT)]
    try:

        def sender(task: int) -> Callable[[], Awaitable[int]]:
            async def get() -> int:
                return (await clients[task].get(url)).status_code

            return get

        return await in_flight(IN_FLIGHT, seconds, sender)
    finally:
        await asyncio.gather(*(client.aclose() for client in clients))


async def aiohttp_session(url: str, seconds: float) -> tuple[int, int]:
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=IN_FLIGHT)) as session:

        async def get() -> int:
            async with session.get(url) as response:
                await response.read()
                return response.status

        return await in_flight(IN_FLIGHT, seconds, lambda _: get)


def gatecrash_runner(url: str, repeat: int) -> tuple[int, int]:
    probes = tuple(Probe(f"p{i}", "ok", RequestSpec("GET", "/"), repeat=repeat) for i in range(IN_FLIGHT))
    scenario = Scenario(
        Path("bench"),
        "bench",
        EmulatorTarget(Path("unused")),
        Limits(IN_FLIGHT * repeat, 3600.0),
        probes,
        concurrency=IN_FLIGHT,
    )
    target = LiveTarget("bench endpoint", url.rstrip("/"), "us-east-1", "bench", "bench", None, "-", None)
    records = asyncio.run(Runner(scenario, target, Secrets()).run())
    observations = [o for record in records for o in record.observations]
    return len(observations), sum(o.status != 200 for o in observations)


def runner_repeat(url: str, seconds: float) -> int:
    """Probe repeats that fill about `seconds`, from a short sized run (the runner sends a fixed count)."""
    trial = measured(lambda: gatecrash_runner(url, 5))
    return max(1, round(trial.rate * seconds / IN_FLIGHT))


CLIENTS: dict[str, Callable[[str, float], tuple[int, int]]] = {
    "runner": lambda url, seconds: (0, 0),  # sized and run in client_main
    "httpx-shared-default": lambda url, seconds: asyncio.run(httpx_shared(url, seconds, None)),
    "httpx-shared-pool100": lambda url, seconds: asyncio.run(
        httpx_shared(url, seconds, httpx.Limits(max_connections=IN_FLIGHT, max_keepalive_connections=IN_FLIGHT))
    ),
    "httpx-per-task": lambda url, seconds: asyncio.run(httpx_per_task(url, seconds)),
    "httpx-one-in-flight": lambda url, seconds: asyncio.run(httpx_shared(url, seconds, None, tasks=1)),
    "aiohttp": lambda url, seconds: asyncio.run(aiohttp_session(url, seconds)),
}
HTTPX_SETUPS = ("httpx-shared-default", "httpx-shared-pool100", "httpx-per-task", "httpx-one-in-flight")


def client_main(name: str, url: str, seconds: float) -> None:
    if name == "runner":
        repeat = runner_repeat(url, seconds)
        tally = measured(lambda: gatecrash_runner(url, repeat))
    else:
        CLIENTS[name](url, 0.3)  # warm: imports, first connections, code paths
        tally = measured(lambda: CLIENTS[name](url, seconds))
    print(
        json.dumps({"requests": tally.requests, "failed": tally.failed, "wall_s": tally.wall_s, "cpu_s": tally.cpu_s})
    )


# --- the parent: endpoint, interleaved clients, report -----------------------------------------


def run_client(name: str, url: str, seconds: float) -> tuple[Tally, tuple[float, float]]:
    before = os.getloadavg()[0]
    command = ["taskset", "-c", str(CLIENT_CPU), sys.executable, __file__, "--client", name, "--url", url]
    output = subprocess.run([*command, "--seconds", str(seconds)], capture_output=True, text=True, check=False)
    if output.returncode != 0:
        raise SystemExit(f"client {name} failed (exit {output.returncode}):\n{output.stderr}")
    fields = json.loads(output.stdout.strip().splitlines()[-1])
    return Tally(**fields), (before, os.getloadavg()[0])


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
    answers = await release(wires, ssl.create_default_context(), 30.0)
    failed = sum(answer.status != 200 for answer in answers)
    if failed:
        print(f"  warning: {failed} burst requests failed")
    stamps = [answer.sent_at for answer in answers]
    return (max(stamps) - min(stamps)) * 1000


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


def profile_client(name: str, url: str, seconds: float) -> None:
    """One client under cProfile on CPU 0, timed by CPU, not wall, time (the machine is shared)."""
    import cProfile
    import pstats

    os.sched_setaffinity(0, {CLIENT_CPU})
    repeat = runner_repeat(url, seconds) if name == "runner" else 0
    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    if name == "runner":
        gatecrash_runner(url, repeat)
    else:
        CLIENTS[name](url, seconds)
    profiler.disable()
    stats = pstats.Stats(profiler)
    stats.sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats(40)


def start_endpoint(work: Path, port: int) -> subprocess.Popen[bytes]:
    (work / "endpoint.py").write_text(ENDPOINT)
    command = [sys.executable, "-m", "uvicorn", "endpoint:app", "--port", str(port), "--log-level", "warning"]
    return subprocess.Popen(
        ["taskset", "-c", str(SERVER_CPU), *command, "--no-access-log", "--backlog", "4096"],
        cwd=work,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def report(results: dict[str, list[tuple[Tally, tuple[float, float]]]]) -> None:
    def median_rate(name: str) -> float:
        return statistics.median(tally.rate for tally, _ in results[name])

    def median_cpu(name: str) -> float:
        return statistics.median(tally.cpu_us_per_request for tally, _ in results[name])

    best = max(HTTPX_SETUPS, key=median_rate)
    print(
        f"\n{'client (100 in flight unless named)':<24} {'requests/s per round':<28} {'CPU µs/request':<22} "
        f"{'CPU share':<14} load average"
    )
    for name, rounds in results.items():
        rates = " / ".join(f"{tally.rate:,.0f}" for tally, _ in rounds)
        cpus = " / ".join(f"{tally.cpu_us_per_request:.0f}" for tally, _ in rounds)
        shares = " / ".join(f"{tally.cpu_s / tally.wall_s:.0%}" for tally, _ in rounds)
        loads = " / ".join(f"{a:.1f}-{b:.1f}" for _, (a, b) in rounds)
        failed = sum(tally.failed for tally, _ in rounds)
        note = f"  ({failed} not 200)" if failed else ""
        print(f"{name:<24} {rates:<28} {cpus:<22} {shares:<14} {loads}{note}")
    print(f"\nbest httpx set-up (median requests/s): {best}")
    for other in (best, "aiohttp"):
        print(
            f"runner / {other}: {median_rate('runner') / median_rate(other):.2f}x requests/s, "
            f"{median_cpu('runner') / median_cpu(other):.2f}x CPU per request"
        )
    print("goal: runner >= 0.9x the best httpx set-up's requests/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--profile", choices=sorted(CLIENTS), help="profile one client once instead")
    parser.add_argument("--client", choices=sorted(CLIENTS), help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client is not None:
        client_main(args.client, args.url, args.seconds)
        return
    if shutil.which("wrk") is None or shutil.which("taskset") is None:
        raise SystemExit("needs wrk and taskset: apt-get install wrk util-linux")
    work = Path(tempfile.mkdtemp(prefix="gatecrash-bench-"))
    port = free_port()
    server = start_endpoint(work, port)
    try:
        wait_for_port(port)
        url = f"http://127.0.0.1:{port}/"
        if args.profile is not None:
            profile_client(args.profile, url, args.seconds)
            return
        spreads = [asyncio.run(burst_spread(url, 500)) for _ in range(3)]
        print(
            f"burst of 500: first to last request leaving in {min(spreads):.1f} ms "
            f"(3 runs: {', '.join(f'{s:.1f}' for s in spreads)} ms; goal < 20 ms)"
        )
        results: dict[str, list[tuple[Tally, tuple[float, float]]]] = {name: [] for name in CLIENTS}
        for round_number in range(args.rounds):
            for name in CLIENTS:
                results[name].append(run_client(name, url, args.seconds))
                tally = results[name][-1][0]
                print(
                    f"  round {round_number + 1}, {name}: {tally.rate:,.0f} requests/s, "
                    f"{tally.cpu_us_per_request:.0f} µs CPU a request",
                    flush=True,
                )
        print(f"wrk, 100 connections, for scale: {wrk_rate(url, int(args.seconds)):,.0f} requests/s")
        print(f"load average at the end: {' '.join(f'{value:.2f}' for value in os.getloadavg())}")
        report(results)
    finally:
        server.terminate()
        server.wait(10)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
