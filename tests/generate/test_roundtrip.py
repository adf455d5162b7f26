"""For random small definitions, the generated scenario loads as it is and regenerating gives the same bytes."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings, strategies as st

from gatecrash.catalogue import load_catalogue
from gatecrash.emulator.sidefile import load_side_file
from gatecrash.generate import Options, generate
from gatecrash.scenario import load_scenario

CATALOGUE = load_catalogue()
_names = st.sampled_from(["pets", "orders", "items", "users", "search"])
_property = st.fixed_dictionaries(
    {"type": st.sampled_from(["string", "integer", "boolean", "number"])}, optional={"minimum": st.just(0)}
)


@st.composite
def operations(draw: st.DrawFn) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "responses": {"200": {"description": "ok"}},
        "x-amazon-apigateway-integration": {"type": "mock", "requestTemplates": {"application/json": "{}"}},
    }
    if draw(st.booleans()):
        operation["x-amazon-apigateway-request-validator"] = draw(st.sampled_from(["all", "params"]))
    params = draw(st.lists(st.sampled_from(["q", "x-client"]), unique=True, max_size=2))
    operation["parameters"] = [
        {"name": p, "in": "header" if p.startswith("x-") else "query", "required": True, "schema": {"type": "string"}}
        for p in params
    ]
    if draw(st.booleans()):
        operation["security"] = [{draw(st.sampled_from(["api_key", "sigv4"])): []}]
    properties = draw(st.dictionaries(st.sampled_from(["name", "age", "kind"]), _property, max_size=3))
    if properties:
        closed = draw(st.booleans())
        schema: dict[str, Any] = {"type": "object", "properties": properties, "required": sorted(properties)[:1]}
        schema["additionalProperties"] = closed
        operation["requestBody"] = {"content": {"application/json": {"schema": schema}}}
    return operation


@st.composite
def definitions(draw: st.DrawFn) -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for name in draw(st.lists(_names, unique=True, min_size=1, max_size=3)):
        verbs = draw(st.lists(st.sampled_from(["get", "post", "put", "delete"]), unique=True, min_size=1, max_size=2))
        paths[f"/{name}"] = {verb: draw(operations()) for verb in verbs}
    return {
        "openapi": "3.0.1",
        "info": {"title": "random", "version": "1"},
        "x-amazon-apigateway-request-validators": {
            "all": {"validateRequestBody": True, "validateRequestParameters": True},
            "params": {"validateRequestBody": False, "validateRequestParameters": True},
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


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(definitions(), st.booleans())
def test_generated_scenarios_load_and_regenerate_identically(document: dict[str, Any], include: bool) -> None:
    with tempfile.TemporaryDirectory() as folder:
        definition = Path(folder) / "api.json"
        definition.write_text(json.dumps(document))
        out = Path(folder) / "scenario.yaml"
        # Half the time with the offline side file of stand-ins: it must load, and regenerate identically too.
        side = Path(folder) / "side.yaml" if include else None
        options = Options(include_backend=include, include_load=include)
        text = generate(definition, CATALOGUE, options, output=out, mirror_out=side).text
        out.write_text(text)
        scenario = load_scenario(out, CATALOGUE.ids)
        assert scenario.limits.max_requests >= scenario.planned_requests
        written = side.read_bytes() if side is not None else None
        if side is not None:
            load_side_file(side)
        assert generate(definition, CATALOGUE, options, output=out, mirror_out=side).text == text
        assert (side.read_bytes() if side is not None else None) == written
