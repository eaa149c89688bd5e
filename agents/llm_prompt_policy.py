"""A chat model asked zero-shot whether to Clarify or Execute (`llm_prompt:...` in `proact benchmark`).

The reference point for learned policies: the same rendered state the DPO
policy sees, put to an off-the-shelf model in the `policy_decide` template.

- A model behind an OpenAI-compatible server answers in text, through the LLM
  layer (on-disk cache, retries, usage tally); an answer that names neither
  action (or a request that failed) counts as Execute and is tallied in `unparsed`.
- A local model (``local:``/``transformers:``, or a registered name such as
  ``smollm2-135m-instruct``) is not asked to write: the two answers are scored,
  log p("Clarify") against log p("Execute") as the start of its reply after the
  chat template, many states per forward pass (`ActionScorer`). Small models
  ignore "answer with one word" and start writing code; a scored choice is
  their zero-shot decision all the same, and no answer goes unparsed.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any, Mapping

import gymnasium as gym

from proact_env.llm.chat import CallFailure, ChatMessage, ChatRequest
from proact_env.llm.config import LLMConfig
from proact_env.llm.factory import build_engine
from proact_env.llm.specs import parse_model_spec
from proact_env.prompts import load_template
from proact_env.types import Action

_ANSWER = re.compile(r"\b(clarify|execute)\b", re.IGNORECASE)


def parse_decision(text: str) -> Action | None:
    """The first action word of a reply, or None when it names neither."""
    match = _ANSWER.search(text)
    return Action.parse(match.group(1)) if match else None


class LLMPromptPolicy:
    """Asks `config.model` to choose: scored for a local model, answered greedily for a served one."""

    def __init__(self, env: gym.Env, config: LLMConfig) -> None:
        self.env = env
        self.config = config
        self.template = load_template("policy_decide")
        self.unparsed = 0
        self.decisions: Counter[Action] = Counter()
        self.engine = None
        self.scorer = None
        if config.provider == "transformers":
            from proact_env.agents.logprobs import ActionScorer
            from proact_env.llm.transformers_client import load_causal_lm

            tokenizer, model = load_causal_lm(str(config.model), config.device)
            self.tokenizer = tokenizer
            self.scorer = ActionScorer(model, tokenizer, {a: a.label for a in Action}, batch_size=config.batch_size)
        else:
            self.engine = build_engine(config)

    @classmethod
    def from_spec(cls, env: gym.Env, spec: str) -> "LLMPromptPolicy":
        """`[PROVIDER:]MODEL[@BASE_URL]` (`proact_env.llm.specs`), e.g. ``gpt-4o-mini``,
        ``openai:qwen2.5@http://127.0.0.1:8000/v1``, ``smollm2-135m-instruct``, ``local:/models/tiny``;
        the key comes from OPENAI_API_KEY."""
        return cls(env, LLMConfig(**parse_model_spec(spec), temperature=0.0, max_tokens=8))

    def reset(self, seed: int | None = None) -> None:
        """Stateless; the response cache persists across episodes on purpose."""

    def prompt(self) -> str:
        return self.template.render(state=self.env.unwrapped.decision_prompt())

    def act(self, observation: Any, info: Mapping[str, Any]) -> Action:
        if self.scorer is not None:
            chat = self.tokenizer.apply_chat_template([{"role": "user", "content": self.prompt()}],
                                                 add_generation_prompt=True, tokenize=False)
            decision = self.scorer.decide(chat)
        else:
            ep = self.env.unwrapped.episode
            request = ChatRequest(messages=(ChatMessage("user", self.prompt()),), label=f"{ep.task.id} turn {ep.turn} decide")
            (result,) = self.engine.complete_many([request])
            decision = None if isinstance(result, CallFailure) else parse_decision(result.text)
            if decision is None:
                self.unparsed += 1
                decision = Action.EXECUTE
        self.decisions[decision] += 1
        return decision

    def summary(self) -> str:
        total = sum(self.decisions.values())
        asked = f"{self.decisions[Action.CLARIFY]} of {total} decisions Clarify"
        if self.scorer is not None:
            return f"llm_prompt {self.config.model}: {asked} (scored: the likelier of the two answers)"
        return f"llm_prompt: {asked}; {self.unparsed} answers named no action (counted as Execute); " \
            + self.engine.summary()
