"""Helpers shared by the LLM tests: a responder that plays a sensible model, and config builders."""

from __future__ import annotations

import json
import re
from typing import Any

from proact_env.llm.config import LLMConfig

_FACT_LINE = re.compile(r"^- (\S+?): (.*) \(([^()]*)\)$", re.M)


def scripted_model(messages: list[dict[str, Any]]) -> str:
    """Answers like a cooperative model would, reading only the prompt text.

    Assistant prompts get a question (Clarify) or a solution (Execute); the
    user-simulator prompt gets a valid JSON answer that tells the first fact
    the prompt allows it to tell.
    """
    prompt = str(messages[-1]["content"])
    if "You play the user" in prompt:
        untold = [(key, answer) for key, answer, note in _FACT_LINE.findall(prompt) if "you may" in note]
        key, answer = untold[0] if untold else (None, "Looks fine.")
        return json.dumps({
            "reply": answer,
            "answered_clarification": key is not None,
            "reject_signal": False,
            "silence": False,
            "off_topic": False,
            "satisfaction": 0.8,
            "revealed": [key] if key else [],
        })
    if "decided to Clarify" in prompt:
        return "Which format and ordering do you want?"
    return "Here is my solution; I assumed json format and ascending ordering."


def openai_config(base_url: str, cache_dir, **overrides: Any) -> LLMConfig:
    """A fast-failing OpenAI-provider config for tests (short timeouts and backoff)."""
    options = {
        "provider": "openai",
        "model": "stub-model",
        "base_url": base_url,
        "cache_dir": str(cache_dir),
        "request_timeout": 2.0,
        "backoff_base": 0.01,
        "backoff_max": 0.05,
        "max_retries": 3,
    }
    options.update(overrides)
    return LLMConfig(**options)
