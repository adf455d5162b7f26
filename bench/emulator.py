"""Benchmark the emulator: requests per second on one worker, log delivery, token-bucket accuracy.

    .venv/bin/python bench/emulator.py [--seconds 10] [--connections 32]

1. Throughput: `gatecrash emulator` (one uvicorn worker, logs on) pinned to CPU 0; wrk, the moto
   log server and the log shipper pinned to CPU 1. wrk drives a MOCK route, an AWS_PROXY route and
   a non-proxy AWS (Lambda) route with a request and a response template, and a non-proxy MOCK route
   whose request and response templates do real work ($input.params, #if, #foreach, $util, $context),
   isolating what VTL costs (goal: at least half the plain MOCK route's rate).
2. Log delivery: after each wrk run, every request's access-log event must be in CloudWatch Logs
   (moto): counted with boto3, with the time the last one took to arrive.
3. Token bucket: a stage limit of 100 rps / burst 200 under 300 rps offered open-loop for 10 s;
   accepted requests against the formula burst + rate x elapsed.
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
import time
from pathlib import Path
from typing import Any

import boto3
import httpx

from gatecrash.emulator.cloudwatch import LocalLogsServer
from procs import (  # type: ignore[import-not-found]  # bench/procs.py, beside this file
    children,
    cpu_seconds,
    free_port,
    pin_tree,
    tree_cpu_seconds,
)

EMULATOR_CPU, LOAD_CPU = 0, 1
LAMBDA_URI = (
    "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
    "arn:aws:lambda:us-east-1:123456789012:function:bench/invocations"
)
API = """
openapi: 3.0.1
info: {title: bench, version: "1"}
paths:
  /mock:
    get:
      responses: {"200": {description: ok}}
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates: {application/json: '{"statusCode": 200}'}
        responses: {default: {statusCode: "200", responseTemplates: {application/json: '{"ok": true}'}}}
  /lambda:
    get:
      responses: {"200": {description: ok}}
      x-amazon-apigateway-integration:
        type: aws_proxy
        httpMethod: POST
        uri: LAMBDA_URI
  /nonproxy:
    get:
      responses: {"200": {description: ok}}
      x-amazon-apigateway-integration:
        type: aws
        httpMethod: POST
        uri: PLAIN_URI
        requestTemplates:
          application/json: '{"caller": "$context.identity.sourceIp", "q": "$input.params(''q'')"}'
        responses:
          default:
            statusCode: "200"
            responseTemplates: {application/json: '{"ok": $input.json(''$.ok''), "id": "$context.requestId"}'}
  /templated:
    get:
      responses: {"200": {description: ok}}
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates:
          application/json: >-
            #set($q = $input.params('q'))
            {"statusCode": #if($q == "")400#{else}200#end, "q": "$util.escapeJavaScript($q)"}
        responses:
          default:
            statusCode: "200"
            responseTemplates:
              application/json: >-
                {"id": "$context.requestId", "caller": "$context.identity.sourceIp",
                "q": "$util.escapeJavaScript($input.params('q'))", "stage": "$context.stage",
                "tags": [#foreach($t in ["a", "b", "c"])"$t"#if($foreach.hasNext),#end#end]}
  /limited:
    get:
      responses: {"200": {description: ok}}
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates: {application/json: '{"statusCode": 200}'}
        responses: {default: {statusCode: "200"}}
""".replace("LAMBDA_URI", LAMBDA_URI).replace("PLAIN_URI", LAMBDA_URI.replace("function:bench", "function:plain"))
STAGE = """
restApiId: benchapi01
stage:
  stageName: bench
  methodSettings:
    "*/*": {loggingLevel: INFO, dataTraceEnabled: true}
    "~1limited/GET": {throttlingRateLimit: 100, throttlingBurstLimit: 200, loggingLevel: INFO, dataTraceEnabled: true}
functions:
  bench: {handler: "bench_handlers:handler", timeout: 3}
  plain: {handler: "bench_handlers:plain", timeout: 3}
"""
HANDLERS = """
def handler(event, context):
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": '{"ok": true}'}

def plain(event, context):
    return {"ok": True}
"""


# The reference issue 17 measures against: a bare Starlette app on uvicorn (uvloop, httptools, no
# access log), answering the MOCK route's body.
STARLETTE = """
import sys
import uvicorn
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

async def ok(request):
    return JSONResponse({"ok": True})

app = Starlette(routes=[Route("/bench/mock", ok)])
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), loop="uvloop", http="httptools",
            access_log=False, log_level="warning")
"""


def pin(pid: int, cpu: int) -> None:
    pin_tree(pid, cpu)


def wait_for_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"the emulator did not listen on {port} within {timeout} s")


def wrk(url: str, seconds: int, connections: int) -> tuple[float, int]:
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", url]
    output = subprocess.run(
        ["taskset", "-c", str(LOAD_CPU), *command], capture_output=True, text=True, check=True
    ).stdout
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    total = re.search(r"(\d+) requests in", output)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if rate is None or total is None:
        raise SystemExit(f"could not read wrk's output:\n{output}")
    if errors is not None:
        print(f"  warning: {errors.group(1)} non-2xx answers")
    return float(rate.group(1)), int(total.group(1))


def count_events(client: Any, group: str) -> int:
    total = 0
    for stream in client.describe_log_streams(logGroupName=group)["logStreams"]:
        token = None
        while True:
            kwargs: dict[str, Any] = {
                "logGroupName": group,
                "logStreamName": stream["logStreamName"],
                "startFromHead": True,
                "limit": 10_000,
            }
            if token:
                kwargs["nextToken"] = token
            page = client.get_log_events(**kwargs)
            total += len(page["events"])
            if not page["events"] or page["nextForwardToken"] == token:
                break
            token = page["nextForwardToken"]
    return total


def wait_for_events(client: Any, group: str, expected: int, timeout: float = 120.0) -> tuple[int, float]:
    started = time.monotonic()
    found = 0
    while time.monotonic() - started < timeout:
        found = count_events(client, group)
        if found >= expected:
            break
        time.sleep(0.5)
    return found, time.monotonic() - started


class RawConnection:
    """A keep-alive HTTP/1.1 connection speaking just enough HTTP for GETs (about 20 µs a request).

    A single httpx.AsyncClient could not keep 300 requests/s on schedule here (encode/httpx#3215):
    the emulator saw them spread over 20 s. Raw sockets keep the offered rate honest.
    """

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    async def get(self, host: str, path: str) -> int:
        self.writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = re.search(rb"(?i)content-length: *(\d+)", head)
        await self.reader.readexactly(int(length.group(1)) if length else 0)
        return status


async def offered_load(port: int, path: str, rate: float, seconds: float) -> tuple[int, int]:
    """Open loop: request i leaves at start + i/rate whatever earlier answers do."""
    idle: list[RawConnection] = []
    statuses: list[int] = []

    async def connection() -> RawConnection:
        if idle:
            return idle.pop()
        return RawConnection(*await asyncio.open_connection("127.0.0.1", port))

    for _ in range(20):  # warm some connections so the first requests do not pay for a handshake
        idle.append(await connection())
    start = time.monotonic() + 0.1

    async def one(index: int) -> None:
        delay = start + index / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        conn = await connection()
        statuses.append(await conn.get(f"127.0.0.1:{port}", path))
        idle.append(conn)

    await asyncio.gather(*(one(i) for i in range(int(rate * seconds))))
    for conn in idle:
        conn.writer.close()
    return statuses.count(200), statuses.count(429)


def server_span(client: Any, group: str, resource_path: str) -> float:
    """Seconds from the first to the last request on `resource_path`, by the emulator's own clock."""
    stamps: list[int] = []
    for page in client.get_paginator("filter_log_events").paginate(logGroupName=group):
        for event in page["events"]:
            record = json.loads(event["message"])
            if record["resourcePath"] == resource_path:
                stamps.append(int(record["requestTimeEpoch"]))
    return (max(stamps) - min(stamps)) / 1000


def starlette_reference(work: Path, seconds: int, connections: int) -> float:
    """CPU per request of the bare Starlette app (pinned like the emulator) under the same wrk."""
    (work / "reference.py").write_text(STARLETTE)
    port = free_port()
    server = subprocess.Popen(
        ["taskset", "-c", str(EMULATOR_CPU), sys.executable, str(work / "reference.py"), str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        wait_for_port(port)
        pin(server.pid, EMULATOR_CPU)
        httpx.get(f"http://127.0.0.1:{port}/bench/mock")
        before = cpu_seconds(server.pid)
        rate, total = wrk(f"http://127.0.0.1:{port}/bench/mock", seconds, connections)
        cpu = cpu_seconds(server.pid) - before
    finally:
        server.terminate()
        server.wait(10)
    print(f"bare Starlette: {rate:,.0f} requests/s; CPU {1e6 * cpu / total:,.1f} µs a request")
    return float(cpu / total)


def logs_flag(gatecrash: Path) -> str:
    """`--endpoint-url`, or `--logs-endpoint` for an emulator from before it was renamed (a reference
    checkout on PYTHONPATH)."""
    usage = subprocess.run([str(gatecrash), "emulator", "--help"], capture_output=True, text=True).stdout
    return "--endpoint-url" if "--endpoint-url" in usage else "--logs-endpoint"


ROUTES = ("mock", "lambda", "nonproxy", "templated?q=cats")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--routes", default=",".join(route.split("?")[0] for route in ROUTES))
    parser.add_argument("--rounds", type=int, default=1, help="reference and routes, this many times in turn")
    parser.add_argument("--no-bucket", action="store_true", help="skip the token-bucket run")
    args = parser.parse_args()
    if shutil.which("wrk") is None or shutil.which("taskset") is None:
        raise SystemExit("needs wrk and taskset: apt-get install wrk util-linux")
    chosen = [route for route in ROUTES if route.split("?")[0] in args.routes.split(",")]
    pin(os.getpid(), LOAD_CPU)
    work = Path(tempfile.mkdtemp(prefix="gatecrash-bench-"))
    (work / "api.yaml").write_text(API)
    (work / "stage.yaml").write_text(STAGE)
    (work / "bench_handlers.py").write_text(HANDLERS)
    with LocalLogsServer() as logs:
        pin(logs.pid, LOAD_CPU)
        client = boto3.client(
            "logs",
            endpoint_url=logs.endpoint_url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        port = free_port()
        gatecrash = Path(sys.executable).with_name("gatecrash")
        emulator = subprocess.Popen(
            [
                "taskset",
                "-c",
                str(EMULATOR_CPU),
                str(gatecrash),
                "emulator",
                "--definition",
                str(work / "api.yaml"),
                "--side-file",
                str(work / "stage.yaml"),
                "--port",
                str(port),
                logs_flag(gatecrash),
                logs.endpoint_url,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            wait_for_port(port)
            pin(emulator.pid, EMULATOR_CPU)
            shippers = children(emulator.pid)
            for child in shippers:  # the log shipper runs beside the load, not the emulator
                pin(child, LOAD_CPU)
            base = f"http://127.0.0.1:{port}/bench"
            httpx.get(base + "/mock")
            httpx.get(base + "/lambda")
            httpx.get(base + "/nonproxy")
            templated = httpx.get(base + "/templated?q=cats")
            if templated.status_code != 200 or templated.json()["q"] != "cats":
                raise SystemExit(f"the templated route answered {templated.status_code}: {templated.text}")
            # Threads made since the first pinning (the Lambda workers, the moto server's) inherit
            # their creator's CPU; pin everything again now that they exist.
            pin(emulator.pid, EMULATOR_CPU)
            for child in shippers:
                pin(child, LOAD_CPU)
            pin(logs.pid, LOAD_CPU)
            access_group = "API-Gateway-Access-Logs_benchapi01/bench"
            print(
                f"emulator pid {emulator.pid} on CPU {EMULATOR_CPU} (every thread); wrk, moto and the log "
                f"shipper on CPU {LOAD_CPU} (every thread)"
            )
            print(f"load average before the run: {' '.join(f'{load:.2f}' for load in os.getloadavg())}")
            delivered_before = 4
            rates: dict[str, float] = {}
            for round_number in range(args.rounds):
                reference = starlette_reference(work, args.seconds, args.connections)
                for route in chosen:
                    name = route.split("?")[0]
                    emulator_before = cpu_seconds(emulator.pid)
                    logs_before = tree_cpu_seconds(logs.pid) + sum(tree_cpu_seconds(s) for s in shippers)
                    rate, total = wrk(f"{base}/{route}", args.seconds, args.connections)
                    cpu = cpu_seconds(emulator.pid) - emulator_before
                    expected = delivered_before + total
                    found, lag = wait_for_events(client, access_group, expected)
                    logs_cpu = tree_cpu_seconds(logs.pid) + sum(tree_cpu_seconds(s) for s in shippers) - logs_before
                    rates[name] = rate
                    print(
                        f"{name:>9}: {rate:,.0f} requests/s ({total:,} in {args.seconds} s, "
                        f"{args.connections} connections; emulator CPU {1e6 * cpu / total:,.0f} µs a request, "
                        f"{100 * cpu / args.seconds:.0f}% of a core; log server + shipper "
                        f"{1e6 * logs_cpu / total:,.0f} µs a request); access-log events stored "
                        f"{found - delivered_before:,}/{total:,}, all stored {lag:.1f} s after the load ended"
                    )
                    print(
                        f"{'':>9}  against bare Starlette per CPU: {reference * total / cpu:.2f}x (emulator), "
                        f"{reference * total / (cpu + logs_cpu):.2f}x (with the log server and shipper)"
                    )
                    delivered_before = found
                print(f"round {round_number + 1}: load average {' '.join(f'{load:.2f}' for load in os.getloadavg())}")
            if {"mock", "templated", "nonproxy", "lambda"} <= rates.keys():
                print(
                    f"non-proxy routes against MOCK: templated MOCK {rates['templated'] / rates['mock']:.2f}, "
                    f"non-proxy Lambda {rates['nonproxy'] / rates['mock']:.2f} (AWS_PROXY Lambda "
                    f"{rates['lambda'] / rates['mock']:.2f}: the invoke's thread hop is common to both Lambda routes)"
                )
            if not args.no_bucket:
                accepted, throttled = asyncio.run(offered_load(port, "/bench/limited", 300, 10))
                found, _ = wait_for_events(client, access_group, delivered_before + accepted + throttled)
                elapsed = server_span(client, access_group, "/limited")
                formula = 200 + 100 * elapsed
                print(
                    f"token bucket (100 rps, burst 200) under 300 rps for {elapsed:.2f} s: accepted {accepted}, "
                    f"throttled {throttled}; formula burst + rate x elapsed = {formula:.0f}; "
                    f"deviation {100 * (accepted - formula) / formula:+.2f}%"
                )
        finally:
            emulator.terminate()
            emulator.wait(10)
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
