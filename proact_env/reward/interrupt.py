"""C_interrupt: what a turn costs the user in attention, computed from text and reaction alone.

`C_interrupt = alpha * (w1*n_questions + w2*reject_signal + w3*long_turn + w4*off_topic)`.
It never calls an LLM, so trajectories can be re-scored offline with new weights.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import ClassVar

from proact_env.text import message_stats
from proact_env.types import ReactionMeta


@dataclass(frozen=True, slots=True)
class RewardConfig:
    """Weights of the reward `R_task - C_interrupt` (the seed's alpha, w1..w4).

    The seed's names are accepted wherever a dict configures the reward
    (``gymnasium.make(..., reward={"w1": 0.1})``, ``--env-kwargs``) and as
    ``proact rewards --w1 .. --w4``; each maps to the field named below.

    Attributes:
        alpha: overall scale of the interruption cost. Default ``1.0``.
        w_questions: `w1`, cost per question asked. Default ``0.03``.
        w_reject: `w2`, cost when the user rejects the turn ("just do it").
            Default ``0.15``.
        w_long_turn: `w3`, cost when the turn's prose is longer than the
            persona's `long_turn_tolerance`. Default ``0.05``.
        w_off_topic: `w4`, cost when the exchange drifts off topic. Default ``0.05``.
        success_threshold: an Execute whose R_task reaches this completes the task
            and ends the episode. Default ``1.0`` (every requirement met).
    """

    alpha: float = 1.0
    w_questions: float = 0.03
    w_reject: float = 0.15
    w_long_turn: float = 0.05
    w_off_topic: float = 0.05
    success_threshold: float = 1.0

    #: the seed's weight names -> the fields
    FIELD_ALIASES: ClassVar[dict[str, str]] = {"w1": "w_questions", "w2": "w_reject", "w3": "w_long_turn",
                                               "w4": "w_off_topic"}

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value or value < 0:
                raise ValueError(f"RewardConfig.{f.name} must be a number >= 0, got {value!r}")
        if not 0.0 < self.success_threshold <= 1.0:
            raise ValueError(f"RewardConfig.success_threshold must be in (0, 1], got {self.success_threshold!r}")

    @classmethod
    def from_weights(cls, alpha: float = 1.0, w1: float | None = None, w2: float | None = None,
                     w3: float | None = None, w4: float | None = None) -> "RewardConfig":
        """Build from the seed's names (`--alpha --w1 --w2 --w3 --w4`); None keeps the default."""
        given = {"w1": w1, "w2": w2, "w3": w3, "w4": w4}
        return cls(alpha=alpha, **{cls.FIELD_ALIASES[k]: v for k, v in given.items() if v is not None})

    def to_dict(self) -> dict[str, float]:
        return asdict(self)


@dataclass(slots=True)
class InterruptCost:
    """The cost of one turn, term by term (each term already weighted and scaled by alpha)."""

    n_questions: int
    reject_signal: bool
    long_turn: bool
    off_topic: bool
    questions: float
    reject: float
    long: float
    drift: float

    @property
    def total(self) -> float:
        return self.questions + self.reject + self.long + self.drift


def interrupt_cost(
    assistant_msg: str,
    meta: ReactionMeta,
    long_turn_tolerance: int,
    config: RewardConfig,
) -> InterruptCost:
    """C_interrupt of one assistant turn and the user's reaction to it."""
    stats = message_stats(assistant_msg)
    long_turn = stats.prose_words > long_turn_tolerance
    return interrupt_cost_from_counts(len(stats.questions), meta.reject_signal, long_turn, meta.off_topic_flag, config)


def interrupt_cost_from_counts(
    n_questions: int, reject_signal: bool, long_turn: bool, off_topic: bool, config: RewardConfig
) -> InterruptCost:
    """C_interrupt from already-extracted features (the solver and offline recomputation use this)."""
    a = config.alpha
    reject_signal, long_turn, off_topic = bool(reject_signal), bool(long_turn), bool(off_topic)
    return InterruptCost(  # positional, in field order: the env builds one on every step
        n_questions, reject_signal, long_turn, off_topic,
        a * config.w_questions * n_questions,
        a * config.w_reject * reject_signal,
        a * config.w_long_turn * long_turn,
        a * config.w_off_topic * off_topic,
    )
