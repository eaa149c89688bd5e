"""The on-disk response cache: a rerun of the same generation makes no request at all.

One JSON file per response, named by the SHA-256 of everything that determines
the completion (provider, model, messages, sampling parameters, sample index).
Files are written to a temporary name and renamed into place, so any number of
threads and processes can write at once: a reader sees a whole entry or none,
and two writers of one key leave one whole entry. No lock, no index file.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import threading
from pathlib import Path
from typing import Any, Mapping, Sequence

from proact_env.llm.chat import ChatMessage, Completion
from proact_env.llm.config import CACHE_MODES


class CacheMissError(LookupError):
    """Replay-only mode and the response is not cached: the run would make a request."""


def cache_key(
    provider: str,
    model: str,
    messages: Sequence[ChatMessage],
    sampling: Mapping[str, Any],
    sample_index: int,
) -> str:
    """The SHA-256 (hex) of a canonical JSON of everything that determines a completion."""
    payload = {
        "provider": provider,
        "model": model,
        "messages": [[m.role, m.content] for m in messages],
        "sampling": dict(sorted(sampling.items())),
        "sample_index": sample_index,
    }
    blob = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class ResponseCache:
    """Completions on disk under `directory`, in one of the `CACHE_MODES`.

    ``read-write`` reads and stores; ``replay`` reads only and raises
    `CacheMissError` on a miss; ``off`` neither reads nor stores. `hits` and
    `misses` count lookups in this process.
    """

    def __init__(self, directory: str | os.PathLike[str], mode: str = "read-write") -> None:
        if mode not in CACHE_MODES:
            raise ValueError(f"unknown cache mode {mode!r}: choose one of {', '.join(CACHE_MODES)}")
        self.directory = Path(directory)
        self.mode = mode
        self.hits = 0
        self.misses = 0
        self._lock = threading.Lock()
        self._root = str(self.directory)
        self._made_dirs: set[str] = set()

    def path(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.json"

    def get(self, key: str) -> Completion | None:
        """The cached completion, or None on a miss (`CacheMissError` in replay mode)."""
        if self.mode == "off":
            return None
        entry = self._read(key)
        with self._lock:
            if entry is None:
                self.misses += 1
            else:
                self.hits += 1
        if entry is None and self.mode == "replay":
            raise CacheMissError(
                f"cache miss in replay-only mode (key {key[:12]}..., cache {self.directory}): "
                "run once with --cache_mode read-write to fill the cache"
            )
        return entry

    def put(self, key: str, completion: Completion) -> None:
        """Store a completion atomically (write a temporary file, then rename it into place).

        The temporary name is unique to this process and thread, so concurrent
        writers never share one; the rename is atomic on POSIX and Windows.
        Plain `os` calls: this runs once per completion, on the request threads.
        """
        if self.mode != "read-write":
            return
        folder = os.path.join(self._root, key[:2])
        if folder not in self._made_dirs:
            os.makedirs(folder, exist_ok=True)
            self._made_dirs.add(folder)
        data = json.dumps(
            {"text": completion.text, "prompt_tokens": completion.prompt_tokens, "completion_tokens": completion.completion_tokens},
            ensure_ascii=False,
        ).encode("utf-8")
        tmp = os.path.join(folder, f".{key}.{os.getpid()}.{threading.get_ident()}.tmp")
        try:
            with open(tmp, "wb") as handle:
                handle.write(data)
            os.replace(tmp, os.path.join(folder, f"{key}.json"))
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise

    def _read(self, key: str) -> Completion | None:
        try:
            with open(os.path.join(self._root, key[:2], f"{key}.json"), "rb") as handle:
                record = json.loads(handle.read())
            return Completion(
                text=str(record["text"]),
                prompt_tokens=int(record.get("prompt_tokens", 0)),
                completion_tokens=int(record.get("completion_tokens", 0)),
                cached=True,
            )
        except FileNotFoundError:
            return None
        except (ValueError, KeyError, TypeError, OSError):
            return None  # a damaged entry (e.g. edited by hand) is a miss and gets rewritten

    def stats(self) -> dict[str, int]:
        return {"hits": self.hits, "misses": self.misses}
