"""A scenario as frozen values: where to aim, which credentials, what to send, what must hold."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from gatecrash.errors import Problem


@dataclass(frozen=True, slots=True)
class EmulatorTarget:
    """The embedded emulator: gatecrash starts it on a free loopback port for the run."""

    definition: Path
    side_file: Path | None = None
    stage_variables: Mapping[str, str] = field(default_factory=dict)
    # Local ASGI apps served beside the emulator: stage variable name -> "/abs/file.py:attribute".
    # Each one's address (127.0.0.1:port) becomes that stage variable.
    backends: Mapping[str, str] = field(default_factory=dict)
    # Values for the definition's template placeholders (Terraform `${x}`, CloudFormation `Ref`), as
    # `gatecrash emulator --var` takes them: names of things, never secrets.
    variables: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AwsTarget:
    """A deployed stage: its invoke URL, and where its logs are."""

    invoke_url: str
    region: str
    rest_api_id: str
    stage: str
    profile: str | None = None
    access_log_group: str | None = None


Target = EmulatorTarget | AwsTarget


class CredentialKind(enum.StrEnum):
    ENV = "env"  # a secret read from an environment variable at run time
    PROFILE = "profile"  # an AWS profile (SigV4 credentials)
    EMULATOR_API_KEY = "emulator-api-key"  # the value of a key in the emulator's side file, by key id
    EMULATOR_IAM = "emulator-iam"  # an access key of the emulator's credentials table, by access key id
    EMULATOR_TOKEN = "emulator-token"  # a JWT minted by the emulator for one of its local user pools
    RANDOM_API_KEY = "random-api-key"  # a made-up key no stage knows


@dataclass(frozen=True, slots=True)
class CredentialRef:
    """A reference to a secret, never the secret: resolved when the run starts."""

    name: str
    kind: CredentialKind
    reference: str = ""
    # For emulator-token: the app client and scopes the minted token carries.
    client_id: str | None = None
    scopes: tuple[str, ...] = ()


class AuthKind(enum.StrEnum):
    NONE = "none"
    API_KEY = "api-key"
    SIGV4 = "sigv4"
    JWT = "jwt"


class SigV4Fault(enum.StrEnum):
    """Deliberate SigV4 mistakes: what a scenario asks the signer to get wrong."""

    UNSIGNED = "unsigned"  # no Authorization header at all
    WRONG_SECRET = "wrong-secret"  # signed with a secret that is not the key's
    SKEWED_CLOCK = "skewed-clock"  # signed with a date 20 minutes in the past
    TAMPERED_BODY = "tampered-body"  # the body changed after signing
    MALFORMED = "malformed"  # an Authorization header that is not SigV4


class JwtFault(enum.StrEnum):
    MISSING = "missing"
    EXPIRED = "expired"
    WRONG_SIGNATURE = "wrong-signature"
    WRONG_ISSUER = "wrong-issuer"
    WRONG_AUDIENCE = "wrong-audience"


@dataclass(frozen=True, slots=True)
class Auth:
    kind: AuthKind = AuthKind.NONE
    credential: str | None = None
    sigv4_fault: SigV4Fault | None = None
    jwt_fault: JwtFault | None = None


@dataclass(frozen=True, slots=True)
class RequestSpec:
    method: str
    path: str
    query: tuple[tuple[str, str], ...] = ()
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes | None = None
    auth: Auth = Auth()


@dataclass(frozen=True, slots=True)
class StatusBounds:
    """How many answers of one status a burst may give: `minimum` to `maximum` inclusive."""

    status: str
    minimum: int
    maximum: int


class Judge(enum.StrEnum):
    ALL = "all"  # every answer must be the mode's
    LAST = "last"  # earlier requests prepare (use up a quota); the last answer is judged


@dataclass(frozen=True, slots=True)
class Probe:
    """One failure mode provoked by one request, sent `repeat` times in a row."""

    name: str
    mode: str
    request: RequestSpec
    repeat: int = 1
    judge: Judge = Judge.ALL


@dataclass(frozen=True, slots=True)
class Burst:
    """`requests` copies of one request released at one instant on warmed connections."""

    name: str
    mode: str
    request: RequestSpec
    requests: int
    expect: tuple[StatusBounds, ...] = ()


@dataclass(frozen=True, slots=True)
class RateSegment:
    """Arrivals ramp linearly from `start_rps` to `end_rps` over `duration_s` (equal for a constant rate)."""

    start_rps: float
    end_rps: float
    duration_s: float


class LoadKind(enum.StrEnum):
    RATE = "rate"  # a constant arrival rate for a duration
    RAMP = "ramp"  # from one rate to another over a duration, or a list of steps


@dataclass(frozen=True, slots=True)
class MixEntry:
    """One request of a load phase's mix, sent in proportion to `weight`."""

    request: RequestSpec
    weight: int = 1


@dataclass(frozen=True, slots=True)
class ShareBounds:
    """What share (0 to 1) of a load phase's answers may have one status, inclusive."""

    status: str
    minimum: float
    maximum: float


class LimitSource(enum.StrEnum):
    STAGE = "stage"  # the stage's method setting (or its `*/*` default) for the request's method
    USAGE_PLAN = "usage-plan"  # the throttle of the usage plan of each API key in the mix
    GIVEN = "given"  # rate and burst written in the scenario


@dataclass(frozen=True, slots=True)
class ThrottleExpectation:
    """The effective token bucket must match the configured limits within `tolerance` (a share)."""

    source: LimitSource
    tolerance: float | None = None  # None: 5% against the emulator, wider on AWS (best effort)
    rate: float | None = None  # GIVEN only
    burst: int | None = None  # GIVEN only


@dataclass(frozen=True, slots=True)
class LoadPhase:
    """Sustained load through locust: an arrival schedule, a request mix, caps, stop conditions, expectations."""

    name: str
    mode: str
    kind: LoadKind
    segments: tuple[RateSegment, ...]
    mix: tuple[MixEntry, ...]
    max_requests: int
    max_duration_s: float
    stop_backend_5xx_share: float = 0.05  # abort once more than this share of answers are 5xx
    expect_statuses: tuple[ShareBounds, ...] = ()
    expect_throttle: ThrottleExpectation | None = None
    users: int | None = None  # concurrent users per worker; None: sized from the peak rate

    @property
    def request(self) -> RequestSpec:
        """The mix's first request: what a one-line summary of the phase shows."""
        return self.mix[0].request

    @property
    def planned_requests(self) -> int:
        scheduled = sum((s.start_rps + s.end_rps) / 2 * s.duration_s for s in self.segments)
        return min(self.max_requests, int(scheduled + 0.5))

    @property
    def duration_s(self) -> float:
        return min(self.max_duration_s, sum(s.duration_s for s in self.segments))


Step = Probe | Burst | LoadPhase


@dataclass(frozen=True, slots=True)
class Limits:
    """Safety rails: the run refuses to send more, or to go on longer."""

    max_requests: int
    max_duration_s: float


@dataclass(frozen=True, slots=True)
class Scenario:
    source: Path
    name: str
    target: Target
    limits: Limits
    steps: tuple[Step, ...]
    credentials: Mapping[str, CredentialRef] = field(default_factory=dict)
    concurrency: int = 4
    timeout_s: float = 35.0  # per request: API Gateway's 29 s integration limit, plus margin
    # What is allowed but worth knowing (an http:// invoke URL): the CLI prints each once.
    warnings: tuple[Problem, ...] = ()

    @property
    def planned_requests(self) -> int:
        return sum(planned_requests(step) for step in self.steps)


def planned_requests(step: Step) -> int:
    if isinstance(step, Probe):
        return step.repeat
    if isinstance(step, Burst):
        return step.requests
    return step.planned_requests
