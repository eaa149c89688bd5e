"""Wrappers that change what a policy sees, for LLM policies that read text."""

from __future__ import annotations

import string
from typing import Any

import gymnasium as gym
from gymnasium import spaces


class UnicodeText(spaces.Text):
    """A `Text` space that contains any string up to `max_length`.

    Gymnasium's `Text` only contains characters of its charset; LLM transcripts
    hold arbitrary Unicode. Sampling still draws from printable ASCII.
    """

    def __init__(self, max_length: int, seed: int | None = None) -> None:
        super().__init__(max_length=max_length, min_length=0, charset=string.printable, seed=seed)

    def contains(self, x: Any) -> bool:
        return isinstance(x, str) and len(x) <= self.max_length


class TextObservation(gym.ObservationWrapper, gym.utils.RecordConstructorArgs):
    """Replace the numeric observation with `render_state` of the current decision point.

    The text is truncated from the front of the conversation if it exceeds
    `max_length`, so the request and the latest turns are always kept. Its
    arguments are recorded, so `gym.make(env.spec)` rebuilds the wrapped env.
    """

    def __init__(self, env: gym.Env, max_length: int = 16_384) -> None:
        gym.utils.RecordConstructorArgs.__init__(self, max_length=max_length)
        gym.ObservationWrapper.__init__(self, env)
        self.max_length = max_length
        self.observation_space = UnicodeText(max_length)

    def observation(self, observation: Any) -> str:
        return fit_text(self.env.unwrapped.decision_prompt(), self.max_length)


def fit_text(text: str, max_length: int) -> str:
    """`text` cut to `max_length` characters from the front of its conversation.

    The request and the latest turns are what a policy needs, so the oldest
    turns go first (marked "..."); a text with no conversation is cut at the end.
    """
    if len(text) <= max_length:
        return text
    head, _, rest = text.partition("Conversation so far:\n")
    keep = max_length - len(head) - len("Conversation so far:\n...\n")
    return f"{head}Conversation so far:\n...\n{rest[-keep:]}" if keep > 0 else text[:max_length]
