"""`LLMBackbone`: the assistant's turns written by a chat model (OpenAI-compatible or local).

It implements `Backbone.write` for `ProactEnv`, and `write_many` for scripts
that have many decision points at hand at once: the batch goes out
concurrently (HTTP) or in generation batches (local model), answered from the
on-disk cache where possible. (`proact generate` overlaps `write` calls from
`--concurrency` threads instead, so that each state's episode stays sequential.)
"""

from __future__ import annotations

from typing import Sequence

from proact_env.llm.chat import CallFailure, ChatRequest
from proact_env.llm.config import LLMConfig
from proact_env.llm.engine import ChatEngine
from proact_env.llm.prompting import PromptConfig, assistant_messages
from proact_env.types import MessageRequest


class LLMBackbone:
    """Writes Clarify and Execute turns from the packaged prompt templates.

    Arguments:
        engine: the cached, tallied chat engine (`LLMBackbone.from_config` builds one).
        prompt: what the prompt shows (`PromptConfig`).
    """

    def __init__(self, engine: ChatEngine, prompt: PromptConfig = PromptConfig()) -> None:
        self.engine = engine
        self.prompt = prompt

    @classmethod
    def from_config(cls, config: LLMConfig, prompt: PromptConfig = PromptConfig()) -> "LLMBackbone":
        from proact_env.llm.factory import build_engine

        return cls(build_engine(config), prompt)

    def write(self, request: MessageRequest) -> str:
        """The message for one decision point; raises `LLMCallFailed` if the model could not be reached."""
        completion = self.engine.complete(self.chat_request(request))
        request.usage = {"prompt_tokens": completion.prompt_tokens, "completion_tokens": completion.completion_tokens,
                         "cached": int(completion.cached)}
        return completion.text

    def write_many(self, requests: Sequence[MessageRequest]) -> list[str | CallFailure]:
        """Messages for many decision points at once, in order; a failed item is a `CallFailure`."""
        results = self.engine.complete_many([self.chat_request(r) for r in requests])
        return [r if isinstance(r, CallFailure) else r.text for r in results]

    def chat_request(self, request: MessageRequest) -> ChatRequest:
        return ChatRequest(
            messages=assistant_messages(request, self.prompt),
            sample_index=request.sample_index,
            label=f"{request.state.id} turn {request.dialogue_turn} {request.action.label}",
        )

    def summary(self) -> str:
        """Usage, estimated cost, cache hits and failed items: print it at the end of a run."""
        return self.engine.summary()
