"""The URL an observation records: a secret query parameter masked, a URL without a query as sent."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from gatecrash.emulator.cloudwatch import LocalLogsServer
from gatecrash.scenario.model import Probe, RequestSpec
from gatecrash.target import LiveTarget
from tests.emulator.conftest import running_demo
from tests.runner.test_fire import fire, live, scenario


@pytest.fixture(scope="module")
def target(logs_server: LocalLogsServer, demo_backend: str) -> Iterator[LiveTarget]:
    for server in running_demo(logs_server, demo_backend):
        yield live(server)


def test_a_secret_query_parameter_is_recorded_redacted_and_a_plain_url_as_sent(target: LiveTarget) -> None:
    query = (("api_key", "querysecret1"), ("a", "1"))
    asked = Probe("asked", "unknown-route", RequestSpec("GET", "/nowhere", query=query))
    plain = Probe("plain", "ok", RequestSpec("GET", "/pets/3"))
    with_query, without = (record.observations[0] for record in fire(scenario(asked, plain), target))
    assert with_query.status == 403 and without.status == 200
    assert with_query.request.url.endswith("/demo/nowhere?api_key=%3Credacted%3E&a=1")
    assert "querysecret1" not in str(with_query)
    assert without.request.url == f"{target.base_url.rstrip('/')}/pets/3"
