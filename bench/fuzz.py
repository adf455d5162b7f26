"""Fuzz the emulator's wire and gatecrash's command line with hostile input; print what went wrong.

    .venv/bin/python bench/fuzz.py [--seed 1] [--max-seconds 300] [--idle 1]      (or: make fuzz)

Raw-socket cases (malformed request lines, oversize heads, half-sent requests, pipelining, binary
garbage, huge and deep bodies, bad chunked encoding, ...) go one at a time to an emulator on loopback,
run as a child process so that its stderr can be read. Counted:
- tracebacks: "Traceback (most recent call last)" in the emulator's stderr;
- hangs: a case that got neither its answers nor a closed connection within its bound;
- faults: a 5xx on routes whose definition provokes none (MOCK and validated routes, unknown paths);
- unanswered: a whole request (however malformed) the emulator closed on without an answer;
- wrong answers: a status other than AWS's where AWS's is known (431 over the head limit, 413 over 10 MB);
- leaks: the emulator's open file descriptors and threads after every case, its connections idle
  out, against before the first (and whether it still answers a plain request).
`CLI_CASES` is the list of command-line bad-input cases (bad arguments, files, YAML): each runs
`gatecrash` in a child process, counted as a traceback, a hang, or an exit code other than its own.
Caps cases (bench/fuzz_caps.py): `gatecrash run` and `gatecrash canary --once --retries N` against a
loopback emulator whose backend counts what it gets, with rate phases, slow answers and a SIGINT; what
the backend got and the gateway logged, against max-requests and max-duration ("caps never exceeded").
Bounded in count (a fixed list, seeded random garbage) and in time (`--max-seconds`); loopback only.
Exit status 1 when any count is not zero.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from fuzz_caps import (  # type: ignore[import-not-found]  # bench/fuzz_caps.py, beside this file
    CAPS_CASES,
    CASE_BOUND_S,
    CapsResult,
    counting_stack,
    run_caps_case,
)

ROOT = Path(__file__).resolve().parent.parent
GATECRASH = ROOT / ".venv" / "bin" / "gatecrash"
TRACEBACK = "Traceback (most recent call last)"
ANSWER_BOUND_S = 15.0  # a whole request must be answered within this
CLI_BOUND_S = 60.0

MOCK = {
    "type": "mock",
    "requestTemplates": {"application/json": '{"statusCode": 200}'},
    "responses": {"default": {"statusCode": "200"}},
}
FUNCTION_URI = (
    "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
    "arn:aws:lambda:us-east-1:123456789012:function:echo/invocations"
)
DEFINITION = {
    "openapi": "3.0.1",
    "info": {"title": "fuzz", "version": "1"},
    "x-amazon-apigateway-request-validators": {"all": {"validateRequestBody": True, "validateRequestParameters": True}},
    "components": {
        "schemas": {
            # `child` makes the model recursive, so validation walks as deep as the body goes.
            "Pet": {
                "type": "object",
                "required": ["name"],
                "properties": {"name": {"type": "string"}, "child": {"$ref": "#/components/schemas/Pet"}},
            }
        }
    },
    "paths": {
        "/pets": {
            "get": {"x-amazon-apigateway-integration": MOCK},
            "post": {
                "x-amazon-apigateway-request-validator": "all",
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Pet"}}},
                },
                "x-amazon-apigateway-integration": MOCK,
            },
        },
        "/fn": {
            "post": {
                "x-amazon-apigateway-integration": {"type": "aws_proxy", "httpMethod": "POST", "uri": FUNCTION_URI}
            }
        },
    },
}
SIDE_FILE = 'stage: {stageName: s}\nfunctions:\n  echo: {handler: "fuzzfn:echo", timeout: 5}\n'
HANDLER = 'def echo(event, context):\n    return {"statusCode": 200, "body": str(len(event.get("body") or ""))}\n'


# -- the raw-socket cases -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WireCase:
    """Bytes sent in pieces (a pause after each piece but the last); what must come back."""

    name: str
    pieces: tuple[bytes, ...]
    answers: int = 1  # complete responses expected; 0: the connection is closed unanswered once idle
    pause_s: float = 0.0
    expect: tuple[int, ...] = ()  # the statuses AWS gives, in order, where they are known


def request(method: str, path: str, *headers: str, body: bytes = b"", close: bool = True) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", *headers]
    if body or method == "POST":
        lines.append(f"Content-Length: {len(body)}")
    if close:
        lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def padded_head(size: int) -> bytes:
    """A GET whose request line and header lines (with their CRLF) come to exactly `size` bytes."""
    empty = request("GET", "/s/pets", "X-Pad: ")
    return request("GET", "/s/pets", "X-Pad: " + "p" * (size - (len(empty) - 2)))


def deep_json(levels: int) -> bytes:
    """A Pet whose `child` is a Pet, `levels` deep: the validator follows the model all the way."""
    return b'{"name": "x", "child": ' * levels + b'{"name": "x"}' + b"}" * levels


def raw(*lines: str, body: bytes = b"") -> bytes:
    """A request exactly as written, line by line (Latin-1), then the blank line and `body`."""
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def case(name: str, *pieces: bytes, answers: int = 1, pause_s: float = 0.0, expect: tuple[int, ...] = ()) -> WireCase:
    return WireCase(name, pieces, answers, pause_s, expect)


GET = "GET /s/pets HTTP/1.1"
POST = "POST /s/pets HTTP/1.1"
HOST = "Host: x"
CLOSE = "Connection: close"
CHUNKED = "Transfer-Encoding: chunked"
JSON = "Content-Type: application/json"
MB = 1024 * 1024


def wire_cases(seed: int) -> list[WireCase]:
    rng = random.Random(seed)
    ok = request("GET", "/s/pets", close=False)
    big_chunks = b"100000\r\n" + b"x" * 0x100000 + b"\r\n"
    cases = [
        # malformed request lines
        case("request line: garbage", b"GARBAGE\r\n\r\n"),
        case("request line: method only", b"GET\r\n\r\n"),
        case("request line: HTTP/9.9", raw("GET /s/pets HTTP/9.9", HOST)),
        case("request line: extra spaces", raw("GET  /s/pets  HTTP/1.1", HOST)),
        case("request line: space in target", raw("GET /s/p ets HTTP/1.1", HOST)),
        case("request line: non-ASCII target", "GET /s/pëts HTTP/1.1\r\nHost: x\r\n\r\n".encode()),
        case("request line: NUL byte", raw("GET /s/\x00 HTTP/1.1", HOST)),
        case("request line: bad method characters", raw("G(E)T /s/pets HTTP/1.1", HOST)),
        case("request line: lower-case method", raw("get /s/pets HTTP/1.1", HOST, CLOSE)),
        case("request line: no Host", raw(GET)),
        case("request line: HTTP/1.0", raw("GET /s/pets HTTP/1.0")),
        case("request line: absolute URI", raw("GET http://x/s/pets HTTP/1.1", HOST, CLOSE)),
        case("request line: bare LF", b"GET /s/pets HTTP/1.1\nHost: x\nConnection: close\n\n"),
        case("request line: 20 kB target", request("GET", "/s/" + "a" * 20_000), expect=(431,)),
        case("request line: percent junk", request("GET", "/s/%%%zz/%00/%ff")),
        # oversize and odd headers
        case("headers: 10,241-byte head", padded_head(10_241), expect=(431,)),
        case("headers: 10,240-byte head", padded_head(10_240), expect=(200,)),
        case("headers: 64 kB value", request("GET", "/s/pets", "Cookie: " + "c" * 65_536), expect=(431,)),
        case("headers: 1 MB value", request("GET", "/s/pets", "X-Big: " + "b" * MB), expect=(431,)),
        case("headers: 2,000 headers", request("GET", "/s/pets", *(f"X-{i}: {i}" for i in range(2000))), expect=(431,)),
        case("headers: no colon", raw(GET, HOST, "NoColon")),
        case("headers: space in name", raw(GET, HOST, "Bad Name: v")),
        case("headers: obsolete line folding", raw(GET, HOST, "X-A: a", "  b")),
        case("headers: control characters", raw(GET, HOST, "X-A: a\x01\x7fb")),
        case("headers: Latin-1 value", raw(GET, HOST, "X-Name: caf\xe9", CLOSE)),
        case("headers: two Hosts", raw(GET, HOST, "Host: y", CLOSE)),
        # half-sent requests: closed once idle, unanswered
        case("half-sent: nothing", b"", answers=0),
        case("half-sent: request line", b"GET /s/pe", answers=0),
        case("half-sent: headers", b"GET /s/pets HTTP/1.1\r\nHost: x\r\nX-Half: ", answers=0),
        case("half-sent: body", raw(POST, HOST, "Content-Length: 100", body=b"{"), answers=0),
        case("half-sent: chunked body", raw(POST, HOST, CHUNKED, body=b"5\r\nab"), answers=0),
        case("half-sent: slowly, then nothing", b"GET ", b"/s/", b"pets", answers=0, pause_s=0.2),
        case("slow but whole", b"GET /s/pets HTTP/1.1\r\n", b"Host: x\r\n", b"Connection: close\r\n\r\n", pause_s=0.3),
        # pipelining
        case("pipelined: valid then garbage", ok + b"\x00\xff NOT HTTP\r\n\r\n", answers=2),
        case("pipelined: three valid", ok + ok + request("GET", "/s/nowhere"), answers=3, expect=(200, 200, 403)),
        case(
            "pipelined: valid then oversize",
            ok + request("GET", "/s/pets", "X-Big: " + "b" * 11_000),
            answers=2,
            expect=(200, 431),
        ),
        case("pipelined: valid then half", ok + b"GET /s/pe", answers=1),
        case("pipelined: 50 valid", ok * 49 + request("GET", "/s/pets"), answers=50),
        case("pipelined: POST bodies", request("POST", "/s/pets", body=b'{"name":"a"}', close=False) * 3, answers=3),
        # binary garbage
        case("binary: TLS ClientHello", bytes.fromhex("160301020001000200030374") + rng.randbytes(500)),
        case("binary: HTTP/2 preface", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"),
        case("binary: CRLF only, then a request", b"\r\n" * 100 + raw(GET, HOST, CLOSE)),
        # huge and deep bodies
        case("body: 10 MB + 1", request("POST", "/s/pets", body=b"x" * (10 * MB + 1), close=False), expect=(413,)),
        case("body: Content-Length 11 MB, none sent", raw(POST, HOST, f"Content-Length: {11 * MB}"), expect=(413,)),
        case("body: chunked past 10 MB", raw(POST, HOST, CHUNKED, body=big_chunks * 11 + b"0\r\n\r\n"), expect=(413,)),
        case("body: 5 MB valid JSON", request("POST", "/s/pets", JSON, body=b'{"name": "' + b"n" * 5 * MB + b'"}')),
        case("body: JSON 990 levels deep", request("POST", "/s/pets", JSON, body=deep_json(990))),
        case(
            "body: JSON 100,000 levels deep", request("POST", "/s/pets", JSON, body=deep_json(100_000)), expect=(400,)
        ),
        case("body: not JSON", request("POST", "/s/pets", JSON, body=b"\xff\xfe{{{")),
        case("body: binary to a function", request("POST", "/s/fn", body=bytes(range(256)) * 64)),
        case("body: deep JSON to a function", request("POST", "/s/fn", JSON, body=deep_json(5000))),
        # bad chunked encoding and lengths
        case("chunked: size not hex", raw(POST, HOST, CHUNKED, body=b"zz\r\nab\r\n0\r\n\r\n")),
        case("chunked: size overflow", raw(POST, HOST, CHUNKED, body=b"ffffffffffffffffffffff\r\nab\r\n")),
        case("chunked: missing CRLF", raw(POST, HOST, CHUNKED, body=b"2\r\nabXX0\r\n\r\n")),
        case("chunked: 20 kB extension", raw(POST, HOST, CHUNKED, body=b"2;" + b"e" * 20_000 + b"\r\nab\r\n0\r\n\r\n")),
        case(
            "chunked: with Content-Length", raw(POST, HOST, CHUNKED, "Content-Length: 3", body=b"3\r\nabc\r\n0\r\n\r\n")
        ),
        case("chunked: unknown coding", raw(POST, HOST, "Transfer-Encoding: gzip", body=b"abc")),
        case("length: negative", raw(POST, HOST, "Content-Length: -1")),
        case("length: not a number", raw(POST, HOST, "Content-Length: nope")),
        case("length: two that differ", raw(POST, HOST, "Content-Length: 1", "Content-Length: 2", body=b"ab")),
        case("length: 2^64", raw(POST, HOST, "Content-Length: 18446744073709551616")),
    ]
    for index in range(20):
        noise = rng.randbytes(rng.choice((1, 16, 300, 5000)))
        cases.append(case(f"binary: random {index + 1} ({len(noise)} bytes)", noise + b"\r\n\r\n"))
    return cases


def complete_responses(wire: bytes) -> list[int]:
    """Statuses of the whole responses in `wire` (every emulator answer carries Content-Length)."""
    statuses: list[int] = []
    while wire:
        head, separator, rest = wire.partition(b"\r\n\r\n")
        if not separator:
            break
        lines = head.decode("latin-1").split("\r\n")
        fields = {name.strip().lower(): value.strip() for name, _, value in (line.partition(":") for line in lines[1:])}
        length = int(fields.get("content-length", "0"))
        if len(rest) < length:
            break
        statuses.append(int(lines[0].split(" ")[1]))
        wire = rest[length:]
    return statuses


@dataclass(slots=True)
class Tally:
    counts: Counter[str] = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)

    def add(self, kind: str, note: str) -> None:
        self.counts[kind] += 1
        self.notes.append(f"{kind}: {note}")


def read_answers(raw: socket.socket, answers: int, bound: float) -> tuple[bytes, bool]:
    """What comes back until `answers` whole responses (0: until closed), a close, or `bound` seconds."""
    received = b""
    deadline = time.monotonic() + bound
    while time.monotonic() < deadline:
        if answers and len(complete_responses(received)) >= answers:
            return received, False
        raw.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            chunk = raw.recv(65536)
        except TimeoutError:
            break
        except ConnectionResetError:
            return received, True
        if not chunk:
            return received, True
        received += chunk
    return received, False


def run_wire_case(port: int, case: WireCase, idle_s: float, tally: Tally) -> None:
    bound = (idle_s + 10.0) if case.answers == 0 else ANSWER_BOUND_S
    with socket.create_connection(("127.0.0.1", port), timeout=bound) as raw:
        try:
            for index, piece in enumerate(case.pieces):
                raw.sendall(piece)
                if index < len(case.pieces) - 1:
                    time.sleep(case.pause_s)
        except (ConnectionResetError, BrokenPipeError):
            pass  # the emulator refused early and closed while we were still sending: read what it said
        received, closed = read_answers(raw, case.answers, bound)
    statuses = complete_responses(received)
    if case.answers == 0:
        if statuses:
            tally.add("unanswered", f"{case.name}: answered {statuses} a request that was never whole")
        elif not closed:
            tally.add("hangs", f"{case.name}: still open after {bound:g} s")
        return
    if len(statuses) < case.answers:
        kind = "unanswered" if closed else "hangs"
        tally.add(kind, f"{case.name}: {len(statuses)} of {case.answers} answers ({received[:80]!r})")
    faults = [status for status in statuses if status >= 500]
    if faults:
        tally.add("faults", f"{case.name}: {faults}")
    if case.expect and tuple(statuses[: len(case.expect)]) != case.expect:
        tally.add("wrong answers", f"{case.name}: {statuses}, AWS gives {list(case.expect)}")


# -- the emulator child ---------------------------------------------------------------------------


def serve(folder: Path, idle_s: float) -> None:
    """The child: an emulator of the fuzz definition on a free port, printed on stdout."""
    from gatecrash.emulator.definition import load_definition
    from gatecrash.emulator.server import EmulatorServer
    from gatecrash.emulator.sidefile import load_side_file

    server = EmulatorServer(
        load_definition(folder / "api.json"), load_side_file(folder / "stage.yaml"), idle_timeout_s=idle_s
    )
    server.prepare()
    assert server.endpoints is not None
    print(server.endpoints.base_url.split(":")[2].split("/")[0], flush=True)
    server.serve_prepared()


@contextmanager
def emulator(folder: Path, idle_s: float, stderr_path: Path) -> Iterator[tuple[int, int]]:
    (folder / "api.json").write_text(json.dumps(DEFINITION))
    (folder / "stage.yaml").write_text(SIDE_FILE)
    (folder / "fuzzfn.py").write_text(HANDLER)
    with stderr_path.open("wb") as stderr:
        child = subprocess.Popen(
            [sys.executable, __file__, "--serve", str(folder), "--idle", str(idle_s)],
            stdout=subprocess.PIPE,
            stderr=stderr,
            cwd=ROOT,
        )
        try:
            assert child.stdout is not None
            port = int(child.stdout.readline() or b"0")
            if not port:
                raise SystemExit(f"the emulator did not start; see {stderr_path}")
            yield port, child.pid
        finally:
            child.terminate()
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()


def resources(pid: int) -> tuple[int, int]:
    """Open file descriptors and threads of a process (Linux /proc)."""
    fds = len(os.listdir(f"/proc/{pid}/fd"))
    status = Path(f"/proc/{pid}/status").read_text()
    threads = int(next(line.split()[1] for line in status.splitlines() if line.startswith("Threads:")))
    return fds, threads


def plain_requests_answer(port: int) -> bool:
    """A MOCK route and the function answer 200 (the function's worker thread started once, before counting)."""
    for plain in (request("GET", "/s/pets"), request("POST", "/s/fn", body=b"{}")):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=ANSWER_BOUND_S) as raw:
                raw.sendall(plain)
                received, _ = read_answers(raw, 1, ANSWER_BOUND_S)
        except OSError:
            return False
        if complete_responses(received) != [200]:
            return False
    return True


# -- command-line cases (the hook) ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CliCase:
    """`gatecrash *argv` run in a folder holding `files`; it must exit `exit_code` without a traceback."""

    name: str
    argv: tuple[str, ...]
    files: dict[str, bytes] = field(default_factory=dict)
    stdin: bytes = b""
    exit_code: int = 2


# Command-line bad-input cases: appended to by whoever adds a refusal (bad arguments, binary or
# endless files, YAML bombs, ...). Each runs in a fresh temporary folder.
CLI_CASES: list[CliCase] = []


def _bad_input_cases() -> list[CliCase]:
    """Issue 16's 13 inputs that ended in a traceback, with their neighbours (tests/test_cli_bad_inputs.py
    has a test for each): every file-reading option given /dev/zero, binary or seeded garbage."""
    demo = ROOT / "scenarios" / "demo"
    api, scenario = str(demo / "api.yaml"), str(demo / "scenario.yaml")
    readers = {
        "validate": ("validate", "{}"),
        "run": ("run", "{}"),
        "canary": ("canary", "{}", "--once", "--no-metrics"),
        "compare": ("compare", "{}", "--target-b", "emulator"),
        "emulator --definition": ("emulator", "--definition", "{}"),
        "emulator --side-file": ("emulator", "--definition", api, "--side-file", "{}"),
        "emulator --vars": ("emulator", "--definition", api, "--vars", "{}"),
        "generate": ("generate", "{}"),
        "generate --side-file": ("generate", api, "--side-file", "{}"),
        "generate --vars": ("generate", api, "--vars", "{}"),
        "diagnose": ("diagnose", "--from-file", "{}"),
        "token": ("token", "--side-file", "{}", "--pool", "us-east-1_demo0001"),
    }
    rng = random.Random(16)
    garbage = {
        "binary": b"\x00" + rng.randbytes(2000),
        "not UTF-8": "probes:\n  - name: café\n".encode("latin-1"),
        "YAML list": b"- probes\n- paths\n- stage\n",
    }
    cases = [
        CliCase(f"{name}: /dev/zero", tuple(a.replace("{}", "/dev/zero") for a in argv))
        for name, argv in readers.items()
    ]
    for name, argv in readers.items():
        for kind, content in garbage.items():
            argv_here = tuple(a.replace("{}", "input.yaml") for a in argv)
            cases.append(CliCase(f"{name}: {kind}", argv_here, {"input.yaml": content}))
    definition = (demo / "api.yaml").read_bytes()
    bad_model = definition.replace(b"additionalProperties: false", b"additionalProperties: 5", 1)
    cases += [
        CliCase("--port 70000", ("emulator", "--definition", api, "--port", "70000")),
        CliCase("--logs-port 70000", ("emulator", "--definition", api, "--logs-port", "70000")),
        CliCase("--master-port 70000", ("run", scenario, "--master-port", "70000")),
        CliCase("generate -o into a missing folder", ("generate", api, "-o", "new/probes.yaml"), exit_code=0),
        CliCase(
            "generate -o onto an existing file", ("generate", api, "-o", "p.yaml"), {"p.yaml": b"old\n"}, exit_code=0
        ),
        CliCase(
            "generate -o onto its definition", ("generate", "api.yaml", "-o", "api.yaml"), {"api.yaml": definition}
        ),
        CliCase("generate -o onto a folder", ("generate", api, "-o", ".")),
        CliCase("generate -o beneath a file", ("generate", api, "-o", "f/p.yaml"), {"f": b"a file\n"}),
        CliCase("generate -o onto a full disk", ("generate", api, "-o", "/dev/full"), exit_code=3),
        CliCase("generate: a model of the wrong shape", ("generate", "api.yaml"), {"api.yaml": bad_model}),
        CliCase("canary --history naming a file", ("canary", scenario, "--once", "--history", "h"), {"h": b"x\n"}),
        CliCase(
            "canary --history: not SQLite",
            ("canary", scenario, "--once", "--history", "."),
            {"history.sqlite3": rng.randbytes(4096)},
        ),
        CliCase("run --reports naming a file", ("run", scenario, "--reports", "r"), {"r": b"x\n"}),
        CliCase("diagnose: no API Gateway line", ("diagnose", "--from-file", "n.txt"), {"n.txt": b"just notes\n"}),
        CliCase("diagnose: /dev/zero-like stdin", ("diagnose", "--from-file", "-"), stdin=b"\x00" * 100_000),
        CliCase("validate: 17 MiB", ("validate", "big.yaml"), {"big.yaml": b"a: " + b"x" * (17 << 20)}),
        CliCase(
            "compare --record naming a file",
            ("compare", scenario, "--target-b", "emulator", "--record", "r"),
            {"r": b"x\n"},
        ),
    ]
    return cases


CLI_CASES.extend(_bad_input_cases())


def run_cli_case(case: CliCase, tally: Tally) -> None:
    with tempfile.TemporaryDirectory(prefix="gatecrash-fuzz-cli-") as folder:
        for name, content in case.files.items():
            (Path(folder) / name).write_bytes(content)
        try:
            done = subprocess.run(
                [str(GATECRASH), *case.argv], cwd=folder, input=case.stdin, capture_output=True, timeout=CLI_BOUND_S
            )
        except subprocess.TimeoutExpired:
            tally.add("hangs", f"cli {case.name}: no exit within {CLI_BOUND_S:g} s")
            return
    if TRACEBACK in done.stderr.decode("utf-8", "replace"):
        tally.add("tracebacks", f"cli {case.name}")
    if done.returncode != case.exit_code:
        tally.add("wrong exit", f"cli {case.name}: exit {done.returncode}, not {case.exit_code}")


# -- main -----------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=1, help="seed of the random garbage (default 1)")
    parser.add_argument("--max-seconds", type=float, default=300.0, help="stop starting cases after this")
    parser.add_argument("--idle", type=float, default=1.0, help="the emulator's idle timeout for the run (s)")
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve is not None:
        serve(args.serve, args.idle)
        return 0

    started = time.monotonic()
    tally = Tally()
    cases = wire_cases(args.seed)
    run = skipped = 0
    with tempfile.TemporaryDirectory(prefix="gatecrash-fuzz-") as temp:
        stderr_path = Path(temp) / "emulator.stderr"
        with emulator(Path(temp), args.idle, stderr_path) as (port, pid):
            if not plain_requests_answer(port):
                raise SystemExit("the emulator does not answer a plain request before fuzzing")
            before = resources(pid)
            for case in cases:
                if time.monotonic() - started > args.max_seconds:
                    skipped += 1
                    continue
                run_wire_case(port, case, args.idle, tally)
                run += 1
            time.sleep(args.idle + 1.0)  # every connection the cases left open idles out
            after = resources(pid)
            if not plain_requests_answer(port):
                tally.add("faults", "the emulator no longer answers a plain request")
            if after[0] > before[0] or after[1] > before[1]:
                tally.add("leaks", f"file descriptors {before[0]} -> {after[0]}, threads {before[1]} -> {after[1]}")
        stderr = stderr_path.read_text(errors="replace")
    if stderr.count(TRACEBACK):
        tally.counts["tracebacks"] += stderr.count(TRACEBACK)
        tally.notes.append(f"tracebacks: emulator stderr:\n{stderr[-4000:]}")
    cli_run = 0
    for cli_case in CLI_CASES:
        if time.monotonic() - started > args.max_seconds:
            skipped += 1
            continue
        run_cli_case(cli_case, tally)
        cli_run += 1
    caps_results: list[CapsResult] = []
    with tempfile.TemporaryDirectory(prefix="gatecrash-fuzz-caps-") as temp, counting_stack(Path(temp)) as stack:
        for caps_case in CAPS_CASES:
            if time.monotonic() - started > args.max_seconds:
                skipped += 1
                continue
            result = run_caps_case(stack, caps_case, Path(temp))
            caps_results.append(result)
            for broken in result.exceeded():
                tally.add("caps exceeded", f"{caps_case.name}: {broken}")
            if result.traceback:
                tally.add("tracebacks", f"caps {caps_case.name}")
            if result.hung:
                tally.add("hangs", f"caps {caps_case.name}: no exit within {CASE_BOUND_S:g} s")

    print(
        f"fuzz: {run} raw-socket cases, {cli_run} command-line cases, {len(caps_results)} caps cases "
        f"in {time.monotonic() - started:.1f} s"
    )
    if skipped:
        print(f"  skipped past --max-seconds: {skipped}")
    print(f"  file descriptors {before[0]} -> {after[0]}, threads {before[1]} -> {after[1]}")
    for kind in ("tracebacks", "hangs", "faults", "unanswered", "wrong answers", "leaks", "wrong exit"):
        print(f"  {kind:<11} {tally.counts[kind]}")
    for result in caps_results:
        signalled = "" if result.after_signal is None else f", {result.after_signal} after the SIGINT"
        print(
            f"    {result.case.name}: backend {result.backend}, gateway {result.gateway} "
            f"of max-requests {result.case.max_requests}; {result.span_s:.1f} s of max-duration "
            f"{result.case.max_duration_s:g} s{signalled}"
        )
    exceeded = tally.counts["caps exceeded"]
    print("  caps never exceeded" if exceeded == 0 and caps_results else f"  caps exceeded {exceeded}")
    for note in tally.notes:
        print(f"  - {note}")
    return 1 if sum(tally.counts.values()) or skipped else 0


if __name__ == "__main__":
    sys.exit(main())
