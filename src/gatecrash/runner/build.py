"""From a scenario's request to the bytes on the wire: URL, headers, body and authentication."""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx

from gatecrash import __version__
from gatecrash.correlate.ownership import PROBE_HEADER, USER_AGENT_MARKER
from gatecrash.credentials import Secrets
from gatecrash.errors import CredentialError, Problem
from gatecrash.runner.signing import sign
from gatecrash.scenario.model import AuthKind, CredentialKind, JwtFault, RequestSpec

__all__ = ["PROBE_HEADER", "WireRequest", "build", "user_agent"]


# Every request carries its run, probe and index, so that its answer and log lines can be joined
# to it by more than timing (style.md, "Tag every probe"): in its own header, which the execution
# log's request headers show (data trace), and at the end of the User-Agent, which the access log
# can show ($context.identity.userAgent); a User-Agent the scenario sets is sent as it is.
def user_agent(tag: str) -> str:
    return f"gatecrash/{__version__} {USER_AGENT_MARKER}{tag}"


@dataclass(frozen=True, slots=True)
class WireRequest:
    method: str
    url: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    # The secrets this request carries as sent (a key, a token minted for it, its SigV4 Authorization
    # and session token), for the run's redaction ledger: never shown.
    secrets: tuple[str, ...] = field(default=(), repr=False)


def build(spec: RequestSpec, base_url: str, secrets: Secrets, region: str, tag: str) -> WireRequest:
    url = str(httpx.URL(base_url.rstrip("/") + spec.path, params=list(spec.query) or None))
    headers = [*spec.headers, (PROBE_HEADER, tag)]
    if not any(name.lower() == "user-agent" for name, _ in spec.headers):
        headers.append(("User-Agent", user_agent(tag)))
    body = spec.body or b""
    auth = spec.auth
    carried: list[str] = []
    if auth.kind is AuthKind.API_KEY:
        key = secrets.strings[auth.credential or ""]
        headers.append(("x-api-key", key))
        carried.append(key)
    elif auth.kind is AuthKind.SIGV4:
        host = httpx.URL(url).netloc.decode("ascii")
        headers.append(("Host", host))
        keys = secrets.aws[auth.credential or ""]
        headers, body = sign(spec.method, url, headers, body, keys, region, auth.sigv4_fault)
        carried.extend(v for name, v in headers if name.lower() in ("authorization", "x-amz-security-token"))
        carried.extend(secret for secret in (keys.secret_access_key, keys.session_token) if secret)
    elif auth.kind is AuthKind.JWT:
        token = _token(secrets, auth.credential or "", auth.jwt_fault)
        if token is not None:
            headers.append(("Authorization", token))
            carried.append(token)
    return WireRequest(spec.method, url, tuple(headers), body, tuple(carried))


def _token(secrets: Secrets, credential: str, fault: JwtFault | None) -> str | None:
    if fault is JwtFault.MISSING:
        return None
    reference = secrets.references[credential]
    if reference.kind is CredentialKind.EMULATOR_TOKEN and secrets.mint is not None:
        return secrets.mint(reference, fault.value if fault else None)
    token = secrets.strings[credential]
    if fault is JwtFault.WRONG_SIGNATURE:
        head, _, signature = token.rpartition(".")
        return f"{head}.{signature[::-1]}"
    if fault is not None:
        raise CredentialError(
            [
                Problem(
                    "scenario",
                    f"$.credentials.{credential}",
                    f"a {fault.value} token can be minted only by the emulator",
                    hint="use an emulator-token credential for this fault",
                )
            ]
        )
    return token
