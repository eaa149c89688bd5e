"""The exact optimum of the synthetic domain, as a policy (an oracle: it reads the env's state)."""

from __future__ import annotations

from typing import Any, Mapping

import gymnasium as gym

from proact_env.solver import SyntheticSolver
from proact_env.types import Action


class OptimalPolicy:
    """Rule: the action with the higher exact Q-value (`proact_env.solver`); ties → Execute.

    It reads the hidden Markov state of `env` (the user's remaining patience, the
    persona even when unobserved), so it is the upper bound that regret is
    measured against, not a deployable agent. It must act on the env it was built for.
    """

    def __init__(self, env: gym.Env) -> None:
        self.env = env
        self.solver = SyntheticSolver.for_env(env)

    def reset(self, seed: int | None = None) -> None:
        """Stateless: the solver's cache carries over between episodes on purpose."""

    def act(self, observation: Any, info: Mapping[str, Any]) -> Action:
        return self.solver.optimal_action(self.env)
