"""Identifiers in the shapes API Gateway gives them."""

from __future__ import annotations

import base64
import functools
import hashlib
import os
import random
import time

# Ids need to be unique, not unpredictable: a generator seeded from the OS once (and again in a
# forked child) costs a tenth of a system call per id; three ids a request made that a visible cost.
_random = random.Random()
_bits = _random.getrandbits
os.register_at_fork(after_in_child=_random.seed)
_VARIANT = "89ab"


def request_id() -> str:
    """`x-amzn-RequestId` / `$context.requestId`: a version-4 UUID (apigw-reference.md, "Every error answer")."""
    digits = f"{_bits(128):032x}"
    return (
        f"{digits[:8]}-{digits[8:12]}-4{digits[13:16]}-{_VARIANT[int(digits[16], 16) & 3]}{digits[17:20]}-{digits[20:]}"
    )


def extended_request_id() -> str:
    """`x-amz-apigw-id` / `$context.extendedRequestId`: 16 base64 characters, e.g. `Qo8UHEPDIAMEYmQ=`."""
    return base64.b64encode(_bits(88).to_bytes(11, "big")).decode("ascii")


def trace_id(now: float | None = None) -> str:
    """`X-Amzn-Trace-Id` root in X-Ray's format: `Root=1-<8 hex epoch seconds>-<24 hex>`."""
    seconds = int(now if now is not None else time.time())
    return f"Root=1-{seconds:08x}-{_bits(96):024x}"


def parent_id() -> str:
    """A trace's `Parent=` segment id: 16 hex digits."""
    return f"{_bits(64):016x}"


@functools.lru_cache(maxsize=4096)
def resource_id(resource_path: str) -> str:
    """A stable 6- to 10-character resource id like AWS's (`abc123`), derived from the path."""
    digest = hashlib.sha256(resource_path.encode("utf-8")).hexdigest()
    return digest[:6] if resource_path != "/" else digest[:10]


def log_stream_name() -> str:
    """Execution-log streams are named by a 32-hex-digit hash of the serving node."""
    return os.urandom(16).hex()
