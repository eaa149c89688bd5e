"""HumanEval (a control with nothing hidden) and HumanEvalComm (Wu & Fard 2025) as coding tasks.

HumanEval: the query is the prompt (signature and docstring), nothing is
hidden, the tests are the asserts of its `check` function (`check_tests`).

HumanEvalComm: every modified prompt of a problem (``1a`` ambiguous, ``1c``
inconsistent, ``1p`` incomplete, and the combinations ``2ac``, ``2ap``,
``2cp``, ``3acp``) becomes a task whose query is the modified prompt and whose
hidden information is the original prompt (`coding_facts.humanevalcomm_facts`).
Its tests come from the `test_case` list. The benchmark's own harness compares
what `print(f(input))` shows with the expected output text, so an ``==`` test
case becomes ``assert str(f(input)).strip() == 'output'``.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

from proact_env.domains.coding.facts import GuessRates, PromptParts, humanevalcomm_facts, prompt_parts
from proact_env.domains.coding.tasks import CodingProblem, record_field
from proact_env.errors import SchemaError
from proact_env.io import read_jsonl
from proact_env.pyparse import parse_python

HUMANEVALCOMM_VARIANTS = ("1a", "1c", "1p", "2ac", "2ap", "2cp", "3acp")
_NOTHING_SHOWN = PromptParts(name="", parameters=None, signature="", docstring="")


def load_humaneval(path: str | Path) -> list[CodingProblem]:
    """HumanEval problems from `HumanEval.jsonl.gz` (or an uncompressed `.jsonl`)."""
    return [humaneval_problem(record, where=where) for where, record in read_jsonl(Path(path))]


def humaneval_problem(record: dict[str, Any], *, where: str) -> CodingProblem:
    task_id = record_field(record, "task_id", str, where)
    prompt = record_field(record, "prompt", str, where)
    entry_point = record_field(record, "entry_point", str, where)
    solution = record_field(record, "canonical_solution", str, where)
    test_code = record_field(record, "test", str, where)
    try:
        tests, check_setup = check_tests(test_code, entry_point)
    except (SyntaxError, ValueError) as exc:
        raise SchemaError(where, "test", f"cannot read the tests: {exc}") from None
    try:
        helpers = prompt_helpers(prompt, entry_point)
        signature = prompt_parts(prompt, entry_point).signature
    except (SyntaxError, ValueError) as exc:
        raise SchemaError(where, "prompt", f"cannot read the prompt: {exc}") from None
    return CodingProblem(
        id=f"humaneval/{task_id.split('/')[-1]}",
        source="humaneval",
        query=prompt,
        entry_point=entry_point,
        signature=signature,
        tests=tests,
        setup_code="\n".join(filter(None, (helpers, check_setup))),
        reference=prompt + solution,
    )


def check_tests(test_code: str, entry_point: str) -> tuple[tuple[str, ...], str]:
    """The tests of a HumanEval `check(candidate)` function, and the setup code they need.

    The setup binds `candidate` to `entry_point`. Each top-level statement of `check` that contains an assert is one test
    (an ``assert`` is split by the grader; a loop of asserts runs whole in the
    sandbox); an assert that never uses the program (``assert True``) tests
    nothing and is dropped. Other statements (imports, helper values) become
    setup code, in order.
    """
    module = parse_python(test_code)
    check = next((n for n in module.body if isinstance(n, ast.FunctionDef) and n.name == "check"), None)
    if check is None or not check.args.args:
        raise ValueError("no check(candidate) function in the test code")
    candidate = check.args.args[0].arg
    tests, setup = [], [f"{candidate} = {entry_point}"]
    for statement in check.body:
        has_assert = any(isinstance(n, ast.Assert) for n in ast.walk(statement))
        uses_program = any(isinstance(n, ast.Name) and n.id == candidate for n in ast.walk(statement))
        if has_assert and uses_program:
            tests.append(ast.unparse(statement))
        elif not has_assert and not _is_docstring(statement):
            setup.append(ast.unparse(statement))
    return tuple(tests), "\n".join(setup)


def _is_docstring(statement: ast.stmt) -> bool:
    return isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant)


def prompt_helpers(prompt: str, entry_point: str) -> str:
    """Everything a HumanEval prompt defines besides the function to write (imports, helper functions)."""
    return "\n".join(
        ast.unparse(node)
        for node in parse_python(prompt).body
        if not (isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == entry_point)
    )


def load_humanevalcomm(path: str | Path, *, variants: tuple[str, ...] = HUMANEVALCOMM_VARIANTS,
                       rates: GuessRates = GuessRates()) -> list[CodingProblem]:
    """One task per (problem, modified prompt) of `HumanEvalComm.jsonl` for the chosen `variants`."""
    unknown = set(variants) - set(HUMANEVALCOMM_VARIANTS)
    if unknown:
        raise ValueError(f"unknown HumanEvalComm variant(s) {sorted(unknown)}: expected {HUMANEVALCOMM_VARIANTS}")
    problems = []
    for where, record in read_jsonl(Path(path)):
        problems.extend(humanevalcomm_problems(record, where=where, variants=variants, rates=rates))
    return problems


def humanevalcomm_problems(record: dict[str, Any], *, where: str, variants: tuple[str, ...],
                           rates: GuessRates = GuessRates()) -> list[CodingProblem]:
    name = record_field(record, "name", str, where)
    prompt = record_field(record, "prompt", str, where)
    entry_point = record_field(record, "entry_point", str, where)
    solution = record_field(record, "solution", str, where)
    cases = record_field(record, "test_case", list, where)
    try:
        original = prompt_parts(prompt, entry_point)
        helpers = prompt_helpers(prompt, entry_point)
    except (SyntaxError, ValueError) as exc:
        raise SchemaError(where, "prompt", f"cannot read the original prompt: {exc}") from None
    tests = tuple(_test_case(case, entry_point, where=f"{where}: test_case[{i}]") for i, case in enumerate(cases))
    problems = []
    for category in variants:
        query = record.get(f"prompt{category}")
        if query is None:
            continue
        if not isinstance(query, str):
            raise SchemaError(where, f"prompt{category}", f"expected a string, got {type(query).__name__}")
        try:
            modified = prompt_parts(query)
        except ValueError:
            modified = None
        shown = modified.name if modified is not None else ""
        facts = humanevalcomm_facts(original, modified or _NOTHING_SHOWN, category, rates)
        problems.append(CodingProblem(
            id=f"humanevalcomm/{name.split('/')[-1]}/{category}",
            source="humanevalcomm",
            query=query,
            entry_point=entry_point,
            signature=original.signature,
            tests=tests,
            setup_code="\n".join(filter(None, (helpers, _alias(entry_point, shown)))),
            reference=solution,
            hidden=tuple(f for f, _ in facts),
            guess_rates=tuple((f.key, rate) for f, rate in facts),
            category=category,
            shown_name=shown if shown != entry_point else "",
        ))
    return problems


def _alias(entry_point: str, shown: str) -> str:
    """Setup that lets the tests find the function under the name the modified prompt showed."""
    if not shown or shown == entry_point:
        return f"candidate = {entry_point}"
    return (
        f"try:\n    {entry_point}\nexcept NameError:\n    {entry_point} = {shown}\n"
        f"candidate = {entry_point}"
    )


def _test_case(case: Any, entry_point: str, *, where: str) -> str:
    """One `test_case` entry as an assert (or, for the templated HumanEval/32 cases, a block)."""
    relation = record_field(case, "relation", str, where)
    given = record_field(case, "input", (str, list), where)
    expected = record_field(case, "output", (str, int, float), where)
    if relation == "==":
        return f"assert str({entry_point}({given})).strip() == {str(expected).strip()!r}"
    if "$input$" in relation:
        lines = [line for line in relation.replace("$input$", repr(given)).splitlines() if "$demo$" not in line]
        last = lines[-1].strip()
        if last.startswith("print(") and last.endswith(")"):
            lines[-1] = f"assert {last[len('print('):-1]}"
        return "\n".join(lines)
    return f"assert {relation}"
