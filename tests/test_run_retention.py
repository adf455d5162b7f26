"""Runs on an emulator whose local logs keep a short window: correlation works inside it, and a
re-check after it says the events expired (as CloudWatch Logs returns nothing past retention)."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

import boto3

from gatecrash.catalogue import load_catalogue
from gatecrash.emulator.cloudwatch import DEFAULT_LOGS_RETENTION_S, roll_interval_ms
from gatecrash.run import RunOptions, recorrelate, run_logs_retention_s, run_on_target
from gatecrash.runner.verdict import Verdict
from gatecrash.scenario import load_scenario
from gatecrash.scenario.model import Limits
from gatecrash.target import LiveTarget, open_target
from tests.conftest import DEMO


def _stream_count(target: LiveTarget, group: str) -> int:
    client: Any = boto3.client(
        "logs",
        endpoint_url=target.logs_endpoint,
        region_name=target.region,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    pages = client.get_paginator("describe_log_streams").paginate(logGroupName=group)
    return sum(len(page["logStreams"]) for page in pages)


def test_the_demo_is_confirmed_while_its_logs_roll_over_to_new_streams() -> None:
    catalogue = load_catalogue()
    scenario = load_scenario(DEMO / "scenario.yaml", catalogue.ids)
    retention_s = 40.0  # streams roll every 10 s; the run reads its logs long before 40 s have passed
    roll_ms = roll_interval_ms(retention_s)
    with open_target(scenario.target, logs_retention_s=retention_s) as target:
        assert target.logs_retention_s == retention_s
        straddled = False
        for _ in range(3):  # a slow start can miss the slice's end: the next try aims again
            # Start half a second before a slice ends (the demo sends for about a second, from 0.1 s after
            # its start), so the run's requests are logged in two slices, hence two streams.
            while int(time.time() * 1000) % roll_ms < roll_ms - 500:
                time.sleep(0.05)
            result = run_on_target(scenario, target, catalogue)
            assert {r.verdict for r in result.results} == {Verdict.CONFIRMED}, [
                (r.record.step.name, r.verdict, r.reason) for r in result.results if r.verdict is not Verdict.CONFIRMED
            ]
            observations = [o for r in result.results for o in r.record.observations if o.received_at]
            # Logged between sending and receiving: the first answer's slice before the last send's, two slices.
            first_logged_by = min(o.received_at or 0.0 for o in observations)
            last_logged_from = max(o.sent_at for o in observations)
            straddled = int(first_logged_by * 1000) // roll_ms < int(last_logged_from * 1000) // roll_ms
            if straddled:
                break
        assert straddled, "no run's requests were logged across two slices"
        assert target.access_log_group is not None  # every request writes its access record there
        assert _stream_count(target, target.access_log_group) >= 2


def test_a_recheck_after_the_window_says_the_events_expired() -> None:
    catalogue = load_catalogue()
    scenario = load_scenario(DEMO / "scenario.yaml", catalogue.ids)
    scenario = replace(scenario, steps=tuple(s for s in scenario.steps if s.name == scenario.steps[0].name))
    with open_target(scenario.target, logs_retention_s=2.0) as target:
        run = run_on_target(scenario, target, catalogue)
        assert [r.verdict for r in run.results] == [Verdict.CONFIRMED]
        # A canary re-checks a probe left UNCONFIRMED in its next run: here, after the window.
        pending = [replace(r, verdict=Verdict.UNCONFIRMED) for r in run.results]
        give_up = time.monotonic() + 30.0
        while _stream_count(target, target.execution_log_group) > 0:  # the expirer deleted them
            assert time.monotonic() < give_up, "the run's log streams never expired"
            time.sleep(0.2)
        options = RunOptions(logs_deadline_s=0.5)
        rechecked = recorrelate(pending, target, catalogue, run.started, run.finished, options)
    [result] = rechecked
    assert result.verdict is Verdict.UNCONFIRMED
    assert "past the emulator's log retention of 2s (--logs-retention), so its events have expired" in result.reason


def test_a_runs_emulator_keeps_its_logs_at_least_as_long_as_the_run_may_last() -> None:
    catalogue = load_catalogue()
    scenario = load_scenario(DEMO / "scenario.yaml", catalogue.ids)
    assert run_logs_retention_s(replace(scenario, limits=Limits(10, 1.0))) >= DEFAULT_LOGS_RETENTION_S
    # Long enough for the run, and for the longest wait for its logs after it (5 min, AWS's).
    assert run_logs_retention_s(replace(scenario, limits=Limits(10, 3600.0))) >= 3600.0 + 300.0
    # A canary every hour re-checks a run's UNCONFIRMED probes in its next run, up to two hours later.
    assert run_logs_retention_s(replace(scenario, limits=Limits(10, 60.0)), every_s=3600.0) > 7200.0
