"""Route matching: request path and method to the definition's method, as API Gateway picks it.

A literal segment beats a `{param}` segment, which beats a greedy `{name+}` tail; a method
defined for the exact HTTP verb beats `ANY` on the same resource (AWS docs, "Set up a proxy
integration with a proxy resource": a more specific resource wins over `{proxy+}`).

Recorded against AWS (LocalStack test_apigateway_common / test_apigateway_lambda snapshots):
- a verb the most specific resource lacks goes to a greedy resource that has it (OPTIONS /test, where
  /test has only POST, answered by /{proxy+}'s OPTIONS); with no such resource it is a 403;
- a greedy parameter keeps the path as sent, doubled slashes included (`proxy-value//double-slash`),
  less a trailing slash (`/proxy-value/` binds `proxy-value`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from gatecrash.emulator.model import Method

_LITERAL, _PARAM, _GREEDY = 0, 1, 2


@dataclass(frozen=True, slots=True)
class RouteMatch:
    method: Method
    path_parameters: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class _Resource:
    path: str
    segments: tuple[tuple[int, str], ...]
    methods: Mapping[str, Method]


def _segment_kind(segment: str) -> tuple[int, str]:
    if segment.startswith("{") and segment.endswith("+}"):
        return _GREEDY, segment[1:-2]
    if segment.startswith("{") and segment.endswith("}"):
        return _PARAM, segment[1:-1]
    return _LITERAL, segment


def _split(path: str) -> list[str]:
    return [segment for segment in path.split("/") if segment]


def _tail(path: str, skip: int) -> str:
    """The path after its first `skip` segments, as sent (inner doubled slashes kept), less the slashes
    around it."""
    rest = path.lstrip("/")
    for _ in range(skip):
        rest = rest.split("/", 1)[1].lstrip("/") if "/" in rest else ""
    return rest.rstrip("/")


class Router:
    def __init__(self, methods: Iterable[Method]) -> None:
        by_path: dict[str, dict[str, Method]] = {}
        for method in methods:
            by_path.setdefault(method.resource_path, {})[method.http_method.upper()] = method
        resources = [
            _Resource(path, tuple(_segment_kind(s) for s in _split(path)), verbs) for path, verbs in by_path.items()
        ]
        # Most specific first: compare segment kinds left to right, literals before params.
        self._resources = sorted(resources, key=lambda r: [kind for kind, _ in r.segments] + [_GREEDY + 1])

    def match(self, path: str, http_method: str) -> RouteMatch | None:
        """The method serving `http_method path`, or None (API Gateway answers 403 then)."""
        segments = _split(path)
        verb = http_method.upper()
        matched = False
        for resource in self._resources:
            greedy = bool(resource.segments) and resource.segments[-1][0] == _GREEDY
            if matched and not greedy:
                continue  # past the most specific resource, only a greedy one may take the verb
            parameters = _bind(resource.segments, segments, path)
            if parameters is None:
                continue
            method = resource.methods.get(verb) or resource.methods.get("ANY")
            if method is not None:
                return RouteMatch(method, parameters)
            matched = True
        return None


def _bind(pattern: tuple[tuple[int, str], ...], segments: list[str], path: str) -> dict[str, str] | None:
    parameters: dict[str, str] = {}
    for index, (kind, name) in enumerate(pattern):
        if kind == _GREEDY:
            if index >= len(segments):
                return None
            parameters[name] = _tail(path, index)
            return parameters
        if index >= len(segments):
            return None
        if kind == _LITERAL and segments[index] != name:
            return None
        if kind == _PARAM:
            parameters[name] = segments[index]
    return parameters if len(segments) == len(pattern) else None
