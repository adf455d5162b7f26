"""One request's state as it moves through the gateway: the source of every `$context` value."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from gatecrash.emulator import ids
from gatecrash.emulator.execlog import ExecutionLog, mask
from gatecrash.emulator.model import ApiKey, Method
from gatecrash.emulator.responses import GatewayError


@dataclass(slots=True)
class Exchange:
    """Mutable on purpose: each stage of the pipeline records what it found."""

    http_method: str
    full_path: str
    headers: list[tuple[str, str]]
    query: list[tuple[str, str]]
    body: bytes
    source_ip: str
    protocol: str
    request_id: str = field(default_factory=ids.request_id)
    extended_request_id: str = field(default_factory=ids.extended_request_id)
    trace_id: str = field(default_factory=ids.trace_id)
    received: float = field(default_factory=time.time)
    path: str = "/"
    method: Method | None = None
    path_parameters: dict[str, str] = field(default_factory=dict)
    log: ExecutionLog | None = None
    api_key_value: str | None = None
    api_key: ApiKey | None = None
    error: GatewayError | None = None
    status: int = 0
    response_length: int = 0
    integration_status: str | None = None
    integration_integration_status: str | None = None
    integration_error: str | None = None
    integration_latency: int | None = None
    integration_request_id: str | None = None
    response_latency: int = 0

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        for key, value in self.headers:
            if key.lower() == lowered:
                return value
        return None

    def query_value(self, name: str) -> str | None:
        value = None
        for key, item in self.query:
            if key == name:
                value = item
        return value

    def method_request_value(self, expression: str) -> str | None:
        """`method.request.{path,querystring,header}.NAME` as mapping expressions name them."""
        location, _, name = expression.removeprefix("method.request.").partition(".")
        if not expression.startswith("method.request.") or not name:
            return None
        if location == "path":
            return self.path_parameters.get(name)
        if location == "querystring":
            return self.query_value(name)
        if location == "header":
            return self.header(name)
        return None

    def write(self, message: str) -> None:
        if self.log is not None:
            self.log.add(message)

    def write_data(self, message: str) -> None:
        if self.log is not None:
            self.log.data(message)

    @property
    def resource_path(self) -> str | None:
        return self.method.resource_path if self.method is not None else None

    def request_time(self) -> str:
        """`$context.requestTime` in CLF: `25/Nov/2026:08:12:03 +0000`."""
        return datetime.fromtimestamp(self.received, UTC).strftime("%d/%b/%Y:%H:%M:%S +0000")

    def context_values(self, api_id: str, stage: str, account_id: str) -> dict[str, str]:
        """`$context` variables by name (without the `$context.` prefix); unset ones are absent."""
        values: dict[str, Any] = {
            "requestId": self.request_id,
            "extendedRequestId": self.extended_request_id,
            "apiId": api_id,
            "stage": stage,
            "accountId": account_id,
            "identity.sourceIp": self.source_ip,
            "identity.userAgent": self.header("user-agent"),
            "identity.apiKey": mask(self.api_key_value) if self.api_key_value else None,
            "identity.apiKeyId": self.api_key.id if self.api_key is not None else None,
            "requestTime": self.request_time(),
            "requestTimeEpoch": int(self.received * 1000),
            "httpMethod": self.http_method,
            "resourcePath": self.resource_path,
            "resourceId": ids.resource_id(self.resource_path) if self.resource_path else None,
            "path": self.full_path,
            "protocol": self.protocol,
            "status": self.status or None,
            "responseLength": self.response_length,
            "responseLatency": self.response_latency,
            "xrayTraceId": self.trace_id.removeprefix("Root="),
            "integration.status": self.integration_status,
            "integration.integrationStatus": self.integration_integration_status,
            "integrationStatus": self.integration_integration_status,
            "integration.error": self.integration_error,
            "integrationErrorMessage": self.integration_error,
            "integration.latency": self.integration_latency,
            "integrationLatency": self.integration_latency,
            "integration.requestId": self.integration_request_id,
        }
        if self.error is not None:
            values["error.message"] = self.error.effective_message
            values["error.messageString"] = self.error.message_string()
            values["error.responseType"] = self.error.response_type
            values["error.validationErrorString"] = self.error.validation_error
        return {name: str(value) for name, value in values.items() if value is not None}
