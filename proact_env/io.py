"""Files that survive interruption, and JSONL reading that points at the bad line.

Writers here are atomic (`atomic_write_text`) or append-and-resume
(`UnitWriter`): a run killed at any moment, SIGKILL included, leaves either the
old file or whole units of lines, never a torn line, and a resumed run adds
exactly the missing units.
"""

from __future__ import annotations

import gzip
import json
import os
import secrets
import time
import zlib
from pathlib import Path
from typing import Any, Iterator

from proact_env.errors import SchemaError


def _create_temp(directory: Path, prefix: str, suffix: str) -> tuple[int, str]:
    """Create a new, uniquely named file for writing, with mode ``0o666 & ~umask``.

    `tempfile.mkstemp` creates mode 0600, so a file renamed into place from it
    would be unreadable to everyone but its owner. Asking `os.open` for 0o666
    lets the kernel apply the process umask (and any default ACL) exactly as it
    does for a plain ``open(path, "w")``, without reading or changing the umask
    (which `os.umask` can only do by setting it, racing other threads).
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOFOLLOW", 0)
    for _ in range(100):
        tmp = os.path.join(directory, f"{prefix}{secrets.token_hex(6)}{suffix}")
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"{directory}: no unused temporary file name found")


def atomic_write_text(path: Path, text: str) -> None:
    """Write `text` (UTF-8) to `path` atomically; see `atomic_write_bytes`."""
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write `data` to `path` through a temporary file and an atomic rename.

    The file gets the mode any ``open(path, "w")`` would give a new file:
    ``0o666 & ~umask`` (0644 under the usual umask 022), replacing the old
    file's mode if there was one.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = _create_temp(path.parent, f".{path.name}.", ".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


GZIP_MAGIC = b"\x1f\x8b"
BOM = "\ufeff"


def require_file(path: Path, what: str = "file") -> Path:
    """`path` if it is a readable regular file; a directory or a missing path fails saying which it is."""
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"{path}: is a directory, expected a {what}")
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file (expected a {what})")
    return path


def _decode(raw: bytes, where: str) -> str:
    """One line as text: UTF-8, with a byte-order mark at the start of the file dropped."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad = raw[exc.start]
        raise SchemaError(where, None, f"not UTF-8 text (byte 0x{bad:02x} at column {exc.start + 1}); "
                                       "save the file as UTF-8") from None


def _raw_lines(path: Path) -> Iterator[bytes]:
    """The file's lines as bytes, through gzip when the file is gzip-compressed (whatever its name).

    HumanEval ships as `HumanEval.jsonl.gz`; a file whose name ends in ``.gz`` but
    whose bytes are not gzip, or a truncated gzip stream, fails naming the file.
    """
    with open(path, "rb") as probe:
        compressed = probe.read(2) == GZIP_MAGIC
    if path.suffix == ".gz" and not compressed:
        raise SchemaError(str(path), None, "not a gzip file, though its name ends in .gz (rename it or "
                                           "compress it with gzip)")
    opener = gzip.open if compressed else open
    try:
        with opener(path, "rb") as handle:
            yield from handle
    except (OSError, EOFError, zlib.error) as exc:
        if not compressed:
            raise
        raise SchemaError(str(path), None, f"corrupt or truncated gzip data ({exc})") from None


def read_text_lines(path: Path, what: str = "file") -> Iterator[tuple[str, str]]:
    """Yield (``"path:line"``, text) for every line of a UTF-8 (optionally gzip-compressed) text file.

    A UTF-8 byte-order mark is accepted (and dropped) at the start of the file;
    bytes that are not UTF-8 fail naming the file and line.
    """
    path = require_file(path, what)
    for number, raw in enumerate(_raw_lines(path), start=1):
        text = _decode(raw, f"{path}:{number}")
        if number == 1 and text.startswith(BOM):
            text = text[1:]
        yield f"{path}:{number}", text


def read_jsonl(path: Path, what: str = "JSONL file") -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield (``"path:line"``, record) for every non-blank line; bad JSON names the line.

    The file may be gzip-compressed (HumanEval ships as `HumanEval.jsonl.gz`) and
    may start with a UTF-8 byte-order mark. Raises `SchemaError` for bytes that
    are not UTF-8, for a line that is not a JSON object and for a file with no
    records at all; `FileNotFoundError` for a missing file and
    `IsADirectoryError` for a directory.
    """
    seen = False
    for where, line in read_text_lines(path, what):
        if not line.strip():
            continue
        try:
            record = json.loads(line.rstrip("\r\n"))  # so a column past the end is on this line, not the next
        except json.JSONDecodeError as exc:
            raise SchemaError(where, None, f"invalid JSON ({exc.msg} at column {exc.colno})") from None
        if not isinstance(record, dict):
            raise SchemaError(where, None, f"expected a JSON object, got {_json_type(record)}")
        seen = True
        yield where, record
    if not seen:
        raise SchemaError(str(path), None, "the file holds no records")


def read_json(path: Path, what: str = "JSON file") -> Any:
    """The JSON document in `path`; errors name the file, line and column (a BOM is accepted)."""
    text = "".join(line for _, line in read_text_lines(path, what))
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise SchemaError(f"{path}:{exc.lineno}", None, f"invalid JSON ({exc.msg} at column {exc.colno})") from None


def _json_type(value: Any) -> str:
    """The JSON name of a parsed value's type (an array, not a `list`)."""
    names = {list: "an array", str: "a string", bool: "a boolean", int: "a number", float: "a number",
             type(None): "null"}
    return names.get(type(value), type(value).__name__)


def dumps_line(record: dict[str, Any]) -> str:
    """One JSONL line: compact, UTF-8 kept readable, key order as built."""
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"


class UnitWriter:
    """Appends *units* of JSONL lines (e.g. all trajectories of one state) in unit order.

    Each line carries ``unit`` = ``{"index", "line", "size"}``. A unit is
    written with one buffered write and flushed to the OS, so a killed process
    loses at most the unit being written; on `resume`, lines of an incomplete
    last unit (and a torn final line) are cut off and generation continues at
    `next_unit`. Units that finish out of order (concurrent workers) wait in
    memory until their predecessors are written, so the file is always the
    serial run's prefix. The file is fsynced every `fsync_every` seconds and on close.

    Without `resume`, an existing non-empty file is an error unless `overwrite`.
    """

    def __init__(self, path: Path, *, resume: bool = False, overwrite: bool = False, fsync_every: float = 2.0) -> None:
        self.path = Path(path)
        self.fsync_every = fsync_every
        exists = self.path.is_file() and self.path.stat().st_size > 0
        if exists and not (resume or overwrite):
            raise FileExistsError(f"{self.path} exists: pass --resume to continue it or --overwrite to replace it")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.next_unit = self._recover() if exists and resume else 0
        self.recovered_lines = 0 if not (exists and resume) else self._count_lines()
        mode = "ab" if exists and resume else "wb"
        self._handle = open(self.path, mode)
        self._pending: dict[int, bytes] = {}
        self._last_sync = time.monotonic()

    def _recover(self) -> int:
        """Cut the file back to its last complete unit; return the next unit index."""
        data = self.path.read_bytes()
        good_end, next_unit, offset = 0, 0, 0
        expected_line = 0
        for number, raw in enumerate(data.splitlines(keepends=True), start=1):
            offset += len(raw)
            if not raw.endswith(b"\n"):
                break  # torn final line
            where = f"{self.path}:{number}"
            try:
                unit = json.loads(raw)["unit"]
                index, line, size = unit["index"], unit["line"], unit["size"]
            except (ValueError, KeyError, TypeError):
                raise SchemaError(where, "unit", "not a line written by this tool; cannot resume") from None
            if index != next_unit or line != expected_line:
                raise SchemaError(where, "unit", f"expected unit {next_unit} line {expected_line}, found unit {index} line {line}")
            expected_line += 1
            if expected_line == size:
                good_end, next_unit, expected_line = offset, next_unit + 1, 0
        if good_end < len(data):
            with open(self.path, "r+b") as handle:
                handle.truncate(good_end)
        return next_unit

    def _count_lines(self) -> int:
        with open(self.path, "rb") as handle:
            return sum(1 for _ in handle)

    def write_unit(self, index: int, records: list[dict[str, Any]]) -> None:
        """Queue unit `index`; write every unit that is now next in order."""
        if index < self.next_unit or index in self._pending:
            raise ValueError(f"unit {index} was already written")
        if not records:
            raise ValueError(f"unit {index} is empty: a unit needs at least one line to be resumable")
        size = len(records)
        lines = []
        for line, record in enumerate(records):
            record["unit"] = {"index": index, "line": line, "size": size}
            lines.append(dumps_line(record))
        self._pending[index] = "".join(lines).encode("utf-8")
        while self.next_unit in self._pending:
            self._handle.write(self._pending.pop(self.next_unit))
            self.next_unit += 1
        self._handle.flush()
        if time.monotonic() - self._last_sync > self.fsync_every:
            os.fsync(self._handle.fileno())
            self._last_sync = time.monotonic()

    def close(self) -> None:
        if self._handle.closed:
            return
        self._handle.flush()
        os.fsync(self._handle.fileno())
        self._handle.close()

    def __enter__(self) -> "UnitWriter":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
