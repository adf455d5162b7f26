"""Soak the emulator: its full speed on a MOCK route for a long time, watching every process's memory.

    .venv/bin/python bench/soak.py [--duration 20m] [--logs-retention 1m] [--connections 32]

`gatecrash emulator` (execution logs at INFO with data trace, and access logs, to its local moto
server) serves a MOCK route on loopback; wrk (1 thread) sends to it as fast as it answers for the
whole duration. Every minute (and 10 s in, as the start) it prints the resident memory (VmRSS) of
every process: the emulator, the moto log server and the log shipper (its children), and wrk; what
the log server stores (streams, events, bytes, from DescribeLogStreams); and how long reading a
one-second window of execution logs takes (FilterLogEvents through boto3, every page, as
gatecrash.correlate.fetch reads them). At the end: wrk's request rate, and per process how far its
memory moved from minute 5 (or half-way, for a shorter run) to the end, and the read time at the end
against the start. Figures go in bench/README.md; nothing here asserts anything.

Loopback only; bounded by --duration (wrk stops itself, and the emulator is stopped after it).
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

from gatecrash.correlate.fetch import LogLocation, events_in_window
from gatecrash.settings import parse_duration
from procs import children, free_port  # type: ignore[import-not-found]  # bench/procs.py, beside this file

API = """
openapi: 3.0.1
info: {title: soak, version: "1"}
paths:
  /mock:
    get:
      responses: {"200": {description: ok}}
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates: {application/json: '{"statusCode": 200}'}
        responses: {default: {statusCode: "200", responseTemplates: {application/json: '{"ok": true}'}}}
"""
STAGE = """
restApiId: soakapi001
stage:
  stageName: soak
  methodSettings:
    "*/*": {loggingLevel: INFO, dataTraceEnabled: true}
"""
REGION = "us-east-1"  # the side file's default region
SETTLE_S = 300.0  # flatness is judged from minute 5 on, as issue 17 asks


@dataclass(frozen=True)
class Sample:
    at_s: float
    rss_mb: dict[str, float]
    streams: int
    stored_mb: float
    read_ms: float
    read_events: int
    lag_s: float  # how far the newest stored execution-log event is behind the clock


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def role_of(pid: int) -> str:
    command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    if "_moto_main" in command:
        return "log server"
    if "_shipper_main" in command:
        return "shipper"
    return f"child {pid}"


def store(client: Any, execution_group: str) -> tuple[int, float, int | None]:
    """Streams and megabytes the log server holds over all its groups (DescribeLogGroups and
    DescribeLogStreams; moto counts storedBytes as the messages' lengths, not its own overhead), and
    the newest execution-log event's timestamp."""
    streams = 0
    stored = 0
    newest: int | None = None
    for page in client.get_paginator("describe_log_groups").paginate():
        for group in page["logGroups"]:
            stored += group.get("storedBytes", 0)
            name = group["logGroupName"]
            for streams_page in client.get_paginator("describe_log_streams").paginate(logGroupName=name):
                streams += len(streams_page["logStreams"])
                if name == execution_group:
                    for stream in streams_page["logStreams"]:
                        last = stream.get("lastEventTimestamp")
                        if last is not None and (newest is None or last > newest):
                            newest = last
    return streams, stored / 1e6, newest


def read_one_second(client: Any, location: LogLocation, end_ms: int) -> tuple[float, int]:
    """Milliseconds to read every execution-log event of the second before `end_ms`."""
    started = time.perf_counter()
    count = sum(1 for _ in events_in_window(client, location.execution_log_group, end_ms - 1000, end_ms, location))
    return (time.perf_counter() - started) * 1000, count


def start_emulator(folder: Path, retention: str, logs_port: int) -> tuple[subprocess.Popen[str], str, str]:
    (folder / "api.yaml").write_text(API)
    (folder / "stage.yaml").write_text(STAGE)
    command = [
        sys.executable,
        "-m",
        "gatecrash",
        "emulator",
        "--definition",
        str(folder / "api.yaml"),
        "--side-file",
        str(folder / "stage.yaml"),
        "--logs-port",
        str(logs_port),
        "--logs-retention",
        retention,
    ]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, text=True, env={**os.environ, "COLUMNS": "400"}, start_new_session=True
    )
    assert process.stdout is not None
    base = group = ""
    for line in process.stdout:
        if match := re.search(r"at (http://127\.0\.0\.1:\d+/\S+)", line):
            base = match.group(1)
        if match := re.search(r"execution: (\S+)", line):
            group = match.group(1)
        if "Press Ctrl-C" in line:
            break
    if not base or not group:
        process.kill()
        raise SystemExit("the emulator did not start; see the messages above")
    return process, base, group


def sample(at_s: float, pids: dict[str, int], client: Any, location: LogLocation) -> Sample:
    rss = {name: rss_mb(pid) for name, pid in pids.items()}
    now_ms = int(time.time() * 1000)
    streams, stored_mb, newest = store(client, location.execution_log_group)
    # The newest whole second stored: under full load the shipper runs behind, and the second that
    # ended a moment ago may not be stored yet.
    lag_ms = now_ms - newest if newest is not None else 0
    read_ms, read_events = read_one_second(client, location, (newest or now_ms) - 1000)
    return Sample(at_s, rss, streams, stored_mb, read_ms, read_events, lag_ms / 1000)


def print_sample(s: Sample, names: list[str]) -> None:
    memory = "  ".join(f"{s.rss_mb[name]:8.1f}" for name in names)
    print(
        f"{s.at_s / 60:6.1f}  {memory}  {s.streams:7d}  {s.stored_mb:8.1f}  {s.read_ms:8.1f}  {s.read_events:6d}"
        f"  {s.lag_s:6.1f}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", default="20m", help="how long to send, e.g. 3m or 20m (default 20m)")
    parser.add_argument("--logs-retention", default="1m", help="the emulator's --logs-retention (default 1m)")
    parser.add_argument("--connections", type=int, default=32, help="wrk's connections (default 32)")
    parser.add_argument("--every", default="1m", help="how often to sample (default 1m)")
    args = parser.parse_args()
    duration_s, every_s = parse_duration(args.duration), parse_duration(args.every)

    with tempfile.TemporaryDirectory() as scratch:
        logs_port = free_port()
        emulator, base, group = start_emulator(Path(scratch), args.logs_retention, logs_port)
        wrk: subprocess.Popen[str] | None = None
        try:
            pids = {"emulator": emulator.pid}
            for child in children(emulator.pid):
                pids[role_of(child)] = child
            client = boto3.client(
                "logs",
                endpoint_url=f"http://127.0.0.1:{logs_port}",
                region_name=REGION,
                aws_access_key_id="testing",
                aws_secret_access_key="testing",
            )
            location = LogLocation(REGION, group, None, f"http://127.0.0.1:{logs_port}", local=True)
            wrk = subprocess.Popen(
                ["wrk", "-t1", f"-c{args.connections}", f"-d{int(duration_s)}s", f"{base}/mock"],
                stdout=subprocess.PIPE,
                text=True,
            )
            pids["wrk"] = wrk.pid
            names = list(pids)
            print(f"soak: {args.duration} of {base}/mock, logs kept {args.logs_retention}; {os.cpu_count()} CPUs")
            print(
                "RSS in MB; what the log server stores (all groups); reading the newest stored second of execution "
                "logs; how far that second is behind the clock"
            )
            print(
                "   min  "
                + "  ".join(f"{name[:8]:>8}" for name in names)
                + "  streams  store MB   read ms  events   lag s"
            )
            started = time.monotonic()
            samples: list[Sample] = []
            due = [10.0, *[every_s * i for i in range(1, int(duration_s // every_s) + 1)]]
            for when in due:
                wait = started + min(when, duration_s - 5) - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
                samples.append(sample(time.monotonic() - started, pids, client, location))
                print_sample(samples[-1], names)
            output, _ = wrk.communicate(timeout=duration_s + 60)
        finally:
            if wrk is not None and wrk.poll() is None:
                wrk.kill()
            os.killpg(emulator.pid, signal.SIGINT)
            emulator.wait(timeout=60)
    report(samples, names, output, duration_s)


def report(samples: list[Sample], names: list[str], wrk_output: str, duration_s: float) -> None:
    rate = re.search(r"Requests/sec:\s+([\d.]+)", wrk_output)
    total = re.search(r"(\d+) requests in", wrk_output)
    print(f"\nwrk: {total.group(1) if total else '?'} requests, {rate.group(1) if rate else '?'} requests/s")
    settle = min(SETTLE_S, duration_s / 2)
    steady = [s for s in samples if s.at_s >= settle - 1]
    print(f"RSS from minute {settle / 60:g} to the end (max against min, goal: within 10%):")
    for name in names:
        values = [s.rss_mb[name] for s in steady]
        if values and min(values) > 0:
            spread = (max(values) / min(values) - 1) * 100
            print(f"  {name:10} {min(values):8.1f} .. {max(values):8.1f} MB  ({spread:+.1f}%)")
    first, last = samples[0], samples[-1]
    change = (last.read_ms / first.read_ms - 1) * 100 if first.read_ms else float("nan")
    print(
        f"one-second read: {first.read_ms:.1f} ms at {first.at_s:.0f} s, {last.read_ms:.1f} ms at {last.at_s:.0f} s"
        f" ({change:+.0f}%; goal: within 20%)"
    )
    # A second's events vary with the load of that second; per event the read says what the store costs.
    per_event = [1000 * s.read_ms / s.read_events for s in (first, last) if s.read_events]
    if len(per_event) == 2:
        print(f"  per 1,000 events read: {per_event[0]:.1f} ms at the start, {per_event[1]:.1f} ms at the end")
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
