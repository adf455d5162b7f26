"""How `gatecrash diagnose` scores on the corpus of real, publicly pasted API Gateway logs.

Run: .venv/bin/python bench/diagnose_corpus.py [--misses] [--mark-held-out]

Prints the share of excerpts diagnosed as the cause their source established, on the development set
and on the held-out fifth separately, per cause (tests/diagnose_corpus/scoring.py). `--misses` lists
the development excerpts diagnosed otherwise (never the held-out ones: nothing is tuned on them).
`--mark-held-out` writes each file's `held_out:` mark from the hash rule, after adding sources.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.diagnose_corpus.scoring import (  # noqa: E402
    EXCERPTS,
    Excerpt,
    Score,
    is_held_out,
    load,
    score,
    source_key,
)

from gatecrash.catalogue import load_catalogue  # noqa: E402
from gatecrash.diagnose import Diagnosis, diagnose_text  # noqa: E402


def mark_held_out() -> int:
    changed = 0
    for file in sorted(EXCERPTS.glob("*.yaml")):
        lines = file.read_text(encoding="utf-8").split("\n")
        kept = [line for line in lines if not line.startswith("held_out:")]
        source = next(line.removeprefix("source: ").strip() for line in kept if line.startswith("source: "))
        path = next((line.removeprefix("path: ").strip() for line in kept if line.startswith("path: ")), None)
        if is_held_out(source_key(source, path)):
            kept.insert(1, "held_out: true")
        if kept != lines:
            file.write_text("\n".join(kept), encoding="utf-8")
            changed += 1
    return changed


def table(title: str, result: Score) -> None:
    print(f"\n{title}: {result.correct} / {result.total} = {result.ratio:.1%}")
    for cause, (good, total) in result.by_cause.items():
        print(f"  {cause:28} {good:3} / {total:3}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--misses", action="store_true", help="list the development excerpts diagnosed otherwise")
    parser.add_argument("--mark-held-out", action="store_true", help="write held_out marks from the hash rule")
    args = parser.parse_args()
    if args.mark_held_out:
        print(f"files re-marked: {mark_held_out()}")
    catalogue = load_catalogue()

    def run(excerpt: Excerpt) -> Diagnosis:
        return diagnose_text(excerpt.lines, excerpt.name, catalogue)

    excerpts = load()
    development = score([e for e in excerpts if not e.held_out], run)
    held_out = score([e for e in excerpts if e.held_out], run)
    whole = score(excerpts, run)
    sources = {source_key(e.source, e.path) for e in excerpts}
    held_sources = {source_key(e.source, e.path) for e in excerpts if e.held_out}
    print(
        f"corpus: {len(excerpts)} excerpts from {len(sources)} sources, {len(whole.by_cause)} causes; "
        f"held out: {held_out.total} excerpts from {len(held_sources)} sources"
    )
    table("development", development)
    table("held out", held_out)
    print(f"\nwhole corpus: {whole.correct} / {whole.total} = {whole.ratio:.1%}")
    if args.misses:
        print("\ndevelopment misses:")
        for result in development.results:
            if not result.correct:
                known = " (known-miss)" if result.excerpt.known_miss else ""
                print(f"  {result.excerpt.name}: expected {result.excerpt.cause}, got {result.predicted}{known}")


if __name__ == "__main__":
    main()
