"""MBPP (Austin et al. 2021) as coding tasks: the original `mbpp.jsonl`, `sanitized-mbpp.json`, or the hub.

The query is the problem text; the hidden facts are the function's name and
parameters and one example (`coding_facts`); the tests are the `test_list`
asserts, run after the solution and then `test_setup_code` (sanitized MBPP:
`test_imports`). Upstream splits by task id: 1-10 prompt (few-shot), 11-510
test, 511-600 validation, 601-974 train.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

from proact_env.domains.coding.facts import (
    GuessRates,
    entry_point_of,
    example_fact,
    name_guess_rate,
    signature_fact,
    signature_of,
)
from proact_env.domains.coding.tasks import CodingProblem, record_field, string_list
from proact_env.errors import SchemaError, require
from proact_env.io import read_json, read_jsonl

#: split name -> inclusive range of task ids (from the MBPP README)
MBPP_SPLITS: dict[str, tuple[int, int]] = {
    "prompt": (1, 10),
    "test": (11, 510),
    "validation": (511, 600),
    "train": (601, 974),
    "all": (1, 974),
}
HUB_DATASET = "google-research-datasets/mbpp"


def check_split(split: str) -> tuple[int, int]:
    if split not in MBPP_SPLITS:
        raise ValueError(f"unknown MBPP split {split!r}: expected one of {', '.join(MBPP_SPLITS)}")
    return MBPP_SPLITS[split]


def load_mbpp(path: str | Path, *, split: str = "all", rates: GuessRates = GuessRates(),
              challenge: bool = False) -> list[CodingProblem]:
    """MBPP problems of one split from `mbpp.jsonl` (full) or `sanitized-mbpp.json` (sanitized).

    `challenge` adds the full set's `challenge_test_list` asserts to the tests.
    Bad records raise `SchemaError` naming the file, line (or array index) and field.
    """
    path = Path(path)
    low, high = check_split(split)
    sanitized = path.suffix == ".json"
    problems = []
    for where, record in (_array_records(path) if sanitized else read_jsonl(path)):
        task_id = record_field(record, "task_id", int, where)
        if low <= task_id <= high:
            problems.append(mbpp_problem(record, where=where, sanitized=sanitized, rates=rates, challenge=challenge))
    return problems


def load_mbpp_hub(*, config: str = "full", split: str = "test", rates: GuessRates = GuessRates()) -> list[CodingProblem]:
    """MBPP from the Hugging Face hub (needs network and `datasets`): ``config`` is ``full`` or ``sanitized``.

    The hub's splits (train, test, validation, prompt) are the upstream id ranges.
    """
    if config not in ("full", "sanitized"):
        raise ValueError(f"config must be 'full' or 'sanitized', got {config!r}")
    check_split(split)
    datasets = require("datasets", "dpo")
    splits = ("prompt", "test", "validation", "train") if split == "all" else (split,)
    problems = []
    for name in splits:
        rows = datasets.load_dataset(HUB_DATASET, config, split=name)
        for i, row in enumerate(rows):
            record = {k: (list(v) if isinstance(v, (list, tuple)) else v) for k, v in dict(row).items()}
            problems.append(mbpp_problem(record, where=f"{HUB_DATASET}[{config}/{name}][{i}]",
                                         sanitized=config == "sanitized", rates=rates))
    return problems


def mbpp_problem(record: dict[str, Any], *, where: str, sanitized: bool, rates: GuessRates = GuessRates(),
                 challenge: bool = False) -> CodingProblem:
    """One MBPP record (full or sanitized field names) as a `CodingProblem`."""
    task_id = record_field(record, "task_id", int, where)
    query = record_field(record, "prompt" if sanitized else "text", str, where)
    code = record_field(record, "code", str, where)
    tests = string_list(record, "test_list", where)
    if sanitized:
        setup = "\n".join(string_list(record, "test_imports", where, allow_empty=True))
    else:
        setup = record_field(record, "test_setup_code", str, where)
        if challenge:
            tests += string_list(record, "challenge_test_list", where, allow_empty=True)
    try:
        entry_point = entry_point_of(code, tests)
        signature = signature_of(code, entry_point)
    except (SyntaxError, ValueError) as exc:
        raise SchemaError(where, "code", f"cannot find the tested function: {exc}") from None
    facts = [signature_fact(signature, name_guess_rate(query, entry_point)), example_fact(tests[0], rates.io_conventions)]
    return CodingProblem(
        id=f"{'mbpp-sanitized' if sanitized else 'mbpp'}/{task_id}",
        source="mbpp-sanitized" if sanitized else "mbpp",
        query=query.strip(),
        entry_point=entry_point,
        signature=signature,
        tests=tests,
        setup_code=setup,
        reference=code,
        hidden=tuple(f for f, _ in facts),
        guess_rates=tuple((f.key, rate) for f, rate in facts),
    )


def _array_records(path: Path) -> Iterator[tuple[str, Any]]:
    data = read_json(path, "JSON array of MBPP records (sanitized-mbpp.json)")
    if not isinstance(data, list):
        raise SchemaError(str(path), None, "expected a JSON array of MBPP records (sanitized-mbpp.json)")
    for index, record in enumerate(data):
        yield f"{path}[{index}]", record
