"""The reward `R_task - C_interrupt`: task scoring and interruption cost. Never calls an LLM.

`run_tests` grades generated code in a sandbox (see `proact_env.reward.sandbox`);
it is imported lazily so that `import proact_env` stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from proact_env.reward.interrupt import (
    InterruptCost,
    RewardConfig,
    interrupt_cost,
    interrupt_cost_from_counts,
)
from proact_env.text import count_questions, prose_words, question_sentences, strip_code

if TYPE_CHECKING:
    from proact_env.reward.grader import GradeJob, GradeReport, TestOutcome, grade_many, run_tests
    from proact_env.reward.sandbox import SandboxConfig, SandboxLimits, SandboxUnavailable

_LAZY = {
    "GradeJob": "proact_env.reward.grader",
    "GradeReport": "proact_env.reward.grader",
    "TestOutcome": "proact_env.reward.grader",
    "grade_many": "proact_env.reward.grader",
    "run_tests": "proact_env.reward.grader",
    "SandboxConfig": "proact_env.reward.sandbox",
    "SandboxLimits": "proact_env.reward.sandbox",
    "SandboxUnavailable": "proact_env.reward.sandbox",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'proact_env.reward' has no attribute {name!r}")


__all__ = [
    "GradeJob",
    "GradeReport",
    "InterruptCost",
    "RewardConfig",
    "SandboxConfig",
    "SandboxLimits",
    "SandboxUnavailable",
    "TestOutcome",
    "count_questions",
    "grade_many",
    "interrupt_cost",
    "interrupt_cost_from_counts",
    "prose_words",
    "question_sentences",
    "run_tests",
    "strip_code",
]
