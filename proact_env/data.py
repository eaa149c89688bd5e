"""Where the public data sets (MBPP, HumanEval, HumanEvalComm) live, and their known checksums.

`data_dir()` resolves the data folder in this order:

1. the environment variable ``PROACT_DATA`` (``PROACT_SHARED_DATA`` is an old alias);
   when set it is used as is, even if it does not exist;
2. ``../shared/data`` beside a source checkout;
3. the user cache, ``$XDG_CACHE_HOME/proact_env/data`` or ``~/.cache/proact_env/data``
   (where ``proact fetch-data`` puts files by default).

`dataset_path(name)` is the file of one data set there, or a `DataNotFoundError`
naming the ``proact fetch-data`` command that gets it. Stdlib only.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

ENV_VAR = "PROACT_DATA"
OLD_ENV_VAR = "PROACT_SHARED_DATA"


@dataclass(frozen=True)
class Dataset:
    name: str
    relpath: str          # path under the data folder
    sha256: str | None    # of the public file, byte for byte
    group: str            # the `proact fetch-data` name that gets it


DATASETS: dict[str, Dataset] = {d.name: d for d in (
    Dataset("mbpp", "mbpp/mbpp.jsonl",
            "ccf64ceae9c5403bf50a044cb6d505bfd2a2963ee58338ba268fd65beab92a9f", "mbpp"),
    Dataset("mbpp-sanitized", "mbpp/sanitized-mbpp.json",
            "7fec016546acaee11dbe14f9f0bb670e59f41919f7b522a59fba34871da78551", "mbpp"),
    Dataset("humaneval", "humaneval/HumanEval.jsonl.gz",
            "b796127e635a67f93fb35c04f4cb03cf06f38c8072ee7cee8833d7bee06979ef", "humaneval"),
    Dataset("humanevalcomm", "humanevalcomm/HumanEvalComm.jsonl",
            "cc9960ed246d3ed475fca573c9416f52803103118227801b492c3f841b5856c8", "humanevalcomm"),
    Dataset("humanevalcomm-v2", "humanevalcomm/HumanEvalComm_v2.jsonl",
            "d00e17962e8bfe9d383431f42b5591cd8f431f9ac8b66b9e4b7d1515cc8ab2aa", "humanevalcomm"),
)}

#: `proact fetch-data` names -> the data sets each one gets
GROUPS: dict[str, tuple[str, ...]] = {
    "mbpp": ("mbpp", "mbpp-sanitized"),
    "humaneval": ("humaneval",),
    "humanevalcomm": ("humanevalcomm", "humanevalcomm-v2"),
}
GROUPS["all"] = tuple(name for names in GROUPS.values() for name in names)


class DataNotFoundError(FileNotFoundError):
    """A data set is not in the data folder; the message names the command that fetches it."""


def cache_dir() -> Path:
    """The user cache folder for data sets: ``$XDG_CACHE_HOME/proact_env/data`` or ``~/.cache/proact_env/data``."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "proact_env" / "data"


def checkout_data_dir() -> Path:
    """``../shared/data`` beside the checkout this package was imported from (it may not exist)."""
    return Path(__file__).resolve().parents[2] / "shared" / "data"


def data_dir() -> Path:
    """The folder holding the data sets (see the module docstring for the order)."""
    for var in (ENV_VAR, OLD_ENV_VAR):
        value = os.environ.get(var)
        if value:
            return Path(value).expanduser()
    shared = checkout_data_dir()
    if shared.is_dir():
        return shared
    return cache_dir()


def get_dataset(name: str) -> Dataset:
    if name not in DATASETS:
        raise ValueError(f"unknown data set {name!r}: expected one of {', '.join(DATASETS)}")
    return DATASETS[name]


def dataset_path(name: str, root: str | Path | None = None) -> Path:
    """The file of data set `name` under `root` (default `data_dir()`); `DataNotFoundError` if it is missing."""
    dataset = get_dataset(name)
    base = Path(root) if root is not None else data_dir()
    path = base / dataset.relpath
    if not path.is_file():
        raise DataNotFoundError(
            f"data set {name!r} not found at {path}. Get it with: proact fetch-data {dataset.group} "
            f"(or point {ENV_VAR} at a folder that has {dataset.relpath})"
        )
    return path


def sha256_of(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


__all__ = ["DATASETS", "GROUPS", "DataNotFoundError", "Dataset", "cache_dir", "checkout_data_dir",
           "data_dir", "dataset_path", "get_dataset", "sha256_of"]
