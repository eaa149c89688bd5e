"""The model decides: it writes its turn freely, and whether it asked or answered is read from what it wrote.

HumanEvalComm's protocol: the model gets the request and may either deliver the
solution or ask clarifying questions, without being told which. Here the model
writes its turn from the `model_decides` template (the rendered decision point),
`read_decision` classifies the text, and the text itself is the assistant's
message: the policy installs itself as its env's backbone, so what the user
reads and what the checker scores is exactly what the model wrote.

`read_decision` is deliberately simple and documented: code (a fenced block, or
a line that starts a Python definition or import) means Execute; otherwise a
question (`proact_env.text.question_sentences`) means Clarify; anything else is
an answer given without asking, Execute. `model_decides:MODEL_SPEC` in a policy
list (`proact_env.llm.specs`), e.g. ``model_decides:smollm2-135m-instruct``.
"""

from __future__ import annotations

import re
from typing import Any, Mapping

import gymnasium as gym

from proact_env.llm.chat import CallFailure, ChatMessage, ChatRequest
from proact_env.llm.config import LLMConfig
from proact_env.llm.factory import build_engine
from proact_env.llm.specs import parse_model_spec
from proact_env.prompts import load_template
from proact_env.render import render_state
from proact_env.text import question_sentences
from proact_env.types import Action, MessageRequest

_CODE_LINE = re.compile(r"^\s*(def|class|import|from)\s+\w", re.MULTILINE)
#: room for a function and a sentence; a turn cut short is scored as it is
MAX_TOKENS = 320


def read_decision(text: str) -> Action:
    """Clarify or Execute, read from a freely written turn (see the module docstring)."""
    if "```" in text or _CODE_LINE.search(text):
        return Action.EXECUTE
    return Action.CLARIFY if question_sentences(text) else Action.EXECUTE


class ModelDecidesPolicy:
    """Lets `config.model` write its turn and acts on what the turn is; the env's messages are its texts.

    A failed request decides Execute, and the env's previous backbone writes that turn.
    """

    def __init__(self, env: gym.Env, config: LLMConfig) -> None:
        self.env = env
        self.engine = build_engine(config)
        self.template = load_template("model_decides")
        base = env.unwrapped
        self.fallback = base.backbone
        base.backbone = self
        self._written: tuple[int, int, Action, str] | None = None  # (episode object, turn, action, text)
        self.failed = 0

    @classmethod
    def from_spec(cls, env: gym.Env, spec: str) -> "ModelDecidesPolicy":
        return cls(env, LLMConfig(**parse_model_spec(spec), temperature=0.0, max_tokens=MAX_TOKENS))

    def reset(self, seed: int | None = None) -> None:
        self._written = None

    def act(self, observation: Any, info: Mapping[str, Any]) -> Action:
        ep = self.env.unwrapped.episode
        prompt = self.template.render(state=render_state(ep.state(), None, ep.transcript))
        request = ChatRequest((ChatMessage("user", prompt),), label=f"{ep.task.id} turn {ep.turn} free turn")
        (result,) = self.engine.complete_many([request])
        if isinstance(result, CallFailure):
            self.failed += 1
            self._written = None
            return Action.EXECUTE
        action = read_decision(result.text)
        self._written = (id(ep), ep.turn, action, result.text)
        return action

    def write(self, request: MessageRequest) -> str:
        """The text the model wrote for this decision; the previous backbone writes any other turn."""
        ep = self.env.unwrapped.episode
        if self._written is not None and self._written[:3] == (id(ep), ep.turn, request.action):
            return self._written[3]
        write_for = getattr(self.fallback, "write_for", None)
        return write_for(ep.task, request) if write_for is not None else self.fallback.write(request)

    def summary(self) -> str:
        return f"model_decides: {self.failed} request(s) failed (decided Execute); " + self.engine.summary()
