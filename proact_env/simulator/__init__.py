"""Simulated users: the `UserSimulator` interface, the rule-based simulator and `make_simulator`.

What a question is about, and so what it may reveal, is decided in one place
(`hearing`) for every simulator.

The LLM user simulator (`proact_env.simulator.llm_user`) is imported only when
asked for, so the core stays free of LLM clients.
"""

from __future__ import annotations

import random
from typing import Any, Mapping, Protocol

from proact_env.personas import Persona
from proact_env.simulator.hearing import Hearing, hear
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


SIMULATOR_KINDS = ("rules", "llm")
#: The LLM user's defaults for `simulator="llm"`: a cheap hosted model (or the
#: server in $OPENAI_BASE_URL), room for the JSON answer.
DEFAULT_LLM_USER = {"provider": "openai", "model": "gpt-4o-mini", "max_tokens": 256}


def make_simulator(spec: str | Mapping[str, Any] | UserSimulator | None) -> UserSimulator:
    """A simulator from a name, a config mapping or an instance.

    - None or ``"rules"``: `RuleBasedSimulator()`.
    - ``"llm"``: `LLMUserSimulator` with `DEFAULT_LLM_USER` (key in $OPENAI_API_KEY).
    - ``"llm:MODEL_SPEC"``: an LLM user on that model (`proact_env.llm.specs`), e.g.
      ``"llm:smollm2-135m-instruct"`` (local) or ``"llm:openai:qwen2.5@http://127.0.0.1:8000/v1"``.
    - ``{"kind": "llm", **LLMConfig fields}``: an LLM user with that config, e.g.
      ``{"kind": "llm", "model": "qwen2.5", "base_url": "http://127.0.0.1:8000/v1"}``
      (works in `gymnasium.make` kwargs); ``{"kind": "rules"}`` is the rule-based one.
    - anything with a `react` method is used as it is.
    """
    if spec is None or spec == "rules":
        return RuleBasedSimulator()
    if isinstance(spec, str) and spec.startswith("llm:"):
        from proact_env.llm.specs import simulator_config
        from proact_env.simulator.llm_user import LLMUserSimulator

        return LLMUserSimulator.from_config(simulator_config(spec, DEFAULT_LLM_USER))
    if isinstance(spec, (str, Mapping)):
        options = {"kind": spec} if isinstance(spec, str) else dict(spec)
        kind = options.pop("kind", "llm")
        if kind not in SIMULATOR_KINDS:
            raise ValueError(f"unknown simulator {kind!r}: choose one of {', '.join(SIMULATOR_KINDS)}")
        if kind == "rules":
            if options:
                raise ValueError(f"the rule-based simulator takes no options, got {sorted(options)}")
            return RuleBasedSimulator()
        from proact_env.llm.config import LLMConfig
        from proact_env.llm.specs import config_fields
        from proact_env.simulator.llm_user import LLMUserSimulator

        return LLMUserSimulator.from_config(LLMConfig(**{**DEFAULT_LLM_USER, **config_fields(options, "LLM simulator")}))
    if callable(getattr(spec, "react", None)):
        return spec
    raise ValueError(f"simulator must be 'rules', 'llm', 'llm:MODEL', a config mapping or a UserSimulator, "
                     f"got {type(spec).__name__}")


__all__ = [
    "DialogueContext",
    "Hearing",
    "ReactionProbs",
    "RuleBasedSimulator",
    "SIMULATOR_KINDS",
    "SimulatorConfig",
    "UserSimulator",
    "clarify_reaction_probs",
    "hear",
    "infer_action",
    "make_simulator",
]
