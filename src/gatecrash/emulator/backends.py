"""Local backends: ASGI apps from a file, served on loopback beside the emulator.

A scenario's emulator target can name them (`backends: {backend: "backend.py:app"}`); each one's
address becomes a stage variable, so HTTP integrations like `http://${stageVariables.backend}/x`
reach it.
"""

from __future__ import annotations

import importlib.util
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import uvicorn

from gatecrash.emulator.server import bind_loopback
from gatecrash.errors import EnvironmentProblem

_START_TIMEOUT_S = 10.0


def load_asgi_app(path: Path, attribute: str) -> Any:
    spec = importlib.util.spec_from_file_location(f"gatecrash_backend_{path.stem}", path)
    if spec is None or spec.loader is None:
        raise EnvironmentProblem(f"{path}: cannot be loaded as a Python module")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        raise EnvironmentProblem(f"{path}: importing it failed: {type(exc).__name__}: {exc}") from exc
    app = getattr(module, attribute, None)
    if not callable(app):
        raise EnvironmentProblem(f"{path}: has no ASGI app named {attribute!r}")
    return app


@contextmanager
def serve_asgi_file(path: Path, attribute: str) -> Iterator[str]:
    """Serve `attribute` of the module at `path` on a free loopback port; yields `127.0.0.1:port`."""
    app = load_asgi_app(path, attribute)
    sock = bind_loopback()
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + _START_TIMEOUT_S
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.01)
    try:
        if not server.started:
            raise EnvironmentProblem(f"{path}: the backend {attribute!r} did not start")
        yield f"127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(_START_TIMEOUT_S)
        sock.close()
