"""One request's state as it moves through the gateway: the source of every `$context` value."""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from gatecrash.emulator import ids
from gatecrash.emulator.execlog import ExecutionLog, mask
from gatecrash.emulator.model import ApiKey, IamCredential, Method
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
    server_port: int = 0  # the port the request came in on (the proxy event's X-Forwarded-Port)
    scheme: str = "http"
    closing: bool = False  # the client asked to close the connection after the answer
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
    # Authorization (auth/gate.py): who signed (AWS_IAM), what an authorizer said, and values that
    # must be masked wherever they would be logged (tokens, session tokens, raw Authorization).
    iam_credential: IamCredential | None = None
    authorizer_principal_id: str | None = None
    authorizer_context: dict[str, str] = field(default_factory=dict)
    authorizer_claims: dict[str, str] = field(default_factory=dict)
    authorizer_usage_key: str | None = None
    authorizer_status: int | None = None
    authorizer_error: str | None = None
    authorizer_latency: int | None = None
    authorizer_integration_status: str | None = None
    authorizer_integration_latency: int | None = None
    authorizer_request_id: str | None = None
    secrets: list[str] = field(default_factory=list)
    # $context.requestOverride / responseOverride: made when a template first needs them.
    _overrides: dict[str, dict[str, Any]] | None = None

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
        return _clf_time(int(self.received))

    def redact(self, text: str) -> str:
        """`text` with every secret of this request masked as execution logs mask keys."""
        for secret in self.secrets:
            if secret:
                text = text.replace(secret, mask(secret))
        return text

    def _authorizer_values(self) -> dict[str, Any]:
        # AWS docs, access logging variables: `$context.authorizer.<key>` is the stringified context
        # value, `.claims.<claim>` a Cognito claim; the named fields win over same-named context keys.
        credential = self.iam_credential
        if (
            credential is None
            and not self.authorizer_context
            and not self.authorizer_claims
            and self.authorizer_principal_id is None
            and self.authorizer_status is None
            and self.authorizer_error is None
            and self.authorizer_latency is None
            and self.authorizer_integration_status is None
            and self.authorizer_integration_latency is None
            and self.authorizer_request_id is None
        ):
            return {}  # no authorizer and no signature: every value below would be unset
        values: dict[str, Any] = {f"authorizer.{name}": value for name, value in self.authorizer_context.items()}
        values.update({f"authorizer.claims.{name}": value for name, value in self.authorizer_claims.items()})
        values.update(
            {
                "authorizer.principalId": self.authorizer_principal_id,
                "authorizer.status": self.authorizer_status,
                "authorizer.error": self.authorizer_error,
                "authorizer.latency": self.authorizer_latency,
                "authorizer.integrationStatus": self.authorizer_integration_status,
                "authorizer.integrationLatency": self.authorizer_integration_latency,
                "authorizer.requestId": self.authorizer_request_id,
                # AWS_IAM: the principal id (AIDA..., AROA...:session) is both caller and user.
                "identity.caller": credential.user_id if credential else None,
                "identity.user": credential.user_id if credential else None,
                "identity.userArn": credential.arn if credential else None,
                "identity.accessKey": credential.access_key_id if credential else None,
                "identity.accountId": credential.account if credential else None,
            }
        )
        return values

    def overrides(self) -> dict[str, dict[str, Any]]:
        """The request's `$context.requestOverride` and `responseOverride` maps, shared by its templates."""
        if self._overrides is None:
            self._overrides = {
                "requestOverride": {"header": {}, "querystring": {}, "path": {}},
                "responseOverride": {"header": {}},
            }
        return self._overrides

    @property
    def response_override(self) -> dict[str, Any] | None:
        """What the templates set in `$context.responseOverride` (None: nothing)."""
        if self._overrides is None:
            return None
        override = self._overrides["responseOverride"]
        return override if override.get("header") or len(override) > 1 else None

    def context_values(self, api_id: str, stage: str, account_id: str, redact: bool = False) -> dict[str, str]:
        """`$context` variables by name (without the `$context.` prefix); unset ones are absent.

        `redact` masks this request's secrets, for logs (an answer carries them as AWS sends them).
        """
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
            "xrayTraceId": self.trace_id.partition(";")[0].removeprefix("Root="),
            # Recorded "false" on a stage without a canary (LocalStack test_invoking_canary_deployment);
            # the emulator has no canary, so no request goes to one.
            "isCanaryRequest": "false",
            "integration.status": self.integration_status,
            "integration.integrationStatus": self.integration_integration_status,
            "integrationStatus": self.integration_integration_status,
            "integration.error": self.integration_error,
            "integrationErrorMessage": self.integration_error,
            "integration.latency": self.integration_latency,
            "integrationLatency": self.integration_latency,
            "integration.requestId": self.integration_request_id,
        }
        authorizer = self._authorizer_values()
        if authorizer:
            values.update(authorizer)
        if self.error is not None:
            values["error.message"] = self.error.effective_message
            values["error.messageString"] = self.error.message_string()
            values["error.responseType"] = self.error.response_type
            values["error.validationErrorString"] = self.error.validation_error
        shown = {
            name: value if value.__class__ is str else str(value) for name, value in values.items() if value is not None
        }
        return {name: self.redact(value) for name, value in shown.items()} if redact and self.secrets else shown


@functools.lru_cache(maxsize=8)
def _clf_time(second: int) -> str:
    # Requests in the same second share the text: formatting it once per second, not per request.
    return datetime.fromtimestamp(second, UTC).strftime("%d/%b/%Y:%H:%M:%S +0000")
