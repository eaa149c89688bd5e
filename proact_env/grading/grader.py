"""Grading a program against its tests: split, run in the sandbox, compare in the grader, report.

`run_tests` grades one program; `grade_many` grades many in parallel (one
worker per core by default, each job a fresh sandboxed interpreter). Success
is never read from an exit code: a test passes only when its result record
arrived on the results channel and the grader's own check of it holds.
"""

from __future__ import annotations

import os
import reprlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any, Iterable, Sequence

from proact_env.grading.asserts import SplitTest, safe_modules, shadowed_names, split_test
from proact_env.grading.bindings import module_bindings, needed_names
from proact_env.grading.expressions import CheckError, evaluate, truthy
from proact_env.grading.sandbox import RunResult, SandboxConfig, SandboxLimits, probe, run_job
from proact_env.grading.wire import ChannelRecords, ProbeResult, parse_records

DETAIL_CHARS = 300
_BRIEF = reprlib.Repr()
_BRIEF.maxstring = _BRIEF.maxother = 80
_BRIEF.maxlist = _BRIEF.maxtuple = _BRIEF.maxset = _BRIEF.maxdict = 8


@dataclass(frozen=True, slots=True)
class TestOutcome:
    """The verdict on one test.

    Attributes:
        index: position of the test in the task's list.
        test: the test as written.
        passed: whether it passed.
        status: ``passed``, ``failed`` (wrong value), ``error`` (the program
            raised), ``no_result`` (no record arrived: the program exited, crashed
            or was killed), ``timeout``, ``tampered`` (two records for one test),
            ``aborted`` (the program or setup code raised before the tests ran) or
            ``invalid`` (the grader could not evaluate its side).
        where: where the verdict was decided (`asserts.WHERE_*`): ``grader``,
            ``grader, both sides from the sandbox`` or ``sandbox``.
        detail: a short human-readable explanation.
    """

    index: int
    test: str
    passed: bool
    status: str
    where: str
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.index, "test": self.test, "passed": self.passed, "status": self.status,
                "where": self.where, "detail": self.detail}


@dataclass(frozen=True, slots=True)
class GradeReport:
    """The result of grading one program.

    Attributes:
        passed, total: tests passed and tests run; `score` = passed / total (0 with no tests).
        outcomes: one `TestOutcome` per test, in order.
        isolation: the sandbox level that was in force (`sandbox.ISOLATION_LEVELS`).
        status: how the job ended: ``completed``, ``timeout``, ``output_limit``,
            ``result_limit``, ``program_error``, ``setup_error`` or ``crashed``
            (the interpreter ended before reporting every test).
        detail: the reason behind a status other than ``completed``.
        output: the start of what the program printed (diagnostics only).
        wall_s: seconds from launch to the end of the job.
    """

    passed: int
    total: int
    outcomes: tuple[TestOutcome, ...]
    isolation: str
    status: str
    detail: str = ""
    output: str = ""
    wall_s: float = 0.0

    @property
    def score(self) -> float:
        return self.passed / self.total if self.total else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "total": self.total,
            "score": self.score,
            "isolation": self.isolation,
            "status": self.status,
            "detail": self.detail,
            "outcomes": [o.to_dict() for o in self.outcomes],
        }


@dataclass(frozen=True)
class GradeJob:
    """One program with its tests, for `grade_many`."""

    program: str
    tests: tuple[str, ...]
    setup_code: str = ""


def run_tests(
    program: str,
    tests: Sequence[str],
    *,
    setup_code: str = "",
    timeout_s: float | None = None,
    config: SandboxConfig | None = None,
) -> GradeReport:
    """Grade `program` against `tests` (assert statements) in a fresh sandboxed interpreter.

    `setup_code` runs after the program, before the tests (imports the tests
    need, fixtures such as the trees of MBPP task 367). `timeout_s` overrides
    the CPU-time limit of `config` (default `SandboxLimits.timeout_s`; the
    wall-clock backstop scales with it).
    """
    config = _with_timeout(config or SandboxConfig(), timeout_s)
    modules = safe_modules(setup_code)
    shadowed = shadowed_names(program, setup_code)
    split = [split_test(t, modules, shadowed) for t in tests]
    if not split:
        return GradeReport(0, 0, (), probe(config).level, "completed", "no tests")
    undefined = undefined_names(split, program, setup_code)
    # a test that calls what the program never defined is not sent: nothing in the sandbox can see it
    job = (program, setup_code, tuple(("probes", ()) if i in undefined else s.job_entry() for i, s in enumerate(split)))
    result = run_job(job, config)
    return _report(split, result, undefined)


def undefined_names(split: Sequence[SplitTest], program: str, setup_code: str = "") -> dict[int, str]:
    """Tests that need a name neither the program nor the setup code defines, by index, with that name.

    Decided from the program's text (`bindings.module_bindings`) before it runs,
    so a name bound at run time to whatever a test calls does not count. A
    program that does not parse is left to fail in the sandbox as a program error.
    """
    program_names = module_bindings(program)
    if program_names is None:
        return {}
    known = program_names | (module_bindings(setup_code) or frozenset())
    missing = {}
    for index, test in enumerate(split):
        sources = (test.source,) if test.in_sandbox else test.probes
        absent = sorted(frozenset().union(*(needed_names(s) for s in sources)) - known)
        if absent:
            missing[index] = absent[0]
    return missing


def grade_many(
    jobs: Iterable[GradeJob],
    *,
    workers: int | None = None,
    config: SandboxConfig | None = None,
    progress: Any = None,
) -> list[GradeReport]:
    """Grade many programs in parallel, each in its own fresh sandbox; reports come back in job order.

    `workers` defaults to one per core. `progress`, if given, is called once
    per finished job (e.g. a tqdm bar's `update`).
    """
    config = config or SandboxConfig()
    jobs = list(jobs)
    workers = workers or os.cpu_count() or 1

    def grade(job: GradeJob) -> GradeReport:
        report = run_tests(job.program, job.tests, setup_code=job.setup_code, config=config)
        if progress is not None:
            progress(1)
        return report

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="proact-grader") as pool:
        return list(pool.map(grade, jobs))


def _with_timeout(config: SandboxConfig, timeout_s: float | None) -> SandboxConfig:
    if timeout_s is None:
        return config
    return replace(config, limits=replace(config.limits, timeout_s=timeout_s))


def _report(split: list[SplitTest], result: RunResult, undefined: dict[int, str]) -> GradeReport:
    records = parse_records(result.records, len(split))
    status, detail = _job_status(result, records)
    outcomes = tuple(
        TestOutcome(i, test.source, False, "error", test.where,
                    f"NameError: name {undefined[i]!r} is not defined (read from the program's source before it ran)")
        if i in undefined else _outcome(i, test, records, status, detail)
        for i, test in enumerate(split)
    )
    passed = sum(o.passed for o in outcomes)
    return GradeReport(
        passed=passed,
        total=len(outcomes),
        outcomes=outcomes,
        isolation=result.isolation,
        status=status,
        detail=detail,
        output=result.output.decode("utf-8", "replace"),
        wall_s=result.wall_s,
    )


def _job_status(result: RunResult, records: ChannelRecords) -> tuple[str, str]:
    if records.abort is not None:
        stage, exc_type, message = records.abort
        return f"{stage}_error", _short(f"the {stage} raised {exc_type}: {message}")
    if records.done:
        return "completed", ""
    if result.cpu_exceeded:
        used = f" ({result.cpu_s:.1f} s used)" if result.cpu_s is not None else ""
        return "timeout", f"ran out of its CPU-time limit{used}"
    if result.timed_out:
        return "timeout", (f"killed at the {result.wall_s:.1f} s wall-clock backstop: it waited or slept "
                           "rather than computed, or the machine starved it")
    if result.output_exceeded:
        return "output_limit", "killed: it wrote more than the output limit"
    if result.results_exceeded:
        return "result_limit", "killed: its results exceeded the size limit"
    return "crashed", f"the interpreter ended (exit status {result.returncode}) before reporting every test"


def _outcome(index: int, test: SplitTest, records: ChannelRecords, status: str, detail: str) -> TestOutcome:
    def verdict(passed: bool, kind: str, why: str = "") -> TestOutcome:
        return TestOutcome(index, test.source, passed, kind, test.where, _short(why))

    if index in records.tampered:
        return verdict(False, "tampered", "more than one result arrived for this test")
    results = records.results.get(index)
    if results is None:
        if records.abort is not None:
            return verdict(False, "aborted", detail)
        return verdict(False, "timeout" if status == "timeout" else "no_result", detail or "no result arrived")
    if test.in_sandbox:
        if results == [True]:
            return verdict(True, "passed", "decided in the sandbox")
        error = results[0].error if results and isinstance(results[0], ProbeResult) and results[0].error else ("?", "")
        return verdict(False, "failed" if error[0] == "AssertionError" else "error", f"{error[0]}: {error[1]}")
    if len(results) != len(test.probes) or not all(isinstance(r, ProbeResult) for r in results):
        return verdict(False, "tampered", "the result record does not match the test")
    for source, result in zip(test.probes, results):
        if result.error is not None:
            return verdict(False, "error", f"{source} raised {result.error[0]}: {result.error[1]}")
    values = {f"__probe_{i}__": r.value for i, r in enumerate(results)}
    try:
        passed = truthy(evaluate(test.check, values))
    except CheckError as exc:
        return verdict(False, "failed", f"{exc} (results: {_describe(test, values)})")
    if passed:
        return verdict(True, "passed")
    return verdict(False, "failed", f"got {_describe(test, values)}")


def _describe(test: SplitTest, values: dict[str, Any]) -> str:
    return "; ".join(f"{source} = {_brief(values[f'__probe_{i}__'])}" for i, source in enumerate(test.probes))


def _brief(value: Any) -> str:
    """A bounded repr: results can be huge, and huge ints refuse to print in full."""
    try:
        return _BRIEF.repr(value)
    except ValueError:
        return f"<{type(value).__name__} too large to print>"


def _short(text: str) -> str:
    return text if len(text) <= DETAIL_CHARS else text[: DETAIL_CHARS - 3] + "..."


__all__ = ["GradeJob", "GradeReport", "SandboxConfig", "SandboxLimits", "TestOutcome", "grade_many", "run_tests"]
