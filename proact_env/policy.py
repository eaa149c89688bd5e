"""The one policy interface every decision-maker implements: heuristics, the exact
optimum, stable-baselines3 models, DPO-trained and LLM-prompted policies.

A policy sees what an agent would see (the observation and the step's `info`)
and answers an `Action`. `reset()` is called at the start of every episode, so
stateful policies (a counter, a conversation cache) start clean.
"""

from __future__ import annotations

from typing import Any, Mapping, Protocol, runtime_checkable

import numpy as np

from proact_env.observation import BASE_FEATURES, QUESTIONS_PER_TURN
from proact_env.personas import PATIENCE_BUDGET, PATIENCE_SCALE, PERSONA_FEATURES, QUESTION_TOLERANCE_CAP
from proact_env.types import Action


@runtime_checkable
class Policy(Protocol):
    """`act(observation, info) -> Action`, plus `reset(seed)` at each episode start.

    `seed` is the episode's seed: a stochastic policy reseeds from it so that an
    episode's decisions do not depend on which episodes ran before it (a
    benchmark split over worker processes then equals a serial run).
    """

    def act(self, observation: Any, info: Mapping[str, Any]) -> Action: ...

    def reset(self, seed: int | None = None) -> None: ...


class ObservationView:
    """Named access to the numeric observation (`view.remaining_uncertainty`, not `obs[3]`).

    Persona features are `None` when the env does not observe the persona. Counts
    are decoded with the scales that encoded them (`proact_env.observation` and
    `proact_env.personas`), which are defined once, there.
    """

    _INDEX = {name: i for i, (name, _) in enumerate(BASE_FEATURES)}
    _PERSONA_INDEX = {name: len(BASE_FEATURES) + i for i, (name, _) in enumerate(PERSONA_FEATURES)}

    def __init__(self, observation: np.ndarray, max_turns: int) -> None:
        self._obs = observation
        self.max_turns = max_turns

    def _get(self, name: str) -> float:
        return float(self._obs[self._INDEX[name]])

    def _persona(self, name: str) -> float | None:
        index = self._PERSONA_INDEX[name]
        return float(self._obs[index]) if index < len(self._obs) else None

    @property
    def turn(self) -> int:
        return round(self._get("turn") * self.max_turns)

    @property
    def prev_reject(self) -> bool:
        return self._get("prev_reject") > 0.5

    @property
    def task_uncertainty(self) -> float:
        return self._get("task_uncertainty")

    @property
    def remaining_uncertainty(self) -> float:
        return self._get("remaining_uncertainty")

    @property
    def unknown_facts(self) -> int:
        """Hidden facts still unknown (exact up to 8)."""
        return round(self._get("unknown_facts") * 8)

    @property
    def rejections(self) -> int:
        """Turns the user rejected so far: questions rejected and solutions turned down."""
        return round(self._get("rejections") * self.max_turns)

    @property
    def questions_asked(self) -> int:
        return round(self._get("questions_asked") * QUESTIONS_PER_TURN * self.max_turns)

    @property
    def last_score(self) -> float:
        return self._get("last_score")

    @property
    def question_tolerance(self) -> int | None:
        value = self._persona("question_tolerance")
        return None if value is None else round(value * QUESTION_TOLERANCE_CAP)

    @property
    def patience(self) -> str | None:
        """The persona's patience level, decoded from its budget feature."""
        value = self._persona("patience")
        if value is None:
            return None
        budget = round(value * PATIENCE_SCALE)
        return next(level for level, b in PATIENCE_BUDGET.items() if b == budget)
