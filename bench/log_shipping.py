"""What shipping log events to CloudWatch Logs costs the emulator, measured over a real moto server.

Run: .venv/bin/python bench/log_shipping.py [--sustain 20]

The emulator process is this one: every CPU figure marked "emulator" is time.process_time(),
which counts this process's threads (the event loop's emit calls, the flusher, the progress
reader) and none of its children. The children's CPU (the shipper and the moto log server, every
thread, exited ones included) is read from /proc: per event stored, it is what the log pipeline
costs beside the emulator (issue 17 counts it against the emulator's requests per CPU).

"Sustained" emits flat out for --sustain seconds but never more than SUSTAIN_PENDING events ahead of
what is stored, so the rate is what the shipper and the log server keep up with, their backlog bounded.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import boto3
from botocore.config import Config

from gatecrash.emulator.cloudwatch import (
    DEFAULT_LOGS_RETENTION_S,
    LOCAL_CREDENTIALS,
    CloudWatchLogSink,
    LocalLogsServer,
    roll_interval_ms,
    split_for_put_log_events,
)

REGION = "us-east-1"
EVENTS_PER_REQUEST = 17  # a successful Lambda proxy request at INFO, plus its access log line
TOTAL_EVENTS = 200_000
PACED_RATE = 40_000  # events/s: 2,000 requests/s at ~20 events each
PACED_SECONDS = 5.0
PACE_TICK_S = 0.005
SUSTAIN_PENDING = 200_000  # events emitted but not yet stored, at most, while sustaining
SUSTAIN_CHUNK = 1_000  # requests emitted between looks at the backlog


def request_lines(request_id: str) -> list[str]:
    """Execution log lines shaped like API Gateway's (see docs/apigw-reference "Execution logs")."""
    stage = "abc123defg/prod"
    return [
        f"({request_id}) Extended Request Id: Xy9_AbCdEFcFQ8g=",
        f"({request_id}) Verifying Usage Plan for request: {request_id}. API Key:  API Stage: {stage}",
        f"({request_id}) API Key  authorized because method 'GET /pets' does not require API Key. "
        "Request will not contribute to throttle or quota limits",
        f"({request_id}) Usage Plan check succeeded for API Key  and API Stage {stage}",
        f"({request_id}) Starting execution for request: {request_id}",
        f"({request_id}) HTTP Method: GET, Resource Path: /pets",
        f"({request_id}) Method request path: {{}}",
        f"({request_id}) Method request query string: {{limit=10}}",
        f"({request_id}) Method request headers: {{Host=localhost, User-Agent=curl/8.5.0, Accept=*/*}}",
        f"({request_id}) Method request body before transformations: ",
        f"({request_id}) Endpoint request URI: https://lambda.us-east-1.amazonaws.com/2015-03-31/"
        "functions/arn:aws:lambda:us-east-1:123456789012:function:pets/invocations",
        f"({request_id}) Endpoint request body after transformations: "
        + '{"resource":"/pets","path":"/pets","httpMethod":"GET","headers":{"Accept":"*/*"}}',
        f"({request_id}) Received response. Status: 200, Integration latency: 12 ms",
        f"({request_id}) Endpoint response body before transformations: " + '{"statusCode":200,"body":"[]"}',
        f"({request_id}) Successfully completed execution",
        f"({request_id}) Method completed with status: 200",
        f'{{"requestId":"{request_id}","httpMethod":"GET","resourcePath":"/pets","status":"200"}}',
    ]


# Prebuilt so that the loops below time emit(), not string formatting. Every request has its own
# id, so messages are distinct objects, as in the emulator: pickle cannot share repeated ones.
REQUESTS = [request_lines(f"c0ffee00-1234-4bcd-9abc-{n:012x}") for n in range(TOTAL_EVENTS // 16)]
LINES = REQUESTS[0]
EXECUTION_GROUP = "API-Gateway-Execution-Logs_abc123defg/prod"
ACCESS_GROUP = "gatecrash-access-logs"
_next_request = 0


def emit_request(emit: Callable[[str, str, int, str], None], timestamp_ms: int) -> None:
    global _next_request
    lines = REQUESTS[_next_request % len(REQUESTS)]
    _next_request += 1
    for line in lines[:-1]:
        emit(EXECUTION_GROUP, "0f1e2d3c4b5a", timestamp_ms, line)
    emit(ACCESS_GROUP, "0f1e2d3c4b5a", timestamp_ms, lines[-1])


def child_cpu_s(pid: int) -> float:
    """User + system CPU of a live child, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure_startup() -> float:
    timings = []
    for _ in range(3):
        with LocalLogsServer() as server:
            timings.append(server.startup_seconds)
    print(
        f"moto server startup (child process, ready = answered a Logs call): "
        f"median {statistics.median(timings) * 1000:.0f} ms over 3 ({', '.join(f'{t * 1000:.0f}' for t in timings)} ms)"
    )
    return statistics.median(timings)


def measure_emit_cost(sink: CloudWatchLogSink) -> None:
    """emit() in a tight loop, net of the loop's own cost (a no-op with the same signature)."""
    requests = 20_000

    def noop(group: str, stream: str, timestamp_ms: int, message: str) -> None:
        pass

    timestamp_ms = int(time.time() * 1000)
    for label, target in (("loop + no-op", noop), ("loop + emit", sink.emit)):
        started = time.perf_counter()
        for _ in range(requests):
            emit_request(target, timestamp_ms)
        elapsed = time.perf_counter() - started
        per_call = elapsed / (requests * EVENTS_PER_REQUEST) * 1e6
        if label == "loop + no-op":
            baseline = per_call
        else:
            print(
                f"emit cost: {per_call:.3f} µs/call in a loop, {per_call - baseline:.3f} µs net of the loop "
                f"({requests * EVENTS_PER_REQUEST:,} calls)"
            )
    sink.flush()


def measure_throughput(sink: CloudWatchLogSink, server_pid: int) -> None:
    """Emit 200,000 events as fast as possible, flush, and time emit-to-stored."""
    requests = TOTAL_EVENTS // EVENTS_PER_REQUEST
    events = requests * EVENTS_PER_REQUEST
    shipper_cpu, moto_cpu = child_cpu_s(sink.shipper_pid), child_cpu_s(server_pid)
    cpu = time.process_time()
    started = time.perf_counter()
    timestamp_ms = int(time.time() * 1000)
    for _ in range(requests):
        emit_request(sink.emit, timestamp_ms)
    emitted = time.perf_counter()
    sink.flush(timeout=120)
    stored = time.perf_counter()
    cpu = time.process_time() - cpu
    shipper_cpu = child_cpu_s(sink.shipper_pid) - shipper_cpu
    moto_cpu = child_cpu_s(server_pid) - moto_cpu
    print(
        f"end to end: {events:,} events emitted in {emitted - started:.3f} s, all stored after "
        f"{stored - started:.3f} s -> {events / (stored - started):,.0f} events/s"
    )
    print(
        f"  emulator process CPU: {cpu * 1000:.0f} ms = {cpu / events * 1e5 * 1000:.0f} ms per 100k events "
        f"(emit calls included); CPU per event: shipper {shipper_cpu / events * 1e6:.2f} µs, "
        f"log server {moto_cpu / events * 1e6:.2f} µs"
    )


def measure_sustained(sink: CloudWatchLogSink, server_pid: int, seconds: float) -> None:
    """Emit as fast as the pipeline stores, at most SUSTAIN_PENDING ahead; events/s stored and each
    child's CPU per event over the stretch."""
    shipper_cpu, moto_cpu = child_cpu_s(sink.shipper_pid), child_cpu_s(server_pid)
    started = time.perf_counter()
    emitted = 0
    while time.perf_counter() - started < seconds:
        if sink.pending_events > SUSTAIN_PENDING:
            time.sleep(0.005)
            continue
        timestamp_ms = int(time.time() * 1000)
        for _ in range(SUSTAIN_CHUNK):
            emit_request(sink.emit, timestamp_ms)
        emitted += SUSTAIN_CHUNK * EVENTS_PER_REQUEST
    behind = sink.pending_events
    sink.flush(timeout=120)
    wall = time.perf_counter() - started
    shipper_cpu = child_cpu_s(sink.shipper_pid) - shipper_cpu
    moto_cpu = child_cpu_s(server_pid) - moto_cpu
    print(
        f"sustained: {emitted:,} events stored in {wall:.1f} s -> {emitted / wall:,.0f} events/s "
        f"({behind:,} still pending when emitting stopped); CPU per event: shipper "
        f"{shipper_cpu / emitted * 1e6:.2f} µs ({shipper_cpu / wall * 100:.0f}% of a core), log server "
        f"{moto_cpu / emitted * 1e6:.2f} µs ({moto_cpu / wall * 100:.0f}% of a core); load average "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )


def paced(emit: Callable[[str, str, int, str], None]) -> tuple[int, float, float]:
    """Emit at PACED_RATE, a few requests' worth every 5 ms as a busy server would; return
    (events, wall seconds, this process's CPU seconds)."""
    per_tick = round(PACED_RATE * PACE_TICK_S / EVENTS_PER_REQUEST)
    cpu = time.process_time()
    started = tick = time.perf_counter()
    sent = 0
    while tick - started < PACED_SECONDS:
        timestamp_ms = int(time.time() * 1000)
        for _ in range(per_tick):
            emit_request(emit, timestamp_ms)
        sent += per_tick * EVENTS_PER_REQUEST
        tick += PACE_TICK_S
        time.sleep(max(0.0, tick - time.perf_counter()))
    return sent, time.perf_counter() - started, time.process_time() - cpu


def measure_paced(sink: CloudWatchLogSink, server_pid: int) -> None:
    """At the emulator's target rate, the share of a core shipping takes from the emulator process:
    the same paced loop with emit() and with a no-op, so pacing and loop costs cancel out."""

    def noop(group: str, stream: str, timestamp_ms: int, message: str) -> None:
        pass

    _, base_wall, base_cpu = paced(noop)
    shipper_cpu, moto_cpu = child_cpu_s(sink.shipper_pid), child_cpu_s(server_pid)
    sent, wall, cpu = paced(sink.emit)
    flush_started = time.perf_counter()
    sink.flush(timeout=60)
    lag = time.perf_counter() - flush_started
    shipper_cpu = child_cpu_s(sink.shipper_pid) - shipper_cpu
    moto_cpu = child_cpu_s(server_pid) - moto_cpu
    net = cpu / wall - base_cpu / base_wall
    print(
        f"paced: {sent / wall:,.0f} events/s for {wall:.1f} s; emulator process CPU {cpu / wall * 100:.1f}% "
        f"of a core vs {base_cpu / base_wall * 100:.1f}% with a no-op emit -> logging costs it "
        f"{net * 100:.1f}% ({net * wall / sent * 1e5 * 1000:.0f} ms per 100k events, emit included)"
    )
    print(
        f"  all stored {lag * 1000:.0f} ms after the last emit; children: shipper "
        f"{shipper_cpu / wall * 100:.0f}% of a core, moto {moto_cpu / wall * 100:.0f}%"
    )


def measure_thread_alternative(endpoint_url: str) -> None:
    """The rejected design: the same boto3 calls made in the emulator's own process."""
    client = boto3.client(
        "logs",
        endpoint_url=endpoint_url,
        region_name=REGION,
        aws_access_key_id=LOCAL_CREDENTIALS.access_key_id,
        aws_secret_access_key=LOCAL_CREDENTIALS.secret_access_key,
        config=Config(parameter_validation=False),
    )
    client.create_log_group(logGroupName="in-process")
    client.create_log_stream(logGroupName="in-process", logStreamName="s")
    timestamp_ms = int(time.time() * 1000)
    events = [(timestamp_ms, line) for lines in REQUESTS for line in lines][:100_000]
    cpu = time.process_time()
    for call in split_for_put_log_events(events):
        client.put_log_events(logGroupName="in-process", logStreamName="s", logEvents=call)
    cpu = time.process_time() - cpu
    client.close()
    print(
        f"thread-only alternative: boto3 in the emulator process costs it {cpu * 1000:.0f} ms CPU per 100k "
        f"events = {cpu * PACED_RATE / 1e5 * 100:.0f}% of a core at {PACED_RATE:,} events/s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sustain", type=float, default=20.0, help="seconds of sustained shipping (default 20)")
    args = parser.parse_args()
    measure_startup()
    # As the emulator runs it by default: a retention window, so streams roll over (cloudwatch.py).
    retention_s = DEFAULT_LOGS_RETENTION_S
    with (
        LocalLogsServer(retention_s=retention_s) as server,
        CloudWatchLogSink(server.endpoint_url, REGION, roll_ms=roll_interval_ms(retention_s)) as sink,
    ):
        sink.flush(timeout=30)  # the shipper child has imported boto3 and is ready
        measure_emit_cost(sink)
        measure_throughput(sink, server.pid)
        measure_paced(sink, server.pid)
        measure_sustained(sink, server.pid, args.sustain)
        measure_thread_alternative(server.endpoint_url)


if __name__ == "__main__":
    main()
