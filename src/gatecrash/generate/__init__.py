"""`gatecrash generate`: a scenario written from the API's own definition.

`plan.py` decides which probes each method's configuration implies (pure), `bodies.py` makes the
request bodies from the JSON Schema models, `render.py` writes the commented YAML. This module reads
the inputs (the definition loader shared with the emulator, the optional side file) and ties them up.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from gatecrash.catalogue import Catalogue
from gatecrash.emulator.definition import load_definition
from gatecrash.emulator.model import Api
from gatecrash.emulator.sidefile import load_side_file
from gatecrash.generate.deployed import (
    DeployedSource,
    read_deployed,
    side_file_document,
    write_export,
    write_side_file,
)
from gatecrash.generate.mirror import offline_mirror, write_mirror
from gatecrash.generate.plan import Options, Plan, plan
from gatecrash.generate.render import Target, render
from gatecrash.outputs import make_folder

__all__ = ["Generated", "Options", "export_path", "generate", "generate_deployed"]


@dataclass(frozen=True, slots=True)
class Generated:
    text: str
    plan: Plan


def generate(
    definition: Path,
    catalogue: Catalogue,
    options: Options | None = None,
    side_file: Path | None = None,
    output: Path | None = None,
    command: str = "gatecrash generate",
    variables: Mapping[str, str] | None = None,
    mirror_out: Path | None = None,
    api: Api | None = None,
) -> Generated:
    """The scenario text for `definition`; its paths are relative to `output`'s folder (else the working one).

    `variables` fill the definition's template placeholders (`--var`), as `load_definition` does.
    With `mirror_out` (and no `side_file`), an offline side file with stand-ins for every function,
    endpoint, key, caller and pool the definition needs is written there (`mirror.py`), and the
    scenario runs against it. `api` is the definition as read already (the CLI's check), else it is read here.
    """
    if api is None:
        api = load_definition(definition, variables)
    backends: tuple[tuple[str, str], ...] = ()
    if mirror_out is not None:
        if side_file is not None:
            raise ValueError("a side file is read or written, not both")
        mirror = offline_mirror(api)
        write_mirror(mirror, mirror_out)
        side_file, backends = mirror_out, mirror.backends
    # Only the configuration is read: key values are never written, only key ids (emulator-api-key),
    # so a `valueFrom: {env: ...}` whose variable is unset must not stop generation.
    stage = load_side_file(side_file, _ReferencesOnly()) if side_file is not None else None
    safe = frozenset(mode.id for mode in catalogue if mode.before_integration)
    planned = plan(api, stage, safe, options or Options())
    base = output.parent if output is not None else Path.cwd()
    target = Target(
        _relative(definition, base),
        _relative(side_file, base) if side_file is not None else None,
        tuple(sorted((variables or {}).items())),
        backends,
    )
    return Generated(render(planned, _name(api.title, definition), target, command), planned)


def export_path(output: Path | None, rest_api_id: str, stage: str) -> Path:
    """Where a deployed API's export is saved: beside the scenario, else in the working folder.

    Not a temporary folder when the scenario goes to stdout: its `emulator` target points at the
    export, which must outlive this command for the scenario to run offline.
    """
    if output is not None:
        return output.with_suffix(".api.json")
    return Path.cwd() / f"{rest_api_id}-{stage}.api.json"


def generate_deployed(
    source: DeployedSource,
    catalogue: Catalogue,
    options: Options | None = None,
    output: Path | None = None,
    side_file_out: Path | None = None,
    command: str = "gatecrash generate",
) -> tuple[Generated, Path]:
    """The scenario for a deployed API, and where its export was saved (`export_path`).

    With `side_file_out`, the emulator's side file is mirrored from the stage, its usage plans and
    keys (as references), and the scenario's emulator target names it.
    """
    deployed = read_deployed(source)
    export = export_path(output, source.rest_api_id, source.stage)
    make_folder(export.parent, "the export's folder")
    write_export(deployed.export, export)
    if side_file_out is not None:
        make_folder(side_file_out.parent, "--side-file-out's folder")
        document = side_file_document(
            deployed.stage,
            deployed.plans,
            deployed.plan_keys,
            deployed.keys,
            deployed.account,
            rest_api_id=deployed.rest_api_id,
            region=deployed.region,
        )
        write_side_file(document, side_file_out)
    return generate(export, catalogue, options, side_file_out, output, command), export


class _ReferencesOnly(Mapping[str, str]):
    """The environment, with a stand-in for every unset variable: generate needs names, not secrets."""

    def __getitem__(self, name: str) -> str:
        # Distinct per name: the side file rejects two keys with the same value.
        return os.environ.get(name) or f"unset-{name}"

    def __iter__(self) -> Iterator[str]:
        return iter(os.environ)

    def __len__(self) -> int:
        return len(os.environ)


def _relative(path: Path, base: Path) -> str:
    return Path(os.path.relpath(path.resolve(), base.resolve())).as_posix()


def _name(title: str, definition: Path) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    return f"{slug or definition.stem} probes"
