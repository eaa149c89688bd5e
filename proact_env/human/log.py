"""A session's trajectory file: appended turn by turn, never overwritten, safe to share between sessions.

Several participants (web sessions, terminals) may write to one study file at once.
Each turn is one unit of `UnitWriter` (one line, flushed and fsynced before the
writer lets go), written under an exclusive `flock` on ``PATH.lock``, and the
writer reopens with `resume=True` for every turn: a torn last line left by a killed
process is cut off, and no two writers interleave. There is no overwrite option:
a study's file only grows.
"""

from __future__ import annotations

import fcntl
import os
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from proact_env.io import UnitWriter, dumps_line, read_jsonl

_THREAD_LOCK = threading.Lock()  # flock is per open file; threads of one process also take this


class SessionLog:
    """The trajectories JSONL that sessions append their turns to.

    `durable=False` skips the fsync of each turn (for simulated participants and
    tests; a person's turns are always synced before the next is asked).
    """

    def __init__(self, path: str | Path, durable: bool = True) -> None:
        self.path = Path(path)
        self.durable = durable
        if self.path.exists() and not self.path.is_file():
            raise ValueError(f"{self.path} is not a file")
        #: (size, mtime) of the file after our last write, and the next unit: while the file is as we left it,
        #: the next turn is appended without reading the file again
        self._known: tuple[tuple[int, int], int] | None = None

    @contextmanager
    def _locked(self) -> Iterator[None]:
        lock_path = self.path.with_name(self.path.name + ".lock")
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        with _THREAD_LOCK, open(lock_path, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _stamp(self) -> tuple[int, int] | None:
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return None
        return stat.st_size, stat.st_mtime_ns

    def append(self, line: dict[str, Any]) -> None:
        """Write one turn as the next unit of the file."""
        with self._locked():
            if self._known is not None and self._known[0] == self._stamp():
                next_unit = self._known[1]
                line["unit"] = {"index": next_unit, "line": 0, "size": 1}
                with open(self.path, "ab") as handle:
                    handle.write(dumps_line(line).encode("utf-8"))
                    handle.flush()
                    if self.durable:
                        os.fsync(handle.fileno())
            else:  # first write, or another writer was here: let the writer recover the file's end
                with UnitWriter(self.path, resume=True, fsync_every=0.0 if self.durable else float("inf")) as writer:
                    next_unit = writer.next_unit
                    writer.write_unit(next_unit, [line])
            self._known = (self._stamp(), next_unit + 1)

    def lines(self) -> list[dict[str, Any]]:
        """Every line of the file (none if it does not exist yet)."""
        if not self.path.is_file() or self.path.stat().st_size == 0:
            return []
        with self._locked():
            return [record for _, record in read_jsonl(self.path)]

    def session_lines(self, session_id: str) -> list[dict[str, Any]]:
        """The human lines of one session, in file order."""
        return [line for line in self.lines()
                if line.get("source") == "human" and (line.get("human") or {}).get("session_id") == session_id]
