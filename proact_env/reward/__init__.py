"""The reward `R_task - C_interrupt`: task scoring and interruption cost. Never calls an LLM."""

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
