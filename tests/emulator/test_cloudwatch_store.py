"""The local logs server's cheaper store answers every read as moto itself does.

The log server child stores events as plain tuples indexed per PutLogEvents call, decodes a request body
once and checks in-order, in-range calls in C (cloudwatch.py: `_install_stream_time_ranges`,
`_install_lean_put_log_events`); the shipper writes PutLogEvents bodies itself (`put_log_events_bodies`).
The same calls go to that server and to moto as it ships (a ThreadedMotoServer in this process, nothing
patched), and every answer must be the same but for what moto numbers or dates per server.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

import boto3
import pytest
from botocore.serialize import create_serializer
from moto.server import ThreadedMotoServer
from mypy_boto3_logs.client import CloudWatchLogsClient
from mypy_boto3_logs.type_defs import InputLogEventTypeDef

from gatecrash.emulator.cloudwatch import (
    MAX_MESSAGE_BYTES,
    LocalLogsServer,
    put_log_events_bodies,
    split_for_put_log_events,
)
from tests.emulator.test_cloudwatch import free_port

REGION = "us-east-1"
DAY_MS = 86_400_000
# What differs between two servers for the same calls: moto's event ids and ingestion/creation times.
PER_SERVER = {"eventId", "ingestionTime", "creationTime", "lastIngestionTime", "arn", "ResponseMetadata", "nextToken"}


def client_of(endpoint_url: str) -> CloudWatchLogsClient:
    return boto3.client(
        "logs",
        endpoint_url=endpoint_url,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@pytest.fixture(scope="module")
def ours() -> Iterator[CloudWatchLogsClient]:
    with LocalLogsServer() as server:
        client = client_of(server.endpoint_url)
        yield client
        client.close()


@pytest.fixture(scope="module")
def motos() -> Iterator[CloudWatchLogsClient]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    client = client_of(f"http://127.0.0.1:{port}")
    yield client
    client.close()
    server.stop()


def answer(call: Callable[[], Any]) -> Any:
    """A call's answer without what differs per server, or its error code and message."""
    try:
        return strip(call())
    except Exception as exc:  # the error itself is what is compared
        response = getattr(exc, "response", {})
        return ("error", response.get("Error", {}).get("Code"), response.get("Error", {}).get("Message"))


def strip(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: strip(item) for key, item in value.items() if key not in PER_SERVER}
    if isinstance(value, list):
        return [strip(item) for item in value]
    return value


def every_page(client: CloudWatchLogsClient, **params: Any) -> list[Any]:
    """FilterLogEvents followed through nextToken (which names moto's event ids) to the end."""
    pages = []
    while True:
        page = client.filter_log_events(**params)
        pages.append(strip(page))
        if "nextToken" not in page:
            return pages
        params["nextToken"] = page["nextToken"]


def scenario(client: CloudWatchLogsClient, group: str, now: int) -> list[Any]:
    """Writes and reads, in order; every answer."""
    quoted = '{"requestId":"r-1","status":"200","path":"/a\\\\b\\t"}'
    answers = [
        answer(lambda: client.create_log_group(logGroupName=group)),
        answer(lambda: client.create_log_stream(logGroupName=group, logStreamName="a")),
        answer(lambda: client.create_log_stream(logGroupName=group, logStreamName="b")),
    ]
    calls: list[tuple[str, list[tuple[int, str]]]] = [
        ("a", [(now + 10, "(r-1) Starting execution"), (now + 20, quoted), (now + 20, "tie, second"), (now + 30, "x")]),
        ("a", [(now + 5, "late, earlier than the last call"), (now + 15, "日本語 ✓ é")]),
        ("b", [(now + 12, "other stream"), (now + 40, "ERROR last")]),
        ("a", [(now + 30, "out"), (now + 25, "of order")]),  # InvalidParameterException
        ("a", [(now - 15 * DAY_MS, "too old"), (now + 31, "kept"), (now + 3 * 3_600_000, "too new")]),
        ("missing", [(now, "no such stream")]),
    ]
    for stream, events in calls:
        log_events: list[InputLogEventTypeDef] = [{"timestamp": t, "message": m} for t, m in events]
        answers.append(
            answer(partial(client.put_log_events, logGroupName=group, logStreamName=stream, logEvents=log_events))
        )
    answers.append(answer(lambda: client.put_log_events(logGroupName="no-group", logStreamName="a", logEvents=[])))
    for window in ({}, {"startTime": now + 15}, {"endTime": now + 20}, {"startTime": now + 12, "endTime": now + 20}):
        answers.append(every_page(client, logGroupName=group, **window))
        answers.append(every_page(client, logGroupName=group, limit=2, **window))
        answers.append(every_page(client, logGroupName=group, logStreamNames=["a"], **window))
    answers.append(every_page(client, logGroupName=group, startTime=now + 1_000_000))  # after every event
    answers.append(every_page(client, logGroupName=group, interleaved=True, limit=3))
    answers.append(answer(lambda: client.filter_log_events(logGroupName=group, nextToken=f"{group}@a@no-such-id")))
    for head in (True, False):
        answers.append(
            answer(partial(client.get_log_events, logGroupName=group, logStreamName="a", startFromHead=head))
        )
        answers.append(
            answer(
                partial(
                    client.get_log_events,
                    logGroupName=group,
                    logStreamName="a",
                    startFromHead=head,
                    limit=2,
                    startTime=now + 10,
                )
            )
        )
    answers.append(answer(lambda: client.describe_log_streams(logGroupName=group)))
    return answers


def test_every_answer_is_the_same_as_moto_gives(ours: CloudWatchLogsClient, motos: CloudWatchLogsClient) -> None:
    now = int(time.time() * 1000) - 60_000
    found, expected = scenario(ours, "g-same", now), scenario(motos, "g-same", now)
    assert len(found) == len(expected)
    for index, (mine, theirs) in enumerate(zip(found, expected, strict=True)):
        assert mine == theirs, f"answer {index}"
    # The scenario does reach the errors and rejections it means to compare.
    assert expected[6][0] == "error" and expected[6][1] == "InvalidParameterException"
    assert expected[7]["rejectedLogEventsInfo"] == {"tooOldLogEventEndIndex": 0, "tooNewLogEventStartIndex": 2}


def test_a_window_read_returns_the_events_of_its_calls_only_in_time_order(ours: CloudWatchLogsClient) -> None:
    # Many calls, each a slice of time with stragglers from the slice before, as the shipper sends them.
    ours.create_log_group(logGroupName="g-window")
    ours.create_log_stream(logGroupName="g-window", logStreamName="s")
    base = int(time.time() * 1000) - 120_000
    sent = []
    for call in range(40):
        events = [(base + call * 1000 + step * 10, f"call {call} step {step}") for step in range(50)]
        events.insert(0, (base + call * 1000 - 5, f"call {call} straggler"))
        sent += events
        ours.put_log_events(
            logGroupName="g-window",
            logStreamName="s",
            logEvents=[{"timestamp": t, "message": m} for t, m in sorted(events)],
        )
    start, end = base + 10_000, base + 12_000
    found = [
        (event["timestamp"], event["message"])
        for page in every_page(ours, logGroupName="g-window", startTime=start, endTime=end)
        for event in page["events"]
    ]
    in_window = [event for event in sent if start <= event[0] <= end]
    assert found == sorted(in_window, key=lambda event: event[0])
    assert len(found) == 103


_UNTRACKED = """
import gc, time
from moto.logs.models import logs_backends
from gatecrash.emulator.cloudwatch import _install_stream_time_ranges
_install_stream_time_ranges()
backend = logs_backends["123456789012"]["us-east-1"]
backend.create_log_group("g", {})
backend.create_log_stream("g", "s")
gc.collect()
before = len(gc.get_objects())
now = int(time.time() * 1000)
backend.put_log_events("g", "s", [{"timestamp": now + n, "message": f"m{n}"} for n in range(20_000)])
gc.collect()
print(len(gc.get_objects()) - before)
"""


def test_stored_events_are_not_left_for_the_garbage_collector_to_walk() -> None:
    # moto's LogEvent objects are each tracked, and every full collection walked them all (a minute of
    # events at full speed is seven million); plain tuples of ints and a str are untracked.
    found = subprocess.run([sys.executable, "-c", _UNTRACKED], capture_output=True, text=True, check=True, timeout=60)
    assert int(found.stdout) < 100


# -- the shipper's own PutLogEvents bodies ------------------------------------------------------------

AWKWARD = [
    "plain",
    'quotes " and \\ backslashes',
    "tab\tnewline\ncarriage\rreturn\x00nul\x1fus",
    "DEL \x7f",
    "日本語 ✓ naïve café 🚀 \u2028",
    "lone \udcff surrogate",
    "",
    "b" * (MAX_MESSAGE_BYTES + 10),
    '{"requestId":"r","status":"200"}',
]


@pytest.mark.parametrize(
    "messages",
    [AWKWARD, [m for m in AWKWARD if m.isascii() and "\x7f" not in m], ["m"] * 25_000, ["é" * 200_000] * 7],
    ids=["awkward", "printable", "many", "large-unicode"],
)
def test_bodies_are_byte_for_byte_what_botocore_writes(messages: list[str]) -> None:
    events = [(1_700_000_000_000 + (index * 7919) % 5000, message) for index, message in enumerate(messages)]
    client = client_of("http://127.0.0.1:9")
    operation = client.meta.service_model.operation_model("PutLogEvents")
    serializer = create_serializer("json")

    bodies = put_log_events_bodies("API-Gateway-Execution-Logs_abc/prod", "0f1e", events)
    calls = split_for_put_log_events(events)

    assert [count for _, count in bodies] == [len(call) for call in calls]
    for (body, _), call in zip(bodies, calls, strict=True):
        params = {"logGroupName": "API-Gateway-Execution-Logs_abc/prod", "logStreamName": "0f1e", "logEvents": call}
        assert body == serializer.serialize_to_request(params, operation)["body"]
    client.close()
