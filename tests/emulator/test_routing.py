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


def test_a_verb_the_most_specific_resource_lacks_goes_to_a_greedy_resource() -> None:
    # Recorded against AWS (LocalStack test_proxy_routing_with_hardcoded_resource_sibling, validated):
    # OPTIONS /test, where /test has only POST, is answered by /{proxy+}'s OPTIONS.
    assert resolve("/files/readme", "GET") == ("/files/{path+}", "ANY", {"path": "readme"})
    assert resolve("/pets", "POST") == ("/{proxy+}", "ANY", {"proxy": "pets"})
    # Without a greedy resource to take it, an unknown verb is a 403 (test_routing_not_found, recorded).
    assert Router([method("/pets", "GET"), method("/{id}", "POST")]).match("/pets", "POST") is None


def test_a_greedy_parameter_keeps_doubled_slashes_but_not_a_trailing_one() -> None:
    # Recorded (test_lambda_aws_proxy_integration): `proxy-value//double-slash`, `/proxy-value/` -> `proxy-value`.
    assert resolve("/anything//else", "GET") == ("/{proxy+}", "ANY", {"proxy": "anything//else"})
    assert resolve("/anything/", "GET") == ("/{proxy+}", "ANY", {"proxy": "anything"})


def test_root_and_catch_all() -> None:
    assert resolve("/", "GET") == ("/", "GET", {})
    assert resolve("/anything/else", "PATCH") == ("/{proxy+}", "ANY", {"proxy": "anything/else"})


def test_greedy_parameter_needs_at_least_one_segment() -> None:
    assert Router([method("/files/{path+}", "GET")]).match("/files", "GET") is None
