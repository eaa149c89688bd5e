"""A chat model asked zero-shot whether to Clarify or Execute (`llm_prompt:...` in `proact benchmark`).

The reference point for learned policies: the same rendered state the DPO
policy sees, put to an off-the-shelf model through any LLM backbone
(OpenAI-compatible server or local transformers model), with the on-disk cache,
retries and usage tally of `proact_env.llm`. An answer that names neither action
(or a request that failed) counts as Execute and is tallied in `unparsed`.
"""

from __future__ import annotations

import re
from typing import Any, Mapping

import gymnasium as gym

from proact_env.llm.chat import CallFailure, ChatMessage, ChatRequest
from proact_env.llm.config import LLMConfig
from proact_env.llm.factory import build_engine
from proact_env.prompts import load_template
from proact_env.types import Action

_ANSWER = re.compile(r"\b(clarify|execute)\b", re.IGNORECASE)


def parse_decision(text: str) -> Action | None:
    """The first action word of a reply, or None when it names neither."""
    match = _ANSWER.search(text)
    return Action.parse(match.group(1)) if match else None


class LLMPromptPolicy:
    """Asks `config.model` to choose, temperature as configured (0 by default from the spec)."""

    def __init__(self, env: gym.Env, config: LLMConfig) -> None:
        self.env = env
        self.engine = build_engine(config)
        self.template = load_template("policy_decide")
        self.unparsed = 0
        self.decisions = 0

    @classmethod
    def from_spec(cls, env: gym.Env, spec: str) -> "LLMPromptPolicy":
        """`[PROVIDER:]MODEL[@BASE_URL]`, e.g. ``gpt-4o-mini``, ``openai:qwen2.5@http://127.0.0.1:8000/v1``,
        ``transformers:/models/tiny``; the key comes from OPENAI_API_KEY."""
        target, _, base_url = spec.partition("@")
        provider, sep, model = target.partition(":")
        if not sep:
            provider, model = "openai", target
        if not model:
            raise ValueError(f"llm_prompt policy spec {spec!r}: expected [PROVIDER:]MODEL[@BASE_URL]")
        return cls(env, LLMConfig(provider=provider, model=model, base_url=base_url or None, temperature=0.0,
                                  max_tokens=8))

    def reset(self, seed: int | None = None) -> None:
        """Stateless; the response cache persists across episodes on purpose."""

    def act(self, observation: Any, info: Mapping[str, Any]) -> Action:
        ep = self.env.unwrapped.episode
        state = self.env.unwrapped.decision_prompt()
        request = ChatRequest(messages=(ChatMessage("user", self.template.render(state=state)),),
                              label=f"{ep.task.id} turn {ep.turn} decide")
        (result,) = self.engine.complete_many([request])
        self.decisions += 1
        decision = None if isinstance(result, CallFailure) else parse_decision(result.text)
        if decision is None:
            self.unparsed += 1
            return Action.EXECUTE
        return decision

    def summary(self) -> str:
        return f"llm_prompt: {self.unparsed} of {self.decisions} answers named no action (counted as Execute); " \
               + self.engine.summary()
