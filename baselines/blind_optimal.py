"""The exact persona-blind optimum of the synthetic domain, as a policy that sees what an agent sees."""

from __future__ import annotations

from typing import Any, Mapping

import gymnasium as gym
import numpy as np

from proact_env.baselines.base import EnvPolicy
from proact_env.domains.synthetic.tasks import SyntheticSpec
from proact_env.solver_blind import Belief, BlindModel, BlindSolver, ObservedState, reaction_kind
from proact_env.types import Action


class BlindOptimalPolicy(EnvPolicy):
    """Rule: the action with the higher exact Q-value under its belief about the user
    (`proact_env.solver_blind`); ties → Execute.

    It never reads the persona: it knows the task and the persona prior of the env, reads its
    state from the observation (turn, unknown facts, questions asked, rejections, previous
    rejection, latest score) and the user's reactions from `info["meta"]`, and updates its
    belief by Bayes' rule after every step. It is the best any persona-blind policy can do,
    so `regret_blind` is measured against it. A policy first called mid-episode (e.g. a rollout
    continuation after `restore()`) starts from the prior, less the users whose patience the
    rejections so far would have used up.
    """

    def __init__(self, env: gym.Env) -> None:
        super().__init__(env)
        self.env = env
        self.solver = BlindSolver.for_env(env)
        self._model: BlindModel | None = None
        self._last: tuple[ObservedState, Belief, Action] | None = None

    def reset(self, seed: int | None = None) -> None:
        """Forget the previous episode's belief."""
        self._model, self._last = None, None

    def act(self, observation: np.ndarray, info: Mapping[str, Any]) -> Action:
        if self._model is None:
            self._model = self.solver.model_for(self.env)  # the task (its shape), not the user
        state = self.observed(observation)
        if self._last is None:
            belief = self._model.initial_belief(state)
        else:
            before, prior, action = self._last
            kind = reaction_kind(action, info["meta"], info["success"])
            belief = self._model.posterior(before, prior, action, kind, state)
        action = self._model.optimal_action(state, belief)
        self._last = (state, belief, action)
        return action

    def observed(self, observation: np.ndarray) -> ObservedState:
        """The observable state, decoded from the observation vector alone."""
        view = self.view(observation)
        spec = self.env.unwrapped.episode.task.payload
        n_slots = len(spec.slots) if isinstance(spec, SyntheticSpec) else 1
        return ObservedState(view.turn, view.unknown_facts, view.questions_asked, view.rejections, view.prev_reject,
                             round(view.last_score * n_slots))
