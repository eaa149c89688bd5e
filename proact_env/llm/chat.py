"""The provider-neutral chat types: what is asked, what comes back, and the client interface.

Backbones and the LLM user simulator build `ChatRequest`s; a `ChatClient`
(OpenAI-compatible, local transformers) turns a batch of them into
`Completion`s or `CallFailure`s. A failure is a value, not an exception, so one
bad item in a batch of thousands never stops the others.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, NamedTuple, Optional, Protocol, Sequence


class ChatMessage(NamedTuple):
    role: str
    content: str

    def to_dict(self) -> dict[str, str]:
        return {"role": self.role, "content": self.content}


@dataclass(frozen=True, slots=True)
class ChatRequest:
    """One chat completion to make. `sample_index` > 0 asks for another sample of the same prompt."""

    messages: tuple[ChatMessage, ...]
    sample_index: int = 0
    label: str = ""

    def message_dicts(self) -> list[dict[str, str]]:
        return [m.to_dict() for m in self.messages]


@dataclass(frozen=True, slots=True)
class Completion:
    """A completion's text and token usage; `cached` when it came from the on-disk cache."""

    text: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached: bool = False


@dataclass(frozen=True, slots=True)
class CallFailure:
    """A request that failed for good (after its retries): why, and how many attempts it took."""

    reason: str
    attempts: int = 1


class LLMCallFailed(RuntimeError):
    """Raised by single-request APIs (`Backbone.write`) when the request failed after its retries."""

    def __init__(self, failure: CallFailure) -> None:
        self.failure = failure
        super().__init__(f"LLM request failed after {failure.attempts} attempt(s): {failure.reason}")


class LLMSetupError(RuntimeError):
    """The LLM cannot work at all (no key, key rejected, unknown model): stop instead of failing every item."""


#: called with (index in the batch, result) as soon as one item of a batch is done
ResultCallback = Callable[[int, "Completion | CallFailure"], None]


class ChatClient(Protocol):
    """Turns requests into completions for one provider and model.

    `complete_many` returns one result per request, in order; it handles its own
    retries and concurrency and raises only `LLMSetupError`. It calls
    `on_result` for each item as soon as that item is done (possibly from a
    worker thread), so callers can store results while others are in flight.
    """

    provider: str
    model: str

    def complete_many(
        self, requests: Sequence[ChatRequest], on_result: Optional[ResultCallback] = None
    ) -> list[Completion | CallFailure]: ...
