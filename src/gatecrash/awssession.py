"""boto3 sessions, the I/O edge where the AWS configuration is read: `aws_session` for AWS (the target's
logs, a credential's profile, generate's and diagnose's reads), `local_session` for the emulator's moto.

botocore reports an unknown profile (`--profile`, `AWS_PROFILE`, a scenario's `profile:`) as a
`ProfileNotFound` raised from whichever call first reads the configuration, often deep in a client
call; a missing region surfaces the same way. `aws_session` reads the configuration at once, so both
become a one-line `AwsConfigError` (exit 3) before anything is sent.

botocore reads the region from `AWS_DEFAULT_REGION` (configprovider.py: `'region': ('region',
'AWS_DEFAULT_REGION', ...)`), never from `AWS_REGION`, so the messages name `AWS_DEFAULT_REGION`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gatecrash.errors import NoRegionError, ProfileNotFoundError

if TYPE_CHECKING:
    import boto3

REGION_HINT = "pass --region or set AWS_DEFAULT_REGION (or the profile's `region`)"
_LOCAL_KEY = "testing"  # moto accepts any credentials


def aws_session(profile: str | None, region: str | None = None) -> boto3.Session:
    """A session on `profile` (None: `AWS_PROFILE` or the default chain); ProfileNotFoundError if it is unknown."""
    import boto3
    import botocore.exceptions
    import botocore.session

    core = botocore.session.Session(profile=profile)
    try:
        core.get_scoped_config()  # raises for a profile the files do not define, wherever it was named
    except botocore.exceptions.ProfileNotFound as exc:
        raise ProfileNotFoundError(_profile_message(profile, exc)) from exc
    return boto3.Session(botocore_session=core, region_name=region)


def region_of(session: boto3.Session, purpose: str) -> str:
    """The session's region, or NoRegionError saying where one comes from."""
    region = session.region_name
    if not region:
        raise NoRegionError(f"no AWS region {purpose}: {REGION_HINT}")
    return region


def local_session(region: str) -> boto3.Session:
    """A session for a local server with dummy credentials, deaf to `AWS_PROFILE` and `AWS_DEFAULT_PROFILE`:
    an unknown profile in the environment must not stop the emulator's own logs."""
    import boto3
    import botocore.session

    core = botocore.session.Session(session_vars={"profile": (None, None, None, None)})
    return boto3.Session(
        aws_access_key_id=_LOCAL_KEY, aws_secret_access_key=_LOCAL_KEY, region_name=region, botocore_session=core
    )


def _profile_message(profile: str | None, exc: Exception) -> str:
    named = getattr(exc, "kwargs", {}).get("profile", profile)
    origin = "" if profile is not None else " (from AWS_PROFILE or AWS_DEFAULT_PROFILE)"
    return (
        f"AWS profile {named!r}{origin} is not configured in ~/.aws/config or ~/.aws/credentials: "
        f"check the name (`aws configure list-profiles`) or create it (`aws configure --profile {named}`)"
    )
