"""Fill in a definition kept as a template, before `definition.parse_definition` reads it.

Teams keep their API definition as a Terraform `templatefile` (`${lambda_arn}`, `$${...}` for a
literal `${...}`) or inside a CloudFormation/SAM template (`Fn::Sub`, `Ref`, `Fn::GetAtt`,
`Fn::If`, `Fn::Join`, and the `!Sub` short forms that `_yamlpos` reads as `{"Fn::Sub": ...}`).
`substitute` walks the parsed document once, fills each of them from the user's variables
(`--var NAME=VALUE`), inlines `$ref`s to sibling files, and collects every value it could not
fill, all at once, as `Problem`s with the file, line and JSON path of the original text.

It is pure: sibling files come through the `load_sibling` callable the caller passes in.
Values the emulator and the probes never interpret (an integration `uri` or `credentials`,
an authorizer's `authorizerUri`, titles and descriptions, `servers`, the resource policy)
keep an unresolved placeholder as text instead of failing: the document still runs locally.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from gatecrash._yamlpos import ROOT, JsonPath, LineIndex, ProblemLog
from gatecrash.errors import DefinitionError, Problem

__all__ = ["PSEUDO_DEFAULTS", "Sibling", "substitute"]

# CloudFormation pseudo-parameters that a local run can safely invent; a `--var` overrides each.
PSEUDO_DEFAULTS: Mapping[str, str] = {
    "AWS::Region": "us-east-1",
    "AWS::AccountId": "123456789012",
    "AWS::Partition": "aws",
    "AWS::URLSuffix": "amazonaws.com",
}
_NO_VALUE = "AWS::NoValue"

# `$${x}` (Terraform's escape), or `${x}`; `${stageVariables.x}` is API Gateway's own syntax,
# resolved per request by the emulator, so it is never a template placeholder.
_TERRAFORM = re.compile(r"\$\$\{|\$\{(?!stageVariables\.)([^}]*)\}")
# Inside `Fn::Sub`: `${!x}` is the escape for a literal `${x}`.
_SUB = re.compile(r"\$\{!|\$\{(?!stageVariables\.)([^}]*)\}")

# Keys whose values the emulator never interprets (it does not call the integration's real
# URI and only describes an API by its title), so a placeholder there is harmless text.
_INTEGRATION_KEPT = frozenset({"uri", "credentials"})
_AUTHORIZER_KEPT = frozenset({"authorizerUri", "authorizerCredentials"})
_DESCRIPTIVE = frozenset({"title", "description", "summary", "servers", "externalDocs"})
_POLICY = "x-amazon-apigateway-policy"
# Whole-placeholder values of these keys are numbers once a template tool renders them.
_NUMERIC = frozenset({"timeoutInMillis", "authorizerResultTtlInSeconds"})
_INTRINSICS = frozenset({"Ref", "Fn::Sub", "Fn::GetAtt", "Fn::If", "Fn::Join"})


@dataclass(frozen=True, slots=True)
class Sibling:
    """A file named by a `$ref`, read by the caller: its parsed data, lines and display name."""

    data: Any
    lines: LineIndex | None
    source: str


# Reads `./other.yaml` (relative to the file that refers to it); a Problem when it cannot.
SiblingLoader = Callable[[str, str], "Sibling | Problem"]


def substitute(
    document: Any,
    variables: Mapping[str, str],
    source: str,
    lines: LineIndex | None,
    load_sibling: SiblingLoader | None = None,
) -> Any:
    """`document` with every placeholder, intrinsic and sibling `$ref` filled in.

    Raises `DefinitionError` listing everything left unresolved where the emulator needs it.
    """
    walker = _Walker(variables, load_sibling, {})
    result = walker.walk(document, ROOT, _File(source, lines, ProblemLog(source, lines), document))
    problems = [problem for log in walker.logs.values() for problem in log.problems]
    if problems:
        raise DefinitionError(sorted(problems, key=lambda p: (p.file != source, p.file, p.line or 0)))
    return result


def substitute_partially(
    document: Any,
    variables: Mapping[str, str],
    source: str,
    lines: LineIndex | None,
    load_sibling: SiblingLoader | None = None,
) -> Any:
    """`document` with what can be filled in filled in, the rest left as it was found: what the rest
    of the definition's problems are read from when some of it cannot be substituted."""
    return _Walker(variables, load_sibling, {}).walk(
        document, ROOT, _File(source, lines, ProblemLog(source, lines), document)
    )


@dataclass(frozen=True, slots=True)
class _File:
    source: str
    lines: LineIndex | None
    log: ProblemLog
    data: Any


class _Removed:
    """What `Ref: AWS::NoValue` evaluates to: the enclosing key or list item disappears."""


_REMOVED = _Removed()


def _kept_as_text(path: JsonPath) -> bool:
    """Whether an unresolved placeholder at `path` is harmless (see the module docstring)."""
    for index, segment in enumerate(path):
        parent = path[index - 1] if index else None
        if segment in _DESCRIPTIVE and parent != "properties":  # a schema property named `title`
            return True
        if segment == _POLICY and index == 0:
            return True
        if segment in _INTEGRATION_KEPT and parent == "x-amazon-apigateway-integration":
            return True
        if segment in _AUTHORIZER_KEPT and parent == "x-amazon-apigateway-authorizer":
            return True
    return False


def _hint(name: str) -> str:
    return f"supply it: --var {name}=... (or a --vars file)"


@dataclass(frozen=True, slots=True)
class _Walker:
    variables: Mapping[str, str]
    load_sibling: SiblingLoader | None
    logs: dict[str, ProblemLog]

    def _value(self, name: str) -> str | None:
        if name in self.variables:
            return self.variables[name]
        return PSEUDO_DEFAULTS.get(name)

    def walk(self, node: Any, path: JsonPath, file: _File) -> Any:
        self.logs.setdefault(file.source, file.log)
        if isinstance(node, Mapping):
            if len(node) == 1:
                (key,) = node
                if key in _INTRINSICS:
                    return self._intrinsic(str(key), node[key], (*path, str(key)), path, file)
            ref = node.get("$ref")
            if isinstance(ref, str) and not ref.startswith("#"):
                return self._external_ref(ref, (*path, "$ref"), file)
            result: dict[str, Any] = {}
            for key, value in node.items():
                child = (*path, str(key))
                name = self._text(key, child, file) if isinstance(key, str) else key
                walked = self.walk(value, child, file)
                if walked is not _REMOVED:
                    result[name] = walked
            return result
        if isinstance(node, list):
            items = [self.walk(item, (*path, index), file) for index, item in enumerate(node)]
            return [item for item in items if item is not _REMOVED]
        if isinstance(node, str):
            text = self._text(node, path, file)
            whole = _TERRAFORM.fullmatch(node)
            if whole and path and path[-1] in _NUMERIC and text.isdigit():
                return int(text)
            return text
        return node

    # --- Terraform templatefile -----------------------------------------------------------------

    def _text(self, text: str, path: JsonPath, file: _File) -> str:
        def fill(match: re.Match[str]) -> str:
            if match.group(0) == "$${":
                return "${"
            name = match.group(1).strip()
            value = self._value(name)
            if value is not None:
                return value
            if not _kept_as_text(path):
                file.log.add(path, f"unresolved template placeholder {match.group(0)}", hint=_hint(name))
            return match.group(0)

        return _TERRAFORM.sub(fill, text)

    # --- CloudFormation intrinsics ------------------------------------------------------------

    def _unresolved(self, path: JsonPath, owner: JsonPath, file: _File, message: str, name: str) -> str:
        """Report `name` unless the place keeps it; either way `${name}` stands in as text."""
        if not _kept_as_text(owner):
            file.log.add(path, message, hint=_hint(name))
        return "${" + name + "}"

    def _intrinsic(self, name: str, argument: Any, path: JsonPath, owner: JsonPath, file: _File) -> Any:
        if name == "Ref":
            return self._ref(argument, path, owner, file)
        if name == "Fn::GetAtt":
            return self._get_att(argument, path, owner, file)
        if name == "Fn::Sub":
            return self._sub(argument, path, owner, file)
        if name == "Fn::If":
            return self._if(argument, path, file)
        return self._join(argument, path, owner, file)

    def _malformed(self, path: JsonPath, file: _File, name: str, shape: str) -> None:
        file.log.add(path, f"malformed {name}", hint=f"write it as {shape}")

    def _ref(self, argument: Any, path: JsonPath, owner: JsonPath, file: _File) -> Any:
        if not isinstance(argument, str):
            self._malformed(path, file, "Ref", "Ref: NAME")
            return None
        if argument == _NO_VALUE:
            return _REMOVED
        value = self._value(argument)
        if value is not None:
            return value
        return self._unresolved(path, owner, file, f"unresolved CloudFormation Ref {argument}", argument)

    def _get_att(self, argument: Any, path: JsonPath, owner: JsonPath, file: _File) -> Any:
        # Both `Fn::GetAtt: [Role, Arn]` and the short form's `!GetAtt Role.Arn`.
        parts = argument.split(".", 1) if isinstance(argument, str) else argument
        if not (isinstance(parts, list) and len(parts) == 2 and all(isinstance(p, str) for p in parts)):
            self._malformed(path, file, "Fn::GetAtt", "Fn::GetAtt: [Resource, Attribute]")
            return None
        name = f"{parts[0]}.{parts[1]}"
        value = self._value(name)
        if value is not None:
            return value
        return self._unresolved(path, owner, file, f"unresolved CloudFormation Fn::GetAtt {name}", name)

    def _sub(self, argument: Any, path: JsonPath, owner: JsonPath, file: _File) -> Any:
        local: dict[str, Any] = {}
        if isinstance(argument, list) and len(argument) == 2 and isinstance(argument[1], Mapping):
            template, table = argument[0], argument[1]
            for key, value in table.items():
                local[str(key)] = self.walk(value, (*path, 1, str(key)), file)
            where: JsonPath = (*path, 0)
        else:
            template, where = argument, path
        if not isinstance(template, str):
            self._malformed(path, file, "Fn::Sub", "Fn::Sub: TEXT or Fn::Sub: [TEXT, {NAME: VALUE}]")
            return None

        def fill(match: re.Match[str]) -> str:
            if match.group(0) == "${!":
                return "${"
            name = match.group(1).strip()
            found = local.get(name)
            if isinstance(found, str):
                return found
            value = self._value(name)
            if value is not None:
                return value
            if found is None:
                message = f"unresolved name ${{{name}}} in Fn::Sub"
                return self._unresolved(where, owner, file, message, name)
            return match.group(0)  # a local value that did not resolve to text was reported already

        return _SUB.sub(fill, template)

    def _if(self, argument: Any, path: JsonPath, file: _File) -> Any:
        if not (isinstance(argument, list) and len(argument) == 3 and isinstance(argument[0], str)):
            self._malformed(path, file, "Fn::If", "Fn::If: [Condition, IF_TRUE, IF_FALSE]")
            return None
        condition = argument[0]
        value = self.variables.get(condition)
        if value is None or value.lower() not in ("true", "false"):
            # A condition picks the shape of the document, so it is needed even where text is kept.
            got = "" if value is None else f" (got '{value}')"
            file.log.add(
                (*path, 0),
                f"unresolved CloudFormation condition {condition} in Fn::If{got}",
                hint=f"supply it: --var {condition}=true or --var {condition}=false",
            )
            return None
        chosen = 1 if value.lower() == "true" else 2
        return self.walk(argument[chosen], (*path, chosen), file)

    def _join(self, argument: Any, path: JsonPath, owner: JsonPath, file: _File) -> Any:
        if not (isinstance(argument, list) and len(argument) == 2 and isinstance(argument[0], str)):
            self._malformed(path, file, "Fn::Join", "Fn::Join: [DELIMITER, [VALUES]]")
            return None
        items = self.walk(argument[1], (*path, 1), file)
        if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
            if isinstance(items, list) and all(isinstance(item, str | None) for item in items):
                return None  # an item failed to resolve and was reported
            self._malformed((*path, 1), file, "Fn::Join", "Fn::Join: [DELIMITER, [VALUES]] with text values")
            return None
        return argument[0].join(items)

    # --- $ref to other files ------------------------------------------------------------------

    def _external_ref(self, ref: str, where: JsonPath, file: _File) -> Any:
        if ref.startswith("https://apigateway.amazonaws.com/restapis/"):
            return {"$ref": ref}  # a model of the API by its URL: definition.py resolves it to the model
        if re.match(r"^[a-z][a-z0-9+.-]*://", ref, re.IGNORECASE):
            file.log.add(
                where,
                f"remote $ref '{ref}' is not fetched",
                hint="download it and refer to the local copy, e.g. $ref: './copy.yaml#/...'",
            )
            return {"$ref": ref}
        name, _, fragment = ref.partition("#")
        if self.load_sibling is None:
            file.log.add(where, f"external $ref '{ref}' cannot be followed here", hint="inline the referenced object")
            return {"$ref": ref}
        loaded = self.load_sibling(name, file.source)
        if isinstance(loaded, Problem):
            file.log.add(where, f"$ref '{ref}': {loaded.message}", hint=loaded.hint)
            return {"$ref": ref}
        log = self.logs.setdefault(loaded.source, ProblemLog(loaded.source, loaded.lines))
        sibling = _File(loaded.source, loaded.lines, log, loaded.data)
        target = _follow(loaded.data, fragment)
        if target is None:
            file.log.add(where, f"$ref '{ref}' points to nothing in {loaded.source}", hint="fix the reference")
            return {"$ref": ref}
        value, path = target
        # `#/...` refs inside the sibling point into the sibling, not into this document.
        return self.walk(_inline_local_refs(value, loaded.data, (), sibling, path), path, sibling)


def _follow(document: Any, fragment: str) -> tuple[Any, JsonPath] | None:
    node, path = document, ROOT
    body = unquote(fragment)
    for raw in body.lstrip("/").split("/") if body.strip("/") else []:
        segment = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, Mapping) and segment in {str(k) for k in node}:
            node = next(v for k, v in node.items() if str(k) == segment)
            path = (*path, segment)
        elif isinstance(node, list) and segment.isdigit() and int(segment) < len(node):
            node, path = node[int(segment)], (*path, int(segment))
        else:
            return None
    return node, path


def _inline_local_refs(node: Any, document: Any, expanding: tuple[str, ...], file: _File, path: JsonPath) -> Any:
    if isinstance(node, Mapping):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#"):
            target = _follow(document, ref[1:])
            if target is None or ref in expanding:
                # A recursive schema across files cannot be inlined; accept anything instead.
                if target is None:
                    file.log.add((*path, "$ref"), f"$ref '{ref}' points to nothing in {file.source}")
                return {}
            return _inline_local_refs(target[0], document, (*expanding, ref), file, target[1])
        return {k: _inline_local_refs(v, document, expanding, file, (*path, str(k))) for k, v in node.items()}
    if isinstance(node, list):
        return [_inline_local_refs(v, document, expanding, file, (*path, i)) for i, v in enumerate(node)]
    return node
