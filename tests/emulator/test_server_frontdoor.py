"""The front door on raw sockets: AWS's request-head limit, the idle timeout, every request answered.

Sources (frontdoor.py has the detail): REST API quotas page, "Total combined size of all header values
... 10240 Bytes" and "Idle connection timeout 310 seconds"; HTTP API quotas page, "Total combined size
of request line and header values 10240 bytes"; "Monitor REST APIs" (431 errors may leave no logs);
ntsblog.homedev.com.au 2021 (the body `HTTP header is larger than 10240 bytes.`).
"""

from __future__ import annotations

import json
import socket
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import h11
import pytest

from gatecrash.emulator.cloudwatch import LocalLogsServer
from gatecrash.emulator.definition import load_definition
from gatecrash.emulator.frontdoor import MAX_HEAD_BYTES, head_size
from gatecrash.emulator.server import EmulatorServer
from gatecrash.emulator.sidefile import load_side_file
from tests.emulator.test_configured import MOCK, definition

# Generous: the emulator closes after IDLE seconds; the test only asks that it closes well before this.
IDLE = 0.5
CLOSED_WITHIN = 15.0
SLOW_HANDLER = """\
import time

def slow(event, context):
    time.sleep(1.5)
    return {"statusCode": 200, "body": "slow"}
"""


def port_of(server: EmulatorServer) -> int:
    assert server.endpoints is not None
    return int(server.endpoints.base_url.split(":")[2].split("/")[0])


def exchange(port: int, data: bytes, timeout: float = 10.0) -> bytes:
    """Send `data`, then read until the emulator closes the connection (or `timeout` passes)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as raw:
        raw.sendall(data)
        return read_until_closed(raw, timeout)


def read_until_closed(raw: socket.socket, timeout: float) -> bytes:
    deadline = time.monotonic() + timeout
    received = b""
    while time.monotonic() < deadline:
        raw.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            chunk = raw.recv(65536)
        except TimeoutError:
            break
        except ConnectionResetError:
            return received
        if not chunk:
            return received
        received += chunk
    raise AssertionError(f"the emulator did not close the connection within {timeout} s; got {received[:200]!r}")


def responses(wire: bytes) -> list[tuple[int, dict[str, str], bytes]]:
    """The responses in `wire`, in order (every answer here carries Content-Length)."""
    answers: list[tuple[int, dict[str, str], bytes]] = []
    while wire:
        head, separator, rest = wire.partition(b"\r\n\r\n")
        assert separator, wire[:200]
        first, *lines = head.decode("latin-1").split("\r\n")
        headers = {name.lower(): value.strip() for name, _, value in (line.partition(":") for line in lines)}
        length = int(headers["content-length"])
        answers.append((int(first.split(" ")[1]), headers, rest[:length]))
        wire = rest[length:]
    return answers


def get(path: str, *headers: bytes, close: bool = False) -> bytes:
    lines = [b"GET " + path.encode() + b" HTTP/1.1", b"Host: 127.0.0.1", *headers]
    if close:
        lines.append(b"Connection: close")
    return b"\r\n".join(lines) + b"\r\n\r\n"


def padded_to(total: int, path: str = "/s/pets") -> bytes:
    """A GET whose request line and header lines come to exactly `total` bytes."""
    base = get(path, b"X-Pad: ", close=True)
    head_without_blank_line = len(base) - 2
    pad = total - head_without_blank_line
    assert pad >= 0
    return get(path, b"X-Pad: " + b"p" * pad, close=True)


def status_line(answer: bytes) -> bytes:
    return answer.split(b"\r\n", 1)[0]


@pytest.fixture
def door(tmp_path: Path, logs_server: LocalLogsServer) -> Iterator[EmulatorServer]:
    """An emulator with a MOCK route, a slow Lambda proxy route and a short idle timeout."""
    (tmp_path / "slowfn.py").write_text(SLOW_HANDLER)
    (tmp_path / "stage.yaml").write_text(
        'stage: {stageName: s}\nfunctions:\n  slow: {handler: "slowfn:slow", timeout: 5}\n'
    )
    uri = (
        "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
        "arn:aws:lambda:us-east-1:123456789012:function:slow/invocations"
    )
    slow = {"type": "aws_proxy", "httpMethod": "POST", "uri": uri}
    document = definition(
        {
            "/pets": {
                "get": {"x-amazon-apigateway-integration": MOCK},
                "post": {"x-amazon-apigateway-integration": MOCK},
            },
            "/slow": {"get": {"x-amazon-apigateway-integration": slow}},
        }
    )
    (tmp_path / "api.json").write_text(json.dumps(document))
    server = EmulatorServer(
        load_definition(tmp_path / "api.json"),
        load_side_file(tmp_path / "stage.yaml"),
        logs_endpoint=logs_server.endpoint_url,
        idle_timeout_s=IDLE,
    )
    try:
        yield server.start()
    finally:
        server.close()


def access_records_mentioning(server: EmulatorServer, logs_client: Any, text: str) -> list[str]:
    server.flush_logs()
    assert server.endpoints is not None
    try:
        events = logs_client.filter_log_events(logGroupName=server.endpoints.access_log_group)["events"]
    except logs_client.exceptions.ResourceNotFoundException:
        return []
    return [event["message"] for event in events if text in event["message"]]


# -- the head size -------------------------------------------------------------------------------


def test_head_size_counts_the_request_line_and_header_lines_with_their_crlf() -> None:
    wire = b"GET /s/pets HTTP/1.1\r\nHost: x\r\nX-A: bc\r\n\r\n"
    server = h11.Connection(h11.SERVER)
    server.receive_data(wire)
    request = server.next_event()
    assert isinstance(request, h11.Request)
    assert head_size(request) == len(wire) - 2  # all but the blank line that ends the head


def test_a_head_of_exactly_10240_bytes_is_served_and_one_byte_more_is_431(door: EmulatorServer) -> None:
    port = port_of(door)
    at_limit = exchange(port, padded_to(MAX_HEAD_BYTES))
    assert status_line(at_limit) == b"HTTP/1.1 200 OK", at_limit[:200]
    over = exchange(port, padded_to(MAX_HEAD_BYTES + 1))
    assert status_line(over) == b"HTTP/1.1 431 Request Header Fields Too Large", over[:200]


def test_a_head_at_the_limit_sent_in_pieces_is_served(door: EmulatorServer) -> None:
    # Held unfinished up to the blank line's CR, a head of exactly 10,240 bytes is still AWS's to serve.
    whole = padded_to(MAX_HEAD_BYTES)
    with socket.create_connection(("127.0.0.1", port_of(door)), timeout=10) as raw:
        raw.sendall(whole[:-1])
        time.sleep(0.2)  # let the emulator read the unfinished head before the last byte
        raw.sendall(whole[-1:])
        answer = read_until_closed(raw, 10)
    assert status_line(answer) == b"HTTP/1.1 200 OK", answer[:200]


def test_an_oversize_head_gets_the_front_doors_431_without_request_id_or_log(
    door: EmulatorServer, logs_client: Any
) -> None:
    marker = uuid.uuid4().hex
    answer = exchange(port_of(door), get(f"/s/{marker}", b"Cookie: " + b"c" * 20_000))
    ((status, headers, body),) = responses(answer)
    assert (status, body) == (431, b"HTTP header is larger than 10240 bytes.")
    assert headers["content-type"] == "text; charset=utf-8"
    assert headers["content-length"] == str(len(body))
    assert headers["connection"] == "close"
    assert "x-amzn-requestid" not in headers and "x-amzn-errortype" not in headers
    assert access_records_mentioning(door, logs_client, marker) == []


def test_a_megabyte_of_headers_is_refused_before_it_is_all_read(door: EmulatorServer) -> None:
    # The emulator used to read and serve heads of 1 MB and more.
    port = port_of(door)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        raw.sendall(b"GET /s/pets HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 64_000)  # never finished
        answer = read_until_closed(raw, 10)
    assert status_line(answer) == b"HTTP/1.1 431 Request Header Fields Too Large"
    assert status_line(exchange(port, get("/s/pets", close=True))) == b"HTTP/1.1 200 OK"


# -- pipelining ------------------------------------------------------------------------------------


def test_a_malformed_request_after_a_valid_one_costs_not_the_valid_ones_answer(door: EmulatorServer) -> None:
    # Pipelined: the valid request's 200 first, then the refusal, then the connection closes.
    answer = exchange(port_of(door), get("/s/pets") + b"\x00\xff NOT HTTP\r\n\r\n")
    statuses = [status for status, _, _ in responses(answer)]
    assert statuses == [200, 400], answer[:400]


def test_pipelined_valid_requests_are_all_answered_in_order(door: EmulatorServer) -> None:
    answer = exchange(port_of(door), get("/s/pets") + get("/s/nowhere") + get("/s/pets", close=True))
    assert [status for status, _, _ in responses(answer)] == [200, 403, 200]


def test_an_oversize_head_pipelined_after_a_valid_request_is_431_after_its_answer(door: EmulatorServer) -> None:
    answer = exchange(port_of(door), get("/s/pets") + get("/s/pets", b"X-Big: " + b"b" * 11_000))
    assert [status for status, _, _ in responses(answer)] == [200, 431]


# -- idle connections ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "half_sent",
    [
        b"",  # connected, nothing sent
        b"GET /s/pe",  # half a request line
        b"GET /s/pets HTTP/1.1\r\nHost: x\r\nX-Half: ",  # headers never finished
        b"POST /s/pets HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc",  # 3 of 10 body bytes
    ],
    ids=["nothing", "request-line", "headers", "body"],
)
def test_a_half_sent_request_is_closed_once_idle(door: EmulatorServer, half_sent: bytes) -> None:
    # Before the front door, such connections stayed open indefinitely (tried to 100 s).
    with socket.create_connection(("127.0.0.1", port_of(door)), timeout=CLOSED_WITHIN) as raw:
        raw.sendall(half_sent)
        assert read_until_closed(raw, CLOSED_WITHIN) == b""


def test_a_request_never_received_whole_leaves_no_access_record(door: EmulatorServer, logs_client: Any) -> None:
    marker = uuid.uuid4().hex
    half = f"POST /s/{marker} HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc".encode()
    assert exchange(port_of(door), half, CLOSED_WITHIN) == b""
    assert access_records_mentioning(door, logs_client, marker) == []


def test_a_keep_alive_connection_idle_between_requests_is_closed(door: EmulatorServer) -> None:
    with socket.create_connection(("127.0.0.1", port_of(door)), timeout=CLOSED_WITHIN) as raw:
        raw.sendall(get("/s/pets"))
        answer = read_until_closed(raw, CLOSED_WITHIN)
    assert [status for status, _, _ in responses(answer)] == [200]


def test_a_request_waiting_for_a_slow_integration_is_not_idle(door: EmulatorServer) -> None:
    # The handler takes 1.5 s, three idle timeouts: the wait is the gateway's, not the client's.
    answer = exchange(port_of(door), get("/s/slow", close=True), CLOSED_WITHIN)
    ((status, _, body),) = responses(answer)
    assert (status, body) == (200, b"slow")


# -- answers as AWS writes them, requests as h11 reads them ------------------------------------------


def test_response_header_names_keep_the_casing_aws_sends(door: EmulatorServer) -> None:
    # AWS answers with `x-amzn-RequestId` and `Content-Type` (the project's API Gateway reference, from
    # LocalStack's AWS-validated snapshots and curl captures); uvicorn's httptools writer lowercased them.
    answer = exchange(port_of(door), get("/s/pets", close=True))
    head = answer.split(b"\r\n\r\n", 1)[0]
    assert b"\r\nx-amzn-RequestId: " in head, head
    assert b"\r\nContent-Type: application/json\r\n" in head, head


@pytest.mark.parametrize(
    ("wire", "statuses"),
    [
        (b"GET  /s/pets  HTTP/1.1\r\nHost: x\r\n\r\n", [400]),  # runs of spaces in the request line
        (b"\r\n" + get("/s/pets", close=True), [400]),  # an empty line before the request line
        (get("/s/pets") + b"\r\n" + get("/s/pets", close=True), [200, 400]),  # ... between requests
        (get("/s/pets") + b"GET /s/pets HTTP/1.1\r\n\r\n", [200, 400]),  # no Host
        (get("/s/pets") + b"GET /s/pets HTTP/1.0\r\n\r\n", [200, 200]),  # HTTP/1.0, answered and closed
        (
            get("/s/pets")
            + b"POST /s/pets HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
            + b"2\r\n{}\r\n0\r\n\r\n",
            [200, 200],
        ),  # a chunked body
    ],
    ids=["spaces", "empty-line-first", "empty-line-between", "no-host", "http-1.0", "chunked"],
)
def test_requests_are_read_as_h11_reads_them(door: EmulatorServer, wire: bytes, statuses: list[int]) -> None:
    # httptools reads the first two as valid requests; the rest are handed to h11 after earlier answers.
    answer = exchange(port_of(door), wire)
    assert [status for status, _, _ in responses(answer)] == statuses, answer[:400]


def test_garbage_after_a_body_split_across_reads_is_refused_after_the_bodys_answer(door: EmulatorServer) -> None:
    post = b"POST /s/pets HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\n"
    with socket.create_connection(("127.0.0.1", port_of(door)), timeout=10) as raw:
        raw.sendall(post + b"{}")
        time.sleep(0.2)  # the emulator reads the head and half the body first
        raw.sendall(b"  " + b"\x01\x02 NOT HTTP\r\n\r\n")
        answer = read_until_closed(raw, 10)
    assert [status for status, _, _ in responses(answer)] == [200, 400], answer[:400]


def test_x_forwarded_for_leaves_the_source_ip_the_tcp_peer(door: EmulatorServer, logs_client: Any) -> None:
    # AWS docs, $context variables: identity.sourceIp is "the source IP address of the immediate TCP
    # connection making the request to the API Gateway endpoint"; a client's header does not set it.
    marker = uuid.uuid4().hex
    answer = exchange(port_of(door), get(f"/s/pets?{marker}", b"X-Forwarded-For: 203.0.113.9", close=True))
    assert status_line(answer) == b"HTTP/1.1 200 OK"
    records = [json.loads(record) for record in access_records_mentioning(door, logs_client, "/pets")]
    assert records and {record["identity.sourceIp"] for record in records} == {"127.0.0.1"}
