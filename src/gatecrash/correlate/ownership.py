"""Whether a request id's logs are the probe's own request. Pure.

Log evidence is joined to an answer by its `x-amzn-RequestId`. That alone proves nothing when
something between gatecrash and the gateway replays answers (a cache, a proxy, a test double): the
id then names another request, and its logs are that request's. Every request gatecrash sends
carries its tag, `X-Gatecrash-Probe: <run>/<probe>/<index>`, in a header and at the end of its
User-Agent, so the logs can name the request they belong to:

- the execution log's `Method request headers: {...}` line (INFO level with data trace on) lists
  the header (AWS docs, "Execution logging for REST APIs"; the line is cut at 1 KB, and a tag cut
  away proves nothing either way);
- the access log cannot log arbitrary request headers on REST APIs, but `$context.identity.userAgent`
  is the User-Agent header (AWS docs, "Variables for access logging for API Gateway"), so a format
  that logs it carries the tag.

A request whose logs carry its own tag is proven to have reached the gateway; logs carrying another
tag are another request's. Where the logs carry no tag, a request id seen once in the run is taken
as the probe's own; one that answered several requests is no one's proof.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from gatecrash.correlate.model import RequestLogs

PROBE_HEADER = "X-Gatecrash-Probe"
# How the tag ends the User-Agent gatecrash sends: `gatecrash/<version> X-Gatecrash-Probe/<tag>`.
USER_AGENT_MARKER = f"{PROBE_HEADER}/"
USER_AGENT_FIELD = "identity.userAgent"
_HEADERS_LINE = "Method request headers: "
_TRUNCATED = " [TRUNCATED]"  # how the gateway ends a line it cut at 1 KB (apigw-reference.md)


class Owner(enum.Enum):
    OURS = "ours"  # the logs carry this probe's tag
    FOREIGN = "foreign"  # the logs carry another request's tag
    UNTAGGED = "untagged"  # the logs carry no tag (no data trace, no userAgent in the access log)


@dataclass(frozen=True, slots=True)
class Ownership:
    owner: Owner
    where: str = ""  # which log carried the tag, for a reason
    others: tuple[str, ...] = ()  # the other tags the logs carry

    def describe(self) -> str:
        return ", ".join(self.others)


def sent_tag(headers: Iterable[tuple[str, str]]) -> str | None:
    """The tag a request was sent with."""
    return next((value for name, value in headers if name.lower() == PROBE_HEADER.lower()), None)


def ownership(logs: RequestLogs, tag: str | None) -> Ownership:
    """Whose request `logs` are, judged by the tags they carry."""
    ours_at: list[str] = []
    others: list[str] = []
    for line in logs.execution:
        if not line.message.startswith(_HEADERS_LINE):
            continue
        for rest, cut in _header_values(line.message):
            verdict = _compare(rest, cut, tag)
            if verdict is True:
                ours_at.append("execution log")
            elif isinstance(verdict, str):
                others.append(verdict)
    record = logs.access
    agent = record.fields.get(USER_AGENT_FIELD, "") if record is not None else ""
    if USER_AGENT_MARKER in agent:
        value = agent.rsplit(USER_AGENT_MARKER, 1)[1]
        if value == tag:
            ours_at.append("access log")
        else:
            others.append(value)
    if others:
        return Ownership(Owner.FOREIGN, others=tuple(dict.fromkeys(others)))
    if ours_at:
        return Ownership(Owner.OURS, where=" and ".join(dict.fromkeys(ours_at)))
    return Ownership(Owner.UNTAGGED)


def _header_values(message: str) -> list[tuple[str, bool]]:
    """For each tag header in a `Method request headers: {a=1, b=2}` message: the text after its `=`
    to the end of the map, and whether the gateway cut the line there."""
    lowered = message.lower()
    needle = PROBE_HEADER.lower() + "="
    cut = message.endswith(_TRUNCATED)
    body = message[: -len(_TRUNCATED)] if cut else message
    found: list[tuple[str, bool]] = []
    start = lowered.find(needle)
    while start != -1:
        found.append((body[start + len(needle) :], cut))
        start = lowered.find(needle, start + len(needle))
    return found


def _compare(rest: str, cut: bool, tag: str | None) -> bool | str | None:
    """True: `rest` starts with `tag`, whole; a string: another tag (shown up to its end); None: the
    line was cut inside the value, which then proves nothing. A value ends at `, ` or `}`, but a
    probe's name may hold `, `, so the sent tag is compared from the value's start."""
    if tag is not None and rest.startswith(tag):
        after = rest[len(tag) :]
        if after[:1] in (",", "}"):
            return True
        if not after and cut:
            return None  # cut right after: the value may have gone on
        if not after:
            return True
    ends = [index for index in (rest.find(", "), rest.find("}")) if index != -1]
    if not ends:
        if cut and tag is not None and tag.startswith(rest):
            return None
        return rest + ("..." if cut else "")
    return rest[: min(ends)]


def answered_by(observations: Iterable[tuple[str | None, str]]) -> dict[str, list[str]]:
    """Request id -> the tags of the requests it answered, from (request id, tag) pairs of a run."""
    answers: dict[str, list[str]] = {}
    for request_id, tag in observations:
        if request_id:
            answers.setdefault(request_id, []).append(tag)
    return answers


def shared(request_id: str, answers: Mapping[str, Sequence[str]]) -> Sequence[str]:
    """The tags `request_id` answered, when it answered more than one request."""
    tags = answers.get(request_id, ())
    return tags if len(tags) > 1 else ()
