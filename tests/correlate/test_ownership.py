"""Evidence must belong to the probe: logs prove a cause only for the request they are the logs of.

Behind a loopback proxy that replays its first answer (x-amzn-RequestId included) to every later
request, or that hands probe 2 probe 1's request id, only a probe whose own request reached the
gateway is CONFIRMED: by its tag where the logs carry it (data trace's request headers, the access
log's $context.identity.userAgent), by a request id seen once where they do not.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from gatecrash.catalogue import load_catalogue
from gatecrash.correlate.model import AccessRecord, ExecutionLine, RequestLogs
from gatecrash.correlate.ownership import Owner, ownership
from gatecrash.run import run_on_target
from gatecrash.runner.verdict import Verdict
from gatecrash.scenario import load_scenario
from gatecrash.target import open_target
from tests.conftest import DEMO

CATALOGUE = load_catalogue()
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding"}
# An access-log format as many stages have it: no $context.identity.userAgent.
NO_AGENT_FORMAT = (
    '{"requestId":"$context.requestId","status":"$context.status","error.responseType":"$context.error.responseType"}'
)


# --- the logs, read line by line ---------------------------------------------------------------------


def headers_line(text: str) -> RequestLogs:
    return RequestLogs("r1", (ExecutionLine("r1", f"Method request headers: {text}", 0, ""),))


def test_the_tag_in_the_request_headers_line_names_the_request() -> None:
    line = "{host=h, accept-encoding=gzip, deflate, X-Gatecrash-Probe=run1/get a pet/0, user-agent=x}"
    assert ownership(headers_line(line), "run1/get a pet/0").owner is Owner.OURS
    other = ownership(headers_line(line), "run1/get a pet/1")
    assert (other.owner, other.others) == (Owner.FOREIGN, ("run1/get a pet/0",))
    # A probe's name may hold ", ": the sent tag is compared from the value's start.
    assert ownership(headers_line("{x-gatecrash-probe=run1/a, b/0}"), "run1/a, b/0").owner is Owner.OURS
    # run1/p/1 is not run1/p/10.
    assert ownership(headers_line("{x-gatecrash-probe=run1/p/10}"), "run1/p/1").owner is Owner.FOREIGN


def test_a_tag_the_gateway_cut_at_1_kb_proves_nothing() -> None:
    cut = headers_line("{a=b, x-gatecrash-probe=run1/get [TRUNCATED]")
    assert ownership(cut, "run1/get a pet/0").owner is Owner.UNTAGGED
    cut_after = headers_line("{a=b, x-gatecrash-probe=run1/p/1 [TRUNCATED]")
    assert ownership(cut_after, "run1/p/1").owner is Owner.UNTAGGED
    assert ownership(cut, "run2/x/0").owner is Owner.FOREIGN
    assert ownership(headers_line("{a=b, c=d [TRUNCATED]"), "run1/p/0").owner is Owner.UNTAGGED


def test_the_access_logs_user_agent_carries_the_tag() -> None:
    record = AccessRecord("r1", {"identity.userAgent": "gatecrash/1.0 X-Gatecrash-Probe/run1/p/0"}, "")
    assert ownership(RequestLogs("r1", (), record), "run1/p/0").where == "access log"
    assert ownership(RequestLogs("r1", (), record), "run1/p/1").owner is Owner.FOREIGN
    someone = AccessRecord("r1", {"identity.userAgent": "curl/8.0"}, "")
    assert ownership(RequestLogs("r1", (), someone), "run1/p/0").owner is Owner.UNTAGGED


# --- whole runs behind a proxy -------------------------------------------------------------------------


class _Proxy(BaseHTTPRequestHandler):
    """Forwards to the emulator; `replay` answers every request after the first with the first answer,
    `same_id` forwards every request but gives every answer the first answer's request id."""

    protocol_version = "HTTP/1.1"
    upstream = ""
    mode = "replay"
    cached: tuple[int, list[tuple[str, str]], bytes] | None = None
    first_id: str | None = None
    lock = threading.Lock()

    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self._answer()

    def _answer(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        cls = type(self)
        with cls.lock:
            if cls.mode == "replay" and cls.cached is not None:
                status, headers, content = cls.cached
            else:
                status, headers, content = self._forward(body)
                if cls.cached is None:
                    cls.cached = (status, headers, content)
                    cls.first_id = dict(headers).get("x-amzn-requestid")
        if cls.mode == "same_id" and cls.first_id is not None:
            headers = [(k, cls.first_id if k == "x-amzn-requestid" else v) for k, v in headers]
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)

    def _forward(self, body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
        headers = [(k, v) for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP | {"host"}]
        response = httpx.request(self.command, self.upstream + self.path, headers=headers, content=body, timeout=30)
        kept = [(k.lower(), v) for k, v in response.headers.multi_items() if k.lower() not in _HOP_BY_HOP]
        return response.status_code, kept, response.content

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def proxy(upstream: str, mode: str) -> Iterator[str]:
    handler = type("Proxy", (_Proxy,), {"upstream": upstream, "mode": mode, "cached": None, "first_id": None})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def demo_copy(tmp_path: Path, method_settings: str, access_format: str | None = None) -> Path:
    """The demo API in tmp_path with other logging settings."""
    folder = tmp_path / "demo"
    shutil.copytree(DEMO, folder, ignore=shutil.ignore_patterns("__pycache__"))
    stage = folder / "stage.yaml"
    text = stage.read_text().replace('"*/*": {loggingLevel: INFO, dataTraceEnabled: true}', f'"*/*": {method_settings}')
    if access_format is not None:
        group = "destinationArn: arn:aws:logs:us-east-1:123456789012:log-group:gatecrash-demo-access"
        text = text.replace(group, f"{group}\n    format: '{access_format}'")
    stage.write_text(text)
    return folder


def run_behind(tmp_path: Path, folder: Path, mode: str | None, probes: str) -> dict[str, tuple[Verdict, str]]:
    scenario_file = tmp_path / "scenario.yaml"
    scenario_file.write_text(
        f"target: {{emulator: {{definition: {folder}/api.yaml, side-file: {folder}/stage.yaml}}}}\n"
        "limits: {max-requests: 20, max-duration: 60s}\n"
        "concurrency: 1\n"  # one at a time: the first request is the one the proxy forwards
        f"probes:\n{probes}"
    )
    scenario = load_scenario(scenario_file, CATALOGUE.ids)
    with open_target(scenario.target) as target:
        if mode is None:
            run = run_on_target(scenario, target, CATALOGUE)
        else:
            parts = urlsplit(target.base_url)
            with proxy(f"{parts.scheme}://{parts.netloc}", mode) as address:
                run = run_on_target(scenario, replace(target, base_url=address + parts.path), CATALOGUE)
    return {result.name: (result.verdict, result.reason) for result in run.results}


THREE_OK = "".join(f"  - {{name: list {n}, mode: ok, request: {{method: GET, path: /pets}}}}\n" for n in (1, 2, 3))


def test_behind_a_replaying_proxy_only_the_request_that_reached_the_gateway_is_confirmed(tmp_path: Path) -> None:
    verdicts = run_behind(tmp_path, DEMO, "replay", THREE_OK)
    assert verdicts["list 1"] == (
        Verdict.CONFIRMED,
        "confirmed from the gateway's logs of its own request (its tag in the execution log and access log)",
    )
    for name in ("list 2", "list 3"):
        verdict, reason = verdicts[name]
        assert verdict is Verdict.UNCONFIRMED
        assert "are another request's: they carry the probe tag" in reason and "/list 1/0" in reason


def test_without_tags_in_the_logs_a_replayed_request_id_proves_none_of_its_requests(tmp_path: Path) -> None:
    folder = demo_copy(tmp_path, "{loggingLevel: INFO, dataTraceEnabled: false}", NO_AGENT_FORMAT)
    verdicts = run_behind(tmp_path, folder, "replay", THREE_OK)
    assert {verdict for verdict, _ in verdicts.values()} == {Verdict.UNCONFIRMED}
    for _, reason in verdicts.values():
        assert "answered 3 requests" in reason and "its logs name none of them" in reason


def test_probe_2_given_probe_1s_request_id_is_not_confirmed_from_probe_1s_logs(tmp_path: Path) -> None:
    verdicts = run_behind(tmp_path, DEMO, "same_id", THREE_OK)
    assert verdicts["list 1"][0] is Verdict.CONFIRMED
    assert verdicts["list 2"][0] is Verdict.UNCONFIRMED and "/list 1/0, not " in verdicts["list 2"][1]


def test_without_tags_a_request_id_seen_once_is_the_probes_own(tmp_path: Path) -> None:
    folder = demo_copy(tmp_path, "{loggingLevel: INFO, dataTraceEnabled: false}", NO_AGENT_FORMAT)
    verdicts = run_behind(tmp_path, folder, None, THREE_OK)
    assert set(verdicts.values()) == {
        (Verdict.CONFIRMED, "confirmed from the gateway's logs of its own request (its request id, seen once)")
    }


def test_the_access_logs_user_agent_alone_proves_the_request(tmp_path: Path) -> None:
    folder = demo_copy(tmp_path, "{loggingLevel: INFO, dataTraceEnabled: false}")
    verdicts = run_behind(tmp_path, folder, "replay", THREE_OK)
    assert verdicts["list 1"] == (
        Verdict.CONFIRMED,
        "confirmed from the gateway's logs of its own request (its tag in the access log)",
    )
    assert verdicts["list 3"][0] is Verdict.UNCONFIRMED


def test_with_execution_logging_off_a_mode_told_apart_by_a_line_is_unconfirmed_not_wrong(tmp_path: Path) -> None:
    # lambda-error-mapped is told apart only by its execution-log line; the access record of a mapped
    # 400 fits other modes as well and contradicts this one in nothing.
    probes = (
        "  - name: mapped refusal\n    mode: lambda-error-mapped\n"
        "    request: {method: POST, path: /orders, json: {item: cat food, quantity: 0}}\n"
        "  - {name: function error, mode: lambda-error, request: {method: GET, path: /failing}}\n"
    )
    assert run_behind(tmp_path, DEMO, None, probes)["mapped refusal"][0] is Verdict.CONFIRMED
    folder = demo_copy(tmp_path, "{loggingLevel: 'OFF', dataTraceEnabled: false}")
    verdicts = run_behind(tmp_path, folder, None, probes)
    verdict, reason = verdicts["mapped refusal"]
    assert verdict is Verdict.UNCONFIRMED
    assert reason.startswith("no execution-log lines for request ")
    assert "lambda-error-mapped is told apart by an execution-log line" in reason
    # A mode the access record proves on its own is still confirmed without execution lines.
    assert verdicts["function error"][0] is Verdict.CONFIRMED
