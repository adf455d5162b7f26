"""Local backends: ASGI apps from a file, served on loopback beside the emulator.

A scenario's emulator target can name them (`backends: {backend: "backend.py:app"}`, or an
importable module such as gatecrash's own stand-in, `gatecrash.emulator.standins:http_backend`);
each one's address becomes a stage variable, so HTTP integrations like
`http://${stageVariables.backend}/x` reach it.
"""

from __future__ import annotations

import importlib
import importlib.util
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
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
    loader = spec.loader

    def execute() -> ModuleType:
        loader.exec_module(module)
        return module

    return _app(str(path), attribute, execute)


def load_asgi_module(module_name: str, attribute: str) -> Any:
    return _app(module_name, attribute, lambda: importlib.import_module(module_name))


def _app(name: str, attribute: str, load: Callable[[], ModuleType]) -> Any:
    try:
        module = load()
    except Exception as exc:
        raise EnvironmentProblem(f"{name}: importing it failed: {type(exc).__name__}: {exc}") from exc
    app = getattr(module, attribute, None)
    if not callable(app):
        raise EnvironmentProblem(f"{name}: has no ASGI app named {attribute!r}")
    return app


def is_module_spec(spec: str) -> bool:
    """`package.module:attribute` (imported) rather than `file.py:attribute` (a file)."""
    return not spec.partition(":")[0].endswith(".py")


@contextmanager
def serve_asgi(spec: str) -> Iterator[str]:
    """Serve a backend named `file.py:attribute` (absolute) or `package.module:attribute`."""
    target, _, attribute = spec.rpartition(":")
    app = load_asgi_module(target, attribute) if is_module_spec(spec) else load_asgi_app(Path(target), attribute)
    with serve_app(app, target, attribute) as address:
        yield address


@contextmanager
def serve_asgi_file(path: Path, attribute: str) -> Iterator[str]:
    """Serve `attribute` of the module at `path` on a free loopback port; yields `127.0.0.1:port`."""
    with serve_app(load_asgi_app(path, attribute), str(path), attribute) as address:
        yield address


@contextmanager
def serve_app(app: Any, path: str, attribute: str) -> Iterator[str]:
    """Serve an ASGI app on a free loopback port; yields `127.0.0.1:port`."""
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
