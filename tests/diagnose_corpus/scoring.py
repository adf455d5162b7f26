"""The diagnose corpus: real API Gateway log excerpts people pasted publicly, and how diagnose scores on them.

Pure apart from reading the excerpt files. Each file under `excerpts/` holds one source (a GitHub
thread, a Q&A page, a blog post, an AWS page, or a file of a public repository) and one or more
excerpts of it: the lines exactly as pasted, the status, and the cause the source established (the
accepted answer or the fix that worked), as a catalogue mode id or one of `NEW_CAUSES`.

One fifth of the sources is held out of development, chosen by a hash of the source (`is_held_out`)
and marked `held_out: true` in the file; nothing is tuned on those.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from gatecrash.diagnose import Diagnosis

EXCERPTS = Path(__file__).resolve().parent / "excerpts"

# What diagnose says for an excerpt with no request it could read, and for a request it read but
# could not classify.
UNREAD = "unread"
UNKNOWN = "unknown"
OK = "ok"

# Causes the corpus shows that no catalogue mode names (yet): id -> what it is.
NEW_CAUSES: Mapping[str, str] = {
    "lambda-invoke-failed": "Lambda refused or failed the invoke for a reason of its own (ENI limit, payload too "
    "large, KMS, function not found): the function never ran",
    "endpoint-unreachable": "an HTTP integration's endpoint could not be reached (DNS, connection refused, reset)",
    "endpoint-tls": "the TLS handshake with an HTTP integration's endpoint failed (certificate, SNI, protocol)",
    "aws-service-denied": "an AWS-service integration was refused by IAM (the integration role lacks the action)",
    "authorizer-role": "API Gateway could not assume the authorizer's (or integration's) credentials role",
    "response-mapping-error": "an integration response mapped to a method response that does not exist, "
    "or its template failed",
    "cors-preflight": "a browser's preflight OPTIONS request found no method or no CORS headers",
}


@dataclass(frozen=True, slots=True)
class Excerpt:
    name: str  # file stem and position, e.g. "aws-aws-lambda-go-72#1"
    source: str
    path: str | None
    date: str | None
    status: int | None
    cause: str
    lines: str
    held_out: bool
    trap: str | None = None
    known_miss: str | None = None


@dataclass(frozen=True, slots=True)
class Result:
    excerpt: Excerpt
    predicted: str
    status: int | None

    @property
    def correct(self) -> bool:
        return self.predicted == self.excerpt.cause


@dataclass(frozen=True, slots=True)
class Score:
    results: tuple[Result, ...]
    by_cause: Mapping[str, tuple[int, int]] = field(default_factory=dict)  # cause -> (correct, total)

    @property
    def correct(self) -> int:
        return sum(result.correct for result in self.results)

    @property
    def total(self) -> int:
        return len(self.results)

    @property
    def ratio(self) -> float:
        return self.correct / self.total if self.total else 0.0


def source_key(source: str, path: str | None) -> str:
    return f"{source}#{path}" if path else source


def is_held_out(key: str) -> bool:
    """One source in five, by the first byte of the SHA-256 of its URL (and path): fixed, not chosen by hand."""
    return hashlib.sha256(key.encode()).digest()[0] % 5 == 0


def load(folder: Path = EXCERPTS) -> list[Excerpt]:
    excerpts: list[Excerpt] = []
    for file in sorted(folder.glob("*.yaml")):
        document: Any = yaml.safe_load(file.read_text(encoding="utf-8"))
        source = document["source"]
        path = document.get("path")
        held_out = bool(document.get("held_out", False))
        for index, item in enumerate(document["excerpts"]):
            status = item.get("status")
            excerpts.append(
                Excerpt(
                    name=f"{file.stem}#{index}",
                    source=source,
                    path=path,
                    date=str(document["date"]) if document.get("date") is not None else None,
                    status=int(status) if status is not None else None,
                    cause=item["cause"],
                    lines=item["lines"],
                    held_out=held_out,
                    trap=item.get("trap"),
                    known_miss=item.get("known-miss"),
                )
            )
    return excerpts


def predicted_cause(diagnosis: Diagnosis) -> str:
    """What diagnose says about one excerpt: its findings' cause, `ok` with none, `unread` when it read nothing."""
    if diagnosis.requests_seen == 0:
        return UNREAD
    causes = sorted({finding.cause or UNKNOWN for finding in diagnosis.findings})
    if not causes:
        return OK
    return causes[0] if len(causes) == 1 else "mixed:" + "+".join(causes)


def predicted_status(diagnosis: Diagnosis) -> int | None:
    statuses = {finding.status for finding in diagnosis.findings if finding.status is not None}
    return statuses.pop() if len(statuses) == 1 else None


def score(excerpts: Iterable[Excerpt], diagnose: Callable[[Excerpt], Diagnosis]) -> Score:
    results = []
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for excerpt in excerpts:
        diagnosis = diagnose(excerpt)
        result = Result(excerpt, predicted_cause(diagnosis), predicted_status(diagnosis))
        results.append(result)
        counts[excerpt.cause][0] += result.correct
        counts[excerpt.cause][1] += 1
    return Score(tuple(results), {cause: (good, total) for cause, (good, total) in sorted(counts.items())})


def cause_counts(excerpts: Iterable[Excerpt]) -> Counter[str]:
    return Counter(excerpt.cause for excerpt in excerpts)
