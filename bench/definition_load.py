"""Time loading a 2,000-method API definition (issue 17's goal: at most 0.5 s), against `json.loads` of the
same file in the same process.

The export is shaped like `aws apigateway get-export --extensions apigateway` output: 500 resources of
four methods (GET, POST, PUT, DELETE), each with path and query parameters, a validator, an integration
(MOCK, AWS_PROXY, or HTTP with request and response templates and integration responses), and a third
of them an API key, IAM or a token authorizer; every POST and PUT with a request model of its own (1,000
distinct models, the costly case for model checking) that refers to a shared one by `$ref`. It is
written as JSON (the goal) and as YAML (for the record).

Each measure runs in a child process per checkout, rounds interleaved: `--against DIR` adds another
checkout (its `src` on PYTHONPATH) whose figures are printed beside this one's, e.g. the commit before
a change in a `git worktree`. The load average is printed before and after.

    .venv/bin/python bench/definition_load.py
    .venv/bin/python bench/definition_load.py --against /tmp/before --rounds 5
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

RESOURCES = 500
GOAL_S = 0.5
ROOT = Path(__file__).resolve().parent.parent

# Run in the child: import first (not timed), then each file's text read once, and json.loads and
# load_definition timed on it `repeat` times; the best of each is printed as JSON.
_CHILD = """
import json, sys, time
from pathlib import Path
from gatecrash.emulator.definition import load_definition
result = {}
for name in sys.argv[2:]:
    path = Path(sys.argv[1]) / name
    text = path.read_text()
    parse, load = [], []
    for _ in range(3):
        started = time.perf_counter()
        json.loads(text) if name.endswith(".json") else None
        parse.append(time.perf_counter() - started)
        started = time.perf_counter()
        api = load_definition(path)
        load.append(time.perf_counter() - started)
    result[name] = {"json": min(parse), "load": min(load), "methods": len(api.methods)}
print(json.dumps(result))
"""


def _integration(index: int) -> dict[str, Any]:
    kind = index % 3
    if kind == 0:
        return {"type": "mock", "requestTemplates": {"application/json": '{"statusCode": 200}'}}
    if kind == 1:
        return {
            "type": "aws_proxy",
            "httpMethod": "POST",
            "uri": f"arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:"
            f"123456789012:function:handler{index}/invocations",
            "passthroughBehavior": "when_no_match",
        }
    return {
        "type": "http",
        "httpMethod": "GET",
        "uri": f"https://backend.example.com/items/{index}/{{id}}",
        "requestParameters": {"integration.request.path.id": "method.request.path.id"},
        "requestTemplates": {"application/json": '#set($q = $input.params("q"))\n{"q": "$util.escapeJavaScript($q)"}'},
        "responses": {
            "default": {"statusCode": "200", "responseTemplates": {"application/json": "$input.json('$')"}},
            "4\\d{2}": {"statusCode": "400", "responseParameters": {"method.response.header.X-Err": "'yes'"}},
        },
        "passthroughBehavior": "never",
        "timeoutInMillis": 10000,
    }


def _model(index: int) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["name", "owner"],
        "additionalProperties": False,
        "properties": {
            "name": {"type": "string", "minLength": 1, "maxLength": 40 + index % 17},
            "size": {"type": "integer", "minimum": 0, "maximum": 100 + index},
            "kind": {"type": "string", "enum": ["a", "b", f"k{index}"]},
            "code": {"type": "string", "pattern": f"^[A-Z]{{2}}-{index}[0-9]*$"},
            "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 10},
            "owner": {"$ref": "#/components/schemas/Owner"},
        },
    }


def _operation(index: int, verb: str) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": f"{verb}R{index}",
        "parameters": [
            {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}},
            {"name": "q", "in": "query", "required": index % 2 == 0, "schema": {"type": "string"}},
        ],
        "x-amazon-apigateway-request-validator": "all",
        "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"type": "object"}}}}},
        "x-amazon-apigateway-integration": _integration(index),
    }
    if verb in ("post", "put"):
        operation["requestBody"] = {"content": {"application/json": {"schema": _model(index * 2 + (verb == "put"))}}}
    if index % 3 == 0:
        operation["security"] = [{("api_key", "sigv4", "token")[index % 9 // 3]: []}]
    return operation


def export() -> dict[str, Any]:
    verbs = ("get", "post", "put", "delete")
    return {
        "openapi": "3.0.1",
        "info": {"title": "bench", "version": "2026-12-04T00:00:00Z"},
        "servers": [{"url": "https://abc123.execute-api.eu-west-1.amazonaws.com/{basePath}"}],
        "paths": {f"/r{r}/{{id}}": {verb: _operation(r, verb) for verb in verbs} for r in range(RESOURCES)},
        "components": {
            "schemas": {"Owner": {"type": "object", "properties": {"id": {"type": "string"}}}},
            "securitySchemes": {
                "api_key": {"type": "apiKey", "name": "x-api-key", "in": "header"},
                "sigv4": {
                    "type": "apiKey",
                    "name": "Authorization",
                    "in": "header",
                    "x-amazon-apigateway-authtype": "awsSigv4",
                },
                "token": {
                    "type": "apiKey",
                    "name": "Authorization",
                    "in": "header",
                    "x-amazon-apigateway-authtype": "custom",
                    "x-amazon-apigateway-authorizer": {
                        "type": "token",
                        "authorizerUri": "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/"
                        "arn:aws:lambda:eu-west-1:123456789012:function:auth/invocations",
                        "authorizerResultTtlInSeconds": 300,
                    },
                },
            },
        },
        "x-amazon-apigateway-request-validators": {
            "all": {"validateRequestBody": True, "validateRequestParameters": True}
        },
        "x-amazon-apigateway-gateway-responses": {
            "DEFAULT_4XX": {"responseTemplates": {"application/json": '{"message": $context.error.messageString}'}}
        },
    }


def _measure(src: Path, folder: Path, names: list[str]) -> dict[str, dict[str, float]]:
    environment = {**os.environ, "PYTHONPATH": str(src)}
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(folder), *names],
        env=environment,
        capture_output=True,
        text=True,
        check=True,
        cwd=folder,
    )
    result: dict[str, dict[str, float]] = json.loads(done.stdout)
    return result


def _load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--against", type=Path, action="append", default=[], help="another checkout to time too")
    parser.add_argument("--rounds", type=int, default=3, help="child processes per checkout, interleaved")
    args = parser.parse_args()
    checkouts = [("this", ROOT / "src")] + [(str(other), other / "src") for other in args.against]
    document = export()
    names = ["api.json", "api.yaml"]
    print(f"load average before: {_load_average()}")
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        (folder / "api.json").write_text(json.dumps(document, indent=2))
        (folder / "api.yaml").write_text(yaml.safe_dump(document, sort_keys=False, width=1000))
        sizes = {file: (folder / file).stat().st_size for file in names}
        runs: dict[str, list[dict[str, dict[str, float]]]] = {label: [] for label, _ in checkouts}
        for _ in range(args.rounds):
            for label, src in checkouts:
                runs[label].append(_measure(src, folder, names))
    print(f"load average after: {_load_average()}")
    ok = True
    for label, _ in checkouts:
        for file in names:
            loads = [run[file]["load"] for run in runs[label]]
            methods = int(runs[label][0][file]["methods"])
            line = (
                f"{label}: {file} ({sizes[file] / 1e6:.1f} MB, {methods:,} methods): load best "
                f"{min(loads):.3f} s, median {statistics.median(loads):.3f} s"
            )
            if file.endswith(".json"):
                parse = statistics.median(run[file]["json"] for run in runs[label])
                ratio = statistics.median(loads) / parse
                verdict = "ok" if statistics.median(loads) <= GOAL_S else "OVER GOAL"
                line += f"; json.loads {parse:.3f} s (load {ratio:.0f}x); goal <= {GOAL_S} s: {verdict}"
                ok = ok and (label != "this" or verdict == "ok")
            print(line)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
