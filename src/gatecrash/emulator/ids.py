"""Identifiers in the shapes API Gateway gives them."""

from __future__ import annotations

import base64
import functools
import hashlib
import os
import time
import uuid


def request_id() -> str:
    """`x-amzn-RequestId` / `$context.requestId`: a UUID (apigw-reference.md, "Every error answer")."""
    return str(uuid.uuid4())


def extended_request_id() -> str:
    """`x-amz-apigw-id` / `$context.extendedRequestId`: 16 base64 characters, e.g. `Qo8UHEPDIAMEYmQ=`."""
    return base64.b64encode(os.urandom(11)).decode("ascii")


def trace_id(now: float | None = None) -> str:
    """`X-Amzn-Trace-Id` root in X-Ray's format: `Root=1-<8 hex epoch seconds>-<24 hex>`."""
    seconds = int(now if now is not None else time.time())
    return f"Root=1-{seconds:08x}-{os.urandom(12).hex()}"


@functools.lru_cache(maxsize=4096)
def resource_id(resource_path: str) -> str:
    """A stable 6- to 10-character resource id like AWS's (`abc123`), derived from the path."""
    digest = hashlib.sha256(resource_path.encode("utf-8")).hexdigest()
    return digest[:6] if resource_path != "/" else digest[:10]


def log_stream_name() -> str:
    """Execution-log streams are named by a 32-hex-digit hash of the serving node."""
    return os.urandom(16).hex()
