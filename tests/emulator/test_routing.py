from __future__ import annotations

from gatecrash.emulator.model import Method
from gatecrash.emulator.routing import Router


def method(path: str, verb: str) -> Method:
    return Method(resource_path=path, http_method=verb, pointer=f"{path} {verb}")


ROUTER = Router(
    [
        method("/", "GET"),
        method("/pets", "GET"),
        method("/pets/{petId}", "GET"),
        method("/pets/mine", "GET"),
        method("/pets/{petId}/toys/{toyId}", "DELETE"),
        method("/files/{path+}", "ANY"),
        method("/files/readme", "PUT"),
        method("/{proxy+}", "ANY"),
    ]
)


def resolve(path: str, verb: str) -> tuple[str, str, dict[str, str]] | None:
    match = ROUTER.match(path, verb)
    if match is None:
        return None
    return match.method.resource_path, match.method.http_method, dict(match.path_parameters)


def test_literal_beats_parameter() -> None:
    assert resolve("/pets/mine", "GET") == ("/pets/mine", "GET", {})
    assert resolve("/pets/7", "GET") == ("/pets/{petId}", "GET", {"petId": "7"})


def test_several_parameters_are_bound() -> None:
    assert resolve("/pets/7/toys/ball", "DELETE") == (
        "/pets/{petId}/toys/{toyId}",
        "DELETE",
        {"petId": "7", "toyId": "ball"},
    )


def test_greedy_parameter_takes_the_rest_of_the_path() -> None:
    assert resolve("/files/a/b/c.txt", "POST") == ("/files/{path+}", "ANY", {"path": "a/b/c.txt"})


def test_unknown_method_on_the_most_specific_resource_is_not_routed_elsewhere() -> None:
    # /files/readme exists with PUT only: a GET is a 403 there, not a fall-through to {path+}.
    assert resolve("/files/readme", "GET") is None
    assert resolve("/pets", "POST") is None


def test_root_and_catch_all() -> None:
    assert resolve("/", "GET") == ("/", "GET", {})
    assert resolve("/anything/else", "PATCH") == ("/{proxy+}", "ANY", {"proxy": "anything/else"})


def test_greedy_parameter_needs_at_least_one_segment() -> None:
    assert Router([method("/files/{path+}", "GET")]).match("/files", "GET") is None
