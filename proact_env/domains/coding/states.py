"""Coding states files, and loading coding problems from any supported dataset file.

A states file is JSONL in the seed's state schema (``id, domain, query,
dialogue_turn, prev_reject, task_uncertainty``) plus the hidden fields the env
needs to grade and to play the user: ``source, entry_point, signature, tests,
setup_code, reference, hidden, category, shown_name``. ``hidden`` is a list of
``{key, answer, keywords, guess_rate}`` and optionally ``evidence``
(`HiddenFact.evidence`). ``mbpp_tests`` (the seed's name) is
accepted for ``tests``. `proact convert-mbpp` writes such files; the coding
envs and `proact verify-tasks` read them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable, Mapping

from proact_env.domains.coding.facts import GuessRates
from proact_env.domains.coding.humaneval import HUMANEVALCOMM_VARIANTS, load_humaneval, load_humanevalcomm
from proact_env.domains.coding.mbpp import load_mbpp
from proact_env.domains.coding.tasks import CodingProblem, record_field, string_list
from proact_env.errors import SchemaError
from proact_env.io import atomic_write_text, dumps_line, read_jsonl
from proact_env.types import HiddenFact, State, Task

DATASET_FORMATS = ("mbpp", "mbpp-sanitized", "humaneval", "humanevalcomm", "states")


def problem_to_record(problem: CodingProblem) -> dict[str, Any]:
    """A states-file line: the seed-format state at turn 0 plus the hidden fields."""
    state = State(id=problem.id, domain="coding", query=problem.query,
                  task_uncertainty=round(problem.uncertainty(), 6)).to_dict()
    rates = dict(problem.guess_rates)
    return {
        **state,
        "source": problem.source,
        "entry_point": problem.entry_point,
        "signature": problem.signature,
        "tests": list(problem.tests),
        "setup_code": problem.setup_code,
        "reference": problem.reference,
        "hidden": [
            {"key": f.key, "answer": f.answer, "keywords": list(f.keywords), "guess_rate": rates.get(f.key, 1.0),
             **({"evidence": list(f.evidence)} if f.evidence else {})}
            for f in problem.hidden
        ],
        "category": problem.category,
        "shown_name": problem.shown_name,
    }


def problem_from_record(record: Any, *, where: str) -> CodingProblem:
    """Read a states-file line back; errors name the line and the field."""
    state = State.from_dict(record, where=where)
    tests_field = "tests" if "tests" in record or "mbpp_tests" not in record else "mbpp_tests"
    hidden, rates = [], []
    for i, fact in enumerate(record_field(record, "hidden", list, where) if "hidden" in record else []):
        at = f"{where}: hidden[{i}]"
        key = record_field(fact, "key", str, at)
        keywords = string_list(fact, "keywords", at, allow_empty=True)
        rate = record_field(fact, "guess_rate", (int, float), at)
        if not 0.0 <= rate <= 1.0:
            raise SchemaError(at, "guess_rate", f"expected a number in [0, 1], got {rate!r}")
        evidence = string_list(fact, "evidence", at, allow_empty=True) if "evidence" in fact else ()
        hidden.append(HiddenFact(key, record_field(fact, "answer", str, at), keywords, evidence))
        rates.append((key, float(rate)))
    return CodingProblem(
        id=state.id,
        source=_optional(record, "source", where, "states"),
        query=state.query,
        entry_point=record_field(record, "entry_point", str, where),
        signature=_optional(record, "signature", where),
        tests=string_list(record, tests_field, where),
        setup_code=_optional(record, "setup_code", where),
        reference=_optional(record, "reference", where),
        hidden=tuple(hidden),
        guess_rates=tuple(rates),
        category=_optional(record, "category", where),
        shown_name=_optional(record, "shown_name", where),
    )


def is_coding_record(record: Mapping[str, Any]) -> bool:
    """Whether a states line carries a coding task's hidden fields (`proact_env.domains.states.STATE_LOADERS`)."""
    return "entry_point" in record and ("tests" in record or "mbpp_tests" in record)


def task_from_record(record: Any, where: str) -> Task:
    """The coding `Task` of one states-file line (`proact_env.domains.states.STATE_LOADERS`)."""
    return problem_from_record(record, where=where).task()


def _optional(record: dict, name: str, where: str, default: str = "") -> str:
    return record_field(record, name, str, where) if name in record else default


def write_states(problems: Iterable[CodingProblem], path: str | Path) -> int:
    """Write a states file atomically; returns the number of lines."""
    lines = [dumps_line(problem_to_record(p)) for p in problems]
    atomic_write_text(Path(path), "".join(lines))
    return len(lines)


def read_states(path: str | Path) -> list[CodingProblem]:
    return [problem_from_record(record, where=where) for where, record in read_jsonl(Path(path))]


def detect_format(path: str | Path) -> str:
    """Which of `DATASET_FORMATS` a file holds, from its name and its first record."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"dataset file not found: {path}")
    if path.suffix == ".json":
        return "mbpp-sanitized"
    where, record = next(read_jsonl(path))  # read_jsonl refuses an empty file
    if "query" in record:
        return "states"
    if "text" in record and "test_list" in record:
        return "mbpp"
    if "prompt1a" in record or "test_case" in record:
        return "humanevalcomm"
    if "canonical_solution" in record:
        return "humaneval"
    raise SchemaError(where, None, (
        "unknown dataset record: expected a coding states line (query, tests, entry_point...), "
        "MBPP (text, test_list), HumanEval (prompt, canonical_solution) or HumanEvalComm (prompt1a, test_case); "
        f"found fields {sorted(record)[:8]}"
    ))


def load_coding_problems(path: str | Path, *, split: str = "all", variants: tuple[str, ...] = HUMANEVALCOMM_VARIANTS,
                         rates: GuessRates = GuessRates()) -> list[CodingProblem]:
    """Coding problems from any supported file (`detect_format`); `split` applies to MBPP files."""
    kind = detect_format(path)
    if kind in ("mbpp", "mbpp-sanitized"):
        return load_mbpp(path, split=split, rates=rates)
    if split != "all":
        raise ValueError(f"split={split!r} applies to MBPP files only; {path} holds {kind} data")
    if kind == "humaneval":
        return load_humaneval(path)
    if kind == "humanevalcomm":
        return load_humanevalcomm(path, variants=variants, rates=rates)
    return read_states(path)
