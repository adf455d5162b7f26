"""Fetching the gateway's log events through boto3: the one place that reads CloudWatch Logs.

The same code reads real AWS and the emulator's moto server. It filters on the client: moto does
not implement CloudWatch filter patterns faithfully, so correctness never rests on one. It polls
the run's time window until every request id has its events or a deadline passes, because
CloudWatch delivers late (seconds to minutes on AWS).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gatecrash.awssession import REGION_HINT, aws_session, local_session, region_of
from gatecrash.correlate.model import LogEvent, RequestLogs
from gatecrash.correlate.parse import group_by_request, parse_access_record, parse_execution_events
from gatecrash.errors import LogsError

if TYPE_CHECKING:
    import boto3
    from mypy_boto3_logs.client import CloudWatchLogsClient

# Found / expected request ids, after each poll.
FetchProgress = Callable[[int, int], None]
_POLL_INTERVAL_S = 1.0
# Clocks differ between this machine and AWS; the window opens this much before the first send.
CLOCK_SKEW_MS = 60_000


@dataclass(frozen=True, slots=True)
class LogLocation:
    region: str
    execution_log_group: str
    access_log_group: str | None
    endpoint_url: str | None = None  # None: the region's CloudWatch Logs endpoint
    profile: str | None = None
    local: bool = False  # the emulator's moto server: dummy credentials


def logs_client(location: LogLocation) -> CloudWatchLogsClient:
    """A CloudWatch Logs client; an unknown profile or no region is an AwsConfigError here, not mid-run."""
    from botocore.config import Config

    # Adaptive retries back off on ThrottlingException instead of failing the run.
    config = Config(retries={"mode": "adaptive", "max_attempts": 10})
    return _session(location).client("logs", endpoint_url=location.endpoint_url, config=config)


def _session(location: LogLocation) -> boto3.Session:
    if location.local:
        return local_session(location.region)
    session = aws_session(location.profile, location.region or None)
    region_of(session, "for CloudWatch Logs")
    return session


def _explain(exc: Exception, group: str, location: LogLocation) -> LogsError:
    """The boto3 failure as a LogsError saying what is missing and how to fix it."""
    from botocore.exceptions import ClientError, NoCredentialsError, NoRegionError

    if isinstance(exc, NoCredentialsError):
        return LogsError(
            "no AWS credentials to read CloudWatch Logs: set AWS_PROFILE (or the target's profile), "
            "or run with --no-logs to skip log correlation"
        )
    if isinstance(exc, NoRegionError):
        return LogsError(f"no AWS region for CloudWatch Logs: {REGION_HINT}")
    if isinstance(exc, ClientError):
        code = exc.response.get("Error", {}).get("Code", "")
        if code == "ResourceNotFoundException":
            if group.startswith("API-Gateway-Execution-Logs_"):
                return LogsError(
                    f"log group {group} does not exist: turn on execution logging for the stage "
                    "(stage settings: CloudWatch logs INFO with data trace, or methodSettings "
                    "'*/*' loggingLevel INFO), and give API Gateway a CloudWatch role (set-account)"
                )
            return LogsError(
                f"log group {group} does not exist: turn on access logging for the stage "
                "(accessLogSettings.destinationArn) or name the right group in the scenario"
            )
        if code in ("AccessDeniedException", "UnauthorizedOperation"):
            return LogsError(
                f"not allowed to read {group}: the caller needs logs:FilterLogEvents on "
                f"arn:aws:logs:{location.region}:<account>:log-group:{group}:*"
            )
    return LogsError(f"reading {group} failed: {type(exc).__name__}: {exc}")


def events_in_window(
    client: CloudWatchLogsClient,
    group: str,
    start_ms: int,
    end_ms: int,
    location: LogLocation,
    missing_ok: bool = False,
) -> Iterator[LogEvent]:
    """Every event of `group` from `start_ms` to `end_ms`, following nextToken.

    With `missing_ok`, a group that does not exist yet has no events instead of being an error.
    """
    try:
        paginator = client.get_paginator("filter_log_events")
        for page in paginator.paginate(logGroupName=group, startTime=start_ms, endTime=end_ms):
            for event in page.get("events", []):
                yield LogEvent(
                    group, event.get("logStreamName", ""), event.get("timestamp", 0), event.get("message", "")
                )
    except Exception as exc:  # botocore raises many types; each becomes an explained LogsError
        if missing_ok and _not_found(exc):
            return
        raise _explain(exc, group, location) from exc


def _not_found(exc: Exception) -> bool:
    from botocore.exceptions import ClientError

    return isinstance(exc, ClientError) and exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException"


def fetch_requests(
    client: Any,
    location: LogLocation,
    request_ids: Collection[str],
    start_ms: int,
    end_ms: int,
    deadline_s: float,
    progress: FetchProgress | None = None,
) -> dict[str, RequestLogs]:
    """Poll until every id in `request_ids` has an access record (or execution lines), or the deadline."""
    wanted = set(request_ids)
    give_up = time.monotonic() + deadline_s
    window = (max(0, start_ms - CLOCK_SKEW_MS), end_ms + CLOCK_SKEW_MS)
    while True:
        # API Gateway creates the execution log group with its first line, and some requests write
        # none (an unknown route's 403): with access logging on, their access records are the evidence.
        execution_events = events_in_window(
            client, location.execution_log_group, *window, location, missing_ok=location.access_log_group is not None
        )
        execution = parse_execution_events(execution_events)
        records = []
        if location.access_log_group is not None:
            for event in events_in_window(client, location.access_log_group, *window, location):
                record = parse_access_record(event.message)
                if record is not None:
                    records.append(record)
        groups = group_by_request(execution, records)
        found = {rid for rid in wanted if rid in groups and _complete(groups[rid], location)}
        if progress is not None:
            progress(len(found), len(wanted))
        if found == wanted or time.monotonic() >= give_up:
            return {rid: groups[rid] for rid in wanted if rid in groups}
        time.sleep(min(_POLL_INTERVAL_S, max(0.0, give_up - time.monotonic())))


def _complete(logs: RequestLogs, location: LogLocation) -> bool:
    # With access logging on, the record is the one event every request gets.
    return logs.access is not None if location.access_log_group is not None else bool(logs.execution)


def access_log_group_of_stage(location: LogLocation, rest_api_id: str, stage: str) -> str | None:
    """The stage's access log group, read from its settings (`apigateway:GET` on the stage).

    `accessLogSettings.destinationArn` is `arn:aws:logs:<region>:<account>:log-group:<name>`. None when the
    stage has no access logging or the caller may not read it: execution logs alone then decide.
    """
    from botocore.exceptions import BotoCoreError, ClientError

    client = _session(location).client("apigateway", endpoint_url=location.endpoint_url)
    try:
        settings = client.get_stage(restApiId=rest_api_id, stageName=stage).get("accessLogSettings", {})
    except (ClientError, BotoCoreError):
        return None
    arn = settings.get("destinationArn", "")
    name = arn.split(":log-group:", 1)[1] if ":log-group:" in arn else ""
    return name.removesuffix(":*") or None
