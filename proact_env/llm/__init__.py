"""Backbones: what writes the assistant's message once the policy has decided Clarify or Execute.

The policy decides; the backbone only phrases. Every backbone (scripted,
OpenAI-compatible, local transformers) implements `Backbone.write`. Heavy
clients are imported inside their own modules, never here.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Protocol, Sequence

from proact_env.personas import Persona
from proact_env.types import Action, Task, Turn


@dataclass(slots=True)
class MessageRequest:
    """Everything a backbone may use to write one assistant turn.

    `revealed` lists the hidden facts the user has disclosed; real LLM backbones
    read them from `transcript` as a model would, scripted ones use the keys.
    `transcript` is the env's live list: read it, never modify it.
    `sample_index` distinguishes regenerations of the same turn (a branch that
    repeats the mainline action asks for sample 1).
    """

    action: Action
    task: Task
    transcript: Sequence[Turn]
    revealed: frozenset[str]
    persona: Persona
    dialogue_turn: int
    prev_reject: bool
    rng: random.Random = field(compare=False)
    sample_index: int = 0


class Backbone(Protocol):
    """Writes the assistant's message for a decided action."""

    def write(self, request: MessageRequest) -> str: ...


__all__ = ["Backbone", "MessageRequest"]
