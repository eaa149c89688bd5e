"""Ask while it is worth it: the simplest uncertainty-aware heuristic."""

from __future__ import annotations

from typing import Any, Mapping

import gymnasium as gym
import numpy as np

from proact_env.baselines.base import EnvPolicy
from proact_env.types import Action


class ThresholdPolicy(EnvPolicy):
    """Rule: Clarify while the remaining uncertainty is above `tau` (default 0.5)
    and the user's question tolerance is not used up; otherwise Execute.

    Also executes right after a rejected turn and on the last turn. Without
    persona features the tolerance is taken as `default_tolerance` (2).
    """

    def __init__(self, env: gym.Env, tau: float = 0.5, default_tolerance: int = 2) -> None:
        super().__init__(env)
        if not 0.0 <= float(tau) <= 1.0:
            raise ValueError(f"threshold policy: tau must be in [0, 1], got {tau!r}")
        self.tau = float(tau)
        self.default_tolerance = int(default_tolerance)

    def act(self, observation: np.ndarray, info: Mapping[str, Any]) -> Action:
        view = self.view(observation)
        tolerance = view.question_tolerance if view.question_tolerance is not None else self.default_tolerance
        if (
            view.remaining_uncertainty > self.tau
            and view.questions_asked < tolerance
            and not view.prev_reject
            and view.turn < self.max_turns - 1
        ):
            return Action.CLARIFY
        return Action.EXECUTE
