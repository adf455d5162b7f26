"""Reading the files a user names as text, safely: bounded, and never a folder, a device or binary.

Every loader (scenario, definition, side file, `--vars`) and `diagnose --from-file` read through here,
so that a folder, `/dev/zero`, a binary file, text that is not UTF-8 or a file too large to be what it
should be is one `Problem` naming the file and the fix (exit 2), never a traceback, a hang or memory
exhausted. A pipe is read (`--from-file <(aws logs tail ...)`), bounded like a file.
"""

from __future__ import annotations

import stat
from pathlib import Path
from typing import BinaryIO

from gatecrash.errors import ConfigError, FileError, Problem

# YAML and JSON documents: scenarios, side files, `--vars` and API definitions. AWS's ImportRestApi
# takes a definition file of at most 6 MB (ImportRestApiRequest.Body in the AWS SDK references), so
# this leaves room for comments and templates while bounding what a mistaken path can cost.
DOCUMENT_LIMIT = 16 * 1024 * 1024
# Exported log lines for `diagnose`: a day of a busy stage's errors, not a whole log group.
LOG_LIMIT = 256 * 1024 * 1024
_PEEK = 8192  # bytes looked at for a NUL, the mark of a binary file
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_UTF8_BOM = b"\xef\xbb\xbf"


def read_text_file(
    path: Path,
    source: str | None = None,
    *,
    limit: int = DOCUMENT_LIMIT,
    expected: str = "a YAML or JSON text file",
    error_type: type[ConfigError] = FileError,
) -> str:
    """The text of `path` (UTF-8, a BOM dropped), or `error_type` with one Problem saying why not.

    `source` names the file in the Problem (default: `path` as given); `expected` says what the file
    should have been, for the hint.
    """
    name = source if source is not None else str(path)

    def problem(message: str, hint: str) -> ConfigError:
        return error_type([Problem(name, "$", message, hint=hint)])

    try:
        info = path.stat()
    except OSError as error:
        raise problem(
            f"cannot read the file: {error.strerror or error}", "check the path and its permissions"
        ) from None
    if stat.S_ISDIR(info.st_mode):
        raise problem("cannot read the file: it is a folder", f"name {expected} in it")
    if not (stat.S_ISREG(info.st_mode) or stat.S_ISFIFO(info.st_mode)):
        raise problem("cannot read the file: it is a device, not a file", f"give {expected}")
    if stat.S_ISREG(info.st_mode) and info.st_size > limit:
        raise problem(
            too_large(info.st_size, limit), f"is it the right file? give {expected} of at most {_size(limit)}"
        )
    try:
        with path.open("rb") as stream:
            data = stream.read(limit + 1)
    except OSError as error:
        raise problem(
            f"cannot read the file: {error.strerror or error}", "check the path and its permissions"
        ) from None
    return decode_text(data, name, limit=limit, expected=expected, error_type=error_type)


def read_text_stream(
    stream: BinaryIO,
    source: str,
    *,
    limit: int = LOG_LIMIT,
    expected: str = "text",
    error_type: type[ConfigError] = FileError,
) -> str:
    """Standard input (or any byte stream) as text, with the same bounds and checks as a file."""
    try:
        data = stream.read(limit + 1)
    except OSError as error:
        raise error_type([Problem(source, "$", f"cannot read it: {error.strerror or error}")]) from None
    return decode_text(data, source, limit=limit, expected=expected, error_type=error_type)


def decode_text(
    data: bytes,
    source: str,
    *,
    limit: int = DOCUMENT_LIMIT,
    expected: str = "a YAML or JSON text file",
    error_type: type[ConfigError] = FileError,
) -> str:
    """`data` as UTF-8 text with "\n" line ends; more than `limit` bytes, a NUL byte, UTF-16 or bytes UTF-8
    cannot hold are a Problem (pure)."""
    if len(data) > limit:
        raise error_type(
            [Problem(source, "$", too_large(None, limit), hint=f"give {expected} of at most {_size(limit)}")]
        )
    if data.startswith(_UTF16_BOMS):
        raise error_type([Problem(source, "$", "UTF-16 text, not UTF-8", hint="save it as UTF-8")])
    if data.startswith(_UTF8_BOM):
        data = data[len(_UTF8_BOM) :]
    nul = data.find(b"\x00", 0, _PEEK)
    if nul >= 0:
        raise error_type(
            [
                Problem(
                    source,
                    "$",
                    f"a binary file, not text (a NUL byte at offset {nul})",
                    hint=f"give {expected}",
                )
            ]
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        column = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
        byte = data[error.start]
        raise error_type(
            [
                Problem(
                    source,
                    "$",
                    f"not UTF-8 text: byte 0x{byte:02x} at line {line}, column {column} ({error.reason})",
                    line=line,
                    hint="save it as UTF-8",
                )
            ]
        ) from None
    # As Python's text files read them (universal newlines): Windows and old Mac line ends become "\n".
    return text.replace("\r\n", "\n").replace("\r", "\n")


def too_large(size: int | None, limit: int) -> str:
    return f"{'more than ' + _size(limit) if size is None else _size(size)}, larger than gatecrash reads"


def _size(count: int) -> str:
    if count >= 1024 * 1024:
        return f"{count / (1024 * 1024):.0f} MiB"
    if count >= 1024:
        return f"{count / 1024:.0f} KiB"
    return f"{count} bytes"
