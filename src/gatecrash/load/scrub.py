"""A load phase's results and kept files, scrubbed of the run's secrets before anything keeps them.

A phase's secrets go to locust through its environment only, but what comes back can quote them: the
gateway's log lines kept as evidence, a transport error a record carries, the words a worker stopped
with, and every file `--keep-load-files` leaves (the records, the summary, each process's output).
The run's ledger (runner/redact.py: every secret resolved, with its recognisable parts, and anything
shaped like a JWT or a SigV4 signature, such as those the locust processes compute) scrubs them all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gatecrash.load.phase import LoadOutcome

Scrub = Callable[[str], str]


def scrubbed_outcome(outcome: LoadOutcome, scrub: Scrub) -> LoadOutcome:
    """`outcome` with every text it keeps scrubbed: why it stopped, the checks, the fits, the log evidence."""
    logs = outcome.logs
    if logs is not None:
        logs = replace(
            logs,
            evidence=tuple(scrub(line) for line in logs.evidence),
            counts=tuple(replace(count, limit=scrub(count.limit)) for count in logs.counts),
        )
    return replace(
        outcome,
        stopped=tuple(scrub(line) for line in outcome.stopped),
        checks=tuple(
            replace(check, name=scrub(check.name), expected=scrub(check.expected), observed=scrub(check.observed))
            for check in outcome.checks
        ),
        fits=tuple(
            replace(
                fit,
                group=scrub(fit.group),
                missing=scrub(fit.missing),
                estimate=replace(fit.estimate, note=scrub(fit.estimate.note)),
            )
            for fit in outcome.fits
        ),
        logs=logs,
    )


def scrub_kept_files(folder: Path, scrub: Scrub) -> None:
    """Every file a kept load folder holds, rewritten scrubbed where it quotes a secret."""
    if not folder.is_dir():
        return
    for path in sorted(folder.iterdir()):
        if not path.is_file() or path.is_symlink():
            continue
        raw = path.read_bytes()
        # Bytes that are not UTF-8 survive the round trip (surrogateescape): only secrets change.
        text = raw.decode("utf-8", errors="surrogateescape")
        cleaned = scrub(text)
        if cleaned != text:
            path.write_bytes(cleaned.encode("utf-8", errors="surrogateescape"))
