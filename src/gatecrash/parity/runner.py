"""Replays parity cases through real emulators on loopback. The I/O edge of the parity suite.

One run starts the HTTP echo backends (`backends.BACKENDS`, each on its own loopback port) and, unless
a CloudWatch Logs endpoint is given, a local moto server. Each case file then gets an emulator of its
own (`EmulatorServer`): its definition and side file, plus `endpointOverrides` that send the echo
services' origins to the local backends. Requests go over HTTP exactly as the case writes them (the
raw request target, the recording client's headers); log lines are read back from CloudWatch Logs with
boto3 for the cases that expect some.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from typing import Any
from urllib.parse import urlencode

import boto3
import httpx

from gatecrash.emulator.backends import serve_app
from gatecrash.emulator.cloudwatch import LocalLogsServer
from gatecrash.emulator.definition import parse_definition
from gatecrash.emulator.server import EmulatorServer
from gatecrash.emulator.sidefile import parse_side_file
from gatecrash.errors import ConfigError
from gatecrash.parity.backends import BACKENDS
from gatecrash.parity.cases import CaseFile, Request
from gatecrash.parity.compare import Answer, CaseResult, differences

__all__ = ["CaseResult", "run_cases"]

_TIMEOUT_S = 35.0  # past the 29 s integration ceiling, so the gateway's own timeout answers first


def run_cases(files: Sequence[CaseFile], logs_endpoint: str | None = None, workers: int = 4) -> tuple[CaseResult, ...]:
    """Every case of `files`, in order; a file the emulator refuses makes each of its cases differ."""
    with ExitStack() as stack:
        if logs_endpoint is None:
            logs_endpoint = stack.enter_context(_local_logs())
        origins = {
            origin: "http://" + stack.enter_context(serve_app(app, origin, "app")) for origin, app in BACKENDS.items()
        }
        endpoint = logs_endpoint
        # Files run side by side: each has an emulator of its own, and most of a file's time is
        # waiting (its requests, the emulator's start and stop), not work.
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="parity") as pool:
            runs = pool.map(lambda case_file: _run_file(case_file, endpoint, origins), files)
            return tuple(result for file_results in runs for result in file_results)


@contextmanager
def _local_logs() -> Iterator[str]:
    server = LocalLogsServer()
    try:
        yield server.endpoint_url
    finally:
        server.close()


def _logs_client(endpoint: str, region: str) -> Any:
    return boto3.client(
        "logs",
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id="parity",
        aws_secret_access_key="parity",
    )


def _serve(case_file: CaseFile, logs_endpoint: str, origins: Mapping[str, str]) -> EmulatorServer:
    side = dict(case_file.side_file)
    side["endpointOverrides"] = {**origins, **dict(side.get("endpointOverrides") or {})}
    api = parse_definition(case_file.definition, case_file.path)
    stage = parse_side_file(side, case_file.path)
    return EmulatorServer(api, stage, logs_endpoint=logs_endpoint).start()


def _run_file(case_file: CaseFile, logs_endpoint: str, origins: Mapping[str, str]) -> list[CaseResult]:
    try:
        server = _serve(case_file, logs_endpoint, origins)
    except ConfigError as error:
        reason = "the emulator refuses the definition or side file: " + "; ".join(
            problem.message for problem in error.problems
        )
        return [CaseResult(case, (reason,)) for case in case_file.cases]
    try:
        answers = _exchange(case_file, server, logs_endpoint)
    finally:
        server.close()
    results = []
    for case, case_answers in zip(case_file.cases, answers, strict=True):
        found: list[str] = []
        for index, (step, answer) in enumerate(zip(case.steps, case_answers, strict=True)):
            prefix = f"request {index + 1}: " if len(case.steps) > 1 else ""
            found.extend(prefix + line for line in differences(step.expect, answer))
        results.append(CaseResult(case, tuple(found)))
    return results


def _exchange(case_file: CaseFile, server: EmulatorServer, logs_endpoint: str) -> list[list[Answer]]:
    """Each case's answers, with their log lines when some case expects any."""
    endpoints = server.endpoints
    assert endpoints is not None
    sent: list[list[tuple[Answer, str | None]]] = []
    with httpx.Client(timeout=_TIMEOUT_S) as client:
        for case in case_file.cases:
            sent.append([_send(client, endpoints.base_url, step.request) for step in case.steps])
    if not any(step.expect.reads_logs for case in case_file.cases for step in case.steps):
        return [[answer for answer, _ in case_answers] for case_answers in sent]
    server.flush_logs()
    logs = _logs_client(logs_endpoint, server.stage.region)  # moto keeps each region's groups apart
    execution = _messages(logs, endpoints.execution_log_group)
    access = _messages(logs, endpoints.access_log_group)
    return [[_with_logs(answer, request_id, execution, access) for answer, request_id in pairs] for pairs in sent]


def _target(stage_url: str, request: Request) -> tuple[str, str]:
    """The origin and the raw request target, exactly as the case writes it."""
    url = httpx.URL(stage_url)
    origin = f"{url.scheme}://{url.netloc.decode('ascii')}"
    target = request.target if request.target is not None else url.raw_path.decode("ascii") + request.path
    if request.query:
        target += ("&" if "?" in target else "?") + urlencode(request.query)
    return origin, target


def _send(client: httpx.Client, stage_url: str, request: Request) -> tuple[Answer, str | None]:
    origin, target = _target(stage_url, request)
    built = client.build_request(request.method, origin, headers=list(request.headers), content=request.body)
    # The target goes on the wire as written: httpx would otherwise normalise `//` and escapes.
    built.url = built.url.copy_with(raw_path=target.encode("latin-1"))
    if not request.body:
        built.headers.pop("content-length", None)
    try:
        response = client.send(built)
    except httpx.HTTPError as error:
        return Answer(0, (), f"no answer: {type(error).__name__}: {error}".encode()), None
    headers = tuple((name, value) for name, value in response.headers.multi_items())
    return Answer(response.status_code, headers, response.content), response.headers.get("x-amzn-requestid")


def _with_logs(answer: Answer, request_id: str | None, execution: Sequence[str], access: Sequence[str]) -> Answer:
    if request_id is None:
        return answer
    prefix = f"({request_id}) "
    lines = tuple(message.removeprefix(prefix) for message in execution if message.startswith(prefix))
    record: dict[str, Any] = {}
    for message in access:
        if request_id in message:
            try:
                parsed = json.loads(message)
            except ValueError:
                continue
            if isinstance(parsed, dict):
                record = parsed
    return Answer(answer.status, answer.headers, answer.body, lines, record)


def _messages(logs: Any, group: str) -> list[str]:
    messages: list[str] = []
    try:
        for page in logs.get_paginator("filter_log_events").paginate(logGroupName=group):
            messages.extend(event["message"] for event in page["events"])
    except logs.exceptions.ResourceNotFoundException:
        return []
    return messages
