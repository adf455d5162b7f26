"""Time `gatecrash generate` on a synthetic export of 500 methods: in-process (under 2 s), and from the
command line as a child process, start-up imports included (issue 17's goal: at most 1 s wall).

The export has 125 resources of four methods each, every method with a validator, required
parameters and a body model (a tenth of them distinct, each with a `pattern`), API keys and IAM on
some: every probe kind is planned, and every body derived and checked. The offline side file of
stand-ins (`--side-file-out`) is written too. `--rounds N` times the command line N times (median and
best); `--against DIR` times another checkout's (its `src` on PYTHONPATH) in turn with this one's.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from gatecrash.catalogue import load_catalogue
from gatecrash.generate import generate

METHODS = 500
GOAL_S = 2.0
CLI_GOAL_S = 1.0
ROOT = Path(__file__).resolve().parent.parent


def _operation(index: int) -> dict[str, Any]:
    model = {
        "type": "object",
        "required": ["name", "size", "code"],
        "additionalProperties": False,
        "properties": {
            f"p{index % 50}": {"type": "string"},
            "name": {"type": "string"},
            "size": {"type": "integer"},
            # 50 distinct patterns: each string is drawn from hypothesis's from_regex.
            "code": {"type": "string", "pattern": f"^[A-Z]{{2}}-{index % 50}[0-9]*$"},
        },
    }
    operation: dict[str, Any] = {
        "x-amazon-apigateway-request-validator": "all",
        "parameters": [{"name": "q", "in": "query", "required": True, "schema": {"type": "string"}}],
        "requestBody": {"content": {"application/json": {"schema": model}}},
        "responses": {"200": {"description": "ok"}},
        "x-amazon-apigateway-integration": {"type": "mock", "requestTemplates": {"application/json": "{}"}},
    }
    if index % 3 == 0:
        operation["security"] = [{"api_key" if index % 2 else "sigv4": []}]
    return operation


def export() -> dict[str, Any]:
    verbs = ("get", "post", "put", "delete")
    paths = {
        f"/r{r}/{{id}}": {verb: _operation(r * 4 + i) for i, verb in enumerate(verbs)} for r in range(METHODS // 4)
    }
    return {
        "openapi": "3.0.1",
        "info": {"title": "bench", "version": "1"},
        "x-amazon-apigateway-request-validators": {
            "all": {"validateRequestBody": True, "validateRequestParameters": True}
        },
        "components": {
            "securitySchemes": {
                "api_key": {"type": "apiKey", "name": "x-api-key", "in": "header"},
                "sigv4": {
                    "type": "apiKey",
                    "name": "Authorization",
                    "in": "header",
                    "x-amazon-apigateway-authtype": "awsSigv4",
                },
            }
        },
        "paths": paths,
    }


def _cli_seconds(src: Path, folder: Path) -> float:
    """Wall time of `python -m gatecrash generate` with `src` first on the path, from start to exit."""
    command = [sys.executable, "-m", "gatecrash", "generate", "api.json", "-o", "cli.yaml"]
    command += ["--side-file-out", "cli-side.yaml"]
    environment = {**os.environ, "PYTHONPATH": str(src)}
    started = time.perf_counter()
    subprocess.run(command, cwd=folder, env=environment, check=True, capture_output=True)
    return time.perf_counter() - started


def _load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5, help="command-line runs per checkout, interleaved")
    parser.add_argument("--against", type=Path, action="append", default=[], help="another checkout to time too")
    args = parser.parse_args()
    catalogue = load_catalogue()
    checkouts = [("this", ROOT / "src")] + [(str(other), other / "src") for other in args.against]
    print(f"load average before: {_load_average()}")
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        definition = folder / "api.json"
        definition.write_text(json.dumps(export()))
        started = time.perf_counter()
        generated = generate(definition, catalogue, output=folder / "scenario.yaml", mirror_out=folder / "side.yaml")
        elapsed = time.perf_counter() - started
        walls: dict[str, list[float]] = {label: [] for label, _ in checkouts}
        for _ in range(args.rounds):
            for label, src in checkouts:
                walls[label].append(_cli_seconds(src, folder))
    print(f"load average after: {_load_average()}")
    probes = len(generated.plan.probes)
    verdict = "ok" if elapsed < GOAL_S else "OVER GOAL"
    print(
        f"generate in-process: {METHODS} methods -> {probes} probes, {len(generated.text)} bytes in {elapsed:.2f} s "
        f"(goal < {GOAL_S:.0f} s): {verdict}"
    )
    ok = elapsed < GOAL_S
    for label, _ in checkouts:
        median = statistics.median(walls[label])
        cli_verdict = "ok" if median <= CLI_GOAL_S else "OVER GOAL"
        print(
            f"{label}: gatecrash generate from the command line: median {median:.2f} s, best {min(walls[label]):.2f} s "
            f"of {args.rounds} (goal <= {CLI_GOAL_S:.0f} s): {cli_verdict}"
        )
        ok = ok and (label != "this" or cli_verdict == "ok")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
