"""A restarted canary re-checks what the previous process left UNCONFIRMED, in its first run.

The logs must outlive the process, as CloudWatch's do: the canaries target an emulator of this
test as a deployed stage (over TLS, as an invoke URL is) and read a moto server of the session
(`AWS_ENDPOINT_URL_CLOUDWATCH_LOGS`). The emulator ships its logs to its own moto server instead; the test
copies them over after the first process stopped, as a late delivery, so the first process finds
none by its deadline (UNCONFIRMED) and the second finds them when it re-checks.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from gatecrash.canary.history import FILE_NAME, History
from gatecrash.canary.model import RunStatus
from gatecrash.emulator.cloudwatch import LocalLogsServer
from gatecrash.emulator.definition import load_definition
from gatecrash.emulator.server import EmulatorServer
from gatecrash.emulator.sidefile import load_side_file

SCENARIO = """
name: canary-restart
target:
  aws:
    invoke-url: {url}
    region: {region}
    rest-api-id: {api}
    stage: {stage}
    access-log-group: {access}
limits: {{max-requests: 10, max-duration: 30s}}
probes:
  - name: unknown route
    mode: unknown-route
    request: {{method: GET, path: /nowhere}}
  - name: no API key
    mode: missing-api-key
    request: {{method: GET, path: /keyed}}
"""


def _certificate(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_file, key_file


def _pipe(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        for end in (source, sink):
            try:
                end.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def _relay(raw: socket.socket, context: ssl.SSLContext, port: int) -> None:
    """One TLS connection relayed to `port` both ways; both sockets closed when either side ends."""
    with raw:
        try:
            client = context.wrap_socket(raw, server_side=True)
        except OSError:
            return
        with client, socket.create_connection(("127.0.0.1", port)) as backend:
            back = threading.Thread(target=_pipe, args=(backend, client), daemon=True)
            back.start()
            _pipe(client, backend)
            back.join(5.0)


@pytest.fixture
def tls_front(tmp_path: Path) -> Iterator[tuple[int, Path, list[int]]]:
    """A TLS terminator on loopback in front of a port set later: (its port, its certificate, [upstream])."""
    cert_file, key_file = _certificate(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    listener = socket.create_server(("127.0.0.1", 0))
    upstream: list[int] = []
    relays: list[threading.Thread] = []

    def serve() -> None:
        while True:
            try:
                raw, _ = listener.accept()
            except OSError:
                return
            relay = threading.Thread(target=_relay, args=(raw, context, upstream[0]), daemon=True)
            relay.start()
            relays.append(relay)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1], cert_file, upstream
    finally:
        listener.close()
        thread.join(5.0)
        for relay in relays:
            relay.join(5.0)


def _logs(endpoint: str, region: str) -> Any:
    return boto3.client(
        "logs", endpoint_url=endpoint, region_name=region, aws_access_key_id="testing", aws_secret_access_key="testing"
    )


def _deliver_late(source: Any, sink: Any, groups: list[str]) -> int:
    """Every event of `groups` copied from `source` to `sink`, stream by stream."""
    copied = 0
    for group in groups:
        streams: dict[str, list[dict[str, Any]]] = {}
        for page in source.get_paginator("filter_log_events").paginate(logGroupName=group):
            for event in page["events"]:
                streams.setdefault(event["logStreamName"], []).append(event)
        for stream, events in streams.items():
            try:
                sink.create_log_stream(logGroupName=group, logStreamName=stream)
            except sink.exceptions.ResourceAlreadyExistsException:
                pass
            batch = [{"timestamp": e["timestamp"], "message": e["message"]} for e in events]
            sink.put_log_events(
                logGroupName=group, logStreamName=stream, logEvents=sorted(batch, key=lambda e: e["timestamp"])
            )
            copied += len(batch)
    return copied


def test_a_restarted_canary_rechecks_what_the_previous_process_left_unconfirmed(
    canary_dir: Path, logs_server: LocalLogsServer, tls_front: tuple[int, Path, list[int]]
) -> None:
    port, cert_file, upstream = tls_front
    api = load_definition(canary_dir / "api.yaml")
    stage = load_side_file(canary_dir / "stage.yaml")
    history_dir = canary_dir / "history"
    with EmulatorServer(api, stage) as emulator:
        endpoints = emulator.endpoints
        assert endpoints is not None and endpoints.access_log_group is not None
        upstream.append(int(endpoints.base_url.rsplit(":", 1)[1].split("/", 1)[0]))
        groups = [endpoints.execution_log_group, endpoints.access_log_group]
        read_by_canary = _logs(logs_server.endpoint_url, stage.region)
        for group in groups:  # the groups exist, empty until the late delivery
            try:
                read_by_canary.create_log_group(logGroupName=group)
            except read_by_canary.exceptions.ResourceAlreadyExistsException:
                pass
        url = endpoints.base_url.replace("http://", "https://").replace(f":{upstream[0]}", f":{port}")
        scenario = SCENARIO.format(
            url=url,
            region=stage.region,
            api=stage.rest_api_id,
            stage=stage.stage_name,
            access=endpoints.access_log_group,
        )
        (canary_dir / "restart.yaml").write_text(scenario, encoding="utf-8")
        environment = {
            **os.environ,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS": logs_server.endpoint_url,
            "SSL_CERT_FILE": str(cert_file),
            "NO_PROXY": "127.0.0.1,localhost",
        }
        command = [sys.executable, "-m", "gatecrash", "canary", "restart.yaml", "--history", str(history_dir)]
        command += ["--no-metrics", "--logs-deadline", "1s"]

        first = subprocess.Popen(
            [*command, "--every", "1h"],
            cwd=canary_dir,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 60.0
            while time.monotonic() < deadline and first.poll() is None:
                if (history_dir / FILE_NAME).exists() and History(history_dir).runs():
                    break
                time.sleep(0.1)
            first.send_signal(signal.SIGTERM)
            output, _ = first.communicate(timeout=30)
        finally:
            if first.poll() is None:
                first.kill()
        assert first.returncode == 0, output.decode()
        [run] = History(history_dir).runs()
        assert run.status is RunStatus.COMPLETED, output.decode()
        assert [p.verdict for p in run.probes] == ["UNCONFIRMED", "UNCONFIRMED"], run.probes

        emulator.flush_logs()
        assert _deliver_late(_logs(endpoints.logs_endpoint or "", stage.region), read_by_canary, groups) > 0

        second = subprocess.run([*command, "--once"], cwd=canary_dir, env=environment, capture_output=True, timeout=90)
    assert second.returncode == 0, second.stdout.decode() + second.stderr.decode()
    runs = History(history_dir).runs()
    assert [r.number for r in runs] == [1, 2]
    rechecked = runs[1]
    assert [(p.name, p.verdict) for p in rechecked.probes] == [
        ("unknown route", "CONFIRMED"),
        ("no API key", "CONFIRMED"),
    ], rechecked.probes
    assert all(p.reason.startswith("re-checked from run #1: ") for p in rechecked.probes)
    assert (rechecked.failed, rechecked.unconfirmed, rechecked.success_percent) == (0, 0, 100.0)
