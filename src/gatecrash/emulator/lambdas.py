"""Local Python callables standing in for Lambda functions, invoked as Lambda would invoke them.

The handler gets `(event, context)` with a Lambda-shaped context object; what it returns is
serialised to JSON as Lambda does, and what it raises becomes Lambda's error payload
(`errorMessage`, `errorType`, `requestId`, `stackTrace`) with the `X-Amz-Function-Error: Unhandled` header.
A handler that runs past its configured timeout is reported the way Lambda reports it:
`<timestamp> <request id> Task timed out after N.NN seconds` (Python runtime's message).

Each function has its own concurrency, as on Lambda: its reserved concurrency where the side file sets
one, else the account's unreserved concurrency, and its own worker threads, so a slow or hung function
never delays another. Two deviations, both so that load on one route never changes verdicts on another:
on AWS the unreserved concurrency is one pool that the functions without a reservation share, here each
has all of it; and a handler past its timeout keeps its thread and its unit of concurrency until it
returns (Python cannot stop a thread), where Lambda would reset its execution environment.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import enum
import importlib
import json
import sys
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import gatecrash
from gatecrash.emulator import ids
from gatecrash.emulator.model import LambdaFunction

Handler = Callable[[Any, Any], Any]

# Where the frames around a handler come from: gatecrash itself, and the worker thread running it.
_RUNTIME_DIRS = (Path(gatecrash.__file__).resolve().parent, Path(concurrent.futures.__file__).resolve().parent)
_THREADING_FILE = Path(threading.__file__).resolve()

_LAMBDA_ARN_MARKER = "function:"

# Lambda quotas (docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html): 1,000 concurrent
# executions per Region by default. "Configuring reserved concurrency" (configuration-concurrency.html):
# "You can reserve up to the Unreserved account concurrency value that is shown, minus 100 for functions
# that don't have reserved concurrency."
ACCOUNT_CONCURRENCY = 1_000
UNRESERVED_MINIMUM = 100


class Outcome(enum.Enum):
    """How an invoke ended, in Lambda's terms."""

    SUCCESS = "success"  # 200, the function's result
    FUNCTION_ERROR = "function_error"  # 200 with X-Amz-Function-Error: the function raised or timed out
    THROTTLED = "throttled"  # 429 TooManyRequestsException: reserved concurrency exhausted
    NOT_PERMITTED = "not_permitted"  # the gateway may not invoke the function
    NOT_FOUND = "not_found"  # 404 ResourceNotFoundException: no such function


@dataclass(frozen=True, slots=True)
class Invocation:
    outcome: Outcome
    request_id: str
    payload: bytes
    latency_ms: int
    error_message: str | None = None

    @property
    def status(self) -> int:
        return {Outcome.THROTTLED: 429, Outcome.NOT_FOUND: 404, Outcome.NOT_PERMITTED: 403}.get(self.outcome, 200)


def function_name_from_uri(uri: str) -> str | None:
    """`arn:aws:apigateway:r:lambda:path/2015-03-31/functions/arn:aws:lambda:r:a:function:NAME[:alias]/invocations`."""
    start = uri.find(_LAMBDA_ARN_MARKER)
    if start < 0:
        return None
    rest = uri[start + len(_LAMBDA_ARN_MARKER) :]
    rest = rest.split("/", 1)[0]
    return rest.split(":", 1)[0] or None


def function_arn_from_uri(uri: str) -> str:
    marker = "/functions/"
    start = uri.find(marker)
    if start < 0:
        return uri
    return uri[start + len(marker) :].removesuffix("/invocations")


class LambdaContext:
    """The `context` argument of a Python Lambda handler."""

    def __init__(self, function: LambdaFunction, arn: str, request_id: str, deadline: float) -> None:
        self.function_name = function.name
        self.function_version = "$LATEST"
        self.invoked_function_arn = arn
        self.memory_limit_in_mb = "128"
        self.aws_request_id = request_id
        self.log_group_name = f"/aws/lambda/{function.name}"
        self._deadline = deadline
        self._log_stream_name: str | None = None

    @property
    def log_stream_name(self) -> str:
        # Made when a handler first asks: most never do, and it costs a clock read and an id.
        if self._log_stream_name is None:
            self._log_stream_name = f"{datetime.now(UTC):%Y/%m/%d}/[$LATEST]{ids.request_id().replace('-', '')}"
        return self._log_stream_name

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def _is_runtime_frame(filename: str) -> bool:
    """A frame of the emulator (the stand-in for Lambda's runtime) or of the thread running it."""
    path = Path(filename).resolve()
    return path == _THREADING_FILE or any(path.is_relative_to(folder) for folder in _RUNTIME_DIRS)


def function_stack(exc: BaseException) -> list[str]:
    """The `stackTrace` of Lambda's error payload: the function's own frames, innermost last.

    Lambda's Python runtime (aws-lambda-python-runtime-interface-client, awslambdaric/bootstrap.py,
    build_fault_result and extract_traceback) turns `traceback.extract_tb` into (file, line number, name,
    line) tuples, drops its own bootstrap frames and sends `traceback.format_list` of the rest: one string
    per frame, `  File "/var/task/handler.py", line 3, in handler\n    raise ...\n`, without the column
    markers a frame summary would add. The emulator's own frames (and the worker thread's) are dropped likewise.
    """
    frames = [
        (frame.filename, frame.lineno or 0, frame.name, frame.line)
        for frame in traceback.extract_tb(exc.__traceback__)
        if not _is_runtime_frame(frame.filename)
    ]
    return traceback.format_list(frames)


def _error_payload(error_message: str, error_type: str, request_id: str, stack: list[str]) -> bytes:
    """Lambda's Python runtime's error payload, its keys in its order: `requestId` is the invocation's id,
    or "" for a failure while the function starts (recorded from AWS: LocalStack's AWS-validated snapshots,
    test_apigateway_lambda.snapshot.json test_lambda_selection_patterns, `requestId` between `errorType` and
    `stackTrace`; test_lambda.snapshot.json test_lambda_runtime_error, `"requestId": ""` at startup)."""
    payload = {"errorMessage": error_message, "errorType": error_type, "requestId": request_id, "stackTrace": stack}
    return json.dumps(payload).encode()


def unreserved_concurrency(functions: Mapping[str, LambdaFunction]) -> int:
    """What the reservations leave of the account's concurrency (at least 100): the limit of a function
    without reserved concurrency."""
    reserved = sum(function.reserved_concurrency or 0 for function in functions.values())
    return max(UNRESERVED_MINIMUM, ACCOUNT_CONCURRENCY - reserved)


class LambdaRuntime:
    """Resolves and runs handlers on worker threads, with Lambda's timeout and concurrency limits."""

    def __init__(self, functions: Mapping[str, LambdaFunction], handler_paths: tuple[str, ...]) -> None:
        self._functions = functions
        self._handler_paths = handler_paths
        self._handlers: dict[str, Handler | Invocation] = {}
        self._unreserved = unreserved_concurrency(functions)
        self._in_flight: dict[str, int] = {}
        self._lock = threading.Lock()
        # One pool per function, as big as its concurrency: an invocation never waits for a thread, and a
        # function's slow or hung handlers hold only its own threads. Threads start as they are needed.
        self._executors: dict[str, ThreadPoolExecutor] = {}

    def close(self) -> None:
        # Handlers past their timeout may still run: Python threads cannot be stopped.
        with self._lock:
            executors, self._executors = list(self._executors.values()), {}
        for executor in executors:
            executor.shutdown(wait=False, cancel_futures=True)

    def _limit(self, function: LambdaFunction) -> int:
        """How many invocations of the function may run at once."""
        return self._unreserved if function.reserved_concurrency is None else function.reserved_concurrency

    def _executor(self, function: LambdaFunction) -> ThreadPoolExecutor:
        with self._lock:
            executor = self._executors.get(function.name)
            if executor is None:
                executor = ThreadPoolExecutor(
                    max_workers=max(1, self._limit(function)), thread_name_prefix=f"lambda-{function.name}"
                )
                self._executors[function.name] = executor
            return executor

    def _resolve(self, function: LambdaFunction, request_id: str) -> Handler | Invocation:
        cached = self._handlers.get(function.name)
        if cached is not None:
            return cached
        for path in self._handler_paths:
            if path not in sys.path:
                sys.path.insert(0, path)
        module_name, _, attribute = function.handler.partition(":")
        resolved: Handler | Invocation
        try:
            resolved = getattr(importlib.import_module(module_name), attribute)
        except Exception as exc:  # an import error is the function's failure, as on Lambda
            error_type = (
                "Runtime.ImportModuleError" if not isinstance(exc, AttributeError) else ("Runtime.HandlerNotFound")
            )
            message = (
                f"Unable to import module '{module_name}': {exc}"
                if error_type.endswith("ImportModuleError")
                else f"Handler '{attribute}' missing on module '{module_name}'"
            )
            # The runtime loads the handler when the function starts, before any invocation: no request id.
            resolved = Invocation(
                Outcome.FUNCTION_ERROR, request_id, _error_payload(message, error_type, "", []), 0, message
            )
        self._handlers[function.name] = resolved
        return resolved

    def _acquire(self, function: LambdaFunction) -> bool:
        with self._lock:
            running = self._in_flight.get(function.name, 0)
            if running >= self._limit(function):
                return False
            self._in_flight[function.name] = running + 1
            return True

    def _release(self, function: LambdaFunction) -> None:
        with self._lock:
            self._in_flight[function.name] -= 1

    async def invoke(self, function_name: str, arn: str, event: Mapping[str, Any]) -> Invocation:
        """Invoke synchronously (RequestResponse); waits at most the function's own timeout."""
        request_id = ids.request_id()
        function = self._functions.get(function_name)
        if function is None:
            return Invocation(Outcome.NOT_FOUND, request_id, b"", 0, f"Function not found: {arn}")
        if not function.gateway_may_invoke:
            return Invocation(Outcome.NOT_PERMITTED, request_id, b"", 0)
        handler = self._resolve(function, request_id)
        if isinstance(handler, Invocation):
            return handler
        if not self._acquire(function):
            return Invocation(Outcome.THROTTLED, request_id, b"", 0, "Rate Exceeded.")
        started = time.monotonic()
        deadline = started + function.timeout_seconds
        context = LambdaContext(function, arn, request_id, deadline)
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(self._executor(function), _run_handler, handler, dict(event), context)
        future.add_done_callback(lambda _: self._release(function))
        try:
            async with asyncio.timeout(function.timeout_seconds):
                payload, error = await asyncio.shield(future)
        except TimeoutError:
            message = (
                f"{datetime.now(UTC).isoformat(timespec='milliseconds').replace('+00:00', 'Z')} "
                f"{request_id} Task timed out after {function.timeout_seconds:.2f} seconds"
            )
            return Invocation(
                Outcome.FUNCTION_ERROR,
                request_id,
                json.dumps({"errorMessage": message}).encode(),
                _ms_since(started),
                message,
            )
        outcome = Outcome.FUNCTION_ERROR if error is not None else Outcome.SUCCESS
        return Invocation(outcome, request_id, payload, _ms_since(started), error)


def _ms_since(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def _run_handler(handler: Handler, event: dict[str, Any], context: LambdaContext) -> tuple[bytes, str | None]:
    """Call the handler; return (payload, error message or None) the way Lambda's runtime does."""
    try:
        result = handler(event, context)
    except Exception as exc:
        return _error_payload(str(exc), type(exc).__name__, context.aws_request_id, function_stack(exc)), str(exc)
    try:
        return json.dumps(result).encode(), None
    except (TypeError, ValueError) as exc:
        message = f"Unable to marshal response: {exc}"
        return _error_payload(message, "Runtime.MarshalError", context.aws_request_id, []), message
