"""Each local function has its own concurrency: load on one route never changes verdicts on another.

On Lambda a function's concurrency is its reserved concurrency, else the account's unreserved pool
(Lambda quotas: 1,000 per Region; "Configuring reserved concurrency": all but 100 may be reserved).
The emulator used to run every function and authorizer on 64 shared threads, which a timed-out handler
keeps: 100 slow requests on one route made a 5 ms function on another route time out.
"""

from __future__ import annotations

import asyncio
import socket
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from gatecrash.emulator.lambdas import (
    ACCOUNT_CONCURRENCY,
    UNRESERVED_MINIMUM,
    LambdaRuntime,
    Outcome,
    unreserved_concurrency,
)
from gatecrash.emulator.model import LambdaFunction
from tests.emulator.test_configured import definition, emulator  # noqa: F401 - the fixture

SLOW_REQUESTS = 100
FAST_REQUESTS = 10
OLD_SHARED_THREADS = 64
WAIT_S = 20.0  # every wait below is bounded by this

HANDLERS = """\
import threading
import time

started = 0
lock = threading.Lock()
release = threading.Event()

def slow(event, context):
    global started
    with lock:
        started += 1
    release.wait(20)
    return {"statusCode": 200, "body": "slow"}

def fast(event, context):
    time.sleep(0.005)
    return {"statusCode": 200, "body": "fast"}
"""


def _uri(function: str) -> str:
    return (
        "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
        f"arn:aws:lambda:us-east-1:123456789012:function:{function}/invocations"
    )


def _route(function: str) -> dict[str, Any]:
    integration = {"type": "aws_proxy", "httpMethod": "POST", "uri": _uri(function)}
    return {"get": {"x-amazon-apigateway-integration": integration}}


def _wait_until(condition: Any, what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} within {WAIT_S} s")
        time.sleep(0.02)


def test_slow_requests_on_one_route_leave_another_routes_function_alone(
    emulator: Any,  # noqa: F811
    tmp_path: Path,
) -> None:
    module = f"fairness_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{module}.py").write_text(HANDLERS)
    side = (
        "stage: {stageName: s}\nfunctions:\n"
        f'  slow: {{handler: "{module}:slow", timeout: 25}}\n'
        f'  fast: {{handler: "{module}:fast", timeout: 1}}\n'
    )
    server, client = emulator(definition({"/slow": _route("slow"), "/fast": _route("fast")}), side)
    port = int(server.endpoints.base_url.split(":")[2].split("/")[0])
    slow_connections = [socket.create_connection(("127.0.0.1", port), timeout=WAIT_S) for _ in range(SLOW_REQUESTS)]
    try:
        for connection in slow_connections:
            connection.sendall(b"GET /s/slow HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        _wait_until(lambda: module in sys.modules, "the slow handler did not start")
        handlers = sys.modules[module]
        # At least the old shared pool's 64 threads are now held by the slow function.
        _wait_until(lambda: handlers.started >= OLD_SHARED_THREADS, "the slow invocations did not start")
        fast = [client.get("/fast") for _ in range(FAST_REQUESTS)]
        assert [(r.status_code, r.text) for r in fast] == [(200, "fast")] * FAST_REQUESTS
        # And every slow invocation runs at once: none waits for another's thread.
        _wait_until(lambda: handlers.started == SLOW_REQUESTS, f"not all {SLOW_REQUESTS} slow invocations started")
    finally:
        if module in sys.modules:
            sys.modules[module].release.set()
        answers = []
        for connection in slow_connections:
            answers.append(_read_all(connection))
            connection.close()
    assert all(answer.startswith(b"HTTP/1.1 200 ") for answer in answers)


def _read_all(connection: socket.socket) -> bytes:
    received = b""
    while chunk := connection.recv(65536):
        received += chunk
    return received


def test_reserved_concurrency_bounds_a_function_and_only_that_function(tmp_path: Path) -> None:
    module = f"reserved_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{module}.py").write_text(HANDLERS)
    functions = {
        "slow": LambdaFunction(name="slow", handler=f"{module}:slow", timeout_seconds=25, reserved_concurrency=3),
        "fast": LambdaFunction(name="fast", handler=f"{module}:fast", timeout_seconds=1),
    }
    runtime = LambdaRuntime(functions, (str(tmp_path),))

    async def scenario() -> tuple[list[Outcome], list[Outcome]]:
        arn = "arn:aws:lambda:us-east-1:123456789012:function:"
        slow = [asyncio.ensure_future(runtime.invoke("slow", arn + "slow", {})) for _ in range(5)]
        await asyncio.sleep(0)  # let the five start: three run, two are throttled at once
        throttled = [task for task in slow if task.done()]
        fast = await asyncio.gather(*(runtime.invoke("fast", arn + "fast", {}) for _ in range(3)))
        sys.modules[module].release.set()
        rest = await asyncio.gather(*(task for task in slow if task not in throttled))
        return [t.result().outcome for t in throttled] + [r.outcome for r in rest], [r.outcome for r in fast]

    try:
        slow_outcomes, fast_outcomes = asyncio.run(scenario())
    finally:
        if module in sys.modules:
            sys.modules[module].release.set()
        runtime.close()
    assert sorted(o.value for o in slow_outcomes) == sorted(["throttled"] * 2 + ["success"] * 3)
    assert fast_outcomes == [Outcome.SUCCESS] * 3


def test_a_function_without_reservation_gets_what_the_reservations_leave() -> None:
    functions = {
        "a": LambdaFunction(name="a", handler="m:a", reserved_concurrency=300),
        "b": LambdaFunction(name="b", handler="m:b"),
    }
    assert unreserved_concurrency(functions) == ACCOUNT_CONCURRENCY - 300
    greedy = {"a": LambdaFunction(name="a", handler="m:a", reserved_concurrency=990)}
    assert unreserved_concurrency(greedy) == UNRESERVED_MINIMUM
