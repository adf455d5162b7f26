"""The canary against the emulator, in process: metrics read back from its moto server, history, page."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import boto3

from gatecrash.canary.execute import Pending, attempt
from gatecrash.canary.history import History
from gatecrash.canary.loop import CanaryOptions, run_canary
from gatecrash.canary.model import CanaryRun, RunStatus
from gatecrash.catalogue import load_catalogue
from gatecrash.run import RunOptions, run_on_target
from gatecrash.runner.verdict import Verdict
from gatecrash.scenario import load_scenario
from gatecrash.target import LiveTarget, open_target


def _cloudwatch(target: LiveTarget) -> Any:
    return boto3.client(
        "cloudwatch",
        region_name=target.region,
        endpoint_url=target.logs_endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def _series(client: Any, scenario: str, runs: list[CanaryRun]) -> dict[datetime, float]:
    """The SuccessPercent series, one point a second, read back with get_metric_data."""
    first = runs[0].started.replace(microsecond=0)
    answer = client.get_metric_data(
        MetricDataQueries=[
            {
                "Id": "success",
                "MetricStat": {
                    "Metric": {
                        "Namespace": "Gatecrash",
                        "MetricName": "SuccessPercent",
                        "Dimensions": [{"Name": "Scenario", "Value": scenario}],
                    },
                    "Period": 1,
                    "Stat": "Average",
                },
            }
        ],
        StartTime=first,
        EndTime=runs[-1].started + timedelta(seconds=2),
        ScanBy="TimestampAscending",
    )
    result = answer["MetricDataResults"][0]
    points = zip(result["Timestamps"], result["Values"], strict=True)
    return {stamp.replace(tzinfo=UTC): float(value) for stamp, value in points}


def _expected(runs: list[CanaryRun], percents: list[float]) -> dict[datetime, float]:
    """Per second, the mean of the runs started in it: CloudWatch keeps timestamps to the second,
    so two runs a little under 1 s apart can share a point, which then holds their average."""
    buckets: dict[datetime, list[float]] = {}
    for run, percent in zip(runs, percents, strict=True):
        buckets.setdefault(run.started.replace(microsecond=0), []).append(percent)
    return {stamp: sum(values) / len(values) for stamp, values in buckets.items()}


def test_success_percent_drops_when_the_function_starts_failing(canary_dir: Path) -> None:
    catalogue = load_catalogue()
    scenario = load_scenario(canary_dir / "scenario.yaml", catalogue.ids)
    history_dir = canary_dir / "history"
    options = CanaryOptions(every_s=1.0, jitter=0.0, timeout_s=30.0, retries=2, history_dir=history_dir, max_runs=5)

    def fail_after_second(run: CanaryRun) -> None:
        if run.number == 2:
            (canary_dir / "failing.flag").touch()

    with open_target(scenario.target) as target:
        runs = run_canary(scenario, target, catalogue, options, threading.Event(), fail_after_second)
        series = _series(_cloudwatch(target), scenario.name, runs)

    assert [run.status for run in runs] == [RunStatus.COMPLETED] * 5
    expected = _expected(runs, [100.0, 100.0] + [200.0 / 3] * 3)
    assert series.keys() == expected.keys()
    assert all(abs(series[stamp] - value) < 0.01 for stamp, value in expected.items()), (series, expected)
    failing = runs[2].probes[0]
    assert (failing.name, failing.verdict, failing.attempts) == ("get a pet", "WRONG_STATUS", 3)
    assert [p.attempts for p in runs[2].probes[1:]] == [1, 1]  # only the failure is retried
    assert [run.number for run in History(history_dir).runs()] == [1, 2, 3, 4, 5]


def test_a_restart_continues_the_history_and_the_page_renders(canary_dir: Path) -> None:
    catalogue = load_catalogue()
    scenario = load_scenario(canary_dir / "scenario.yaml", catalogue.ids)
    history_dir = canary_dir / "history"
    options = CanaryOptions(history_dir=history_dir, publish=False)
    (canary_dir / "failing.flag").touch()
    with open_target(scenario.target) as target:
        first = run_canary(scenario, target, catalogue, options, threading.Event())
    with open_target(scenario.target) as target:  # a new process would open it anew too
        second = run_canary(scenario, target, catalogue, options, threading.Event())
    assert [run.number for run in first + second] == [1, 2]
    kept = History(history_dir).runs()
    assert kept == first + second
    assert kept[0].probes[0].reason and kept[0].failed == 1

    page = (history_dir / "index.html").read_text(encoding="utf-8")
    parsed = _Page()
    parsed.feed(page)
    assert parsed.svgs == 2
    assert not parsed.references, parsed.references  # self-contained: nothing to fetch
    assert "get a pet" in page and "WRONG_STATUS" in page


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.svgs = 0
        self.references: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.svgs += tag == "svg"
        for name, value in attrs:
            fetches = name in ("src", "href") or (value or "").startswith(("http:", "https:", "//"))
            if fetches and name != "xmlns":  # xmlns names the SVG namespace; nothing is fetched
                self.references.append(f"{tag} {name}={value}")


def test_create_alarms_puts_a_success_percent_alarm(canary_dir: Path) -> None:
    catalogue = load_catalogue()
    scenario = load_scenario(canary_dir / "scenario.yaml", catalogue.ids)
    options = CanaryOptions(history_dir=canary_dir / "history", create_alarms=True)
    with open_target(scenario.target) as target:
        runs = run_canary(scenario, target, catalogue, options, threading.Event())
        alarms = _cloudwatch(target).describe_alarms()["MetricAlarms"]
    assert runs[0].ok and runs[0].success_percent == 100.0
    assert [(a["AlarmName"], a["MetricName"], a["TreatMissingData"]) for a in alarms] == [
        ("gatecrash-canary-test-SuccessPercent", "SuccessPercent", "breaching")
    ]


def test_a_run_past_the_timeout_is_recorded_as_timed_out(canary_dir: Path) -> None:
    catalogue = load_catalogue()
    scenario = load_scenario(canary_dir / "scenario.yaml", catalogue.ids)
    (canary_dir / "sleep.txt").write_text("0.5", encoding="utf-8")
    options = CanaryOptions(history_dir=canary_dir / "history", timeout_s=0.2, publish=False)
    with open_target(scenario.target) as target:
        runs = run_canary(scenario, target, catalogue, options, threading.Event())
    assert [(run.status, run.success_percent) for run in runs] == [(RunStatus.TIMED_OUT, 0.0)]
    assert History(canary_dir / "history").runs() == runs


def test_unconfirmed_is_settled_by_the_next_runs_recheck(canary_dir: Path) -> None:
    """Logs not read in run 1 (as if they were late): run 2, UNCONFIRMED again, re-checks run 1's
    requests in the logs and takes their verdict instead of counting anything failed."""
    catalogue = load_catalogue()
    scenario = load_scenario(canary_dir / "scenario.yaml", catalogue.ids)
    unread = RunOptions(correlate=False)
    with open_target(scenario.target) as target:
        first = run_on_target(scenario, target, catalogue, unread)
        started, finished = first.started, first.finished
        pending = Pending(1, (0, 1, 2), first.results, started, finished)
        run, left = attempt(scenario, target, catalogue, 2, 2, unread, pending)
        decided, _ = attempt(scenario, target, catalogue, 2, 3, RunOptions(), pending)
    assert [r.verdict for r in first.results] == [Verdict.UNCONFIRMED] * 3
    assert [p.verdict for p in run.probes] == ["CONFIRMED"] * 3
    assert all(p.reason.startswith("re-checked from run #1: ") for p in run.probes)
    assert (run.success_percent, left) == (100.0, None)  # logs not read this run: nothing pending
    # A run that decides a probe itself keeps its own, newer verdict.
    assert [p.verdict for p in decided.probes] == ["CONFIRMED"] * 3
    assert not any(p.reason.startswith("re-checked") for p in decided.probes)
