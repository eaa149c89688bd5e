"""Build engines and backbones from an `LLMConfig`: the one place that maps providers to clients."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from proact_env.llm.cache import CacheMissError, ResponseCache
from proact_env.llm.chat import ChatClient, ChatRequest, ResultCallback
from proact_env.llm.config import LLMConfig
from proact_env.llm.engine import ChatEngine
from proact_env.llm.usage import UsageTally, price_for


def build_client(config: LLMConfig, tally: UsageTally) -> ChatClient:
    """The chat client of `config.provider` (heavy libraries are imported here, not before)."""
    if config.provider == "openai":
        from proact_env.llm.openai_client import OpenAIChatClient

        return OpenAIChatClient(config, tally)
    if config.provider == "transformers":
        from proact_env.llm.transformers_client import TransformersChatClient

        return TransformersChatClient(config, tally)
    raise ValueError(f"provider {config.provider!r} has no chat client (the scripted backbone needs none)")


@dataclass(frozen=True)
class ReplayOnlyClient:
    """Stands in for the model in replay mode, where every answer must come from the cache.

    So a replay needs no key, no server and no model weights (CI, reproducible
    benchmarks); the engine raises `CacheMissError` before a miss could get here.
    """

    provider: str
    model: str

    def complete_many(self, requests: Sequence[ChatRequest], on_result: ResultCallback | None = None) -> list:
        raise CacheMissError(f"replay-only mode: {len(requests)} request(s) not in the cache")


def build_engine(config: LLMConfig) -> ChatEngine:
    """A cached, tallied chat engine for `config` (provider openai or transformers)."""
    tally = UsageTally(
        provider=config.provider,
        model=str(config.model),
        price=price_for(config.provider, str(config.model), config.price_input, config.price_output),
    )
    if config.cache_mode == "replay":
        client: ChatClient = ReplayOnlyClient(config.provider, str(config.model))
    else:
        client = build_client(config, tally)
    cache = None if config.cache_mode == "off" else ResponseCache(config.resolved_cache_dir, config.cache_mode)
    return ChatEngine(client, config.cache_identity(), cache, tally)
