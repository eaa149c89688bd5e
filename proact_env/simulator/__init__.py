"""Simulated users: the `UserSimulator` interface and the rule-based simulator."""

from __future__ import annotations

import random
from typing import Protocol

from proact_env.personas import Persona
from proact_env.simulator.rules import (
    DialogueContext,
    ReactionProbs,
    RuleBasedSimulator,
    SimulatorConfig,
    clarify_reaction_probs,
    infer_action,
)
from proact_env.types import Reaction


class UserSimulator(Protocol):
    """Anything that plays the user: `react(user_msg, assistant_msg, persona, ...) -> Reaction`."""

    def react(
        self,
        user_msg: str,
        assistant_msg: str,
        persona: Persona,
        *,
        context: DialogueContext,
        rng: random.Random,
    ) -> Reaction: ...


__all__ = [
    "DialogueContext",
    "ReactionProbs",
    "RuleBasedSimulator",
    "SimulatorConfig",
    "UserSimulator",
    "clarify_reaction_probs",
    "infer_action",
]
