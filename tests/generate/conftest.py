"""Which requests reached a backend, read from the emulator's own execution log lines as they are shipped."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from gatecrash.emulator.cloudwatch import CloudWatchLogSink

_REQUEST_ID = re.compile(r"^\(([^)]+)\) ")


@pytest.fixture
def integration_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[set[str]]:
    """Request ids whose execution log says the gateway called a backend ("Endpoint request URI")."""
    called: set[str] = set()
    original = CloudWatchLogSink.emit

    def keep(self: CloudWatchLogSink, group: str, stream: str, timestamp_ms: int, message: str) -> None:
        match = _REQUEST_ID.match(message)
        if match and "Endpoint request URI: " in message:
            called.add(match.group(1))
        original(self, group, stream, timestamp_ms, message)

    monkeypatch.setattr(CloudWatchLogSink, "emit", keep)
    yield called
