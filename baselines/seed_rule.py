"""The original design's persona rule as a policy (see `proact_env.seed_rule` for its oddities)."""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from proact_env.baselines.base import EnvPolicy
from proact_env.seed_rule import seed_rule_action
from proact_env.types import Action


class SeedRulePolicy(EnvPolicy):
    """Rule: the seed's mainline rule, reading patience from the observed persona.

    Without persona features (`observe_persona=False`) the patience is unknown
    and taken as ``medium``, which makes the rule always Execute.
    """

    def act(self, observation: np.ndarray, info: Mapping[str, Any]) -> Action:
        view = self.view(observation)
        return seed_rule_action(
            patience=view.patience or "medium",
            task_uncertainty=view.remaining_uncertainty,
            prev_reject=view.prev_reject,
            dialogue_turn=view.turn,
        )
