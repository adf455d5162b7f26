"""The local logs server's retention window: rolled streams, expired ones deleted through the API.

Against real moto servers in child processes (LocalLogsServer) and the real shipper child. No
timing is asserted: the tests wait (with a generous deadline) for the expirer to have done its work,
and assert what is stored, by count of events and streams.
"""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from mypy_boto3_logs.client import CloudWatchLogsClient

from gatecrash.catalogue import load_catalogue
from gatecrash.correlate.model import RequestLogs
from gatecrash.correlate.retention import expired_reason, past_retention, window_text
from gatecrash.emulator.cloudwatch import (
    CloudWatchLogSink,
    LocalLogsServer,
    _by_stream,
    expired_streams,
    group_window_ms,
    roll_interval_ms,
    rolled_stream_name,
    sweep_interval_s_of,
)
from gatecrash.runner.fire import StepRecord
from gatecrash.runner.record import Observation, SentRequest
from gatecrash.runner.verdict import StepResult, Verdict
from gatecrash.scenario.model import Probe, RequestSpec

REGION = "us-east-1"
DAY_MS = 86_400_000
DEADLINE_S = 30.0  # how long a test waits for the expirer before it fails: far above its sweeps


def _client(server: LocalLogsServer, region: str = REGION) -> CloudWatchLogsClient:
    return boto3.client(
        "logs",
        endpoint_url=server.endpoint_url,
        region_name=region,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def _messages(
    client: CloudWatchLogsClient, group: str, start_ms: int | None = None, end_ms: int | None = None
) -> list[str]:
    window: dict[str, Any] = {}
    if start_ms is not None and end_ms is not None:
        window = {"startTime": start_ms, "endTime": end_ms}
    try:
        pages = client.get_paginator("filter_log_events").paginate(logGroupName=group, **window)
        return [event["message"] for page in pages for event in page["events"]]
    except client.exceptions.ResourceNotFoundException:
        return []


def _streams(client: CloudWatchLogsClient, group: str) -> list[str]:
    pages = client.get_paginator("describe_log_streams").paginate(logGroupName=group)
    return [stream["logStreamName"] for page in pages for stream in page["logStreams"]]


def _wait_until(done: Callable[[], bool], what: str) -> None:
    give_up = time.monotonic() + DEADLINE_S
    while not done():
        if time.monotonic() > give_up:
            pytest.fail(f"not within {DEADLINE_S:g} s: {what}")
        time.sleep(0.2)


def _now_ms() -> int:
    return int(time.time() * 1000)


# -- pure ---------------------------------------------------------------------------------------


def test_a_stream_rolls_over_every_tenth_of_the_window_and_never_faster_than_a_second() -> None:
    assert roll_interval_ms(15 * 60) == 90_000
    assert roll_interval_ms(60) == 6_000
    assert roll_interval_ms(2) == 1_000
    assert sweep_interval_s_of(15 * 60) == 30.0
    assert sweep_interval_s_of(60) == 3.0
    assert sweep_interval_s_of(2) == 0.5
    assert sweep_interval_s_of(None) == 60.0  # only groups' retentionInDays to honour


def test_rolled_streams_have_api_gateway_shaped_names_stable_per_slice() -> None:
    # API Gateway names its log streams with 32 hex digits (ids.log_stream_name).
    name = rolled_stream_name("0f" * 16, 7)
    assert len(name) == 32 and all(c in "0123456789abcdef" for c in name)
    assert rolled_stream_name("0f" * 16, 7) == name
    assert rolled_stream_name("0f" * 16, 8) != name
    assert rolled_stream_name("1f" * 16, 7) != name


def test_the_shipper_groups_events_by_the_slice_of_their_timestamp() -> None:
    events = [("g", "s", 999, "a"), ("g", "s", 1000, "b"), ("g", "s", 1999, "c"), ("h", "s", 5, "d")]
    assert _by_stream(events) == {("g", "s"): [(999, "a"), (1000, "b"), (1999, "c")], ("h", "s"): [(5, "d")]}
    rolled = _by_stream(events, roll_ms=1000)
    assert rolled == {
        ("g", rolled_stream_name("s", 0)): [(999, "a")],
        ("g", rolled_stream_name("s", 1)): [(1000, "b"), (1999, "c")],
        ("h", rolled_stream_name("s", 0)): [(5, "d")],
    }


def test_a_groups_window_is_the_shorter_of_the_servers_and_its_retention_in_days() -> None:
    assert group_window_ms(None, None) is None  # AWS's default: never expire
    assert group_window_ms(60_000, None) == 60_000
    assert group_window_ms(None, 1) == DAY_MS
    assert group_window_ms(60_000, 1) == 60_000
    assert group_window_ms(3 * DAY_MS, 1) == DAY_MS


def test_a_stream_expires_when_its_last_event_is_older_than_the_cutoff() -> None:
    streams = [
        {"logStreamName": "old", "creationTime": 1, "firstEventTimestamp": 10, "lastEventTimestamp": 99},
        {"logStreamName": "straddles", "creationTime": 1, "firstEventTimestamp": 10, "lastEventTimestamp": 100},
        {"logStreamName": "empty-old", "creationTime": 50},
        {"logStreamName": "empty-new", "creationTime": 150},
    ]
    assert expired_streams(streams, cutoff_ms=100) == ["old", "empty-old"]


# -- a real server and shipper ------------------------------------------------------------------


@pytest.fixture(scope="module")
def short() -> Iterator[tuple[LocalLogsServer, CloudWatchLogSink, CloudWatchLogsClient]]:
    """A server keeping 2 s of events, and a sink rolling its streams every second."""
    with (
        LocalLogsServer(retention_s=2.0) as server,
        CloudWatchLogSink(server.endpoint_url, REGION, roll_ms=roll_interval_ms(2.0)) as sink,
    ):
        client = _client(server)
        yield server, sink, client
        client.close()


def test_events_past_the_window_go_with_their_streams_and_newer_ones_stay_readable(
    short: tuple[LocalLogsServer, CloudWatchLogSink, CloudWatchLogsClient],
) -> None:
    _, sink, client = short
    group = f"/retention/{uuid.uuid4().hex}"
    old_ms = _now_ms()
    for index in range(50):
        sink.emit(group, "node", old_ms, f"old {index}")
    sink.flush()
    assert len(_messages(client, group, old_ms - 1000, old_ms + 1000)) == 50  # inside the window: all there
    old_streams = set(_streams(client, group))
    time.sleep(0.01)  # every later event is later than the old ones

    emitted: list[tuple[int, str]] = []

    def write_more_until_the_old_are_gone() -> bool:
        when = _now_ms()
        emitted.append((when, f"new {len(emitted)}"))
        sink.emit(group, "node", when, emitted[-1][1])
        sink.flush()
        stored = _messages(client, group)
        return "new 0" not in stored and not any(message.startswith("old ") for message in stored)

    _wait_until(write_more_until_the_old_are_gone, "the events older than 2 s expire, a stream at a time")
    stored = set(_messages(client, group))
    read_ms = _now_ms()
    # Their streams were deleted (DeleteLogStream), and a read of their window returns nothing, as on AWS.
    assert old_streams.isdisjoint(_streams(client, group))
    assert _messages(client, group, old_ms - 1000, old_ms) == []
    # An event younger than the window is never deleted.
    young = [message for when, message in emitted if when >= read_ms - 2000]
    assert young and set(young) <= stored
    # Streams roll over while events keep coming: the first new ones went too, the latest stay.
    assert emitted[-1][1] in stored


def test_while_events_keep_coming_the_store_holds_about_one_window_of_them(
    short: tuple[LocalLogsServer, CloudWatchLogSink, CloudWatchLogsClient],
) -> None:
    _, sink, client = short
    group = f"/retention/{uuid.uuid4().hex}"
    ticks: list[tuple[float, int]] = []  # when, how many events were written

    def write_a_tick_and_see_the_store_bounded() -> bool:
        # Two streams, as the emulator writes execution and access logs; writing goes on while waiting.
        now = _now_ms()
        for index in range(100):
            sink.emit(group, "execution", now, f"e {len(ticks)} {index}")
            sink.emit(group, "access", now, f"a {len(ticks)} {index}")
        sink.flush()
        ticks.append((time.monotonic(), 200))
        stored = len(_messages(client, group))
        # The expirer keeps at most window + a rolled stream + a sweep (2 + 1 + 0.5 s) of events: here
        # those written in the last 4 s. Without it every event written stays.
        recent = sum(count for when, count in ticks if when >= time.monotonic() - 4.0)
        written = sum(count for _, count in ticks)
        return written > 2 * recent and stored <= recent

    _wait_until(write_a_tick_and_see_the_store_bounded, "the store holds only the last 4 s of events, and half of all")
    assert len(_streams(client, group)) <= 2 * 4  # per stream written, at most 4 slices of 1 s


def test_a_groups_retention_in_days_is_enforced_though_moto_only_stores_it() -> None:
    # PutRetentionPolicy: events older than retentionInDays are deleted (CloudWatch Logs API Reference).
    with LocalLogsServer(sweep_interval_s=0.5) as server:
        client = _client(server, "eu-west-1")  # every region holding groups is swept
        two_days_ago = _now_ms() - 2 * DAY_MS  # PutLogEvents takes events up to 14 days old
        for group in ("/kept-for-a-day", "/kept-for-ever"):
            client.create_log_group(logGroupName=group)
            client.create_log_stream(logGroupName=group, logStreamName="s")
            client.put_log_events(
                logGroupName=group, logStreamName="s", logEvents=[{"timestamp": two_days_ago, "message": "m"}]
            )
        client.put_retention_policy(logGroupName="/kept-for-a-day", retentionInDays=1)
        _wait_until(
            lambda: _streams(client, "/kept-for-a-day") == [], "the 2-day-old stream of a 1-day group is deleted"
        )
        assert _messages(client, "/kept-for-ever") == ["m"]  # no retention: never expires
        client.close()


def test_without_a_window_the_server_keeps_everything_as_before() -> None:
    with LocalLogsServer(sweep_interval_s=0.5) as server:
        assert server.retention_s is None
        client = _client(server)
        client.create_log_group(logGroupName="/g")
        client.create_log_stream(logGroupName="/g", logStreamName="s")
        client.put_log_events(
            logGroupName="/g", logStreamName="s", logEvents=[{"timestamp": _now_ms() - DAY_MS, "message": "m"}]
        )
        time.sleep(1.5)  # three sweeps
        assert _messages(client, "/g") == ["m"]
        client.close()


def test_a_window_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        LocalLogsServer(retention_s=0)


# -- the reason an expired probe gets -------------------------------------------------------------


def test_window_text_reads_like_the_flag() -> None:
    assert [window_text(s) for s in (900, 60, 2, 5400, 0.5)] == ["15m", "1m", "2s", "1h30m", "0.5s"]


def _unconfirmed(request_id: str, sent_at: float) -> StepResult:
    request = SentRequest("GET", "http://127.0.0.1:1/prod/limited", (), "", 0)
    observation = Observation("p", 0, request, sent_at, sent_at + 0.01, 429, (("x-amzn-requestid", request_id),))
    return StepResult(
        StepRecord(Probe("p", "throttled", RequestSpec("GET", "/limited")), (observation,)),
        load_catalogue().get("throttled"),
        Verdict.UNCONFIRMED,
        f"no log events for request {request_id} by the deadline",
    )


def test_an_unconfirmed_probe_older_than_the_retention_says_its_events_expired() -> None:
    result = _unconfirmed("r-1", sent_at=1_000.0)
    expired = past_retention(result, {}, retention_s=60.0, read_at=1_090.0)
    assert expired.reason == expired_reason("r-1", 90.0, 60.0)
    assert "past the emulator's log retention of 1m" in expired.reason and "1m30s ago" in expired.reason
    # Within the window, or with its logs found, the reason is left as it was.
    assert past_retention(result, {}, retention_s=60.0, read_at=1_030.0) == result
    assert past_retention(result, {"r-1": RequestLogs("r-1")}, retention_s=60.0, read_at=1_090.0) == result


# -- what moto frees ------------------------------------------------------------------------------

_COUNT_LIVE_EVENTS = """
import gc, sys, time
from moto.logs.models import LogEvent, logs_backends
if sys.argv[1] == "patched":
    from gatecrash.emulator.cloudwatch import _stop_tracking_log_models
    _stop_tracking_log_models()
backend = logs_backends["123456789012"]["us-east-1"]
backend.create_log_group("g", {})
now = int(time.time() * 1000)
for index in range(4):
    backend.create_log_stream("g", f"s{index}")
    backend.put_log_events("g", f"s{index}", [{"timestamp": now, "message": "m"}] * 1000)
for index in range(3):
    backend.delete_log_stream("g", f"s{index}")
gc.collect()
print(sum(isinstance(o, LogEvent) for o in gc.get_objects()))
"""


@pytest.mark.parametrize(("mode", "live"), [("moto as it is", 4000), ("patched", 1000)])
def test_deleting_a_stream_frees_its_events_in_the_log_server(mode: str, live: int) -> None:
    # moto's BaseModel keeps every instance it made (instances_tracked, for its dashboard): as it is,
    # the 3,000 events of the 3 deleted streams stay in memory; the log server's moto keeps only the 1,000
    # of the stream that is left.
    found = subprocess.run(
        [sys.executable, "-c", _COUNT_LIVE_EVENTS, mode], capture_output=True, text=True, check=True, timeout=60
    )
    assert int(found.stdout) == live


_STREAMS_REPLACED = """
from moto.logs.exceptions import ResourceAlreadyExistsException, ResourceNotFoundException
from moto.logs.models import logs_backends
from gatecrash.emulator.cloudwatch import _install_stream_time_ranges
_install_stream_time_ranges()
backend = logs_backends["123456789012"]["us-east-1"]
backend.create_log_group("g", {})
group = backend.groups["g"]
backend.create_log_stream("g", "a")
seen = group.streams  # what a FilterLogEvents walking the streams holds
backend.create_log_stream("g", "b")
backend.delete_log_stream("g", "a")
print(sorted(seen), sorted(group.streams))
for call, error in ((lambda: backend.create_log_stream("g", "b"), ResourceAlreadyExistsException),
                    (lambda: backend.delete_log_stream("g", "a"), ResourceNotFoundException)):
    try:
        call()
    except error:
        print(error.__name__)
"""


def test_streams_come_and_go_without_changing_what_a_reader_walks() -> None:
    # The expirer deletes and the shipper creates streams while FilterLogEvents walks them in another
    # thread: a dict changed under a walk is a RuntimeError (a 500); a replaced one is not.
    found = subprocess.run(
        [sys.executable, "-c", _STREAMS_REPLACED], capture_output=True, text=True, check=True, timeout=60
    )
    assert found.stdout.split("\n")[:3] == [
        "['a'] ['b']",
        "ResourceAlreadyExistsException",
        "ResourceNotFoundException",
    ]
