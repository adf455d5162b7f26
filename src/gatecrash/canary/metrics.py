"""CloudWatch metrics for a canary run: the MetricData (pure) and the boto3 edge that sends it.

SuccessPercent counts a probe as a success when its status and its cause are confirmed, so an
intended 403 is a success (unlike Synthetics' 4xx metric, which counts every 4xx as a failure), and
an UNCONFIRMED probe is not one: it proved nothing.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from gatecrash.awssession import aws_session, local_session
from gatecrash.canary.model import CanaryRun, ProbeOutcome
from gatecrash.target import LiveTarget

DEFAULT_NAMESPACE = "Gatecrash"
OPTIONAL_DIMENSIONS = ("probe", "mode")
_BATCH = 500  # PutMetricData takes up to 1000 datums a call; stay well below
# Runs more often than once a minute need high-resolution metrics to be told apart.
HIGH_RESOLUTION_BELOW_S = 60.0

Datum = dict[str, Any]


def metric_data(run: CanaryRun, dimensions: Collection[str] = (), every_s: float | None = None) -> list[Datum]:
    """The run's totals per scenario, plus per probe (and/or mode) when those dimensions are asked."""
    resolution = 1 if every_s is not None and every_s < HIGH_RESOLUTION_BELOW_S else 60
    scenario = [{"Name": "Scenario", "Value": run.scenario}]

    def datum(name: str, value: float, unit: str, dims: list[dict[str, str]]) -> Datum:
        return {
            "MetricName": name,
            "Dimensions": dims,
            "Timestamp": run.started,
            "Value": value,
            "Unit": unit,
            "StorageResolution": resolution,
        }

    data: list[Datum] = []
    percent = run.success_percent
    if percent is not None:
        data.append(datum("SuccessPercent", percent, "Percent", scenario))
    data.append(datum("Duration", run.duration_s * 1000.0, "Milliseconds", scenario))
    data.append(datum("Failed", float(run.failed), "Count", scenario))
    data.append(datum("Unconfirmed", float(run.unconfirmed), "Count", scenario))
    data.extend(datum(name, float(count), "Count", scenario) for name, count in run.status_classes().items())
    if dimensions:
        for probe in run.probes:
            dims = scenario + _probe_dimensions(probe, dimensions)
            data.append(datum("SuccessPercent", 100.0 if probe.succeeded else 0.0, "Percent", dims))
            data.append(datum("Failed", float(probe.failed), "Count", dims))
            data.append(datum("Unconfirmed", float(probe.unconfirmed), "Count", dims))
    return data


def _probe_dimensions(probe: ProbeOutcome, dimensions: Collection[str]) -> list[dict[str, str]]:
    dims: list[dict[str, str]] = []
    if "probe" in dimensions:
        dims.append({"Name": "Probe", "Value": probe.name[:1024]})
    if "mode" in dimensions:
        dims.append({"Name": "Mode", "Value": probe.mode})
    return dims


def parse_dimensions(text: str) -> frozenset[str]:
    names = frozenset(part.strip().lower() for part in text.split(",") if part.strip())
    unknown = sorted(names - set(OPTIONAL_DIMENSIONS))
    if unknown:
        raise ValueError(f"unknown dimension(s) {', '.join(unknown)}: choose from {', '.join(OPTIONAL_DIMENSIONS)}")
    return names


def alarm_request(namespace: str, scenario: str, every_s: float | None, threshold: float = 100.0) -> dict[str, Any]:
    """A SuccessPercent alarm; missing data breaches, because a canary that stopped reporting has
    stopped proving anything."""
    # One period per run: high-resolution alarms take 10 s; others a whole number of minutes.
    if every_s is not None and every_s < HIGH_RESOLUTION_BELOW_S:
        period = 10
    else:
        period = int(max(60.0, ((every_s or 60.0) // 60) * 60))
    return {
        "AlarmName": f"gatecrash-{scenario}-SuccessPercent",
        "AlarmDescription": f"gatecrash canary {scenario}: a probe's status or cause is no longer the intended one",
        "Namespace": namespace,
        "MetricName": "SuccessPercent",
        "Dimensions": [{"Name": "Scenario", "Value": scenario}],
        "Statistic": "Minimum",
        "Period": period,
        "EvaluationPeriods": 1,
        "Threshold": threshold,
        "ComparisonOperator": "LessThanThreshold",
        "TreatMissingData": "breaching",
    }


def cloudwatch_client(target: LiveTarget) -> Any:
    """The emulator's moto server (dummy credentials) or AWS through the standard chain."""
    if target.local_logs and target.logs_endpoint is not None:
        return local_session(target.region).client("cloudwatch", endpoint_url=target.logs_endpoint)
    return aws_session(target.profile, target.region).client("cloudwatch")


def publish(client: Any, namespace: str, data: Sequence[Datum]) -> None:
    for start in range(0, len(data), _BATCH):
        client.put_metric_data(Namespace=namespace, MetricData=list(data[start : start + _BATCH]))


def create_alarm(client: Any, request: dict[str, Any]) -> None:
    client.put_metric_alarm(**request)
