"""The corpus suite stops at once, failing, when its folder of real definitions is missing or empty.

Without this, every test parametrised over the folder would collect nothing, and the named ones
would fail one by one with a bare FileNotFoundError.
"""

from __future__ import annotations

import pytest
from tests.conftest import clean_environ  # noqa: F401  (autouse: no test may reach real AWS)
from tests.generate.conftest import integration_calls  # noqa: F401

from corpus.exports import ENVIRONMENT_VARIABLE, EXPORTS, definitions


def pytest_sessionstart(session: pytest.Session) -> None:
    if definitions(EXPORTS):
        return
    state = "is missing" if not EXPORTS.exists() else "holds no definitions (*.yaml, *.yml, *.json)"
    pytest.exit(
        f"the corpus folder {EXPORTS} {state}: point {ENVIRONMENT_VARIABLE} at the folder of real API definitions"
        f" (default: ../shared/exports beside the repository)",
        returncode=pytest.ExitCode.USAGE_ERROR,  # as pytest answers a path argument that is missing
    )
