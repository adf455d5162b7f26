"""`gatecrash generate`: a scenario written from the API's own definition.

`plan.py` decides which probes each method's configuration implies (pure), `bodies.py` makes the
request bodies from the JSON Schema models, `render.py` writes the commented YAML. This module reads
the inputs (the definition loader shared with the emulator, the optional side file) and ties them up.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from gatecrash.catalogue import Catalogue
from gatecrash.emulator.definition import load_definition
from gatecrash.emulator.sidefile import load_side_file
from gatecrash.generate.plan import Options, Plan, plan
from gatecrash.generate.render import Target, render

__all__ = ["Generated", "Options", "generate"]


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
) -> Generated:
    """The scenario text for `definition`; its paths are relative to `output`'s folder (else the working one)."""
    api = load_definition(definition)
    # Only the configuration is read: key values are never written, only key ids (emulator-api-key).
    stage = load_side_file(side_file) if side_file is not None else None
    safe = frozenset(mode.id for mode in catalogue if mode.before_integration)
    planned = plan(api, stage, safe, options or Options())
    base = output.parent if output is not None else Path.cwd()
    target = Target(_relative(definition, base), _relative(side_file, base) if side_file is not None else None)
    return Generated(render(planned, _name(api.title, definition), target, command), planned)


def _relative(path: Path, base: Path) -> str:
    return Path(os.path.relpath(path.resolve(), base.resolve())).as_posix()


def _name(title: str, definition: Path) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    return f"{slug or definition.stem} probes"
