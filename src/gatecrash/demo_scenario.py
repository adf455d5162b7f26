"""Where the demo scenario is: the repository's `scenarios/demo/` in a checkout, or the copy a wheel ships.

pyproject.toml force-includes `scenarios/demo` into the wheel as `gatecrash/demo`, as it does `probes/`
(see catalogue.py), so an installed gatecrash can show what it does with no files of the user's.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from gatecrash.errors import EnvironmentProblem

# src layout: src/gatecrash/demo_scenario.py -> parents[2] is the repository.
REPOSITORY_DEMO_DIR: Path = Path(__file__).resolve().parents[2] / "scenarios" / "demo"
PACKAGED_DEMO = "demo"  # gatecrash/demo in an installed wheel


def shipped_demo() -> Path:
    """The demo scenario's folder: the checkout's, else the installed package's."""
    if REPOSITORY_DEMO_DIR.is_dir():
        return REPOSITORY_DEMO_DIR
    packaged = resources.files("gatecrash") / PACKAGED_DEMO
    # The demo's backend and handlers are loaded from files, so it needs a real folder (not a zip).
    if isinstance(packaged, Path) and packaged.is_dir():
        return packaged
    raise EnvironmentProblem(
        f"the demo scenario is not installed beside gatecrash ({packaged} is missing): reinstall gatecrash "
        "from its wheel (`pip install --force-reinstall gatecrash`), or run from a checkout of the repository"
    )
