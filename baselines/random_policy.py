"""A coin-flip policy: the floor any learned policy must beat."""

from __future__ import annotations

import random
from typing import Any, Mapping

import gymnasium as gym
import numpy as np

from proact_env.baselines.base import EnvPolicy
from proact_env.types import Action


class RandomPolicy(EnvPolicy):
    """Rule: Clarify with probability `p` (default 0.5), else Execute.

    Reseeded from `seed` (default 0) and the episode seed at every reset, so a
    given episode always sees the same coin flips.
    """

    def __init__(self, env: gym.Env, p: float = 0.5, seed: int = 0) -> None:
        super().__init__(env)
        if not 0.0 <= float(p) <= 1.0:
            raise ValueError(f"random policy: p must be a probability in [0, 1], got {p!r}")
        self.p = float(p)
        self.seed = int(seed)
        self._rng = random.Random(self.seed)

    def reset(self, seed: int | None = None) -> None:
        self._rng = random.Random(self.seed if seed is None else f"{self.seed}:{int(seed)}")  # str seeds are stable

    def act(self, observation: np.ndarray, info: Mapping[str, Any]) -> Action:
        return Action.CLARIFY if self._rng.random() < self.p else Action.EXECUTE
