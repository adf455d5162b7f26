"""Ship the emulator's execution and access log events to CloudWatch Logs, as API Gateway does.

The emulator writes its logs through boto3 so that the reading side of gatecrash reads them back
exactly as it would on AWS: from real AWS, or from a local moto server started by
`LocalLogsServer`.

Three processes take part, so that the emulator keeps its core for serving requests:

    emulator process                         shipper child                  moto child
    ----------------                         -------------                  ----------
    event loop: emit() -> deque.append       reader thread: frames ->       ThreadedMotoServer
    flusher thread, every 100 ms:              queue                          (all services)
      drain deque, marshal the batch,  --->  main thread: group by stream,
      write it to the child's stdin            sort, split to AWS limits,
    progress thread: unpickle acks     <---    put_log_events with retries,  ---> HTTP
      "every batch up to N is stored"          then ack the batch

Per event the emulator process only builds a tuple, appends it, pops it and serialises it as part
of a batch (about 0.4 µs in all); boto3 request building, JSON, HTTP and retries, which cost
several µs per event, run in the shipper child. Both children watch their stdin: the parent holds the
only write end, so when the parent closes it or dies they see end-of-file and exit (no orphans).

Losing logs is reported when it happens, never found out at the end: the shipper checks the endpoint
as it starts and reports every failing call; the sink's `trouble` says why events are not being stored
(and `on_trouble` is told at once), as does `LocalLogsServer.trouble` (and `on_exit`) for a moto child
that died, taking every stored event with it.

The local server keeps events for a retention window, as a log group's retention does on AWS, so its
memory is bounded by event rate x window rather than growing for as long as the emulator runs. moto
stores a group's `retentionInDays` (PutRetentionPolicy) but never deletes anything, so the window is
enforced here, through the CloudWatch Logs API itself: the shipper rolls every stream over to a fresh
one each tenth of the window (`rolled_stream_name`), and an expirer thread in the moto child deletes,
with DeleteLogStream, each stream whose last event is older than the window (the shorter of
`LocalLogsServer(retention_s=)` and the group's `retentionInDays`). An event younger than the window
is never deleted; one older than window + a tenth + a sweep is never kept. A read of an expired
window then returns no events, as FilterLogEvents does on AWS for events past retention.
"""

from __future__ import annotations

import gc
import hashlib
import json
import marshal
import os
import pickle
import queue
import select
import socket
import struct
import subprocess
import sys
import threading
import time
from bisect import bisect_left, bisect_right
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import partial
from itertools import accumulate, chain, repeat
from json.encoder import encode_basestring, encode_basestring_ascii
from operator import add, itemgetter
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, NamedTuple, Protocol, Self

from gatecrash.errors import LogsError

if TYPE_CHECKING:
    from types import TracebackType

    from mypy_boto3_logs.client import CloudWatchLogsClient
    from mypy_boto3_logs.type_defs import InputLogEventTypeDef, PutLogEventsResponseTypeDef

# PutLogEvents quotas (AWS docs: "PutLogEvents" and "CloudWatch Logs quotas").
MAX_EVENTS_PER_CALL = 10_000
MAX_BYTES_PER_CALL = 1_048_576
EVENT_OVERHEAD_BYTES = 26  # AWS counts each event as its UTF-8 message bytes plus 26
MAX_EVENT_BYTES = 262_144
MAX_MESSAGE_BYTES = MAX_EVENT_BYTES - EVENT_OVERHEAD_BYTES
MAX_CALL_SPAN_MS = 24 * 60 * 60 * 1000  # the events of one call may not span 24 hours or more

# How often the flusher hands a batch to the shipper: the delay before an event is stored.
DEFAULT_FLUSH_INTERVAL_S = 0.1
# Events per hand-over: marshalling one holds the emulator's GIL for about 1 ms.
_HANDOVER_SLICE = 5_000
# Events the shipper gathers from queued batches before calling AWS: bigger calls when behind.
_COALESCE_LIMIT = 50_000
# botocore retries throttling and transient errors itself; a batch that still fails is retried
# by the shipper with this backoff, for as long as the parent is alive: events are never dropped.
_BOTOCORE_MAX_ATTEMPTS = 3
_RETRY_FIRST_DELAY_S = 0.1
_RETRY_MAX_DELAY_S = 2.0
# The shipper's backlog (events received but not yet stored) is capped: when the emulator emits faster
# than the shipper and the log server are given CPU to store (the emulator flat out on a 2-core machine
# can), batches past the cap are dropped as they arrive, counted, and their time windows reported
# (CloudWatchLogSink.trouble), so the shipper's memory stays flat instead of growing for the whole load.
# 300,000 events is about 3 s of the emulator at full speed with data trace on; 64 MiB of marshalled batches.
DEFAULT_BACKLOG_EVENTS = 300_000
DEFAULT_BACKLOG_BYTES = 64 * 1024 * 1024
# Dropped windows closer than this are reported as one.
_DROPPED_GAP_MS = 1_000
_DROPPED_WINDOWS_SHOWN = 5
# After its parent has gone, a child finishes what it holds (one attempt per call) in this time.
_ORPHAN_GRACE_S = 30.0
_CHILD_EXIT_WAIT_S = 5.0
_FAILED_EXIT_WAIT_S = 0.5

# The local server's retention window when none is given (EmulatorServer, `gatecrash emulator
# --logs-retention`): the 5 minutes `aws logs tail --since 5m` (as the emulator prints it) shows; flat out
# on MOCK (about 110,000 events stored a second here, the log server holding 2.8 times their bytes) 5
# minutes take about 13 GB and 15 would not fit. README "Logs retention".
DEFAULT_LOGS_RETENTION_S = 5 * 60.0
# One rolled stream takes events for this share of the window: events outlive the window by at most
# this much (plus a sweep) before their stream is deleted, so the store holds between the window and
# the window plus a tenth and a sweep (a quarter made it swing by a third under a steady load).
_ROLL_SHARE = 10
_MIN_ROLL_MS = 1_000
_DAY_MS = 86_400_000
# How often the expirer looks for expired streams: twice per rolled stream, within these bounds.
_MIN_SWEEP_S = 0.5
_MAX_SWEEP_S = 30.0
# With no window of its own the server still honours groups' retentionInDays, looked at this often.
_DAYS_ONLY_SWEEP_S = 60.0
# Stream names the shipper remembers having created; beyond this it forgets the oldest half (rolled
# streams are never written again once their slice is over, and a forgotten one is only created again).
_KNOWN_STREAMS_LIMIT = 4_096

# werkzeug serves each request on a new thread, and glibc gives threads malloc arenas of their own (up
# to 8 per core) whose freed memory the others do not reuse: two arenas keep the server's memory near
# what it stores. The shipper's reader thread allocates what its main thread frees: the same holds.
_MOTO_CHILD_ENV = {"MALLOC_ARENA_MAX": "2"}

_Event = tuple[str, str, int, str]  # group, stream, timestamp in ms, message
_Batch = tuple[int, list[_Event]]  # sequence number, events
_FRAME_HEADER = struct.Struct("<Q")


@dataclass(frozen=True, slots=True)
class AwsCredentials:
    """Static AWS credentials; the secret stays out of reprs and tracebacks."""

    access_key_id: str
    secret_access_key: str = field(repr=False)
    session_token: str | None = field(default=None, repr=False)


# moto accepts any credentials; fixed dummy ones mean nothing reads ~/.aws or the environment.
LOCAL_CREDENTIALS = AwsCredentials("testing", "testing")


class LogSink(Protocol):
    """Where the emulator writes log events; CloudWatch Logs groups and streams are created on use."""

    def emit(self, group: str, stream: str, timestamp_ms: int, message: str) -> None:
        """Queue one event. Called on the emulator's hot path: never blocks, never raises."""

    def flush(self, timeout: float = 10.0) -> None:
        """Return once every event emitted before the call is stored; raise LogsError on timeout."""

    def close(self) -> None:
        """Flush, then release every thread and process the sink holds."""


# --------------------------------------------------------------------------------------------
# Splitting events into PutLogEvents calls (pure; runs in the shipper child)
# --------------------------------------------------------------------------------------------


def fit_message(message: str) -> tuple[str, int]:
    """Return a message AWS will accept and its size as AWS counts it (UTF-8 bytes + 26).

    Longer messages are cut at a character boundary to the 256 KB event limit rather than
    dropped; an empty message, which AWS refuses, becomes a single space; lone surrogates,
    which UTF-8 cannot carry, become "?".
    """
    if not message:
        message = " "
    if message.isascii():  # O(1) in CPython, and byte length == character length
        if len(message) > MAX_MESSAGE_BYTES:
            message = message[:MAX_MESSAGE_BYTES]
        return message, len(message) + EVENT_OVERHEAD_BYTES
    try:
        data = message.encode("utf-8")
    except UnicodeEncodeError:
        data = message.encode("utf-8", "replace")
        message = data.decode("utf-8")
    if len(data) > MAX_MESSAGE_BYTES:
        message = data[:MAX_MESSAGE_BYTES].decode("utf-8", "ignore")
        data = message.encode("utf-8")
    return message, len(data) + EVENT_OVERHEAD_BYTES


def split_for_put_log_events(events: Iterable[tuple[int, str]]) -> list[list[InputLogEventTypeDef]]:
    """Sort one stream's (timestamp_ms, message) events and cut them into valid PutLogEvents calls.

    Each call holds at most 10,000 events and 1,048,576 bytes, in chronological order (stable,
    so equal timestamps keep their emit order), spanning less than 24 hours.
    """
    stamps, messages, cuts = _sorted_calls(events)
    return [
        [
            {"timestamp": stamp, "message": message}
            for stamp, message in zip(stamps[start:end], messages[start:end], strict=True)
        ]
        for start, end in cuts
    ]


def put_log_events_bodies(group: str, stream: str, events: Iterable[tuple[int, str]]) -> list[tuple[bytes, int]]:
    """The PutLogEvents request bodies for one stream's events, cut as `split_for_put_log_events` cuts
    them, each with its event count.

    Each body is byte for byte what botocore's JSON serializer writes for `put_log_events(logGroupName=,
    logStreamName=, logEvents=)` (json.dumps with its default separators, ASCII only), built with a few C
    calls per event: botocore's serializer walks the request shape in Python for every event, about 7 µs
    an event, which was the shipper's largest cost.
    """
    stamps, messages, cuts = _sorted_calls(events)
    head = f'{{"logGroupName": {json.dumps(group)}, "logStreamName": {json.dumps(stream)}, "logEvents": ['
    bodies = []
    for start, end in cuts:
        text = "".join(messages[start:end])
        # Printable ASCII, tabs and newlines come out the same from both encoders; json.dumps's own
        # (escaping everything else as \uXXXX, DEL included) costs about half as much again.
        quote = encode_basestring if text.isascii() and "\x7f" not in text else encode_basestring_ascii
        pieces = chain.from_iterable(
            zip(
                chain(('{"timestamp": ',), repeat('}, {"timestamp": ')),
                map(str, stamps[start:end]),
                repeat(', "message": '),
                map(quote, messages[start:end]),
            )
        )
        bodies.append(((head + "".join(pieces) + "}]}").encode("ascii"), end - start))
    return bodies


def _sorted_calls(events: Iterable[tuple[int, str]]) -> tuple[list[int], list[str], list[tuple[int, int]]]:
    """The events' timestamps and fitted messages, sorted stably by time, and the (start, end) index
    ranges of the PutLogEvents calls that carry them: each the longest run from where the last ended
    within 10,000 events, 1,048,576 bytes and a span under 24 hours."""
    ordered = sorted(events, key=itemgetter(0))
    stamps = list(map(itemgetter(0), ordered))
    messages = list(map(itemgetter(1), ordered))
    if (
        messages
        and all(map(str.isascii, messages))
        and 0 < min(map(len, messages)) <= max(map(len, messages)) <= MAX_MESSAGE_BYTES
    ):
        sizes: Iterable[int] = map(add, map(len, messages), repeat(EVENT_OVERHEAD_BYTES))
    else:
        fitted = list(map(fit_message, messages))
        messages = list(map(itemgetter(0), fitted))
        sizes = map(itemgetter(1), fitted)
    ends = list(accumulate(sizes, initial=0))  # ends[i]: the bytes of events 0 .. i-1
    cuts = []
    start, count = 0, len(stamps)
    while start < count:
        end = min(count, start + MAX_EVENTS_PER_CALL)
        end = min(end, bisect_right(ends, ends[start] + MAX_BYTES_PER_CALL, start, end + 1) - 1)
        end = min(end, bisect_left(stamps, stamps[start] + MAX_CALL_SPAN_MS, start, end))
        cuts.append((start, end))
        start = end
    return stamps, messages, cuts


# --------------------------------------------------------------------------------------------
# Retention: rolling streams and finding expired ones (pure)
# --------------------------------------------------------------------------------------------


def roll_interval_ms(retention_s: float) -> int:
    """How long one rolled stream takes events: a tenth of the retention window, at least a second."""
    return max(_MIN_ROLL_MS, int(retention_s * 1000) // _ROLL_SHARE)


def sweep_interval_s_of(retention_s: float | None) -> float:
    """How often the expirer sweeps: twice per rolled stream (0.5 to 30 s), or a minute for days only."""
    if retention_s is None:
        return _DAYS_ONLY_SWEEP_S
    return max(_MIN_SWEEP_S, min(roll_interval_ms(retention_s) / 2000, _MAX_SWEEP_S))


def rolled_stream_name(stream: str, slice_index: int) -> str:
    """The stream that takes `stream`'s events of one time slice: 32 hex digits, the shape of the names
    API Gateway gives its log streams (ids.log_stream_name), stable for the slice."""
    return hashlib.sha256(f"{stream}/{slice_index}".encode()).hexdigest()[:32]


def group_window_ms(retention_ms: int | None, retention_in_days: object) -> int | None:
    """How long a group's events are kept: the shorter of the server's window and the group's
    `retentionInDays` (None: kept for ever, AWS's default "Never expire")."""
    windows = [retention_ms] if retention_ms is not None else []
    if isinstance(retention_in_days, int) and retention_in_days > 0:
        windows.append(retention_in_days * _DAY_MS)
    return min(windows) if windows else None


def expired_streams(streams: Iterable[Mapping[str, object]], cutoff_ms: int) -> list[str]:
    """Names of the DescribeLogStreams entries whose last event (for an empty stream, its creation)
    is older than `cutoff_ms`: every event they hold is past retention."""
    expired = []
    for stream in streams:
        last = stream.get("lastEventTimestamp", stream.get("creationTime"))
        if isinstance(last, int) and last < cutoff_ms:
            expired.append(str(stream["logStreamName"]))
    return expired


def _by_stream(events: list[_Event], roll_ms: int | None = None) -> dict[tuple[str, str], list[tuple[int, str]]]:
    """Events per (group, stream); with `roll_ms`, per (group, the stream's rolled stream of the event's slice)."""
    if not _plain(events):
        # The child must survive a caller that ignored the types: it holds everyone's events.
        events = [(str(group), str(stream), int(when), str(message)) for group, stream, when, message in events]
    slices: dict[tuple[str, str, int], list[_Event]] = {}
    for event in events:
        key = (event[0], event[1], event[2] // roll_ms if roll_ms else 0)
        found = slices.get(key)
        if found is None:
            slices[key] = [event]
        else:
            found.append(event)
    pairs = itemgetter(2, 3)
    if not roll_ms:
        return {(group, stream): list(map(pairs, found)) for (group, stream, _), found in slices.items()}
    return {
        (group, rolled_stream_name(stream, index)): list(map(pairs, found))
        for (group, stream, index), found in slices.items()
    }


def _plain(events: list[_Event]) -> bool:
    """Whether every event is (str, str, int, str) exactly, checked column by column in C."""
    kinds = (str, str, int, str)
    return all(set(map(type, map(itemgetter(index), events))) == {kind} for index, kind in enumerate(kinds))


def _rejected_count(response: PutLogEventsResponseTypeDef, sent: int) -> int:
    """Events CloudWatch accepted the call for but refused to store (too old, too new, expired)."""
    info = response.get("rejectedLogEventsInfo")
    if not info:
        return 0
    old_end = max(info.get("tooOldLogEventEndIndex", -1), info.get("expiredLogEventEndIndex", -1))
    new_start = info.get("tooNewLogEventStartIndex", sent)
    return (old_end + 1) + (sent - new_start)


# --------------------------------------------------------------------------------------------
# Messages between the emulator process and the shipper child
#
# Parent to child: length-prefixed frames, a pickled _ShipperConfig then marshalled _Batches;
# marshal (builtin types only, the same interpreter at both ends) costs half what pickle does
# per event. Child to parent: a few pickled _Progress/_Trouble messages a second.
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _ShipperConfig:
    endpoint_url: str | None
    region: str
    credentials: AwsCredentials | None  # None: the standard AWS credential chain
    roll_ms: int | None = None  # roll every stream over to a new one this often (rolled_stream_name)
    backlog_events: int = DEFAULT_BACKLOG_EVENTS
    backlog_bytes: int = DEFAULT_BACKLOG_BYTES


@dataclass(frozen=True, slots=True)
class _Progress:
    """Every batch numbered up to `seq` is stored; totals are cumulative."""

    seq: int
    stored: int
    rejected: int


@dataclass(frozen=True, slots=True)
class _Dropped:
    """Events dropped past the backlog cap so far, and the (first, last) timestamp windows they fell in."""

    events: int
    windows: tuple[tuple[int, int], ...]


@dataclass(frozen=True, slots=True)
class _Trouble:
    """The latest failed call (None once calls succeed again), for LogsError messages."""

    error: str | None


def _utc(timestamp_ms: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(timestamp_ms / 1000)) + f".{timestamp_ms % 1000:03d}"


def _frame(payload: bytes) -> bytes:
    """Length-prefixed, so the reader needs no delimiter and never reads past a message."""
    return _FRAME_HEADER.pack(len(payload)) + payload


def _read_frame(source: IO[bytes]) -> bytes:
    """The next frame's payload; EOFError once the writer has gone."""
    header = source.read(_FRAME_HEADER.size)
    if len(header) < _FRAME_HEADER.size:
        raise EOFError
    (size,) = _FRAME_HEADER.unpack(header)
    payload = source.read(size)
    if len(payload) < size:
        raise EOFError
    return payload


def _encode_batch(seq: int, events: list[_Event]) -> bytes:
    try:
        return marshal.dumps((seq, events), 4)
    except ValueError:
        # A caller passed a str subclass or another type marshal refuses: convert, keep the event.
        plain = [(str(g), str(s), int(t), str(m)) for g, s, t, m in events]
        return marshal.dumps((seq, plain), 4)


# --------------------------------------------------------------------------------------------
# Child processes
# --------------------------------------------------------------------------------------------


def _child_env(isolate: bool) -> dict[str, str]:
    """The environment of a child; `isolate` keeps dummy-credential children off ~/.aws."""
    env = dict(os.environ)
    # The children import gatecrash; make that work even when it is not installed.
    src = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [src, env.get("PYTHONPATH")]))
    if isolate:
        for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
            env.pop(name, None)  # a profile missing from /dev/null would be an error
        env["AWS_CONFIG_FILE"] = os.devnull
        env["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
        env["AWS_EC2_METADATA_DISABLED"] = "true"
        # A proxy configured for the internet must not capture loopback traffic.
        for name in ("NO_PROXY", "no_proxy"):
            env[name] = ",".join(filter(None, [env.get(name), "127.0.0.1", "localhost"]))
    return env


def _spawn(
    entry: str,
    isolate: bool,
    pass_fd: int | None = None,
    args: tuple[str, ...] = (),
    extra_env: dict[str, str] | None = None,
) -> subprocess.Popen[bytes]:
    """Start `python -c 'from gatecrash.emulator.cloudwatch import <entry>; <entry>()' [fd] [args]`.

    A fresh interpreter rather than fork: the emulator runs threads, and forking them is unsafe.
    Its own process group keeps a terminal's Ctrl-C from killing it before the parent flushes.
    `pass_fd` (a listening socket) is inherited by the child, which finds its number in argv.
    """
    code = f"from gatecrash.emulator.cloudwatch import {entry}; {entry}()"
    argv = [sys.executable, "-c", code] + ([str(pass_fd)] if pass_fd is not None else []) + list(args)
    try:
        return subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env={**_child_env(isolate), **(extra_env or {})},
            process_group=0,
            pass_fds=(pass_fd,) if pass_fd is not None else (),
        )
    except OSError as exc:
        raise LogsError(f"cannot start a Python child process for CloudWatch Logs: {exc}") from exc


def _stop_child(proc: subprocess.Popen[bytes], wait_s: float = _CHILD_EXIT_WAIT_S) -> None:
    """Close the child's stdin (its signal to exit), wait for it, kill it if it lingers."""
    if proc.stdin is not None:
        _close_quietly(proc.stdin)
    try:
        proc.wait(timeout=wait_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    if proc.stdout is not None:
        proc.stdout.close()


def _close_quietly(stream: IO[bytes]) -> None:
    try:
        stream.close()
    except OSError:  # a write buffer that cannot drain into a dead child
        pass


def _freeze_start_up_heap() -> None:
    """Leave what a child has built by the time it is ready (modules, botocore's service models, moto's
    backends: a few hundred thousand objects it keeps for good) out of the garbage collector's full
    collections, which walked all of it again every few seconds under load."""
    gc.collect()
    gc.freeze()


def _claim_stdout() -> IO[bytes]:
    """Take stdout for the protocol and point fd 1 at stderr, so a stray print cannot corrupt it."""
    private = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    return private


def _make_client(config: _ShipperConfig) -> CloudWatchLogsClient:
    import boto3
    from botocore.config import Config

    creds = config.credentials
    session = boto3.session.Session(
        aws_access_key_id=creds.access_key_id if creds else None,
        aws_secret_access_key=creds.secret_access_key if creds else None,
        aws_session_token=creds.session_token if creds else None,
        region_name=config.region,
    )
    botocore_config = Config(
        retries={"mode": "standard", "max_attempts": _BOTOCORE_MAX_ATTEMPTS},
        connect_timeout=2,
        read_timeout=20,
        tcp_keepalive=True,
        # The shipper enforces every PutLogEvents constraint itself; botocore's validator would
        # walk each of ~40k events/s again (about a third of the child's time).
        parameter_validation=False,
    )
    return session.client("logs", endpoint_url=config.endpoint_url, config=botocore_config)


class _GiveUp(Exception):
    """The parent is gone and a call failed: nobody is left to retry for."""


class _Inbox:
    """The shipper child's batches from the parent, and how far shipping has got with them.

    The backlog (batches received, not yet taken to be shipped) is capped in events and bytes: a batch
    that would pass the cap is dropped on arrival (an empty batch of its number takes its place, so the
    parent still hears that every batch up to it is done) and counted with its time window."""

    def __init__(self, max_events: int = DEFAULT_BACKLOG_EVENTS, max_bytes: int = DEFAULT_BACKLOG_BYTES) -> None:
        self.queue: queue.Queue[_Batch | None] = queue.Queue()
        self.received_seq = 0  # written by the reader thread only
        self.shipped_seq = 0  # written by the shipping thread only, after acknowledging
        self.ended = threading.Event()  # the parent closed our stdin, or died
        self.finished = threading.Event()  # the shipping thread has returned
        self.max_events = max_events
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._sizes: deque[tuple[int, int]] = deque()  # (events, bytes) of each queued batch, in order
        self.backlog_events = 0
        self.backlog_bytes = 0
        self.dropped = 0
        self.dropped_windows: list[tuple[int, int]] = []

    def offer(self, batch: _Batch, size: int) -> _Dropped | None:
        """Queue a batch (reader thread), or drop it past the cap: then what has been dropped so far."""
        seq, events = batch
        count = len(events)
        with self._lock:
            keep = (
                self.backlog_events + count <= self.max_events and self.backlog_bytes + size <= self.max_bytes
            ) or not self.backlog_events
            if keep:
                self.backlog_events += count
                self.backlog_bytes += size
                self._sizes.append((count, size))
            else:
                self.dropped += count
                _add_window(self.dropped_windows, events)
                self._sizes.append((0, 0))
                dropped = _Dropped(self.dropped, tuple(self.dropped_windows))
        self.received_seq = seq
        self.queue.put(batch if keep else (seq, []))
        return None if keep else dropped

    def taken(self) -> tuple[int, int]:
        """The shipping thread took the oldest queued batch: its (events, bytes) in the backlog."""
        with self._lock:
            return self._sizes.popleft()

    def stored(self, events: int, size: int) -> None:
        """Batches the shipping thread took are stored: they leave the backlog."""
        with self._lock:
            self.backlog_events -= events
            self.backlog_bytes -= size


def _add_window(windows: list[tuple[int, int]], events: list[_Event]) -> None:
    """Add the span of the events' timestamps to `windows`, joining it to the last when they are close."""
    try:
        first, last = min(map(itemgetter(2), events)), max(map(itemgetter(2), events))
    except (TypeError, ValueError):  # no events, or timestamps of a caller that ignored the types
        return
    if windows and first <= windows[-1][1] + _DROPPED_GAP_MS and last >= windows[-1][0] - _DROPPED_GAP_MS:
        windows[-1] = (min(first, windows[-1][0]), max(last, windows[-1][1]))
    else:
        windows.append((int(first), int(last)))


class _Shipper:
    """The shipper child's main loop: batches in, PutLogEvents calls out, progress back."""

    def __init__(self, config: _ShipperConfig, out: IO[bytes], inbox: _Inbox) -> None:
        self._client = _make_client(config)
        self._out = out
        self._inbox = inbox
        self._roll_ms = config.roll_ms
        self._groups: set[str] = set()
        # Insertion-ordered, so the oldest (rolled-over) streams are the ones forgotten.
        self._streams: dict[tuple[str, str], None] = {}
        self._stored = 0
        self._rejected = 0
        self._failing = False
        # The body of the PutLogEvents call being made (put_log_events_bodies): botocore serializes the call
        # with no events, and this handler puts the body in before it is compressed, checksummed and signed.
        self._body: bytes | None = None
        self._client.meta.events.register("before-call.cloudwatch-logs.PutLogEvents", self._use_body)

    def check_endpoint(self) -> None:
        """One cheap call as the shipper starts, so a wrong endpoint or credentials show before any event."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self._client.describe_log_groups(limit=1)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "AccessDeniedException":
                return  # reached, and allowed to write perhaps without being allowed to list: not proof of trouble
            self._failing = True
            self._send(_Trouble(f"{type(exc).__name__}: {exc}"))
        except (BotoCoreError, ValueError) as exc:
            self._failing = True
            self._send(_Trouble(f"{type(exc).__name__}: {exc}"))

    def run(self) -> None:
        self.check_endpoint()
        _freeze_start_up_heap()
        while (first := self._inbox.queue.get()) is not None:
            seq, events, ended, held = _coalesce(first, self._inbox)
            try:
                self._ship(events)
            except _GiveUp:
                return
            self._inbox.stored(*held)
            self._send(_Progress(seq, self._stored, self._rejected))
            self._inbox.shipped_seq = seq
            if ended:
                return

    def _ship(self, events: list[_Event]) -> None:
        for (group, stream), stream_events in _by_stream(events, self._roll_ms).items():
            for body, count in put_log_events_bodies(group, stream, stream_events):
                self._put_until_stored(group, stream, body, count)

    def _put_until_stored(self, group: str, stream: str, body: bytes, count: int) -> None:
        delay = _RETRY_FIRST_DELAY_S
        while (error := self._try_put(group, stream, body, count)) is not None:
            self._failing = True
            self._send(_Trouble(error))
            if self._inbox.ended.wait(delay):
                raise _GiveUp
            delay = min(delay * 2, _RETRY_MAX_DELAY_S)
        if self._failing:
            self._failing = False
            self._send(_Trouble(None))

    def _try_put(self, group: str, stream: str, body: bytes, count: int, recreated: bool = False) -> str | None:
        """One PutLogEvents call (botocore retries included); the error text if it failed."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self._ensure_stream(group, stream)
            response = self._put(group, stream, body)
        except self._client.exceptions.ResourceNotFoundException as exc:
            # Deleted behind our back (its events expired, or a moto reset): create it again, at once
            # the first time (that is no trouble), on the retry after that.
            self._groups.discard(group)
            self._streams.pop((group, stream), None)
            if not recreated:
                return self._try_put(group, stream, body, count, recreated=True)
            return f"{type(exc).__name__}: {exc}"
        except (BotoCoreError, ClientError) as exc:
            return f"{type(exc).__name__}: {exc}"
        except Exception as exc:
            # Unexpected, but this process holds everyone's events: report and retry, never die.
            return f"unexpected {type(exc).__name__}: {exc}"
        self._stored += count
        self._rejected += _rejected_count(response, count)
        return None

    def _put(self, group: str, stream: str, body: bytes) -> PutLogEventsResponseTypeDef:
        self._body = body
        try:
            return self._client.put_log_events(logGroupName=group, logStreamName=stream, logEvents=[])
        finally:
            self._body = None

    def _use_body(self, params: dict[str, object], **_: object) -> None:
        if self._body is not None:
            params["body"] = self._body

    def _ensure_stream(self, group: str, stream: str) -> None:
        if (group, stream) in self._streams:
            return
        exists = self._client.exceptions.ResourceAlreadyExistsException
        if group not in self._groups:
            try:
                self._client.create_log_group(logGroupName=group)
            except exists:
                pass
            self._groups.add(group)
        try:
            self._client.create_log_stream(logGroupName=group, logStreamName=stream)
        except exists:
            pass
        if len(self._streams) >= _KNOWN_STREAMS_LIMIT:
            for known in list(self._streams)[: _KNOWN_STREAMS_LIMIT // 2]:
                del self._streams[known]
        self._streams[(group, stream)] = None

    def _send(self, message: _Progress | _Trouble | _Dropped) -> None:
        _report(self._out, message)


_reporting = threading.Lock()  # the shipper's two threads both report


def _report(out: IO[bytes], message: _Progress | _Trouble | _Dropped) -> None:
    with _reporting:
        pickle.dump(message, out, protocol=pickle.HIGHEST_PROTOCOL)
        out.flush()


def _coalesce(first: _Batch, inbox: _Inbox) -> tuple[int, list[_Event], bool, tuple[int, int]]:
    """Join the batches already waiting (the shipper is behind) into one: fewer, fuller calls.

    Returns the last sequence number taken, the events, whether the inbox has ended, and the backlog's
    (events, bytes) the batches taken hold.
    """
    held_events, held_bytes = inbox.taken()
    seq, events = first
    ended = False
    while len(events) < _COALESCE_LIMIT:
        try:
            item = inbox.queue.get_nowait()
        except queue.Empty:
            break
        if item is None:
            ended = True
            break
        count, size = inbox.taken()
        held_events, held_bytes = held_events + count, held_bytes + size
        seq = item[0]
        events.extend(item[1])
    return seq, events, ended, (held_events, held_bytes)


def _read_inbox(source: IO[bytes], inbox: _Inbox, out: IO[bytes]) -> None:
    """Move batches from stdin to the inbox at once, so the parent's writes never wait on AWS."""
    try:
        while True:
            payload = _read_frame(source)
            dropped = inbox.offer(marshal.loads(payload), len(payload))
            if dropped is not None:
                _report(out, dropped)
    except (EOFError, OSError, ValueError):
        pass  # the parent closed stdin or died
    inbox.ended.set()
    if inbox.shipped_seq >= inbox.received_seq:
        # Nothing in hand (the usual close, after a flush): exit now, even if the shipping
        # thread is still starting up or waiting to retry.
        os._exit(0)
    inbox.queue.put(None)
    if not inbox.finished.wait(_ORPHAN_GRACE_S):
        os._exit(3)  # stuck on an unreachable endpoint with nobody left to report to


def _shipper_main() -> None:
    """Entry point of the shipper child; the parent sends the configuration first, then batches."""
    out = _claim_stdout()
    source = sys.stdin.buffer
    config = pickle.loads(_read_frame(source))
    inbox = _Inbox(config.backlog_events, config.backlog_bytes)
    reader = threading.Thread(target=_read_inbox, args=(source, inbox, out), name="inbox", daemon=True)
    reader.start()
    try:
        try:
            shipper = _Shipper(config, out, inbox)
        except Exception as exc:  # e.g. an endpoint that is not a URL: say why, then exit (the parent reports it)
            _report(out, _Trouble(f"cannot make a CloudWatch Logs client: {type(exc).__name__}: {exc}"))
            raise SystemExit(1) from None
        shipper.run()
    finally:
        inbox.finished.set()
        out.close()


def _install_filter_patterns() -> None:
    """Make moto's CloudWatch Logs honour AWS's filter-pattern syntax (gatecrash.emulator.filterpattern).

    moto matches plain terms only and returns every event for a JSON or space-delimited pattern. Its
    FilterLogEvents and StartLiveTail build an `EventMessageFilter(pattern)` per event and call
    `matches(message)`; that name is replaced with a compiled (and cached) pattern, and both calls
    check the pattern first, so a refused one is InvalidParameterException (400) even when no event
    would have been read, as on AWS.
    """

    from moto.logs import models
    from moto.logs.exceptions import InvalidParameterException

    from gatecrash.emulator.filterpattern import FilterPattern, FilterPatternError, compile_pattern

    def compiled(pattern: str | None) -> FilterPattern:
        try:
            return compile_pattern(pattern or "")
        except FilterPatternError as exc:
            raise InvalidParameterException(str(exc)) from exc

    class CompiledFilter:
        def __init__(self, pattern: str) -> None:
            self.matches = compiled(pattern).matches

    backend = models.LogsBackend
    filter_log_events, start_live_tail = backend.filter_log_events, backend.start_live_tail

    def checked_filter_log_events(self: Any, *args: Any, **kwargs: Any) -> Any:
        compiled(kwargs.get("filter_pattern", args[6] if len(args) > 6 else None))
        return filter_log_events(self, *args, **kwargs)

    def checked_start_live_tail(self: Any, *args: Any, **kwargs: Any) -> Any:
        compiled(kwargs.get("log_event_filter_pattern", args[3] if len(args) > 3 else None))
        return start_live_tail(self, *args, **kwargs)

    models.EventMessageFilter = CompiledFilter  # type: ignore[attr-defined, assignment]
    backend.filter_log_events = checked_filter_log_events  # type: ignore[method-assign]
    backend.start_live_tail = checked_start_live_tail  # type: ignore[method-assign]


class _StoredEvent(NamedTuple):
    """One event the local server stores, as moto's code reads it: moto's LogEvent as a tuple (same fields,
    same dicts)."""

    ingestion_time: int
    timestamp: int
    message: str
    event_id: int

    def to_filter_dict(self) -> dict[str, object]:
        return {
            "eventId": str(self.event_id),
            "ingestionTime": self.ingestion_time,
            "message": self.message,
            "timestamp": self.timestamp,
        }

    def to_response_dict(self) -> dict[str, object]:
        return {"ingestionTime": self.ingestion_time, "message": self.message, "timestamp": self.timestamp}


_RawEvent = tuple[int, int, str, int]  # a _StoredEvent's fields, as a plain tuple
_as_stored_event = partial(tuple.__new__, _StoredEvent)


class _StoredEvents(list[_RawEvent]):
    """A moto stream's `events`: plain tuples, read by moto's code as `_StoredEvent`s.

    moto makes a LogEvent object per event (a Python __new__ and __init__, about 1.5 µs, and a __dict__),
    and the garbage collector walks every one of them at each full collection: at 100,000 events a second
    kept for a minute, collections of seven million objects. A plain tuple of ints and a str is made in C
    and untracked by the collector after its first collection; iterating or indexing the list gives
    `_StoredEvent`s, so every moto read (GetLogEvents, Insights queries, live tail) sees what it expects.
    """

    def __iter__(self) -> Iterator[_StoredEvent]:
        return map(_as_stored_event, super().__iter__())

    def __getitem__(self, index: Any) -> Any:
        found = super().__getitem__(index)
        return list(map(_as_stored_event, found)) if isinstance(index, slice) else _as_stored_event(found)

    def raw(self, start: int, end: int) -> list[_RawEvent]:
        return super().__getitem__(slice(start, end))


def _filter_dict(stream_name: str, event: _RawEvent) -> dict[str, object]:
    """A FilteredLogEvent as moto writes it (LogEvent.to_filter_dict plus the stream's name)."""
    ingested, timestamp, message, event_id = event
    return {
        "eventId": str(event_id),
        "ingestionTime": ingested,
        "message": message,
        "timestamp": timestamp,
        "logStreamName": stream_name,
    }


def _filter_dicts(stream_name: str, events: list[_RawEvent]) -> list[dict[str, object]]:
    return list(map(_filter_dict, repeat(stream_name), events))


def _install_stream_time_ranges() -> None:
    """Store a stream's events cheaply, remember the time range of each PutLogEvents call's events, and let
    FilterLogEvents read only the calls whose range meets the window read.

    moto reads every event of every stream of the group for each FilterLogEvents call (a page of at most
    10,000: a second's 100,000 events read page by page scanned the stream's millions ten times), and
    computes a stream's first and last timestamps from all its events for each DescribeLogStreams entry.
    Here each stream keeps its range and, per call stored, (first index, end index, earliest, latest); a
    read filters the events of the calls that can hold the window's (in stored order, then sorted by time
    as moto sorts them), and the expirer's sweeps cost per stream rather than per event. What is
    returned is unchanged: the same events, in the same order, as the same dicts.
    """

    from moto.core.utils import unix_time_millis, utcnow
    from moto.logs import models
    from moto.logs.exceptions import ResourceAlreadyExistsException, ResourceNotFoundException

    stream_class = models.LogStream
    filter_log_events = stream_class.filter_log_events
    group_filter_log_events = models.LogGroup.filter_log_events
    # moto's own puts take no lock ("to be thread safe this would need a lock"); the indexes here need one.
    storing = threading.Lock()

    def indexed_put_log_events(self: Any, log_events: list[dict[str, Any]]) -> str:
        stamps = [event["timestamp"] for event in log_events]
        messages = [event["message"] for event in log_events]
        count = len(stamps)
        with storing:
            stored = self.events
            if not isinstance(stored, _StoredEvents):  # a new stream: moto made it a list
                stored = self.events = _StoredEvents(
                    (e.ingestion_time, e.timestamp, e.message, e.event_id) for e in stored
                )
            now = utcnow()
            self.last_ingestion_time = now
            self.stored_bytes += sum(map(len, messages))
            # Event ids from moto's own counter, so that they never meet one of a LogEvent made elsewhere.
            first_id = models.LogEvent._event_id
            models.LogEvent._event_id = first_id + count
            first = len(stored)
            stored += zip(repeat(int(unix_time_millis(now))), stamps, messages, range(first_id, first_id + count))
            self.upload_sequence_token += 1
            token = f"{self.upload_sequence_token:056d}"
            if count:
                earliest, latest = min(stamps), max(stamps)
                known = getattr(self, "_gatecrash_range", None)
                self._gatecrash_range = (
                    (min(earliest, known[0]), max(latest, known[1])) if known else (earliest, latest)
                )
                calls = getattr(self, "_gatecrash_calls", None)
                if calls is None:
                    calls = self._gatecrash_calls = []
                calls.append((first, first + count, earliest, latest))
        if self.log_group.subscription_filters:  # sent as moto sends them
            sent = [
                {"id": e.event_id, "timestamp": e.timestamp, "message": e.message}
                for e in stored[first : first + count]
            ]
            for subscription_filter in self.log_group.subscription_filters.values():
                self._send_log_events(
                    service=subscription_filter.destination_arn.split(":")[2],
                    destination_arn=subscription_filter.destination_arn,
                    filter_name=subscription_filter.name,
                    log_events=sent,
                )
        return token

    def window(self: Any, start_time: Any, end_time: Any, filter_pattern: Any) -> list[_RawEvent] | None:
        """The stream's events in the window that match, sorted by time (stably, as moto's sorted()); None
        for a stream whose events are not indexed."""
        known = getattr(self, "_gatecrash_range", None)
        stored = self.events
        if not stored or (
            known is not None and ((start_time and known[1] < start_time) or (end_time and known[0] > end_time))
        ):
            return []
        if not isinstance(stored, _StoredEvents):
            return None
        calls = list(getattr(self, "_gatecrash_calls", ()))  # each call listed is stored
        pieces = []
        position = 0
        for first, end, earliest, latest in calls:
            if first > position:  # stored before the stream's events were indexed: read them all
                pieces.append(stored.raw(position, first))
            if not ((start_time and latest < start_time) or (end_time and earliest > end_time)):
                pieces.append(stored.raw(first, end))
            position = end
        pieces.append(stored.raw(position, len(stored)))  # stored since the calls were listed
        matches = models.EventMessageFilter(filter_pattern).matches  # type: ignore[attr-defined]
        found = [
            event
            for piece in pieces
            for event in piece
            if not (start_time and event[1] < start_time) and not (end_time and event[1] > end_time)
            if matches(event[2])
        ]
        found.sort(key=itemgetter(1))
        return found

    def ranged_filter_log_events(self: Any, start_time: Any, end_time: Any, filter_pattern: Any) -> Any:
        found = window(self, start_time, end_time, filter_pattern)
        if found is None:
            return filter_log_events(self, start_time, end_time, filter_pattern)
        return _filter_dicts(self.log_stream_name, found)

    def paged_filter_log_events(
        self: Any,
        log_group_name: str,
        log_stream_names: list[str],
        start_time: int,
        end_time: int,
        limit: int | None,
        next_token: str | None,
        filter_pattern: str,
        interleaved: bool,
    ) -> Any:
        # moto's LogGroup.filter_log_events, building the dicts of the page only: moto built every event of
        # the window into a dict for each page, so a window of n events read in pages of 10,000 cost n²/10,000.
        streams = [stream for name, stream in self.streams.items() if not log_stream_names or name in log_stream_names]
        entries: list[tuple[int, str, _RawEvent]] = []
        for stream in streams:
            found = window(stream, start_time, end_time, filter_pattern)
            if found is None:
                return group_filter_log_events(
                    self,
                    log_group_name,
                    log_stream_names,
                    start_time,
                    end_time,
                    limit,
                    next_token,
                    filter_pattern,
                    interleaved,
                )
            entries += zip(map(itemgetter(1), found), repeat(stream.log_stream_name), found)
        if interleaved:
            entries.sort(key=itemgetter(0))
        first_index = 0
        if next_token:
            try:
                group, stream_name, event_id = next_token.split("@")
                if group != log_group_name:
                    raise ValueError()
                first_index = (
                    next(
                        index
                        for index, (_, name, event) in enumerate(entries)
                        if name == stream_name and str(event[3]) == event_id
                    )
                    + 1
                )
            except (ValueError, StopIteration):
                first_index = 0
                entries = []  # AWS returns an empty list for a token it does not know (as moto)
        page = entries[first_index : first_index + (limit or 10000)]
        token = None
        if page and first_index + len(page) < len(entries):
            token = f"{log_group_name}@{page[-1][1]}@{page[-1][2][3]}"
        events = [_filter_dict(name, event) for _, name, event in page]
        searched = [{"logStreamName": stream.log_stream_name, "searchedCompletely": True} for stream in streams]
        return events, token, searched

    def ranged_update(self: Any) -> None:
        known = getattr(self, "_gatecrash_range", None)
        if known is not None and self.events:
            self.first_event_timestamp, self.last_event_timestamp = known
        else:
            self.first_event_timestamp = min((e.timestamp for e in self.events), default=None)
            self.last_event_timestamp = max((e.timestamp for e in self.events), default=None)

    # Streams now come and go while other threads read them (the expirer deletes, the shipper creates,
    # FilterLogEvents and DescribeLogStreams walk `group.streams`): both replace the dict rather than
    # change it, each copy made in one C call, so a walk never sees it change size.
    group_class = models.LogGroup

    def copying_create_log_stream(self: Any, log_stream_name: str) -> None:
        if log_stream_name in self.streams:
            raise ResourceAlreadyExistsException()
        streams = dict(self.streams)
        streams[log_stream_name] = stream_class(log_group=self, name=log_stream_name)
        self.streams = streams

    def copying_delete_log_stream(self: Any, log_stream_name: str) -> None:
        if log_stream_name not in self.streams:
            raise ResourceNotFoundException()
        streams = dict(self.streams)
        del streams[log_stream_name]
        self.streams = streams

    group_class.create_log_stream = copying_create_log_stream  # type: ignore[method-assign]
    group_class.delete_log_stream = copying_delete_log_stream  # type: ignore[method-assign]
    stream_class.put_log_events = indexed_put_log_events  # type: ignore[method-assign]
    stream_class.filter_log_events = ranged_filter_log_events  # type: ignore[method-assign]
    group_class.filter_log_events = paged_filter_log_events  # type: ignore[method-assign]
    stream_class._update = ranged_update  # type: ignore[method-assign]


def _install_lean_put_log_events() -> None:
    """Decode a request's JSON body once, and check a PutLogEvents call's events in C when they are in order
    and in range (as the shipper sends them).

    moto's `_get_param` decodes the whole body again for each parameter it reads (three times for
    PutLogEvents: a megabyte each), and its backend checks each event's timestamp in a Python loop. A
    body that fails to decode, or events out of order or out of range, take moto's own path: its
    errors and `rejectedLogEventsInfo` are unchanged.
    """
    from datetime import timedelta

    from moto.core.utils import unix_time_millis, utcnow
    from moto.logs import models, responses

    get_param = responses.LogsResponse._get_param

    def once_get_param(self: Any, param_name: str, if_none: Any = None) -> Any:
        body = self.body
        if self.automated_parameter_parsing or not body or self.querystring.get(param_name) is not None:
            return get_param(self, param_name, if_none)
        decoded = self.__dict__.get("_gatecrash_decoded")
        if decoded is None or decoded[0] is not body:
            try:
                decoded = (body, json.loads(body))
            except ValueError:
                decoded = (body, None)
            self._gatecrash_decoded = decoded
        try:
            return decoded[1][param_name]
        except (KeyError, TypeError):
            pass
        if self.uri_match and param_name in self.uri_match:  # then a path parameter, as moto looks
            return self.uri_match[param_name]
        return if_none

    backend_class = models.LogsBackend
    put_log_events = backend_class.put_log_events

    def checked_put_log_events(
        self: Any, log_group_name: str, log_stream_name: str, log_events: list[dict[str, Any]]
    ) -> Any:
        try:
            stamps = [event["timestamp"] for event in log_events]
            in_order = stamps == sorted(stamps)
        except (KeyError, TypeError):
            in_order = False
        if in_order and stamps and log_group_name in self.groups:
            # moto's bounds: "Only events from the last 14 days or 2 hours in the future are accepted".
            now = utcnow()
            oldest = int(unix_time_millis(now - timedelta(days=14)))
            newest = int(unix_time_millis(now + timedelta(hours=2)))
            if oldest <= stamps[0] and stamps[-1] <= newest:
                return self.groups[log_group_name].put_log_events(log_stream_name, log_events), {}
        return put_log_events(self, log_group_name, log_stream_name, log_events)

    responses.LogsResponse._get_param = once_get_param  # type: ignore[method-assign]
    backend_class.put_log_events = checked_put_log_events  # type: ignore[method-assign]


class _Untracked(list[object]):
    """A model class's `instances_tracked` that keeps nothing."""

    def append(self, instance: object) -> None:
        pass


def _stop_tracking_log_models() -> None:
    """Let moto free what DeleteLogStream and DeleteLogGroup delete.

    moto's BaseModel appends every instance ever made to its class's `instances_tracked`, for its
    dashboard (/moto-api/data.json), and never removes one: every LogEvent and LogStream would stay in
    memory for the life of the server, deleted or not (the 6 KB per request of issue 17). The logs
    models track nothing here; the dashboard lists no log events, and nothing else reads the lists.
    """
    from moto.core.model_instances import model_data

    for model in model_data["logs"].values():
        model.instances_tracked = _Untracked()  # type: ignore[attr-defined]


class _Expirer:
    """The moto child's thread that deletes expired streams through the CloudWatch Logs API.

    Every sweep: each region holding log groups, DescribeLogGroups, then per group with a window
    (`group_window_ms`) DescribeLogStreams and DeleteLogStream for every stream past it."""

    def __init__(self, endpoint_url: str, retention_ms: int | None, interval_s: float) -> None:
        self._endpoint_url = endpoint_url
        self._retention_ms = retention_ms
        self._interval_s = interval_s
        self._clients: dict[str, CloudWatchLogsClient] = {}

    def run(self) -> None:
        while True:
            time.sleep(self._interval_s)
            try:
                self.sweep(int(time.time() * 1000))
            except Exception as exc:  # a sweep that failed is tried again next time; the store only waits
                # The child's stderr is the emulator's: say it there, as moto's own errors are.
                sys.stderr.write(f"gatecrash logs server: expiring log streams failed: {type(exc).__name__}: {exc}\n")

    def sweep(self, now_ms: int) -> int:
        """Delete every stream past its group's window; how many were deleted."""
        deleted = 0
        for region in _regions_with_groups():
            client = self._client(region)
            for page in client.get_paginator("describe_log_groups").paginate():
                for group in page.get("logGroups", []):
                    window = group_window_ms(self._retention_ms, group.get("retentionInDays"))
                    if window is not None:
                        deleted += self._expire_group(client, group["logGroupName"], now_ms - window)
        return deleted

    def _expire_group(self, client: CloudWatchLogsClient, group: str, cutoff_ms: int) -> int:
        streams = [
            stream
            for page in client.get_paginator("describe_log_streams").paginate(logGroupName=group)
            for stream in page.get("logStreams", [])
        ]
        expired = expired_streams(streams, cutoff_ms)  # all listed before any is deleted: moto pages by name
        for name in expired:
            try:
                client.delete_log_stream(logGroupName=group, logStreamName=name)
            except client.exceptions.ResourceNotFoundException:
                pass  # deleted meanwhile (by its group, or a caller)
        return len(expired)

    def _client(self, region: str) -> CloudWatchLogsClient:
        if region not in self._clients:
            import boto3

            self._clients[region] = boto3.client(
                "logs",
                endpoint_url=self._endpoint_url,
                region_name=region,
                aws_access_key_id=LOCAL_CREDENTIALS.access_key_id,
                aws_secret_access_key=LOCAL_CREDENTIALS.secret_access_key,
            )
        return self._clients[region]


def _regions_with_groups() -> list[str]:
    """The regions where the server holds log groups (moto keeps a store per account and region; the
    local credentials are moto's default account). Only which regions to ask is read in-process."""
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.logs.models import logs_backends

    regions = logs_backends[DEFAULT_ACCOUNT_ID]
    return [name for name, backend in list(regions.items()) if backend.groups]


def _moto_main() -> None:
    """Entry point of the moto child: serve on the socket the parent bound, print its port, exit at stdin EOF."""
    import logging

    import boto3
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
    from werkzeug.serving import make_server

    out = _claim_stdout()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # else one stderr line per request
    _install_filter_patterns()
    _install_stream_time_ranges()
    _install_lean_put_log_events()
    _stop_tracking_log_models()
    listening = socket.socket(fileno=int(sys.argv[1]))
    retention_ms = None if sys.argv[2] == "none" else int(sys.argv[2])
    sweep_s = float(sys.argv[3])
    port = listening.getsockname()[1]
    # What moto's ThreadedMotoServer does, on the socket the parent bound (werkzeug's `fd`).
    server = make_server(
        "127.0.0.1",
        port,
        DomainDispatcherApplication(create_backend_app),
        threaded=True,
        request_handler=MotoRequestHandler,
        fd=listening.fileno(),
    )
    threading.Thread(target=server.serve_forever, name="moto", daemon=True).start()
    # moto builds each service's app on its first request; pay that here, before "ready".
    warmup = boto3.client(
        "logs",
        endpoint_url=f"http://127.0.0.1:{port}",
        region_name="us-east-1",
        aws_access_key_id=LOCAL_CREDENTIALS.access_key_id,
        aws_secret_access_key=LOCAL_CREDENTIALS.secret_access_key,
    )
    warmup.describe_log_groups(limit=1)
    warmup.close()
    _freeze_start_up_heap()
    expirer = _Expirer(f"http://127.0.0.1:{port}", retention_ms, sweep_s)
    threading.Thread(target=expirer.run, name="expirer", daemon=True).start()
    out.write(f"{port}\n".encode())
    out.flush()
    sys.stdin.buffer.read()  # returns at EOF: the parent closed our stdin, or died
    # moto keeps everything in memory; nothing to save, and shutdown() would wait out a poll.
    os._exit(0)


# --------------------------------------------------------------------------------------------
# Emulator side
# --------------------------------------------------------------------------------------------


def bind_logs_port(port: int) -> socket.socket:
    """A listening loopback socket for the local logs server; a taken port is a LogsError (exit 3)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(("127.0.0.1", port))
    except OSError as exc:
        sock.close()
        raise LogsError(
            f"the local CloudWatch Logs server cannot listen on 127.0.0.1:{port}: {exc.strerror}; "
            "choose another --logs-port, or leave it out for any free port"
        ) from exc
    sock.listen(128)
    return sock


class LocalLogsServer:
    """moto's server (CloudWatch Logs, CloudWatch and every other service) in a child process.

    A child, not a thread: moto would otherwise compete with the emulator for its GIL. The parent
    binds the port (0: any free one, chosen by the kernel while binding, so nothing can take it in
    between) and hands the socket over, so a taken port fails here at once. FilterLogEvents honours
    CloudWatch's filter-pattern syntax (see `_install_filter_patterns`).

    `retention_s` is how long events are kept (None: as long as the groups' `retentionInDays` says,
    for ever without one); streams past it are deleted every `sweep_interval_s` (see `_Expirer`).
    Writers roll their streams over (`CloudWatchLogSink(roll_ms=roll_interval_ms(retention_s))`) so
    that a stream's events expire together.
    """

    def __init__(
        self,
        port: int = 0,
        startup_timeout: float = 30.0,
        on_exit: Callable[[str], object] | None = None,
        *,
        retention_s: float | None = None,
        sweep_interval_s: float | None = None,
    ) -> None:
        if retention_s is not None and retention_s <= 0:
            raise ValueError(f"a retention window must be positive, not {retention_s!r} s")
        started = time.perf_counter()
        self._closing = False
        self._on_exit = on_exit
        self.retention_s = retention_s
        sweep_s = sweep_interval_s if sweep_interval_s is not None else sweep_interval_s_of(retention_s)
        args = ("none" if retention_s is None else str(int(retention_s * 1000)), repr(float(sweep_s)))
        listening = bind_logs_port(port)
        try:
            self._proc = _spawn(
                "_moto_main", isolate=True, pass_fd=listening.fileno(), args=args, extra_env=_MOTO_CHILD_ENV
            )
        finally:
            listening.close()  # the child holds its own copy
        try:
            port = self._read_port(startup_timeout)
        except BaseException:
            self._proc.kill()
            _stop_child(self._proc)
            raise
        self.port = port
        self.endpoint_url = f"http://127.0.0.1:{port}"
        self.startup_seconds = time.perf_counter() - started
        threading.Thread(target=self._watch, name="logs-server-watch", daemon=True).start()

    @property
    def pid(self) -> int:
        return self._proc.pid

    @property
    def trouble(self) -> str | None:
        """Why the server holds no logs any more (it exited before close()), or None while it runs."""
        code = self._proc.poll()
        if code is None or self._closing:
            return None
        return (
            f"the local CloudWatch Logs server (moto, pid {self._proc.pid}) exited with code {code}; "
            "every log event it held is gone"
        )

    def _watch(self) -> None:
        self._proc.wait()
        trouble = self.trouble
        if trouble is not None and self._on_exit is not None:
            self._on_exit(trouble)

    def _read_port(self, timeout: float) -> int:
        """The child prints its port once it has answered a CloudWatch Logs call."""
        stdout = self._proc.stdout
        assert stdout is not None
        ready, _, _ = select.select([stdout], [], [], timeout)
        if not ready:
            raise LogsError(f"the local CloudWatch Logs server (moto) did not start within {timeout:g} s")
        line = stdout.readline()
        if not line.strip().isdigit():
            code = self._proc.wait()
            raise LogsError(
                f"the local CloudWatch Logs server (moto) exited with code {code} before answering; "
                "is moto[server] installed?"
            )
        return int(line)

    def close(self) -> None:
        """Stop the server; idempotent. Its logs are gone with it."""
        self._closing = True
        _stop_child(self._proc)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class CloudWatchLogSink:
    """Ships log events to CloudWatch Logs through boto3, from a child process.

    `endpoint_url` None means real AWS, with the standard credential chain unless `credentials`
    are given; with an endpoint (the local moto server) the default credentials are dummy ones.
    With `roll_ms`, each stream's events go to a new stream every `roll_ms` (`rolled_stream_name`),
    so that a retention window can delete them a stream at a time.
    """

    def __init__(
        self,
        endpoint_url: str | None,
        region: str,
        credentials: AwsCredentials | None = None,
        *,
        flush_interval: float = DEFAULT_FLUSH_INTERVAL_S,
        on_trouble: Callable[[str], None] | None = None,
        roll_ms: int | None = None,
        backlog_events: int = DEFAULT_BACKLOG_EVENTS,
        backlog_bytes: int = DEFAULT_BACKLOG_BYTES,
    ) -> None:
        if endpoint_url is not None and credentials is None:
            credentials = LOCAL_CREDENTIALS
        self._target = endpoint_url or f"CloudWatch Logs in {region}"
        self._interval = flush_interval
        # Told once per spell of trouble, from the progress thread: it must not block.
        self._on_trouble = on_trouble
        self._queue: deque[_Event] = deque()
        self._append = self._queue.append  # bound once: emit() is on the hot path
        # Everything below is guarded by _cond.
        self._cond = threading.Condition()
        self._flush_requests = 0
        self._drained_request = 0  # the latest flush request whose events were handed over
        self._handed_seq = 0
        self._handed_events = 0
        self._stored_seq = 0
        self._stored_events = 0
        self._rejected_events = 0
        self._dropped = _Dropped(0, ())
        self._backlog_cap = (backlog_events, backlog_bytes)
        self._last_error: str | None = None
        self._child_gone = False
        self._closing = False
        self._closed = False

        self._proc = _spawn("_shipper_main", isolate=credentials is LOCAL_CREDENTIALS, extra_env=_MOTO_CHILD_ENV)
        assert self._proc.stdin is not None and self._proc.stdout is not None
        self._stdin = self._proc.stdin
        config = _ShipperConfig(endpoint_url, region, credentials, roll_ms, backlog_events, backlog_bytes)
        self._flusher = threading.Thread(target=self._flush_loop, args=(config,), name="logs-flusher", daemon=True)
        self._progress = threading.Thread(target=self._progress_loop, name="logs-progress", daemon=True)
        self._flusher.start()
        self._progress.start()

    # -- hot path -------------------------------------------------------------------------

    def emit(self, group: str, stream: str, timestamp_ms: int, message: str) -> None:
        """Queue one event: one tuple and one deque append (thread-safe, O(1), never blocks).

        Events emitted after close() are never shipped (flush() then says so).
        """
        self._append((group, stream, timestamp_ms, message))

    # -- public state ---------------------------------------------------------------------

    @property
    def shipper_pid(self) -> int:
        return self._proc.pid

    @property
    def pending_events(self) -> int:
        """Events emitted but not yet stored."""
        with self._cond:
            return self._pending()

    @property
    def trouble(self) -> str | None:
        """Why events are not being stored right now (the shipper died, or its calls fail), or None."""
        with self._cond:
            return self._trouble()

    def _trouble(self) -> str | None:
        if self._closing:
            return None
        if self._child_gone:
            last = f"; last error: {self._last_error}" if self._last_error else ""
            return (
                f"the log shipper for {self._target} exited (code {self._proc.poll()}); "
                f"{self._pending()} log event(s) not stored{last}"
            )
        if self._last_error is not None:
            return f"CloudWatch Logs at {self._target} is not storing log events: {self._last_error}"
        if self._dropped.events:
            return self._dropped_text()
        return None

    def _dropped_text(self) -> str:
        events, windows = self._dropped.events, self._dropped.windows
        shown = ", ".join(f"{_utc(first)} to {_utc(last)}" for first, last in windows[-_DROPPED_WINDOWS_SHOWN:])
        earlier = len(windows) - _DROPPED_WINDOWS_SHOWN
        more = f" (and {earlier} earlier window(s))" if earlier > 0 else ""
        max_events, max_bytes = self._backlog_cap
        return (
            f"the log shipper for {self._target} fell behind and dropped {events:,} log event(s) past its "
            f"backlog cap ({max_events:,} events or {max_bytes // 1_048_576:,} MiB), timestamped {shown}{more} "
            "UTC: requests of those windows have no logs (the emulator emitted faster than its log pipeline "
            "was given CPU to store)"
        )

    @property
    def dropped_events(self) -> int:
        """Events dropped because the shipper's backlog was over its cap (never stored)."""
        with self._cond:
            return self._dropped.events

    @property
    def dropped_windows(self) -> tuple[tuple[int, int], ...]:
        """The (first, last) timestamps in ms of the windows dropped events fell in, oldest first."""
        with self._cond:
            return self._dropped.windows

    @property
    def rejected_events(self) -> int:
        """Events CloudWatch refused to store although the call succeeded (older than 14 days or
        the group's retention, or over 2 hours in the future): AWS drops those, as on real AWS."""
        with self._cond:
            return self._rejected_events

    # -- flush and close ------------------------------------------------------------------

    def flush(self, timeout: float = 10.0) -> None:
        """Block until every event emitted before this call is stored, or raise LogsError."""
        deadline = time.monotonic() + timeout
        with self._cond:
            if self._closed:
                if self._queue:
                    raise LogsError(f"{len(self._queue)} log event(s) were emitted after close()")
                return
            self._flush_requests += 1
            request = self._flush_requests
            self._cond.notify_all()
            self._wait(lambda: self._drained_request >= request, deadline, timeout)
            target = self._handed_seq
            self._wait(lambda: self._stored_seq >= target, deadline, timeout)

    def close(self, timeout: float = 10.0) -> None:
        """Flush (raising LogsError if that fails), then stop the threads and the child."""
        if self._closed:
            return
        flushed = False
        try:
            self.flush(timeout)
            flushed = True
        finally:
            self._closed = True
            # After a failed flush the child may be stuck retrying: the caller has been told
            # what is lost, so do not wait for it.
            self._shut_down(_CHILD_EXIT_WAIT_S if flushed else _FAILED_EXIT_WAIT_S)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _wait(self, done: Callable[[], bool], deadline: float, timeout: float) -> None:
        """Wait on _cond (held) until `done`; raise LogsError on timeout or a dead shipper."""
        while not done():
            if self._child_gone:
                code = self._proc.poll()
                raise LogsError(
                    f"the log shipper for {self._target} exited (code {code}); "
                    f"{self._pending()} log event(s) not stored"
                )
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise LogsError(
                    f"CloudWatch Logs at {self._target} did not store {self._pending()} pending "
                    f"log event(s) within {timeout:g} s; last error: {self._last_error or 'none yet'}"
                )
            self._cond.wait(remaining)

    def _pending(self) -> int:
        return len(self._queue) + self._handed_events - self._stored_events - self._dropped.events

    def _shut_down(self, wait_s: float) -> None:
        with self._cond:
            self._closing = True
            self._cond.notify_all()
        # The flusher hands over the last events, then closes the child's stdin: its signal to
        # exit. It can only hang on a write to a child that stopped reading; killing it ends that.
        self._flusher.join(wait_s)
        if self._flusher.is_alive():
            self._proc.kill()
            self._flusher.join()
        _stop_child(self._proc, wait_s)
        self._progress.join()

    # -- background threads ---------------------------------------------------------------

    def _flush_loop(self, config: _ShipperConfig) -> None:
        """Every interval, or at once when flush() asks, hand the queued events to the child."""
        try:
            # Credentials go through the pipe, not argv or the environment, where `ps` shows them.
            if self._write(_frame(pickle.dumps(config, protocol=pickle.HIGHEST_PROTOCOL))):
                while self._hand_over():
                    pass
        finally:
            _close_quietly(self._stdin)

    def _hand_over(self) -> bool:
        """Hand over what is queued; False when the flusher should stop."""
        with self._cond:
            self._cond.wait_for(lambda: self._flush_requests > self._drained_request or self._closing, self._interval)
            # Read before draining: every event emitted before this flush request is drained.
            request = self._flush_requests
            closing = self._closing
        popleft = self._queue.popleft
        remaining = len(self._queue)  # only this thread pops, so at least this many are there
        while remaining:
            # Slices bound how long one encoding holds the GIL the event loop is waiting for.
            count = min(remaining, _HANDOVER_SLICE)
            remaining -= count
            events = [popleft() for _ in range(count)]
            with self._cond:
                self._handed_seq += 1
                self._handed_events += count
                seq = self._handed_seq
            if not self._write(_frame(_encode_batch(seq, events))):
                return False
        with self._cond:
            self._drained_request = request
            self._cond.notify_all()
        return not closing

    def _write(self, frame: bytes) -> bool:
        try:
            self._stdin.write(frame)
            self._stdin.flush()
        except (OSError, ValueError):  # the child died; _progress_loop reports it
            return False
        return True

    def _progress_loop(self) -> None:
        """Apply the child's progress reports; note its death when its stdout ends."""
        stdout = self._proc.stdout
        assert stdout is not None
        try:
            while True:
                self._apply(pickle.load(stdout))
        except (EOFError, OSError, ValueError, pickle.UnpicklingError):
            pass
        with self._cond:
            self._child_gone = True
            self._cond.notify_all()
            trouble = self._trouble()
        self._tell(trouble)

    def _apply(self, message: _Progress | _Trouble | _Dropped) -> None:
        news = False  # trouble that has just begun: told at once
        with self._cond:
            if isinstance(message, _Progress):
                self._stored_seq = message.seq
                self._stored_events = message.stored
                self._rejected_events = message.rejected
            elif isinstance(message, _Dropped):
                news = not self._dropped.events
                self._dropped = message
            else:
                news = self._last_error is None and message.error is not None
                self._last_error = message.error
            self._cond.notify_all()
            trouble = self._trouble() if news else None
        self._tell(trouble)

    def _tell(self, trouble: str | None) -> None:
        if trouble is not None and self._on_trouble is not None:
            self._on_trouble(trouble)
