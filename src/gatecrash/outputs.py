"""Writing the files and folders a user names, safely: checked before any work, written whole.

`generate -o`, `--side-file-out`, `run --reports`, `--keep-load-files` and `canary --history` go through
here, so that a folder where a file should go, a file where a folder should go, an output that would
overwrite an input, or a disk that is full is one clear error, never a traceback. An existing output
file is replaced (re-running a command refreshes what it wrote), atomically: a failed write leaves the
old file as it was. A missing folder on the way to an output is created, as `--reports` always did.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Mapping
from pathlib import Path

from gatecrash.errors import EnvironmentProblem, FileError, GatecrashError, Problem

# The local machine, not the user's choice of path: exit 3 (an environment error).
_ENVIRONMENT_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EIO})


def check_output_file(path: Path, option: str, inputs: Mapping[str, Path | None] | None = None) -> None:
    """Raise FileError when `path` cannot take the file `option` writes: it is a folder, a file stands
    where one of its folders should be, or it is one of `inputs` (by option name), which writing
    would destroy. Nothing is created."""
    if path.is_dir():
        raise _problem(path, f"{option} names a folder", f"name a file, e.g. {path / 'out.yaml'}")
    _check_parents(path, option)
    for name, given in (inputs or {}).items():
        if given is not None and _same_file(path, given):
            raise _problem(path, f"{option} would overwrite the {name} it reads", "write it to another file")


def check_output_files(outputs: Mapping[str, Path | None], inputs: Mapping[str, Path | None]) -> None:
    """`check_output_file` for each of `outputs` (by option name), and no two of them the same file."""
    named = {option: path for option, path in outputs.items() if path is not None}
    for option, path in named.items():
        check_output_file(path, option, inputs)
    seen: dict[Path, str] = {}
    for option, path in named.items():
        key = path.resolve()
        if key in seen:
            raise _problem(path, f"{seen[key]} and {option} name the same file", "give each its own file")
        seen[key] = option


def check_output_folder(path: Path, option: str) -> None:
    """Raise FileError when `path` cannot be the folder `option` writes into. Nothing is created."""
    if path.exists() and not path.is_dir():
        kind = "a file" if path.is_file() else "a device"
        raise _problem(path, f"{option} names {kind}, not a folder", "give a folder; a missing one is created")
    _check_parents(path, option)


def make_folder(path: Path, option: str) -> None:
    """`check_output_folder`, then create `path` and its missing parents."""
    check_output_folder(path, option)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise write_error(path, option, error) from None


def write_text(path: Path, text: str, option: str) -> None:
    """Write `text` to `path` (UTF-8), creating missing folders; a file is replaced whole or not at all,
    a device or pipe (`-o /dev/stdout`) written to as it is."""
    check_output_file(path, option)
    try:
        target = Path(os.path.realpath(path))  # a link: its target is replaced, the link kept
        if target.exists() and not stat.S_ISREG(target.stat().st_mode):
            with target.open("w", encoding="utf-8") as stream:
                stream.write(text)
            return
        existing = target.stat().st_mode if target.exists() else None
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.parent / f".{target.name}.{os.getpid()}.tmp"
        try:
            with partial.open("x", encoding="utf-8") as stream:  # created as any new file is (umask)
                stream.write(text)
            if existing is not None:
                os.chmod(partial, stat.S_IMODE(existing))  # the replaced file's permissions, not new ones
            os.replace(partial, target)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    except OSError as error:
        raise write_error(path, option, error) from None


def write_error(path: Path, option: str, error: OSError) -> GatecrashError:
    """An OSError writing `path`, as the error to report: a full or failing disk is the environment's."""
    reason = error.strerror or str(error)
    if error.errno in _ENVIRONMENT_ERRNOS:
        return EnvironmentProblem(f"{path}: cannot write {option}: {reason}")
    return _problem(path, f"cannot write {option}: {reason}", "check the path and its permissions")


def _check_parents(path: Path, option: str) -> None:
    for parent in path.absolute().parents:
        if parent.exists():
            if not parent.is_dir():
                raise _problem(path, f"{option}: {parent} is a file, not a folder", "choose another path")
            return


def _same_file(path: Path, other: Path) -> bool:
    try:
        return path.exists() and other.exists() and os.path.samefile(path, other)
    except OSError:
        return False


def _problem(path: Path, message: str, hint: str) -> FileError:
    return FileError([Problem(str(path), "$", message, hint=hint)])
