"""The demo scenario on the emulator, every answer held against its catalogue entry: status,
x-amzn-ErrorType, the access-log record and the execution-log lines, read back through boto3.

This keeps the emulator and the catalogue honest with each other: both cite AWS, and here they
must agree on real traffic.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import boto3
import pytest

from gatecrash.catalogue import Catalogue, load_catalogue
from gatecrash.run import resolve_secrets
from gatecrash.runner.fire import Runner, StepRecord
from gatecrash.scenario import Probe, load_scenario
from gatecrash.target import LiveTarget, open_target
from tests.conftest import DEMO


def _events(client: Any, group: str) -> list[str]:
    messages: list[str] = []
    try:
        for page in client.get_paginator("filter_log_events").paginate(logGroupName=group):
            messages.extend(event["message"] for event in page["events"])
    except client.exceptions.ResourceNotFoundException:
        pass
    return messages


@pytest.fixture(scope="module")
def demo_run() -> tuple[Catalogue, list[StepRecord], dict[str, dict[str, str]], dict[str, list[str]]]:
    catalogue = load_catalogue()
    scenario = load_scenario(DEMO / "scenario.yaml", catalogue.ids)
    with open_target(scenario.target) as target:
        secrets = resolve_secrets(scenario, target)
        records = asyncio.run(Runner(scenario, target, secrets).run())
        access, execution = _logs(target)
    return catalogue, records, access, execution


def _logs(target: LiveTarget) -> tuple[dict[str, dict[str, str]], dict[str, list[str]]]:
    client = boto3.client(
        "logs",
        endpoint_url=target.logs_endpoint,
        region_name=target.region,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    time.sleep(0.5)  # the sink ships every 100 ms; the run's last events follow its last answer
    assert target.access_log_group is not None
    records = [json.loads(message) for message in _events(client, target.access_log_group)]
    access = {record["requestId"]: record for record in records}
    execution: dict[str, list[str]] = {}
    for message in _events(client, target.execution_log_group):
        request_id, _, text = message[1:].partition(") ")
        execution.setdefault(request_id, []).append(text)
    return access, execution


def test_every_demo_answer_has_its_modes_status_and_error_type(demo_run: Any) -> None:
    catalogue, records, _, _ = demo_run
    for record in records:
        mode = catalogue.get(record.step.mode)
        judged = (
            record.observations[-1:]
            if isinstance(record.step, Probe) and record.step.judge.value == "last"
            else [o for o in record.observations if mode.status_matches(o.status or 0)]
        )
        assert judged, record.step.name
        for observation in judged:
            assert observation.error is None, (record.step.name, observation.error)
            assert mode.status_matches(observation.status or 0), (record.step.name, observation.status)
            assert observation.error_type == mode.error_type, (record.step.name, observation.error_type)


def test_every_demo_answer_leaves_the_log_evidence_its_mode_names(demo_run: Any) -> None:
    catalogue, records, access, execution = demo_run
    checked = 0
    for record in records:
        mode = catalogue.get(record.step.mode)
        for observation in record.observations:
            if not mode.status_matches(observation.status or 0):
                continue  # a burst's accepted requests, a quota's preparing requests
            request_id = observation.request_id
            if not mode.evidence.access_log_expected:
                assert request_id is None or request_id not in access, record.step.name
                continue
            assert request_id in access, (record.step.name, "no access-log record")
            assert mode.evidence.access_log_matches(access[request_id]), (record.step.name, access[request_id])
            lines = execution.get(request_id, [])
            if mode.evidence.execution_log_expected and mode.evidence.execution_log:
                assert mode.evidence.execution_log_matches(lines), (record.step.name, lines)
            elif not mode.evidence.execution_log_expected:
                # e.g. stage throttling writes nothing; usage-plan throttling writes its line.
                assert lines == [] or mode.evidence.execution_log_matches(lines), (record.step.name, lines)
            checked += 1
    assert checked >= len(records)
