"""Time `gatecrash generate` on a synthetic export of 500 methods (goal: under 2 s).

The export has 125 resources of four methods each, every method with a validator, required
parameters and a body model (a tenth of them distinct, each with a `pattern`), API keys and IAM on
some: every probe kind is planned, and every body derived and checked. The offline side file of
stand-ins (`--side-file-out`) is written too.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from gatecrash.catalogue import load_catalogue
from gatecrash.generate import generate

METHODS = 500
GOAL_S = 2.0


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


def main() -> int:
    catalogue = load_catalogue()
    with tempfile.TemporaryDirectory() as folder:
        definition = Path(folder) / "api.json"
        definition.write_text(json.dumps(export()))
        started = time.perf_counter()
        generated = generate(
            definition, catalogue, output=Path(folder) / "scenario.yaml", mirror_out=Path(folder) / "side.yaml"
        )
        elapsed = time.perf_counter() - started
    probes = len(generated.plan.probes)
    verdict = "ok" if elapsed < GOAL_S else "OVER GOAL"
    print(
        f"generate: {METHODS} methods -> {probes} probes, {len(generated.text)} bytes in {elapsed:.2f} s "
        f"(goal < {GOAL_S:.0f} s): {verdict}"
    )
    return 0 if elapsed < GOAL_S else 1


if __name__ == "__main__":
    sys.exit(main())
