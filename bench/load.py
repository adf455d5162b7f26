"""Benchmark the locust engine: the highest rate per worker process, and the accuracy of the offered rate.

    .venv/bin/python bench/load.py [--seconds 5] [--users 32]

A trivial HTTP endpoint (a raw asyncio server answering `200 ok` on keep-alive connections) is pinned
to CPU 0; each load generator is pinned to CPU 1, in turn, against the same endpoint in the same run:

1. wrk (1 thread, `--users` connections): the ceiling of the endpoint and the machine.
2. bare locust: a FastHttpUser locustfile with `constant(0)` waits, one process, `--users` users.
3. gatecrash's engine: one locust process running a generated rate phase offered far above what it
   can send (every arrival is due at once), so it sends as fast as it can: the same FastHttpUser plus
   the schedule, catch_response and a record per request. Goal: at least 0.9 of bare locust.
4. Accuracy: gatecrash's engine at 100, 500 and 1,000 rps for `--seconds`: requests sent per second
   against the rate offered (goal: within 2%), the worst second's deviation and the p99 schedule lag.

Results are printed; record them in bench/README.md. Nothing here asserts a timing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from collections import Counter
from pathlib import Path
from typing import cast

from gatecrash.credentials import Secrets
from gatecrash.load.engine import EngineOptions, run_phase
from gatecrash.scenario.model import LoadKind, LoadPhase, MixEntry, RateSegment, RequestSpec
from procs import free_port  # type: ignore[import-not-found]  # bench/procs.py, beside this file

SERVER_CPU, LOAD_CPU = 0, 1
RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok"

BARE_LOCUSTFILE = """
from locust import FastHttpUser, constant, task


class Bare(FastHttpUser):
    wait_time = constant(0)

    @task
    def get(self):
        self.client.get("/")
"""


class _Answer(asyncio.Protocol):
    """Answers every request head with the same 200: the cheapest endpoint a load tool can hit."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses, but have its write().
        self.transport = cast(asyncio.Transport, transport)
        self.buffer = b""

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while b"\r\n\r\n" in self.buffer:
            _, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
            self.transport.write(RESPONSE)


def serve(port: int) -> None:
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    os.sched_setaffinity(0, {SERVER_CPU})
    loop = asyncio.new_event_loop()
    server = loop.run_until_complete(loop.create_server(_Answer, "127.0.0.1", port, backlog=1024))
    loop.run_until_complete(server.serve_forever())


def wait_for(port: int) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit("the endpoint did not start")


def pinned(command: list[str]) -> list[str]:
    return ["taskset", "-c", str(LOAD_CPU), *command] if shutil.which("taskset") else command


def wrk(url: str, seconds: int, users: int) -> float | None:
    if shutil.which("wrk") is None:
        return None
    output = subprocess.run(
        pinned(["wrk", "-t1", f"-c{users}", f"-d{seconds}s", url]), capture_output=True, text=True, check=True
    ).stdout
    match = re.search(r"Requests/sec:\s+([\d.]+)", output)
    return float(match.group(1)) if match else None


def bare_locust(url: str, seconds: int, users: int, folder: Path) -> float:
    locustfile = folder / "bare.py"
    locustfile.write_text(textwrap.dedent(BARE_LOCUSTFILE))
    command = [sys.executable, "-m", "locust", "-f", str(locustfile), "--headless", "-u", str(users)]
    command += ["-r", str(users), "-t", f"{seconds}s", "--host", url, "--json", "--loglevel", "ERROR"]
    output = subprocess.run(pinned(command), capture_output=True, text=True).stdout
    stats = json.loads(output)
    requests = sum(entry["num_requests"] for entry in stats)
    first = min(entry["start_time"] for entry in stats)
    last = max(entry["last_request_timestamp"] for entry in stats)
    return float(requests / (last - first))


def phase(rps: float, seconds: float, users: int | None, cap: int | None = None) -> LoadPhase:
    requests = cap or int(rps * seconds)
    return LoadPhase(
        "bench",
        "ok",
        LoadKind.RATE,
        (RateSegment(rps, rps, seconds),),
        (MixEntry(RequestSpec("GET", "/")),),
        requests,
        seconds,
        users=users,
    )


def engine(
    url: str, rps: float, seconds: float, users: int | None, cap: int | None = None
) -> tuple[float, float, float, int]:
    """Achieved rate, the worst second's deviation from the offered rate, p99 lag (ms), requests sent."""
    os.sched_setaffinity(0, {LOAD_CPU})  # the locust child inherits this process's CPU
    try:
        run = run_phase(phase(rps, seconds, users, cap), url, "us-east-1", Secrets(), "bench", EngineOptions())
    finally:
        os.sched_setaffinity(0, set(range(os.cpu_count() or 1)))
    sent = sorted(r.sent for r in run.records)
    span = sent[-1] - sent[0] + 1.0 / rps if len(sent) > 1 else 1.0
    start = run.started
    per_second = Counter(int(r.sent - start) for r in run.records if 0 <= r.sent - start < int(seconds))
    worst = max((abs(per_second[s] - rps) / rps for s in range(int(seconds))), default=0.0)
    lags = sorted((r.sent - r.intended) * 1000 for r in run.records)
    return len(sent) / span, worst, lags[int(len(lags) * 0.99)] if lags else 0.0, len(sent)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--users", type=int, default=32)
    args = parser.parse_args()
    port = free_port()
    server = subprocess.Popen([sys.executable, __file__, "--serve", str(port)]) if "--serve" not in sys.argv else None
    assert server is not None
    try:
        wait_for(port)
        url = f"http://127.0.0.1:{port}"
        with tempfile.TemporaryDirectory() as scratch:
            print(f"endpoint: {url} on CPU {SERVER_CPU}; load generators on CPU {LOAD_CPU}; {args.seconds} s each")
            ceiling = wrk(url + "/", args.seconds, args.users)
            print(f"wrk, 1 thread, {args.users} connections: {ceiling:,.0f} requests/s" if ceiling else "wrk: absent")
            bare = bare_locust(url, args.seconds, args.users, Path(scratch))
            print(f"bare locust FastHttpUser, 1 process, {args.users} users: {bare:,.0f} requests/s")
            # Offered far above capacity: every arrival is due at once, so the engine sends flat out.
            # Capped near what bare locust sent in the same time, so the phase ends on its own.
            cap = int(bare * args.seconds)
            ours, _, _, sent = engine(url, 100_000.0, float(args.seconds), args.users, cap)
            print(f"gatecrash engine, 1 process, {args.users} users: {ours:,.0f} requests/s ({sent:,} recorded)")
            print(f"  ratio to bare locust: {ours / bare:.2f} (goal >= 0.9)")
            for rps in (100.0, 500.0, 1000.0):
                achieved, worst, lag, sent = engine(url, rps, float(args.seconds), None)
                print(
                    f"offered {rps:,.0f} rps: achieved {achieved:,.1f} rps "
                    f"({(achieved - rps) / rps:+.2%}; goal within 2%), "
                    f"worst second {worst:.1%} off, p99 schedule lag {lag:.1f} ms, {sent:,} sent"
                )
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--serve":
        serve(int(sys.argv[2]))
    else:
        main()
