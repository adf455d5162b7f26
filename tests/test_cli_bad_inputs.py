"""Bad input on the command line ends in one clear error and exit 2 (3 for the machine), never a traceback.

Issue 16 ("Inputs that cannot hurt") found 13 inputs that ended in a traceback: `--port 70000`,
`generate -o` into a missing folder or onto an existing file, `--history` naming a file or a corrupt
SQLite database, a binary file for `diagnose`, `/dev/zero` as any input. Each has a test here, run
as a user would run it (a subprocess), with its neighbours: folders, devices, binary and oversized
files for every command that reads one, outputs that clash. The property test at the end feeds every
command random bytes and random YAML.
"""

from __future__ import annotations

import contextlib
import copy
import io
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import hypothesis
import hypothesis.strategies as st
import pytest
import yaml

from gatecrash import cli
from gatecrash.errors import FileError
from gatecrash.inputs import DOCUMENT_LIMIT, decode_text, read_text_file, read_text_stream
from gatecrash.outputs import check_output_files, write_text
from tests.conftest import DEMO

GATECRASH = [sys.executable, "-m", "gatecrash"]
TRACEBACK = "Traceback (most recent call last)"
API = str(DEMO / "api.yaml")
SCENARIO = str(DEMO / "scenario.yaml")
# The emulator, given only good files, would serve until stopped: with these two options that
# cannot go together it stops with a usage error after reading them, whatever they hold.
STOP_AFTER_READING = ("--endpoint-url", "http://127.0.0.1:9", "--logs-port", "1")


def gatecrash(*args: str, cwd: Path, stdin: int | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*GATECRASH, *args],
        cwd=cwd,
        stdin=stdin if stdin is not None else subprocess.DEVNULL,
        capture_output=True,
        text=True,
        errors="replace",
        timeout=120,
    )


def assert_refused(result: subprocess.CompletedProcess[str], *phrases: str, code: int = 2) -> None:
    assert TRACEBACK not in result.stderr, result.stderr
    assert result.returncode == code, result.stderr
    assert "error" in result.stderr
    for phrase in phrases:
        assert phrase in result.stderr, result.stderr


# Every command and option that reads a file the user names, as the argv that reads `path`.
READERS: dict[str, Callable[[str], list[str]]] = {
    "validate": lambda path: ["validate", path],
    "run": lambda path: ["run", path],
    "canary": lambda path: ["canary", path, "--once", "--no-metrics"],
    "emulator --definition": lambda path: ["emulator", "--definition", path],
    "emulator --side-file": lambda path: ["emulator", "--definition", API, "--side-file", path],
    "emulator --vars": lambda path: ["emulator", "--definition", API, "--vars", path],
    "generate": lambda path: ["generate", path],
    "generate --side-file": lambda path: ["generate", API, "--side-file", path],
    "generate --vars": lambda path: ["generate", API, "--vars", path],
    "diagnose --from-file": lambda path: ["diagnose", "--from-file", path],
    "token --side-file": lambda path: ["token", "--side-file", path, "--pool", "us-east-1_demo0001"],
    "compare": lambda path: ["compare", path, "--target-b", "emulator"],
}


# --- the cases --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["emulator", "--definition", API, "--port", "70000"],
        ["emulator", "--definition", API, "--logs-port", "70000"],
        ["run", SCENARIO, "--master-port", "70000"],
    ],
    ids=["--port", "--logs-port", "--master-port"],
)
def test_a_port_past_65535_is_a_usage_error(args: list[str], tmp_path: Path) -> None:
    result = gatecrash(*args, cwd=tmp_path)
    assert_refused(result, "'70000' is not a port number (0-65535)")


@pytest.mark.parametrize("reader", sorted(READERS))
def test_dev_zero_as_any_input_is_refused_without_reading_it(reader: str, tmp_path: Path) -> None:
    result = gatecrash(*READERS[reader]("/dev/zero"), cwd=tmp_path)
    assert_refused(result, "/dev/zero", "it is a device, not a file")


def test_dev_zero_on_standard_input_is_read_only_up_to_the_limit(tmp_path: Path) -> None:
    with open("/dev/zero", "rb") as zeros:
        result = gatecrash("diagnose", "--from-file", "-", cwd=tmp_path, stdin=zeros.fileno())
    assert_refused(result, "standard input", "more than 256 MiB, larger than gatecrash reads")


@pytest.mark.parametrize("reader", sorted(READERS))
def test_a_binary_file_is_refused_as_binary(reader: str, tmp_path: Path) -> None:
    binary = tmp_path / "capture.bin"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    result = gatecrash(*READERS[reader](binary.name), cwd=tmp_path)
    assert_refused(result, "capture.bin", "a binary file, not text (a NUL byte at offset 8)")


def test_generate_into_a_missing_folder_creates_it_and_the_scenario_runs_from_there(tmp_path: Path) -> None:
    written = tmp_path / "probes" / "new" / "api-probes.yaml"
    result = gatecrash("generate", API, "-o", str(written.relative_to(tmp_path)), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert written.read_text().startswith("# Generated by `gatecrash generate`")
    # Its paths are relative to the folder it was written to, so it validates from anywhere.
    assert gatecrash("validate", str(written), cwd=DEMO).returncode == 0


def test_generate_onto_an_existing_file_replaces_it(tmp_path: Path) -> None:
    existing = tmp_path / "probes.yaml"
    existing.write_text("an older scenario\n")
    result = gatecrash("generate", API, "-o", existing.name, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert existing.read_text().startswith("# Generated by `gatecrash generate`")
    assert [p.name for p in tmp_path.iterdir()] == ["probes.yaml"]  # no partial file left beside it


def test_generate_onto_its_own_definition_is_refused_and_the_definition_kept(tmp_path: Path) -> None:
    definition = tmp_path / "api.yaml"
    definition.write_text((DEMO / "api.yaml").read_text())
    before = definition.read_bytes()
    result = gatecrash("generate", "api.yaml", "-o", "./api.yaml", cwd=tmp_path)
    assert_refused(result, "api.yaml", "-o would overwrite the definition it reads")
    assert definition.read_bytes() == before


def test_generate_onto_its_side_file_through_a_link_is_refused(tmp_path: Path) -> None:
    side_file = tmp_path / "stage.yaml"
    side_file.write_text((DEMO / "stage.yaml").read_text())
    (tmp_path / "link.yaml").symlink_to(side_file)
    result = gatecrash("generate", API, "--side-file", "stage.yaml", "-o", "link.yaml", cwd=tmp_path)
    assert_refused(result, "-o would overwrite the side file it reads")


@pytest.mark.parametrize(
    ("args", "phrase"),
    [
        (["-o", "out"], "-o names a folder"),
        (["--side-file-out", "out"], "--side-file-out names a folder"),
        (["-o", "same.yaml", "--side-file-out", "same.yaml"], "-o and --side-file-out name the same file"),
        (["-o", "plain/probes.yaml"], "plain is a file, not a folder"),
    ],
    ids=["-o folder", "--side-file-out folder", "same output twice", "beneath a file"],
)
def test_generate_outputs_that_cannot_be_written_are_refused_before_anything_is_written(
    args: list[str], phrase: str, tmp_path: Path
) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "plain").write_text("a file\n")
    result = gatecrash("generate", API, *args, cwd=tmp_path)
    assert_refused(result, phrase)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "plain"]
    assert not any((tmp_path / "out").iterdir())


def test_generate_onto_a_full_disk_is_an_environment_error(tmp_path: Path) -> None:
    result = gatecrash("generate", API, "-o", "/dev/full", cwd=tmp_path)
    assert_refused(result, "/dev/full: cannot write -o: No space left on device", code=3)


def test_canary_history_naming_a_file_is_refused_before_the_target_opens(tmp_path: Path) -> None:
    (tmp_path / "history").write_text("not a folder\n")
    result = gatecrash("canary", SCENARIO, "--once", "--no-metrics", "--history", "history", cwd=tmp_path)
    assert_refused(result, "history", "--history names a file, not a folder")
    assert "canary" not in result.stdout  # the emulator was never started


@pytest.mark.parametrize(
    "content",
    [b"this is not SQLite at all " * 400, b"SQLite format 3\x00" + bytes(range(256)) * 16],
    ids=["text", "a damaged header"],
)
def test_canary_history_that_is_not_a_database_is_refused(content: bytes, tmp_path: Path) -> None:
    (tmp_path / "history").mkdir()
    (tmp_path / "history" / "history.sqlite3").write_bytes(content)
    result = gatecrash("canary", SCENARIO, "--once", "--no-metrics", "--history", "history", cwd=tmp_path)
    assert_refused(result, "history.sqlite3", "not a canary history gatecrash can use", "give --history another")
    assert "canary" not in result.stdout


def test_canary_history_of_a_newer_gatecrash_is_refused(tmp_path: Path) -> None:
    (tmp_path / "history").mkdir()
    with contextlib.closing(sqlite3.connect(tmp_path / "history" / "history.sqlite3")) as connection:
        connection.execute("PRAGMA user_version = 99")
        connection.commit()
    result = gatecrash("canary", SCENARIO, "--once", "--no-metrics", "--history", "history", cwd=tmp_path)
    assert_refused(result, "written by a newer gatecrash (schema version 99")


def test_canary_history_holding_someone_elses_tables_is_refused(tmp_path: Path) -> None:
    (tmp_path / "history").mkdir()
    with contextlib.closing(sqlite3.connect(tmp_path / "history" / "history.sqlite3")) as connection:
        connection.execute("CREATE TABLE runs (id INTEGER, label TEXT)")
        connection.commit()
    result = gatecrash("canary", SCENARIO, "--once", "--no-metrics", "--history", "history", cwd=tmp_path)
    assert_refused(result, "its runs table lacks")


@pytest.mark.parametrize("option", ["--reports", "--keep-load-files"])
def test_run_folders_naming_a_file_are_refused_before_anything_is_sent(option: str, tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("a file\n")
    result = gatecrash("run", SCENARIO, option, "taken", cwd=tmp_path)
    assert_refused(result, f"{option} names a file, not a folder")
    assert "Report:" not in result.stdout  # no run summary: nothing was sent


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"properties": ["name", "kind"]}, "Pet.properties: not a JSON Schema draft 4 model: ['name', 'kind'] is not"),
        ({"type": 4.8}, "Pet.type: not a JSON Schema draft 4 model: 4.8 is not valid"),
        ({"additionalProperties": 5}, "Pet.additionalProperties: not a JSON Schema draft 4 model: 5 is not valid"),
        (
            {"properties": {"name": {"$ref": ["x"]}}},
            "Pet.properties.name.$ref: not a JSON Schema draft 4 model: a $ref",
        ),
    ],
    ids=["properties list", "type number", "additionalProperties number", "$ref list"],
)
@pytest.mark.parametrize("reader", ["generate", "emulator --definition"])
def test_a_model_whose_keywords_have_the_wrong_shape_is_a_definition_problem(
    reader: str, change: dict[str, Any], problem: str, tmp_path: Path
) -> None:
    # Found by the property tests below: generate failed with AttributeError or TypeError, the emulator answered 500.
    definition = yaml.safe_load((DEMO / "api.yaml").read_text())
    definition["components"]["schemas"]["Pet"].update(change)
    (tmp_path / "api.yaml").write_text(yaml.safe_dump(definition))
    result = gatecrash(*READERS[reader]("api.yaml"), cwd=tmp_path)
    assert_refused(result, f"$.components.schemas.{problem}")


def test_compare_record_naming_a_file_is_refused_before_either_side_runs(tmp_path: Path) -> None:
    (tmp_path / "recorded").write_text("a file\n")
    result = gatecrash("compare", SCENARIO, "--target-b", "emulator", "--record", "recorded", cwd=tmp_path)
    assert_refused(result, "--record names a file, not a folder")
    assert "probes differ" not in result.stdout and "agree" not in result.stdout


def test_token_names_the_side_file_that_lacks_the_pool(tmp_path: Path) -> None:
    (tmp_path / "stage.yaml").write_text("stage: {stageName: s}\n")
    result = gatecrash("token", "--side-file", "stage.yaml", "--pool", "us-east-1_nope", cwd=tmp_path)
    assert_refused(result, "stage.yaml: $.userPools: no user pool 'us-east-1_nope'")


# --- the other ways a file can be wrong, per command ----------------------------------------------


@pytest.mark.parametrize("reader", ["validate", "emulator --definition", "generate --vars", "diagnose --from-file"])
def test_a_folder_is_refused_as_a_folder(reader: str, tmp_path: Path) -> None:
    (tmp_path / "logs.d").mkdir()
    (tmp_path / "logs.d" / "x.yaml").write_text("a: 1\n")  # a folder of run/validate must hold a scenario
    result = gatecrash(*READERS[reader]("logs.d"), cwd=tmp_path)
    assert_refused(result, "logs.d")
    assert "it is a folder" in result.stderr or "no scenario files in logs.d" in result.stderr


@pytest.mark.parametrize("reader", ["validate", "emulator --side-file", "diagnose --from-file"])
def test_a_file_too_large_is_refused_before_it_is_read(reader: str, tmp_path: Path) -> None:
    huge = tmp_path / "huge.yaml"
    with huge.open("wb") as sparse:  # a hole: as large as it says, without writing it
        sparse.truncate(300 * 1024 * 1024)
    result = gatecrash(*READERS[reader](huge.name), cwd=tmp_path)
    assert_refused(result, "huge.yaml", "300 MiB, larger than gatecrash reads")


@pytest.mark.parametrize("reader", ["run", "generate", "diagnose --from-file", "token --side-file"])
def test_text_that_is_not_utf8_names_the_line_and_column(reader: str, tmp_path: Path) -> None:
    latin1 = tmp_path / "latin1.yaml"
    latin1.write_bytes("probes:\n  - name: café\n".encode("latin-1"))
    result = gatecrash(*READERS[reader](latin1.name), cwd=tmp_path)
    assert_refused(result, "latin1.yaml:2", "not UTF-8 text: byte 0xe9 at line 2, column 14", "save it as UTF-8")


def test_utf16_text_is_named_as_such(tmp_path: Path) -> None:
    (tmp_path / "wide.yaml").write_bytes("probes: []\n".encode("utf-16"))
    result = gatecrash("validate", "wide.yaml", cwd=tmp_path)
    assert_refused(result, "wide.yaml", "UTF-16 text, not UTF-8", "save it as UTF-8")


def test_diagnose_text_without_a_gateway_line_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("these are my notes\nnothing here is a log\n")
    result = gatecrash("diagnose", "--from-file", "notes.txt", cwd=tmp_path)
    assert_refused(result, "notes.txt: no API Gateway execution line or access-log record found")
    assert result.stdout == ""


def test_a_pipe_named_like_a_scenario_in_a_folder_is_passed_over_not_waited_on(tmp_path: Path) -> None:
    for source in DEMO.iterdir():
        if source.is_file():
            shutil.copy(source, tmp_path / source.name)
    os.mkfifo(tmp_path / "pipe.yaml")  # nobody writes to it: reading it would wait forever
    result = gatecrash("validate", ".", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "scenario.yaml: valid" in result.stdout and "pipe.yaml" not in result.stdout + result.stderr


def test_a_scenario_naming_a_folder_as_its_definition_says_so(tmp_path: Path) -> None:
    (tmp_path / "api").mkdir()
    (tmp_path / "s.yaml").write_text(
        "name: s\ntarget:\n  emulator:\n    definition: api\nprobes:\n  - {name: p, mode: unknown-route, "
        "request: {method: GET, path: /nowhere}}\n"
    )
    result = gatecrash("validate", "s.yaml", cwd=tmp_path)
    assert_refused(result, "s.yaml:4", "'api' is not a file")


# --- the modules underneath (in-process) --------------------------------------------------------------


def test_decode_text_drops_a_bom_and_refuses_what_text_cannot_be() -> None:
    assert decode_text(b"\xef\xbb\xbfa: 1\n", "f") == "a: 1\n"
    assert decode_text(b"a: 1\r\nb: 2\rc: 3\n", "f") == "a: 1\nb: 2\nc: 3\n"  # as text files read
    cases = {
        b"a: 1\n\x00\x01": "a binary file, not text (a NUL byte at offset 5)",
        b"\xff\xfea\x00": "UTF-16 text, not UTF-8",
        b"ok\nb\xc3(\n": "not UTF-8 text: byte 0xc3 at line 2, column 2",
        b"x" * 11: "more than 10 bytes, larger than gatecrash reads",
    }
    for data, message in cases.items():
        with pytest.raises(FileError) as caught:
            decode_text(data, "f", limit=10)
        assert caught.value.problems[0].message.startswith(message)


def test_a_pipe_is_read_and_bounded_like_a_file(tmp_path: Path) -> None:
    fifo = tmp_path / "logs.pipe"
    os.mkfifo(fifo)

    def write(data: bytes) -> threading.Thread:
        def feed() -> None:
            with fifo.open("wb") as stream:
                with contextlib.suppress(BrokenPipeError):
                    stream.write(data)

        thread = threading.Thread(target=feed)
        thread.start()
        return thread

    writer = write(b"line one\nline two\n")
    assert read_text_file(fifo) == "line one\nline two\n"
    writer.join()
    writer = write(b"y" * 5000)
    with pytest.raises(FileError, match="more than 1 KiB"):
        read_text_file(fifo, limit=1024)
    writer.join()


def test_standard_input_is_bounded() -> None:
    assert read_text_stream(io.BytesIO(b"abc"), "standard input", limit=3) == "abc"
    with pytest.raises(FileError, match="more than 3 bytes"):
        read_text_stream(io.BytesIO(b"abcd"), "standard input", limit=3)


def test_a_regular_file_over_the_limit_is_refused_by_its_size(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    with big.open("wb") as sparse:
        sparse.truncate(DOCUMENT_LIMIT + 1)
    with pytest.raises(FileError, match="16 MiB, larger than gatecrash reads"):
        read_text_file(big)


def test_write_text_replaces_a_file_whole_and_keeps_a_link_and_its_permissions(tmp_path: Path) -> None:
    target = tmp_path / "real.yaml"
    target.write_text("old\n")
    target.chmod(0o640)
    (tmp_path / "link.yaml").symlink_to(target)
    write_text(tmp_path / "link.yaml", "new\n", "-o")
    assert (tmp_path / "link.yaml").is_symlink()
    assert target.read_text() == "new\n"
    assert target.stat().st_mode & 0o777 == 0o640
    write_text(tmp_path / "fresh.yaml", "x\n", "-o")
    umask = os.umask(0)
    os.umask(umask)
    assert (tmp_path / "fresh.yaml").stat().st_mode & 0o777 == 0o666 & ~umask  # as any new file
    (tmp_path / "fresh.yaml").unlink()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.yaml", "real.yaml"]


def test_outputs_may_not_be_inputs_or_each_other(tmp_path: Path) -> None:
    definition = tmp_path / "api.yaml"
    definition.write_text("openapi: 3.0.1\n")
    check_output_files({"-o": tmp_path / "new.yaml", "--side-file-out": tmp_path / "side.yaml"}, {})
    with pytest.raises(FileError, match="would overwrite the definition"):
        check_output_files({"-o": tmp_path / "." / "api.yaml"}, {"definition": definition})
    with pytest.raises(FileError, match="name the same file"):
        check_output_files({"-o": tmp_path / "a.yaml", "--side-file-out": tmp_path / "x" / ".." / "a.yaml"}, {})


# --- random bytes and random YAML to every command ------------------------------------------------

# Keys the loaders know, so that random documents reach past "unknown key" into their type checks.
KEYS = (
    "name target emulator aws definition side-file invoke-url credentials limits probes mode request method "
    "path headers body auth burst phases expect openapi swagger info paths get post parameters requestBody "
    "responses x-amazon-apigateway-integration type uri httpMethod stage stageName usagePlans apiKeys "
    "functions handler iamCredentials userPools clientIds endpointOverrides requestId status events message"
).split()
_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | st.floats(allow_nan=False)
    | st.text(max_size=16)
    | st.sampled_from(KEYS)
)
DOCUMENTS = st.recursive(
    _SCALARS,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=8), children, max_size=5)
    ),
    max_leaves=24,
)
CONTENTS = st.one_of(
    DOCUMENTS.map(lambda document: yaml.safe_dump(document, allow_unicode=True).encode()),
    st.binary(max_size=600),
    st.text(max_size=400).map(lambda text: text.encode("utf-8", "surrogatepass")),
)


def run_in_process(argv: list[str]) -> tuple[int, str]:
    """`gatecrash argv` in this process: its exit code and what it wrote to stderr. Any exception other
    than the exit itself escapes, failing the test with its traceback."""
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        try:
            cli.main(argv)
        except SystemExit as exit_:
            code = exit_.code
        else:
            raise AssertionError(f"gatecrash {argv} returned without exiting")
    assert isinstance(code, int)
    return code, stderr.getvalue()


@contextlib.contextmanager
def input_file(content: bytes) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="gatecrash-bad-input-") as folder:
        path = Path(folder) / "input.yaml"
        path.write_bytes(content)
        yield path


def assert_exits_with_a_message(reader: str, args: list[str]) -> None:
    code, stderr = run_in_process(args)
    assert TRACEBACK not in stderr, (reader, stderr)
    assert code in (0, 1, 2, 3), (reader, code, stderr)
    if code != 0:
        assert "error" in stderr, (reader, code, stderr)


@hypothesis.settings(max_examples=30, deadline=None)
@hypothesis.given(CONTENTS)
def test_every_command_given_random_bytes_or_yaml_exits_with_a_message_never_a_traceback(content: bytes) -> None:
    with input_file(content) as path:
        for reader, argv in READERS.items():
            args = argv(str(path))
            if args[0] == "emulator":
                args += STOP_AFTER_READING
            if args[0] == "canary":
                args += ["--history", str(path.parent / "history")]
            assert_exits_with_a_message(reader, args)


DEMO_DOCUMENTS = {
    name: yaml.safe_load((DEMO / name).read_text()) for name in ("api.yaml", "stage.yaml", "scenario.yaml")
}
# What reads each demo file once it is changed: never `run` or `canary`, which would send a valid scenario.
MUTANT_READERS = {
    "api.yaml": ("generate", "emulator --definition"),
    "stage.yaml": ("generate --side-file", "emulator --side-file", "token --side-file"),
    "scenario.yaml": ("validate",),
}


def _places(document: Any, path: tuple[str | int, ...] = ()) -> Iterator[tuple[str | int, ...]]:
    yield path
    if isinstance(document, dict):
        for key, value in document.items():
            yield from _places(value, (*path, key))
    elif isinstance(document, list):
        for index, value in enumerate(document):
            yield from _places(value, (*path, index))


@st.composite
def mutants(draw: st.DrawFn) -> tuple[str, Any]:
    """A demo file with one to three values replaced by random ones, or deleted."""
    name = draw(st.sampled_from(sorted(DEMO_DOCUMENTS)))
    document = copy.deepcopy(DEMO_DOCUMENTS[name])
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(list(_places(document))[1:]))
        parent = document
        for segment in path[:-1]:
            parent = parent[segment]
        if draw(st.booleans()):
            parent[path[-1]] = draw(DOCUMENTS)
        else:
            del parent[path[-1]]
    return name, document


@hypothesis.settings(max_examples=30, deadline=None)
@hypothesis.given(mutants())
def test_every_reader_given_a_demo_file_with_random_values_exits_with_a_message(mutant: tuple[str, Any]) -> None:
    name, document = mutant
    with tempfile.TemporaryDirectory(prefix="gatecrash-mutant-") as folder:
        for source in DEMO.iterdir():
            if source.is_file():
                shutil.copy(source, Path(folder) / source.name)
        changed = Path(folder) / f"changed-{name}"
        changed.write_text(yaml.safe_dump(document, allow_unicode=True))
        for reader in MUTANT_READERS[name]:
            args = READERS[reader](str(changed))
            if args[0] == "emulator":
                args += STOP_AFTER_READING
            assert_exits_with_a_message(reader, args)
