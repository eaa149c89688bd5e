"""Backbones: what writes the assistant's message once the policy has decided Clarify or Execute.

The policy decides; the backbone only phrases. Every backbone (scripted,
OpenAI-compatible, local transformers) implements `Backbone.write`; the LLM
backbone also offers `write_many` for batches a script holds at once. Heavy clients are imported
inside their own modules, never here, and the LLM classes below are loaded on
first use (``from proact_env.llm import LLMBackbone``), so `import proact_env`
stays fast.

Modules: `config` (LLMConfig), `chat` (request/completion types), `prompting`
(templates + render_state), `cache`, `retry`, `usage`, `engine` (cache + client
+ tally), `openai_client`, `transformers_client`, `backbone` (LLMBackbone),
`factory`, `tiny_model`, `stub_server` (a local fault-injecting server).
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
    repeats the mainline action asks for sample 1). A backbone that calls a
    model fills `usage` (prompt and completion tokens), which the env reports in
    `info["usage"]` and trajectory files keep.
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
    usage: dict[str, int] | None = None


class Backbone(Protocol):
    """Writes the assistant's message for a decided action."""

    def write(self, request: MessageRequest) -> str: ...


#: public name -> module that defines it, imported on first access
_LAZY = {
    "LLMBackbone": "proact_env.llm.backbone",
    "LLMConfig": "proact_env.llm.config",
    "ChatEngine": "proact_env.llm.engine",
    "ResponseCache": "proact_env.llm.cache",
    "CacheMissError": "proact_env.llm.cache",
    "CallFailure": "proact_env.llm.chat",
    "LLMCallFailed": "proact_env.llm.chat",
    "LLMSetupError": "proact_env.llm.chat",
    "PromptConfig": "proact_env.llm.prompting",
    "build_engine": "proact_env.llm.factory",
    "build_tiny_model": "proact_env.llm.tiny_model",
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'proact_env.llm' has no attribute {name!r}")


__all__ = ["Backbone", "MessageRequest", *_LAZY]
