"""The reward `R_task - C_interrupt`: the interruption cost and its configuration. Never calls an LLM.

R_task comes from each domain's checker (coding tasks run their tests through
`proact_env.grading`, the sandbox and grader, a package of its own).
"""

from __future__ import annotations

from proact_env.reward.interrupt import (
    InterruptCost,
    RewardConfig,
    interrupt_cost,
    interrupt_cost_from_counts,
)
from proact_env.text import count_questions, prose_words, question_sentences, strip_code

__all__ = [
    "InterruptCost",
    "RewardConfig",
    "count_questions",
    "interrupt_cost",
    "interrupt_cost_from_counts",
    "prose_words",
    "question_sentences",
    "strip_code",
]
