"""The fast front door against the exact one: the same bytes to both, every answer compared byte for byte.

    .venv/bin/python bench/frontdoor_diff.py [--seed 1] [--mutants 300] [NAME-FILTER ...]

Two emulators of bench/fuzz.py's definition run in this process, one reading connections with the exact
door alone (h11, frontdoor.py), one with the fast door (fastdoor.py). Each case (fuzz.py's raw-socket
cases, the cases below, and seeded mutants of valid requests: bytes inserted, deleted or replaced, split
into reads at random points, pipelined) goes to both; what comes back until the connection closes is
compared with the Date header, request ids, extended request ids and trace ids masked. Printed: every difference,
how many cases the fast door read itself and how many it handed to the exact door. Exit status 1 on any
difference. Loopback only; a 0.3 s idle timeout bounds the half-sent cases.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import socket
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import fuzz  # type: ignore[import-not-found]  # bench/fuzz.py, beside this file
from gatecrash.emulator import server as server_module
from gatecrash.emulator.definition import load_definition
from gatecrash.emulator.fastdoor import FastDoor, front_door
from gatecrash.emulator.frontdoor import FrontDoorLimits, exact_door
from gatecrash.emulator.server import EmulatorServer
from gatecrash.emulator.sidefile import load_side_file

IDLE_S = 0.3
READ_BOUND_S = 6.0
MASKS = (
    (re.compile(rb"(?im)^(date: )[^\r\n]*"), rb"\1DATE"),
    (re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"), b"UUID"),
    (re.compile(rb"(?im)^(x-amz-apigw-id: )[^\r\n]*"), rb"\1ID"),
    (re.compile(rb"(?im)^(x-amzn-trace-id: )[^\r\n]*"), rb"\1TRACE"),
)
HANDOVERS: list[int] = []


def counted(switch: Callable[[FastDoor], None]) -> Callable[[FastDoor], None]:
    def wrapper(door: FastDoor) -> None:
        HANDOVERS.append(1)
        switch(door)

    return wrapper


def start(folder: Path, door: Callable[[FrontDoorLimits], Any]) -> tuple[EmulatorServer, int]:
    server_module.front_door = door  # type: ignore[attr-defined,assignment]
    server = EmulatorServer(
        load_definition(folder / "api.json"), load_side_file(folder / "stage.yaml"), idle_timeout_s=IDLE_S
    )
    server.start()
    assert server.endpoints is not None
    return server, int(server.endpoints.base_url.split(":")[2].split("/")[0])


def mask(wire: bytes) -> bytes:
    for pattern, replacement in MASKS:
        wire = pattern.sub(replacement, wire)
    return wire


def exchange(port: int, case: fuzz.WireCase) -> bytes:
    """What comes back for the case's pieces until the emulator closes (or the bound passes)."""
    with socket.create_connection(("127.0.0.1", port), timeout=READ_BOUND_S) as raw:
        try:
            for index, piece in enumerate(case.pieces):
                raw.sendall(piece)
                if index < len(case.pieces) - 1:
                    time.sleep(case.pause_s)
        except (ConnectionResetError, BrokenPipeError):
            pass
        received = b""
        deadline = time.monotonic() + READ_BOUND_S
        while time.monotonic() < deadline:
            raw.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                chunk = raw.recv(1 << 20)
            except TimeoutError:
                break
            except ConnectionResetError:
                return received + b"<reset>"
            if not chunk:
                return received
            received += chunk
        return received + b"<still open>"


def cases() -> list[fuzz.WireCase]:
    request, raw, case = fuzz.request, fuzz.raw, fuzz.case
    ok = request("GET", "/s/pets", close=False)
    post = request("POST", "/s/pets", fuzz.JSON, body=b'{"name":"a"}', close=False)
    fn = request("POST", "/s/fn", body=b"hello", close=False)
    chunked = raw("POST /s/fn HTTP/1.1", fuzz.HOST, fuzz.CHUNKED, body=b"5\r\nhello\r\n0\r\n\r\n")
    big = b"GET /s/pets HTTP/1.1\r\nX-B: " + b"b" * 11_000
    at_limit = fuzz.padded_head(10_240)
    over = fuzz.padded_head(10_241)
    return [
        case("HEAD", raw("HEAD /s/pets HTTP/1.1", fuzz.HOST)),
        case("query, fragment and percent", request("GET", "/s/pets?a=1&b=%20x#frag")),
        case("Connection: Close", raw(fuzz.GET, fuzz.HOST, "Connection: Close")),
        case("Connection: keep-alive, close", raw(fuzz.GET, fuzz.HOST, "Connection: keep-alive, close")),
        case("HTTP/1.0 keep-alive", raw("GET /s/pets HTTP/1.0", fuzz.HOST, "Connection: keep-alive")),
        case("Lambda proxy, then chunked", fn + chunked),
        case("POST, Lambda proxy, GET", post + fn + ok),
        case("body split", post[:-5], post[-5:], pause_s=0.1),
        case("head split", ok[:10], ok[10:30], ok[30:], pause_s=0.1),
        case("POST then garbage", post + b"\x00garbage\r\n\r\n"),
        case("body split, then garbage", post[:-3], post[-3:] + b"\x01\x02\r\n\r\n", pause_s=0.1),
        case("GET then HTTP/1.0", ok + raw("GET /s/pets HTTP/1.0")),
        case("GET then no Host", ok + raw(fuzz.GET)),
        case("GET then oversize unfinished", ok + big),
        case("POST then oversize unfinished", post + big),
        case("GET, then oversize unfinished later", ok, big[:6000], big[6000:], pause_s=0.2),
        case("Expect: 100-continue", raw(fuzz.POST, fuzz.HOST, "Content-Length: 5", "Expect: 100-continue"), b"hello"),
        case("Upgrade", raw(fuzz.GET, fuzz.HOST, "Connection: upgrade", "Upgrade: websocket")),
        case("CONNECT", raw("CONNECT x:443 HTTP/1.1", "Host: x:443")),
        case("OPTIONS *", raw("OPTIONS * HTTP/1.1", fuzz.HOST)),
        case("unknown method", raw("FOO /s/pets HTTP/1.1", fuzz.HOST)),
        case("header whitespace", raw(fuzz.GET, "Host:   x   ", "X-A:\tb\t")),
        case("10,240 bytes with whitespace", at_limit.replace(b"X-Pad: ", b"X-Pad:   ")),
        case("10,240 bytes in two reads", at_limit[:5000], at_limit[5000:], pause_s=0.2),
        case("10,241 bytes in two reads", over[:5000], over[5000:], pause_s=0.2),
        case("obs-text and DEL in values", raw(fuzz.GET, fuzz.HOST, "X-A: \xe9\xff", "X-B: a\x7fb")),
        case(
            "Content-Length with whitespace", raw("POST /s/fn HTTP/1.1", fuzz.HOST, "Content-Length:  3 ", body=b"abc")
        ),
        case("Content-Length: 1, 1", raw("POST /s/fn HTTP/1.1", fuzz.HOST, "Content-Length: 1, 1", body=b"a")),
        case("empty lines between requests", ok + b"\r\n\r\n" + ok),
    ]


def mutants(rng: random.Random, count: int) -> list[fuzz.WireCase]:
    """Valid requests with a few bytes inserted, deleted or replaced, pipelined, split at random points."""
    bases = [
        fuzz.request("GET", "/s/pets", close=False),
        fuzz.request("GET", "/s/pets?q=1", "X-A: b", close=False),
        fuzz.request("POST", "/s/pets", fuzz.JSON, body=b'{"name":"a"}', close=False),
        fuzz.request("POST", "/s/fn", body=b"hello", close=False),
        fuzz.raw("POST /s/fn HTTP/1.1", fuzz.HOST, fuzz.CHUNKED, body=b"5\r\nhello\r\n0\r\n\r\n"),
    ]
    alphabet = b" \t\r\n:;,/?#%\x00\x01\x7f\xe9\xff0123456789aAzZ-"
    found: list[fuzz.WireCase] = []
    for index in range(count):
        wire = bytearray(b"".join(rng.choice(bases) for _ in range(rng.randint(1, 3))))
        for _ in range(rng.randint(1, 3)):
            at = rng.randrange(len(wire))
            operation = rng.randrange(3)
            if operation == 0:
                wire.insert(at, rng.choice(alphabet))
            elif operation == 1:
                del wire[at]
            else:
                wire[at] = rng.choice(alphabet)
        cuts = sorted(rng.sample(range(1, len(wire)), rng.randint(0, 2)))
        pieces = [bytes(wire[start:end]) for start, end in zip([0, *cuts], [*cuts, len(wire)], strict=True)]
        found.append(fuzz.case(f"mutant {index + 1}", *pieces, pause_s=0.05))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--mutants", type=int, default=300)
    parser.add_argument("only", nargs="*", help="run only the cases whose names contain one of these")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="gatecrash-doors-"))
    (folder / "api.json").write_text(json.dumps(fuzz.DEFINITION))
    (folder / "stage.yaml").write_text(fuzz.SIDE_FILE)
    (folder / "fuzzfn.py").write_text(fuzz.HANDLER)
    sys.path.insert(0, str(folder))
    FastDoor._switch = counted(FastDoor._switch)  # type: ignore[method-assign,assignment]
    exact, exact_port = start(folder, exact_door)
    fast, fast_port = start(folder, front_door)
    rng = random.Random(args.seed)
    chosen = [
        case
        for case in fuzz.wire_cases(args.seed) + cases() + mutants(rng, args.mutants)
        if not args.only or any(part in case.name for part in args.only)
    ]
    differ = handed = 0
    started = time.monotonic()
    try:
        for case in chosen:
            expected = mask(exchange(exact_port, case))
            before = len(HANDOVERS)
            got = mask(exchange(fast_port, case))
            handed += len(HANDOVERS) > before
            if got != expected:
                differ += 1
                print(f"DIFFERS {case.name}: {case.pieces!r}\n  exact: {expected[:500]!r}\n  fast:  {got[:500]!r}")
    finally:
        fast.close()
        exact.close()
    print(
        f"{len(chosen)} cases in {time.monotonic() - started:.1f} s: {len(chosen) - differ} answered alike, "
        f"{differ} differ; the fast door read {len(chosen) - handed} itself and handed {handed} to the exact door"
    )
    sys.exit(1 if differ else 0)


if __name__ == "__main__":
    main()
