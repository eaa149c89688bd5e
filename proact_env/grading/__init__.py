"""Grading untrusted code: the sandbox that runs it and the grader that turns its test results into a verdict.

`run_tests` / `grade_many` (grader) split each test into calls the sandbox
makes (sandbox, sandbox_child, wire) and checks the grader evaluates in this
process (asserts, expressions, bindings). Nothing here knows about rewards;
`proact_env.domains.coding` turns a `GradeReport` into R_task.
"""

from proact_env.grading.grader import GradeJob, GradeReport, TestOutcome, grade_many, run_tests
from proact_env.grading.sandbox import SandboxConfig, SandboxLimits, SandboxUnavailable

__all__ = [
    "GradeJob",
    "GradeReport",
    "SandboxConfig",
    "SandboxLimits",
    "SandboxUnavailable",
    "TestOutcome",
    "grade_many",
    "run_tests",
]
