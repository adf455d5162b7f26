"""The CloudWatch Logs shipper, over a real moto server in a child process (no fakes)."""

from __future__ import annotations

import contextlib
import signal
import socket
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from mypy_boto3_logs.client import CloudWatchLogsClient

from gatecrash.emulator.cloudwatch import (
    MAX_BYTES_PER_CALL,
    MAX_EVENTS_PER_CALL,
    MAX_MESSAGE_BYTES,
    CloudWatchLogSink,
    LocalLogsServer,
    LogSink,
    _Dropped,
    _Inbox,
    fit_message,
    split_for_put_log_events,
)
from gatecrash.errors import LogsError

REGION = "us-east-1"
HOUR_MS = 3_600_000


@pytest.fixture(scope="module")
def server() -> Iterator[LocalLogsServer]:
    with LocalLogsServer() as running:
        yield running


@pytest.fixture(scope="module")
def logs(server: LocalLogsServer) -> Iterator[CloudWatchLogsClient]:
    client = boto3.client(
        "logs",
        endpoint_url=server.endpoint_url,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    yield client
    client.close()


@pytest.fixture(scope="module")
def sink(server: LocalLogsServer) -> Iterator[CloudWatchLogSink]:
    with CloudWatchLogSink(server.endpoint_url, REGION) as shipping:
        yield shipping


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:12]}"


def now_ms() -> int:
    return int(time.time() * 1000)


def read_stream(logs: CloudWatchLogsClient, group: str, stream: str) -> list[tuple[int, str]]:
    """Every event of a stream, oldest first, following nextForwardToken until it repeats."""
    page = logs.get_log_events(logGroupName=group, logStreamName=stream, startFromHead=True)
    events = [(e["timestamp"], e["message"]) for e in page["events"]]
    while True:
        token = page["nextForwardToken"]
        page = logs.get_log_events(logGroupName=group, logStreamName=stream, startFromHead=True, nextToken=token)
        events += [(e["timestamp"], e["message"]) for e in page["events"]]
        if page["nextForwardToken"] == token:
            return events


def filter_group(logs: CloudWatchLogsClient, group: str) -> list[tuple[str, int, str]]:
    pages = logs.get_paginator("filter_log_events").paginate(logGroupName=group)
    return [(e["logStreamName"], e["timestamp"], e["message"]) for page in pages for e in page["events"]]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def gone(pid: int) -> bool:
    """True once the process has exited (a zombie nobody reaped counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] == "Z"


def wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not gone(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


# -- round trips ----------------------------------------------------------------------------


def test_events_in_two_groups_come_back_exactly_and_in_order(
    sink: CloudWatchLogSink, logs: CloudWatchLogsClient
) -> None:
    execution = unique("API-Gateway-Execution-Logs_") + "/prod"
    access = unique("access-")
    base = now_ms() - 1000
    # Emitted out of order and with equal timestamps: stored sorted, ties in emit order.
    exec_events = [(base + (i // 2) * 7 + (3 if i % 5 == 0 else 0), f"(req-{i}) line {i}") for i in range(40)]
    access_events = [(base + 40 - i, f'{{"requestId":"req-{i}","status":"200"}}') for i in range(40)]
    for (ts_a, msg_a), (ts_b, msg_b) in zip(exec_events, access_events, strict=True):
        sink.emit(execution, "a1b2c3", ts_a, msg_a)
        sink.emit(access, "stream-1", ts_b, msg_b)

    sink.flush()

    exec_sorted = sorted(exec_events, key=lambda event: event[0])
    access_sorted = sorted(access_events, key=lambda event: event[0])
    assert read_stream(logs, execution, "a1b2c3") == exec_sorted
    assert read_stream(logs, access, "stream-1") == access_sorted
    assert filter_group(logs, execution) == [("a1b2c3", ts, msg) for ts, msg in exec_sorted]
    assert filter_group(logs, access) == [("stream-1", ts, msg) for ts, msg in access_sorted]


def test_events_emitted_after_a_flush_are_stored_by_the_next(
    sink: CloudWatchLogSink, logs: CloudWatchLogsClient
) -> None:
    group, base = unique("g-"), now_ms()
    sink.emit(group, "s", base, "first")
    sink.flush()
    sink.emit(group, "s", base + 1, "second")
    sink.emit(group, "t", base + 2, "other stream")
    sink.flush()

    assert read_stream(logs, group, "s") == [(base, "first"), (base + 1, "second")]
    assert read_stream(logs, group, "t") == [(base + 2, "other stream")]
    assert sink.pending_events == 0


def test_25000_events_all_arrive_once(sink: CloudWatchLogSink, logs: CloudWatchLogsClient) -> None:
    group, base = unique("bulk-"), now_ms() - 60_000
    events = [(base + i // 10, f"event {i:05d} {'x' * (i % 50)}") for i in range(25_000)]
    # More than one PutLogEvents call's worth, whichever way the flusher cuts the batches.
    assert len(split_for_put_log_events(events)) == 3
    for timestamp_ms, message in events:
        sink.emit(group, "node-0", timestamp_ms, message)

    sink.flush()

    stored = read_stream(logs, group, "node-0")
    assert len(stored) == 25_000
    assert stored == events  # exact, in order, nothing duplicated or lost


def test_oversized_events_arrive_truncated_and_unicode_survives(
    sink: CloudWatchLogSink, logs: CloudWatchLogsClient
) -> None:
    group, base = unique("big-"), now_ms()
    unicode_line = "日本語 ✓ naïve café 🚀 \t tab \\n escaped \u2028 end"
    messages = ["a" * 300_000, "é" * 200_000, "🚀" * 70_000, unicode_line, ""]
    for offset, message in enumerate(messages):
        sink.emit(group, "s", base + offset, message)

    sink.flush()

    stored = [message for _, message in read_stream(logs, group, "s")]
    assert stored[0] == "a" * MAX_MESSAGE_BYTES
    assert stored[1] == "é" * (MAX_MESSAGE_BYTES // 2)  # 2-byte characters, none cut in half
    assert stored[2] == "🚀" * (MAX_MESSAGE_BYTES // 4)
    assert stored[3] == unicode_line
    assert stored[4] == " "  # AWS refuses empty messages; kept as one space, not dropped
    assert all(len(message.encode()) <= MAX_MESSAGE_BYTES for message in stored)


def test_a_log_group_deleted_behind_the_sinks_back_is_created_again(
    sink: CloudWatchLogSink, logs: CloudWatchLogsClient
) -> None:
    group, base = unique("deleted-"), now_ms()
    sink.emit(group, "s", base, "before")
    sink.flush()
    logs.delete_log_group(logGroupName=group)  # the sink still believes the stream exists

    sink.emit(group, "s", base + 1, "after")
    sink.flush()

    assert read_stream(logs, group, "s") == [(base + 1, "after")]


# -- splitting into PutLogEvents calls (pure) -------------------------------------------------


def test_calls_hold_at_most_10000_events() -> None:
    calls = split_for_put_log_events((i, "m") for i in range(25_000))

    assert [len(call) for call in calls] == [MAX_EVENTS_PER_CALL, MAX_EVENTS_PER_CALL, 5_000]


def test_calls_hold_at_most_1_mib_counting_26_bytes_per_event() -> None:
    # Four maximal events are exactly 1,048,576 bytes; the fifth needs another call.
    calls = split_for_put_log_events((i, "b" * MAX_MESSAGE_BYTES) for i in range(5))

    assert [len(call) for call in calls] == [4, 1]
    assert sum(len(e["message"]) + 26 for e in calls[0]) == MAX_BYTES_PER_CALL


def test_calls_span_less_than_24_hours_and_are_sorted_stably() -> None:
    events = [(24 * HOUR_MS, "c"), (HOUR_MS, "b1"), (0, "a"), (HOUR_MS, "b2"), (24 * HOUR_MS - 1, "d")]

    calls = split_for_put_log_events(events)

    assert [[e["message"] for e in call] for call in calls] == [["a", "b1", "b2", "d"], ["c"]]


def test_fit_message_counts_utf8_bytes_plus_26() -> None:
    assert fit_message("abc") == ("abc", 29)
    assert fit_message("é") == ("é", 28)
    assert fit_message("\udcff x") == ("? x", 29)  # a lone surrogate cannot be UTF-8


# -- failures -----------------------------------------------------------------------------------


@pytest.fixture
def dead_sink() -> Iterator[CloudWatchLogSink]:
    """A sink whose endpoint has nobody listening; closed even if the test fails."""
    sink = CloudWatchLogSink(f"http://127.0.0.1:{free_port()}", REGION)
    yield sink
    with contextlib.suppress(LogsError):
        sink.close(timeout=0.1)


def test_flush_to_a_dead_endpoint_raises_logs_error_naming_it(dead_sink: CloudWatchLogSink) -> None:
    for i in range(3):
        dead_sink.emit("g", "s", now_ms(), f"lost {i}")

    started = time.monotonic()
    with pytest.raises(LogsError, match=r"127\.0\.0\.1:\d+ did not store 3 pending log event"):
        dead_sink.flush(timeout=0.5)
    assert time.monotonic() - started < 1.5

    with pytest.raises(LogsError, match="3 pending"):
        dead_sink.close(timeout=0.2)
    assert gone(dead_sink.shipper_pid)


def test_flush_after_close_refuses_late_events(server: LocalLogsServer) -> None:
    sink: LogSink = CloudWatchLogSink(server.endpoint_url, REGION)
    sink.flush()  # nothing emitted: returns at once
    sink.close()
    sink.close()  # idempotent
    sink.flush()
    sink.emit("g", "s", now_ms(), "too late")

    with pytest.raises(LogsError, match="after close"):
        sink.flush()


# -- process lifetimes -------------------------------------------------------------------------


def test_server_serves_logs_and_metrics_and_its_child_is_gone_after_close() -> None:
    server = LocalLogsServer()
    try:
        assert not gone(server.pid)
        cloudwatch = boto3.client(
            "cloudwatch",
            endpoint_url=server.endpoint_url,
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        cloudwatch.put_metric_data(Namespace="gatecrash", MetricData=[{"MetricName": "m", "Value": 1.0}])
        assert cloudwatch.list_metrics(Namespace="gatecrash")["Metrics"][0]["MetricName"] == "m"
        cloudwatch.close()
    finally:
        server.close()

    assert gone(server.pid)
    server.close()  # idempotent


CRASHING_PARENT = textwrap.dedent(
    """
    import time
    from gatecrash.emulator.cloudwatch import CloudWatchLogSink, LocalLogsServer

    server = LocalLogsServer()
    sink = CloudWatchLogSink(server.endpoint_url, "us-east-1")
    print(server.pid, sink.shipper_pid, flush=True)
    time.sleep(60)
    """
)


def test_children_exit_when_their_parent_is_killed() -> None:
    parent = subprocess.Popen([sys.executable, "-c", CRASHING_PARENT], stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout is not None
        server_pid, shipper_pid = map(int, parent.stdout.readline().split())
        parent.send_signal(signal.SIGKILL)  # no close(), no atexit: only the pipes tell
    finally:
        parent.kill()
        parent.wait()
        if parent.stdout is not None:
            parent.stdout.close()

    assert wait_gone(server_pid, timeout=5)
    assert wait_gone(shipper_pid, timeout=5)


# -- FilterLogEvents honours CloudWatch's filter-pattern syntax (gatecrash.emulator.filterpattern) -------
# AWS docs, https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html; moto
# alone matches plain terms only and returns every event for JSON and space-delimited patterns.

PATTERN_EVENTS = [
    '{"status": "429", "error.responseType": "THROTTLED", "responseLatency": "3"}',
    '{"status": "200", "error.responseType": "-", "responseLatency": "1500"}',
    '{"status": "502", "error.responseType": "-", "responseLatency": "40"}',
    "[ERROR] Unhandled Exception",
    '127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /apache_pb.gif HTTP/1.0" 200 1534',
]


@pytest.fixture(scope="module")
def pattern_group(logs: CloudWatchLogsClient) -> str:
    group = unique("patterns-")
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    start = now_ms()
    logs.put_log_events(
        logGroupName=group,
        logStreamName="s",
        logEvents=[{"timestamp": start + n, "message": message} for n, message in enumerate(PATTERN_EVENTS)],
    )
    return group


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("{ $.status = 429 }", [0]),
        ('{ $.status != "200" && $.responseLatency < 100 }', [0, 2]),
        ("{ $.status >= 500 || $.responseLatency > 1000 }", [1, 2]),
        ("{ $.missing NOT EXISTS && $.status = 2* }", [1]),
        ("ERROR Exception", [3]),
        ("?ERROR ?frank", [3, 4]),
        ("-status", [3, 4]),
        ("[ip, user, username, timestamp, request, status_code = 200, bytes > 1000]", [4]),
        ("%HTTP/1\\.[01]%", [4]),
        ("", [0, 1, 2, 3, 4]),
    ],
)
def test_filter_log_events_applies_the_pattern(
    logs: CloudWatchLogsClient, pattern_group: str, pattern: str, expected: list[int]
) -> None:
    events = logs.filter_log_events(logGroupName=pattern_group, filterPattern=pattern)["events"]
    assert [event["message"] for event in events] == [PATTERN_EVENTS[n] for n in expected]


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("{ $.status = 429", "If a filter pattern starts with '{' it must end with '}'"),  # jorgebastida/awslogs#210
        ("email@domain.com", "Invalid character(s) in term 'email@domain.com'"),  # Miserlou/Zappa#651
        ("[a, b = 1 && c > 2]", "Invalid filter pattern"),  # awsdocs/amazon-cloudwatch-logs-user-guide#21
    ],
)
def test_a_refused_pattern_is_invalid_parameter_exception_even_with_no_events(
    logs: CloudWatchLogsClient, pattern: str, message: str
) -> None:
    group = unique("empty-")
    logs.create_log_group(logGroupName=group)
    with pytest.raises(logs.exceptions.InvalidParameterException) as raised:
        logs.filter_log_events(logGroupName=group, filterPattern=pattern)
    assert raised.value.response["Error"]["Message"] == message
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


# -- the shipper's backlog is capped ---------------------------------------------------------------


def test_an_inbox_drops_batches_past_its_cap_and_keeps_their_numbers() -> None:
    inbox = _Inbox(max_events=3, max_bytes=1_000)
    batch = [("g", "s", 5_000, "a"), ("g", "s", 5_100, "b")]

    assert inbox.offer((1, batch), 100) is None
    dropped = inbox.offer((2, [("g", "s", 6_000, "c"), ("g", "s", 6_500, "d")]), 100)  # 4 events > 3
    assert dropped == _Dropped(2, ((6_000, 6_500),))
    later = inbox.offer((3, [("h", "s", 7_200, "e"), ("h", "s", 9_000, "f")]), 100)
    assert later == _Dropped(4, ((6_000, 9_000),))  # within a second of the last window: joined
    assert inbox.offer((4, [("g", "s", 1, "x")]), 2_000) == _Dropped(5, ((6_000, 9_000), (1, 1)))  # bytes
    # Every number arrives, the dropped ones empty, so the parent hears that each batch is done.
    assert [inbox.queue.get_nowait() for _ in range(4)] == [(1, batch), (2, []), (3, []), (4, [])]
    taken = [inbox.taken() for _ in range(4)]
    assert taken == [(2, 100), (0, 0), (0, 0), (0, 0)]
    assert (inbox.backlog_events, inbox.backlog_bytes) == (2, 100)  # taken, not yet stored: still held
    inbox.stored(2, 100)
    assert (inbox.backlog_events, inbox.backlog_bytes) == (0, 0)
    assert inbox.offer((5, batch + batch), 100) is None  # an empty backlog takes any batch


def test_a_sink_that_cannot_store_drops_past_its_backlog_cap_and_says_when(dead_sink_capped: CloudWatchLogSink) -> None:
    base = now_ms()
    for batch in range(4):
        for index in range(1_000):
            dead_sink_capped.emit("g", "s", base + batch * 10_000 + index, f"event {index}")
        # Each thousand handed over on its own (the flusher runs every 100 ms), and its fate known.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and (
            dead_sink_capped._handed_events < (batch + 1) * 1_000
            or dead_sink_capped.pending_events + dead_sink_capped.dropped_events < (batch + 1) * 1_000
            or dead_sink_capped.pending_events > 1_000
        ):
            time.sleep(0.05)

    assert dead_sink_capped.dropped_events == 3_000
    assert dead_sink_capped.pending_events == 1_000  # the first thousand, still waiting for the endpoint
    assert dead_sink_capped.dropped_windows == tuple(
        (base + batch * 10_000, base + batch * 10_000 + 999) for batch in range(1, 4)
    )
    text = dead_sink_capped._dropped_text()
    assert "dropped 3,000 log event(s) past its backlog cap (1,000 events or 64 MiB)" in text
    assert time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime((base + 10_000) / 1000)) in text


@pytest.fixture
def dead_sink_capped() -> Iterator[CloudWatchLogSink]:
    sink = CloudWatchLogSink(f"http://127.0.0.1:{free_port()}", REGION, backlog_events=1_000)
    yield sink
    with contextlib.suppress(LogsError):
        sink.close(timeout=0.1)
