"""Process and port helpers the bench scripts share (each script runs with bench/ as its first path)."""

from __future__ import annotations

import os
import socket
from pathlib import Path


def free_port() -> int:
    """A loopback port nothing listens on now (the caller binds it soon after)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def children(pid: int) -> list[int]:
    """The direct children of `pid`, from every one of its threads (Linux /proc)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found.extend(int(child) for child in (task / "children").read_text().split())
    return found


def descendants(pid: int) -> list[int]:
    """`pid`'s children, their children and so on."""
    found: list[int] = []
    pending = [pid]
    while pending:
        for child in children(pending.pop()):
            found.append(child)
            pending.append(child)
    return found


def pin_threads(pid: int, cpu: int) -> None:
    """Every thread of `pid` (not only its main one) to `cpu`; threads made later inherit it."""
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            os.sched_setaffinity(int(task.name), {cpu})
        except ProcessLookupError:  # the thread ended meanwhile
            pass


def pin_tree(pid: int, cpu: int) -> None:
    """`pin_threads` for `pid` and every process under it."""
    for each in (pid, *descendants(pid)):
        pin_threads(each, cpu)


def cpu_seconds(pid: int) -> float:
    """User plus system CPU of one process, all its threads, so far (its children not included)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tree_cpu_seconds(pid: int) -> float:
    """`cpu_seconds` of `pid` and every live process under it."""
    total = 0.0
    for each in (pid, *descendants(pid)):
        try:
            total += cpu_seconds(each)
        except FileNotFoundError:
            pass
    return total
