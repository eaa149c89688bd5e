"""`LLMConfig`: every knob of an LLM backbone or LLM user simulator, with documented defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROVIDERS = ("scripted", "openai", "transformers")
CACHE_MODES = ("read-write", "replay", "off")


def default_cache_dir() -> str:
    """``$PROACT_CACHE_DIR``, else ``~/.cache/proact_env/llm``: shared by every run of the user, so reruns are free."""
    return os.environ.get("PROACT_CACHE_DIR") or str(Path.home() / ".cache" / "proact_env" / "llm")


@dataclass(frozen=True)
class LLMConfig:
    """How to reach a model and how to sample from it.

    Attributes:
        provider: ``"scripted"`` (offline, no model; the default), ``"openai"``
            (any OpenAI-compatible chat-completions server) or ``"transformers"``
            (a local `AutoModelForCausalLM`).
        model: model name for the server (``"gpt-4o-mini"``), or a local path /
            hub id for transformers. Required unless the provider is scripted.
        base_url: an OpenAI-compatible server (``"http://127.0.0.1:8000/v1"`` for
            vLLM, Ollama, llama.cpp, ``transformers serve``). Default None: the
            OpenAI API (or ``$OPENAI_BASE_URL``).
        api_key_env: the environment variable holding the key. Default
            ``"OPENAI_API_KEY"``. The key is read from it at run time and never
            stored in the config, a file, a log or an error message.
        temperature: sampling temperature. Default ``0.7``; ``0`` is greedy.
        max_tokens: completion length limit. Default ``512``.
        seed: sampling seed sent with every request (plus the request's sample
            index, so regenerations differ). Default ``0``; None sends none.
        request_timeout: seconds before one HTTP request counts as hung and is
            retried. Default ``60``.
        max_retries: retries after the first attempt on 429, 5xx, timeouts,
            dropped connections and malformed responses. Default ``5``.
        backoff_base: first retry delay in seconds; it doubles each retry,
            with jitter. Default ``0.5``.
        backoff_max: cap of one retry delay (a longer ``Retry-After`` still
            wins). Default ``30``.
        concurrency: requests in flight at once, across all threads using the
            backbone. Default ``8``.
        cache_dir: where responses are cached. Default `default_cache_dir()`.
        cache_mode: ``"read-write"`` (default), ``"replay"`` (a cache miss is an
            error: reproducible benchmarks and CI) or ``"off"``.
        device: transformers only: ``"auto"`` (GPU if available), ``"cpu"``, ``"cuda:0"``...
        batch_size: transformers only: prompts generated together. Default ``8``.
        price_input, price_output: USD per million prompt / completion tokens
            for the cost estimate. Default None: a table of known models
            (`proact_env.llm.usage.PRICES`); local models cost nothing.
    """

    provider: str = "scripted"
    model: str | None = None
    base_url: str | None = None
    api_key_env: str = "OPENAI_API_KEY"
    temperature: float = 0.7
    max_tokens: int = 512
    seed: int | None = 0
    request_timeout: float = 60.0
    max_retries: int = 5
    backoff_base: float = 0.5
    backoff_max: float = 30.0
    concurrency: int = 8
    cache_dir: str | None = None
    cache_mode: str = "read-write"
    device: str = "auto"
    batch_size: int = 8
    price_input: float | None = None
    price_output: float | None = None

    def __post_init__(self) -> None:
        if self.provider not in PROVIDERS:
            raise ValueError(f"unknown LLM provider {self.provider!r}: choose one of {', '.join(PROVIDERS)}")
        if self.provider != "scripted" and not self.model:
            raise ValueError(f"provider {self.provider!r} needs a model name (--llm_model)")
        if self.cache_mode not in CACHE_MODES:
            raise ValueError(f"unknown cache mode {self.cache_mode!r}: choose one of {', '.join(CACHE_MODES)}")
        if not 0.0 <= self.temperature <= 2.0:
            raise ValueError(f"temperature must be in [0, 2], got {self.temperature!r}")
        for name in ("max_tokens", "concurrency", "batch_size"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)!r}")
        for name in ("request_timeout", "backoff_max"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)!r}")
        if self.max_retries < 0 or self.backoff_base < 0:
            raise ValueError("max_retries and backoff_base must be >= 0")
        if self.api_key_env.startswith("sk-"):
            raise ValueError("api_key_env is the NAME of the environment variable holding the key, not the key itself")

    @property
    def resolved_cache_dir(self) -> str:
        return self.cache_dir or default_cache_dir()

    def sampling(self) -> dict[str, float | int | None]:
        """The sampling parameters that change a completion (part of the cache key)."""
        return {"temperature": self.temperature, "max_tokens": self.max_tokens, "seed": self.seed}

    def cache_identity(self) -> dict[str, float | int | str | None]:
        """Everything besides provider, model and messages that a cached completion depends on:
        the sampling parameters and the server (the same model name on two servers may differ)."""
        return {**self.sampling(), "base_url": self.base_url}
