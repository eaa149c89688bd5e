"""Policies that ignore the user: the reference points every other policy is compared with."""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from proact_env.baselines.base import EnvPolicy
from proact_env.types import Action


class AlwaysExecute(EnvPolicy):
    """Rule: never ask; deliver a solution every turn (retrying after a failure)."""

    def act(self, observation: np.ndarray, info: Mapping[str, Any]) -> Action:
        return Action.EXECUTE


class AlwaysClarify(EnvPolicy):
    """Rule: ask every turn until one turn before `max_turns`, then execute.

    The last turn executes because an episode that never executes scores zero:
    this is the most question-happy policy that still delivers.
    """

    def act(self, observation: np.ndarray, info: Mapping[str, Any]) -> Action:
        return Action.EXECUTE if self.view(observation).turn >= self.max_turns - 1 else Action.CLARIFY


class ClarifyOnce(EnvPolicy):
    """Rule: ask on the first turn, then execute on every later turn."""

    def act(self, observation: np.ndarray, info: Mapping[str, Any]) -> Action:
        return Action.CLARIFY if self.view(observation).turn == 0 and self.max_turns > 1 else Action.EXECUTE
