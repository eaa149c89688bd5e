"""Coding tasks on real benchmarks: the problem record, its scorer and the task source.

R_task of an Execute message is the fraction of the task's tests that pass when
the code in the message really runs, in the sandbox (`proact_env.reward`).
Loaders for MBPP, HumanEval and HumanEvalComm build `CodingProblem`s
(`proact_env.domains.coding.mbpp`, `.humaneval`); states files store them
(`proact_env.domains.coding.states`).
"""

from __future__ import annotations

import functools
import random
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Sequence

from proact_env.errors import SchemaError
from proact_env.rng import pick_index
from proact_env.text import fenced_blocks
from proact_env.types import HiddenFact, Task, TaskScore

if TYPE_CHECKING:
    from proact_env.grading.grader import GradeReport
    from proact_env.grading.sandbox import SandboxConfig

_FENCE_TAG = re.compile(r"[ \t]*([\w+.-]*)")  # the language after a fence (`text.fenced_blocks`)
# A line that defines a function or class. Indentation is [^\S\n]*, not \s*: \s* crossed line ends, so
# each line start re-scanned every blank line after it (quadratic in a message of blank lines).
_DEFINES = re.compile(r"^[^\S\n]*(?:async\s+def|def|class)\s", re.M)
_PYTHON_TAGS = ("", "python", "py", "python3")


@dataclass(frozen=True)
class CodingProblem:
    """One coding task: what the user says, what they hold back, and how answers are tested.

    Attributes:
        id: unique id, e.g. ``mbpp/11`` or ``humanevalcomm/0/1a``.
        source: ``mbpp``, ``mbpp-sanitized``, ``humaneval``, ``humanevalcomm`` or ``states``.
        query: the user's request.
        entry_point: the function (or class) the tests call.
        signature: its definition line, e.g. ``def min_cost(cost, m, n)``.
        tests: assert statements (or small blocks of statements).
        setup_code: runs after the program, before the tests.
        reference: a reference solution (a complete program).
        hidden: the facts the user holds back (`coding_facts`).
        guess_rates: per hidden fact key, the chance of getting it right untold.
        category: HumanEvalComm modification (``1a``, ``1c``, ``1p``, ``2ac``...), else "".
        shown_name: the function name the query shows, if any (HumanEvalComm), else "".
    """

    id: str
    source: str
    query: str
    entry_point: str
    signature: str
    tests: tuple[str, ...]
    setup_code: str = ""
    reference: str = ""
    hidden: tuple[HiddenFact, ...] = ()
    guess_rates: tuple[tuple[str, float], ...] = ()
    category: str = ""
    shown_name: str = ""

    def uncertainty(self, revealed: frozenset[str] = frozenset()) -> float:
        """1 - product of the guess rates of the hidden facts not yet revealed (see `coding_facts`)."""
        success = 1.0
        for key, rate in self.guess_rates:
            if key not in revealed:
                success *= rate
        return 1.0 - success

    def guess_rate(self, key: str) -> float:
        return dict(self.guess_rates).get(key, 1.0)

    def task(self, sandbox: "SandboxConfig | None" = None) -> Task:
        """This problem as an env `Task`, graded in a sandbox configured by `sandbox` (default: strongest)."""
        return Task(id=self.id, domain="coding", query=self.query, hidden=self.hidden,
                    payload=CodingSpec(self, sandbox), source=self.source)


def extract_code(message: str) -> str:
    """The program in an Execute message.

    The fenced Python blocks that define a function or class, joined (a model
    often adds a separate usage block, which is left out); else the first
    Python block; else, with no fence at all, the whole message. An unclosed
    fence runs to the end of the message.
    """
    blocks = [code for tag, code in fenced_blocks(message, _FENCE_TAG) if tag.lower() in _PYTHON_TAGS]
    if not blocks:
        return message if "```" not in message else ""
    defining = [b for b in blocks if _DEFINES.search(b)]
    return "\n\n".join(defining) if defining else blocks[0]


@dataclass(frozen=True)
class CodingSpec:
    """The payload of a coding `Task`: scores a message by running its code against the tests."""

    problem: CodingProblem
    sandbox: "SandboxConfig | None" = None

    def score(self, message: str) -> TaskScore:
        report = _grade(extract_code(message), self.problem.tests, self.problem.setup_code, self.sandbox)
        return TaskScore(
            score=report.score,
            passed=report.passed,
            total=report.total,
            details={
                "tests": [o.to_dict() for o in report.outcomes],
                "status": report.status,
                "isolation": report.isolation,
                "missed_facts": missed_facts(report, self.problem),
            },
        )

    def uncertainty(self, revealed: frozenset[str]) -> float:
        return self.problem.uncertainty(revealed)


@functools.lru_cache(maxsize=2048)
def _grade(program: str, tests: tuple[str, ...], setup_code: str, sandbox: "SandboxConfig | None") -> "GradeReport":
    """Grade once per distinct (program, tests): rollouts that branch resubmit the same code."""
    from proact_env.grading.grader import run_tests

    return run_tests(program, tests, setup_code=setup_code, config=sandbox)


_NOT_FOUND = re.compile(r"NameError: name '(\w+)' is not defined")
_BAD_CALL = re.compile(r"TypeError: (\w+)\(\) (?:takes|missing|got)")


def missed_facts(report: "GradeReport", problem: CodingProblem) -> list[str]:
    """Which hidden facts a failed solution got wrong, for the simulated user's feedback.

    The signature when the tests could not find or call the entry point (a
    NameError on it, a TypeError about its arguments); the other hidden facts
    (example, description) when tests ran and gave wrong answers.
    """
    keys = [f.key for f in problem.hidden]
    if report.passed == report.total and report.total:
        return []
    names = {problem.entry_point, problem.shown_name} - {""}
    failures = [o.detail for o in report.outcomes if not o.passed] + [report.detail]
    wrong_signature = any(
        (match := pattern.search(detail)) is not None and match.group(1) in names
        for detail in failures
        for pattern in (_NOT_FOUND, _BAD_CALL)
    )
    missed = []
    if wrong_signature and "signature" in keys:
        missed.append("signature")
    if not wrong_signature or report.passed:
        missed += [k for k in keys if k != "signature"]
    return missed


@dataclass
class CodingTaskSource:
    """Draws coding tasks uniformly from a list of problems.

    Arguments:
        problems: the `CodingProblem`s (see the loaders in `proact_env.domains.coding.mbpp`,
            `.humaneval` and `.coding_states`).
        name: what `describe()` reports, e.g. ``mbpp:test``.
        sandbox: how Execute messages are graded (default: `SandboxConfig()`,
            the strongest isolation available).
    """

    problems: Sequence[CodingProblem]
    name: str = "coding"
    sandbox: "SandboxConfig | None" = None
    _tasks: dict[int, Task] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        if not self.problems:
            raise ValueError(f"{self.name}: no coding problems to draw from (empty dataset or split)")
        self.problems = tuple(self.problems)

    def sample(self, rng: random.Random) -> Task:
        return self.task(pick_index(rng, len(self.problems)))

    def task(self, index: int) -> Task:
        """The `Task` of problem `index` (built once)."""
        task = self._tasks.get(index)
        if task is None:
            task = self._tasks[index] = self.problems[index].task(self.sandbox)
        return task

    def describe(self) -> dict[str, Any]:
        return {"source": self.name, "n_problems": len(self.problems)}


def record_field(record: Any, name: str, kind: type | tuple[type, ...], where: str) -> Any:
    """`record[name]`, checked: a missing field or a wrong type is a `SchemaError` naming both."""
    if not isinstance(record, dict):
        raise SchemaError(where, None, f"expected a JSON object, got {type(record).__name__}")
    if name not in record:
        raise SchemaError(where, name, "missing required field")
    value = record[name]
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
        expected = " or ".join(k.__name__ for k in kinds)
        raise SchemaError(where, name, f"expected {expected}, got {type(value).__name__} {str(value)[:60]!r}")
    return value


def string_list(record: Any, name: str, where: str, *, allow_empty: bool = False) -> tuple[str, ...]:
    """A field holding a list of strings (tests, imports), checked."""
    value = record_field(record, name, list, where)
    if not allow_empty and not value:
        raise SchemaError(where, name, "expected a non-empty list of strings")
    for i, item in enumerate(value):
        if not isinstance(item, str):
            raise SchemaError(where, f"{name}[{i}]", f"expected a string, got {type(item).__name__}")
    return tuple(value)


__all__ = ["CodingProblem", "CodingSpec", "CodingTaskSource", "extract_code", "missed_facts", "record_field", "string_list"]
