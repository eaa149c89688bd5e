"""Grading a program against its tests: plan each test, ask the program, compare in the grader, report.

`run_tests` grades one program; `grade_many` grades many in parallel (one
worker per core by default, each job a fresh sandboxed interpreter). Each test
is decided where the program cannot reach it (`plan_tests`):

- ``grader``: a single assert, split into probes (calls into the program) and
  a check (`asserts.split_test`). The program's interpreter answers one probe
  at a time, each sent only after the previous answer arrived; the grader
  compares the answers, rebuilt as builtin data, with values the program never
  saw.
- ``test runner``: a test that cannot be split (a loop, random inputs, a block
  of statements) or whose expected value the setup code computes runs whole in
  a second sandboxed interpreter that holds the setup code but not the
  program. Every name the program defines is a proxy there: a call crosses to
  the program as plain data and its answer comes back the same way. No code of
  the program runs where these verdicts are decided.
- ``program on both sides``: a check whose every side is the program's answer
  (``tuple(f(x)) == tuple(sort_third(x))`` where both are the program). It is
  reported, but left out of `GradeReport.score` unless `count_self_checks`.
- a test that calls a name the program never defines is not sent at all and
  fails as a NameError (decided from the program's syntax tree before it runs).

Success is never read from an exit code: a test passes only when its answers
arrived and the grader's own check of them holds.
"""

from __future__ import annotations

import os
import reprlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any, Iterable, Sequence

from proact_env.grading.asserts import (
    WHERE_GRADER,
    WHERE_RUNNER,
    WHERE_SELF_CHECK,
    SplitTest,
    safe_modules,
    shadowed_names,
    split_test,
)
from proact_env.grading.bindings import SetupSplit, module_bindings, needed_names, read_names, split_setup
from proact_env.grading.expressions import CheckError, evaluate, truthy
from proact_env.grading.sandbox import Job, JobEnd, SandboxConfig, SandboxLimits, probe
from proact_env.grading.wire import Decoder, ProbeResult, WireError, decode_text, parse_line, value_source

DETAIL_CHARS = 300
_BRIEF = reprlib.Repr()
_BRIEF.maxstring = _BRIEF.maxother = 80
_BRIEF.maxlist = _BRIEF.maxtuple = _BRIEF.maxset = _BRIEF.maxdict = 8
_READY = b'["r"]'


@dataclass(frozen=True, slots=True)
class TestOutcome:
    """The verdict on one test.

    Attributes:
        index: position of the test in the task's list.
        test: the test as written.
        passed: whether it passed.
        status: ``passed``, ``failed`` (wrong value), ``error`` (the program
            raised), ``no_result`` (no answer arrived: the program exited, crashed
            or was killed), ``timeout``, ``tampered`` (an answer that is not one:
            the program wrote on the results channel itself), ``aborted`` (the
            program or setup code raised before the tests ran) or ``invalid``
            (the grader could not evaluate its side, or the test's own setup failed).
        where: where the verdict was decided (`asserts.WHERE_*`): ``grader``,
            ``test runner`` or ``program on both sides``.
        detail: a short human-readable explanation.
        scored: whether it counts in `GradeReport.score` (``program on both
            sides`` tests do not, unless `count_self_checks`).
    """

    index: int
    test: str
    passed: bool
    status: str
    where: str
    detail: str = ""
    scored: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.index, "test": self.test, "passed": self.passed, "status": self.status,
                "where": self.where, "detail": self.detail, "scored": self.scored}


@dataclass(frozen=True, slots=True)
class GradeReport:
    """The result of grading one program.

    Attributes:
        passed, total: scored tests passed and scored tests run; `score` =
            passed / total (0 with no scored tests). Tests left out of the
            score are in `outcomes` with ``scored=False`` (`unscored`).
        outcomes: one `TestOutcome` per test, in order.
        isolation: the sandbox level that was in force (`sandbox.ISOLATION_LEVELS`).
        status: how the program's job ended: ``completed``, ``timeout``,
            ``output_limit``, ``result_limit``, ``file_limit``,
            ``program_error``, ``setup_error`` or ``crashed`` (the interpreter
            ended before answering every test).
        detail: the reason behind a status other than ``completed``.
        output: the start of what the program printed (diagnostics only).
        wall_s: seconds from launch to the end of the program's job.
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

    @property
    def unscored(self) -> tuple[TestOutcome, ...]:
        """The outcomes left out of the score (every side came from the program)."""
        return tuple(o for o in self.outcomes if not o.scored)

    def to_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "total": self.total,
            "score": self.score,
            "isolation": self.isolation,
            "status": self.status,
            "detail": self.detail,
            "unscored": {"passed": sum(o.passed for o in self.unscored), "total": len(self.unscored)},
            "outcomes": [o.to_dict() for o in self.outcomes],
        }


@dataclass(frozen=True)
class GradeJob:
    """One program with its tests, for `grade_many`."""

    program: str
    tests: tuple[str, ...]
    setup_code: str = ""


@dataclass(frozen=True)
class PlannedTest:
    """One test and where it will be decided; `missing` names a function the program never defines (not sent)."""

    index: int
    split: SplitTest
    where: str
    missing: str = ""


@dataclass(frozen=True)
class TestPlan:
    """Every test of one program with its route, and the setup code of each interpreter (`bindings.SetupSplit`)."""

    tests: tuple[PlannedTest, ...]
    program_setup: str
    runner_setup: str = ""
    remote: tuple[str, ...] = ()  # the program's names that the test runner's calls may reach

    @property
    def runner_tests(self) -> tuple[PlannedTest, ...]:
        return tuple(t for t in self.tests if t.where == WHERE_RUNNER)


def plan_tests(program: str, tests: Sequence[str], setup_code: str = "") -> TestPlan:
    """Decide, from the program's and the tests' syntax trees alone, where each test is decided.

    Nothing runs. A program or setup code that does not parse keeps every
    test on the grader's route: its interpreter reports the syntax error.
    """
    modules = safe_modules(setup_code)
    shadowed = shadowed_names(program, setup_code)
    split = [split_test(t, modules, shadowed) for t in tests]
    missing = undefined_names(split, program, setup_code)
    setup = split_setup(program, setup_code)
    if setup is None:
        return TestPlan(tuple(PlannedTest(i, s, WHERE_GRADER, missing.get(i, "")) for i, s in enumerate(split)),
                        setup_code)
    # a test calling a name the program never defines is decided here, from the syntax tree
    planned = tuple(PlannedTest(i, s, WHERE_GRADER if i in missing else _route(s, setup), missing.get(i, ""))
                    for i, s in enumerate(split))
    if not any(t.where == WHERE_RUNNER for t in planned):
        # no test reads a value the setup computes without the program: it may all run there, as written
        return TestPlan(planned, setup_code)
    return TestPlan(planned, setup.program_setup, setup.runner_setup, tuple(sorted(setup.from_program)))


def _route(test: SplitTest, setup: SetupSplit) -> str:
    """The test runner for a test that cannot be split, or whose probe holds a value computed without the program."""
    if test.whole:
        return WHERE_RUNNER
    for source in test.probes:
        names = _reads(source)  # builtins included: a program may define its own `sum` (MBPP 126)
        if not names & setup.from_program or names & setup.runner_only:
            return WHERE_RUNNER
    return WHERE_SELF_CHECK if test.both_sides else WHERE_GRADER


@lru_cache(maxsize=65536)
def _reads(source: str) -> frozenset[str]:
    return read_names(source)


@lru_cache(maxsize=65536)
def _needed(source: str) -> frozenset[str]:
    return needed_names(source)


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
        sources = (test.source,) if test.whole else test.probes
        absent = sorted(frozenset().union(*(_needed(s) for s in sources)) - known)
        if absent:
            missing[index] = absent[0]
    return missing


def run_tests(
    program: str,
    tests: Sequence[str],
    *,
    setup_code: str = "",
    timeout_s: float | None = None,
    config: SandboxConfig | None = None,
    count_self_checks: bool = False,
) -> GradeReport:
    """Grade `program` against `tests` (assert statements) in fresh sandboxed interpreters.

    `setup_code` runs after the program, before the tests (imports the tests
    need, fixtures such as the trees of MBPP task 367); `bindings.split_setup`
    decides which of it the program's interpreter gets. `timeout_s` overrides
    the CPU-time limit of `config` (default `SandboxLimits.timeout_s`; the
    wall-clock backstop scales with it). `count_self_checks` counts the tests
    whose every side comes from the program in the score (default: reported
    in `outcomes` with ``scored=False``, left out of `passed` and `total`).
    """
    config = _with_timeout(config or SandboxConfig(), timeout_s)
    plan = plan_tests(program, tests, setup_code)
    if not plan.tests:
        return GradeReport(0, 0, (), probe(config).level, "completed", "no tests")
    return _Grading(program, plan, config, count_self_checks).run()


def grade_many(
    jobs: Iterable[GradeJob],
    *,
    workers: int | None = None,
    config: SandboxConfig | None = None,
    progress: Any = None,
    count_self_checks: bool = False,
) -> list[GradeReport]:
    """Grade many programs in parallel, each in its own fresh sandbox; reports come back in job order.

    `workers` defaults to one per core. `progress`, if given, is called once
    per finished job (e.g. a tqdm bar's `update`).
    """
    config = config or SandboxConfig()
    jobs = list(jobs)
    workers = workers or os.cpu_count() or 1

    def grade(job: GradeJob) -> GradeReport:
        report = run_tests(job.program, job.tests, setup_code=job.setup_code, config=config,
                           count_self_checks=count_self_checks)
        if progress is not None:
            progress(1)
        return report

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="proact-grader") as pool:
        return list(pool.map(grade, jobs))


def _with_timeout(config: SandboxConfig, timeout_s: float | None) -> SandboxConfig:
    if timeout_s is None:
        return config
    return replace(config, limits=replace(config.limits, timeout_s=timeout_s))


class _ProgramGone(Exception):
    """The program's interpreter can answer no more (it exited, was killed, or passed a limit)."""


class _Grading:
    """One program's grading: its interpreter, the test runner if any test needs one, and the verdicts."""

    def __init__(self, program: str, plan: TestPlan, config: SandboxConfig, count_self_checks: bool) -> None:
        self.program, self.plan, self.config = program, plan, config
        self.count_self_checks = count_self_checks
        self.answers = Decoder()  # the program's answers: hostile, bounded per job
        self.calls = Decoder()  # the test runner's calls: trusted code, but values that came from the program
        self.outcomes: dict[int, TestOutcome] = {}
        self.abort: tuple[str, str, str] | None = None
        self.runner_problem = ""

    def run(self) -> GradeReport:
        job = Job({"role": "program", "program": self.program, "setup": self.plan.program_setup}, self.config)
        runner = None
        try:
            if self.plan.runner_tests:
                runner = Job({"role": "tests", "setup": self.plan.runner_setup, "remote": self.plan.remote,
                              "tests": tuple(t.split.source for t in self.plan.runner_tests)}, self.config)
            self._grade(job, runner)
        finally:
            end = job.end(answered=self._finished())
            runner_end = runner.end(answered=True) if runner is not None else None
        status, detail = self._status(end)
        if runner_end is not None and not self.runner_problem:
            self.runner_problem = _runner_trouble(runner_end)
        outcomes = tuple(self.outcomes.get(t.index) or self._unanswered(t, status, detail) for t in self.plan.tests)
        scored = [o for o in outcomes if o.scored]
        return GradeReport(
            passed=sum(o.passed for o in scored),
            total=len(scored),
            outcomes=outcomes,
            isolation=end.isolation,
            status=status,
            detail=detail,
            output=end.output.decode("utf-8", "replace"),
            wall_s=end.wall_s,
        )

    def _grade(self, job: Job, runner: Job | None) -> None:
        ready = job.receive()
        if ready != _READY:
            self.abort = _abort_record(ready)
            return
        if runner is not None:
            runner_ready = runner.receive()
            if runner_ready != _READY:
                stage, kind, message = _abort_record(runner_ready) or ("test setup", "?", "it did not start")
                self.runner_problem = f"the tests' own interpreter failed: its {stage} raised {kind}: {message}"
                runner.end()
                runner = None
        runner_index = {t.index: i for i, t in enumerate(self.plan.runner_tests)}
        try:
            for test in self.plan.tests:
                if test.missing:
                    self._verdict(test, False, "error", f"NameError: name {test.missing!r} is not defined "
                                                         "(read from the program's source before it ran)")
                elif test.where != WHERE_RUNNER:
                    self._ask_probes(job, test)
                elif runner is not None and not self.runner_problem:
                    self._run_whole(job, runner, test, runner_index[test.index])
        except _ProgramGone:
            return

    def _verdict(self, test: PlannedTest, passed: bool, status: str, detail: str = "") -> None:
        scored = test.where != WHERE_SELF_CHECK or self.count_self_checks
        self.outcomes[test.index] = TestOutcome(test.index, test.split.source, passed, status, test.where,
                                                _short(detail), scored)

    def _ask(self, job: Job, source: str) -> ProbeResult:
        """The program's answer to one probe; `_ProgramGone` if none can come; a WireError result if forged."""
        line = job.ask(source.encode("utf-8", "surrogatepass").hex().encode())
        if line is None:
            raise _ProgramGone()
        try:
            return self.answers.answer(parse_line(line))
        except WireError as exc:
            return ProbeResult(error=("WireError", str(exc)))

    def _ask_probes(self, job: Job, test: PlannedTest) -> None:
        values = {}
        for i, source in enumerate(test.split.probes):
            result = self._ask(job, source)
            if result.error is not None:
                kind, message = result.error
                if kind == "WireError":
                    return self._verdict(test, False, "tampered", f"the answer to {source} is not one: {message}")
                return self._verdict(test, False, "error", f"{source} raised {kind}: {message}")
            values[f"__probe_{i}__"] = result.value
        try:
            passed = truthy(evaluate(test.split.check, values))
        except CheckError as exc:
            return self._verdict(test, False, "failed", f"{exc} (results: {_describe(test.split, values)})")
        self._verdict(test, passed, "passed" if passed else "failed", "" if passed else f"got {_describe(test.split, values)}")

    def _run_whole(self, job: Job, runner: Job, test: PlannedTest, index: int) -> None:
        """Have the test runner run the test, relaying each of its calls to the program and the answer back."""
        runner.send(b"run %d" % index)
        forged = ""
        while True:
            line = runner.receive()
            try:
                record = parse_line(line) if line is not None else None
            except WireError:
                record = None
            if not isinstance(record, list) or not record:
                self.runner_problem = "the tests' own interpreter ended or wrote garbage: " + _runner_trouble(runner.end())
                return self._verdict(test, False, "invalid", self.runner_problem)
            if record[0] == "c" and len(record) == 4:
                reply, problem = self._relay(job, record)
                forged = forged or problem
                runner.send(reply)
            elif record[0] == "t" and len(record) == 3 and record[1] == index:
                return self._runner_verdict(test, record[2], forged)
            else:
                return self._verdict(test, False, "invalid", f"unexpected record from the test runner: {line[:80]!r}")

    def _relay(self, job: Job, record: list) -> tuple[bytes, str]:
        """One call the test runner makes into the program: (reply line for the runner, tampering seen or '')."""
        try:
            name, args, kwargs = decode_text(record[1]), self.calls.value(record[2]), self.calls.value(record[3])
            if name not in self.plan.remote or not isinstance(args, list) or not isinstance(kwargs, dict):
                raise WireError(f"a call to {name!r}, which the program does not define")
            if not all(isinstance(k, str) and k.isidentifier() for k in kwargs):
                raise TypeError("keyword argument names must be identifiers")
            parts = [value_source(a) for a in args] + [f"{k}={value_source(v)}" for k, v in kwargs.items()]
        except (WireError, TypeError) as exc:
            return _error_reply(type(exc).__name__, str(exc)), ""
        result = self._ask(job, f"{name}({', '.join(parts)})")
        if result.error is not None:
            forged = f"the program's answer was not one: {result.error[1]}" if result.error[0] == "WireError" else ""
            return _error_reply(*result.error), forged
        try:
            return b"v " + value_source(result.value, opaque=True).encode("utf-8", "surrogatepass").hex().encode(), ""
        except TypeError as exc:
            return _error_reply("TypeError", str(exc)), ""

    def _runner_verdict(self, test: PlannedTest, verdict: Any, forged: str) -> None:
        if forged:
            return self._verdict(test, False, "tampered", forged)
        if verdict == ["p"]:
            return self._verdict(test, True, "passed", "run whole apart from the program")
        try:
            kind, message = Decoder().answer(verdict).error or ("?", "")
        except WireError:
            kind, message = "?", "unreadable verdict"
        self._verdict(test, False, "failed" if kind == "AssertionError" else "error", f"{kind}: {message}")

    def _status(self, end: JobEnd) -> tuple[str, str]:
        if self.abort is not None:
            stage, exc_type, message = self.abort
            return f"{stage}_error", _short(f"the {stage} raised {exc_type}: {message}")
        if self._finished():
            return "completed", ""
        if end.cpu_exceeded:
            used = f" ({end.cpu_s:.1f} s used)" if end.cpu_s is not None else ""
            return "timeout", f"ran out of its CPU-time limit{used}"
        if end.timed_out:
            return "timeout", (f"killed at the {end.wall_s:.1f} s wall-clock backstop: it waited or slept "
                               "rather than computed, or the machine starved it")
        if end.output_exceeded:
            return "output_limit", "killed: it wrote more than the output limit"
        if end.results_exceeded:
            return "result_limit", "killed: its results exceeded the size limit"
        if end.files_exceeded:
            return "file_limit", "killed: its files exceeded tmpfs_mb"
        return "crashed", f"the interpreter ended (exit status {end.returncode}) before answering every test"

    def _finished(self) -> bool:
        """Whether every test the program had to answer got its verdict (a failed test runner is not its doing)."""
        return all(t.index in self.outcomes or (t.where == WHERE_RUNNER and self.runner_problem)
                   for t in self.plan.tests)

    def _unanswered(self, test: PlannedTest, status: str, detail: str) -> TestOutcome:
        scored = test.where != WHERE_SELF_CHECK or self.count_self_checks
        if self.abort is not None:
            kind, why = "aborted", detail
        elif test.where == WHERE_RUNNER and self.runner_problem:
            kind, why = "invalid", self.runner_problem
        else:
            kind, why = ("timeout" if status == "timeout" else "no_result"), detail or "no answer arrived"
        return TestOutcome(test.index, test.split.source, False, kind, test.where, _short(why), scored)


def _abort_record(line: bytes | None) -> tuple[str, str, str] | None:
    """(stage, exception type, message) from an ``["a", ...]`` line; a line that is not one says so."""
    if line is None:
        return None
    try:
        record = parse_line(line)
        if isinstance(record, list) and len(record) == 3 and record[0] == "a":
            error = Decoder().answer(record[2]).error
            if error is not None:
                return (decode_text(record[1]),) + error
    except WireError:
        pass
    return ("program", "WireError", f"it wrote {line[:60]!r} instead of saying it was ready")


def _runner_trouble(end: JobEnd) -> str:
    if end.cpu_exceeded or end.timed_out:
        return "the tests' own interpreter ran out of time"
    if end.output_exceeded or end.results_exceeded:
        return "the tests' own interpreter wrote too much"
    return f"the tests' own interpreter ended (exit status {end.returncode})"


def _error_reply(kind: str, message: str) -> bytes:
    return b"e " + kind.encode().hex().encode() + b" " + message.encode("utf-8", "surrogatepass").hex().encode()


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


__all__ = ["GradeJob", "GradeReport", "SandboxConfig", "SandboxLimits", "TestOutcome", "grade_many", "plan_tests",
           "run_tests"]
