"""The LLM flags every command that writes text shares (`--llm_model`, `--llm_provider`, `--base_url`, ...).

`proact generate`, `proact benchmark` and `proact check-llm` call
`add_llm_arguments(parser)` and then `backbone_from_args(args)`, so the flags,
their defaults (those of `LLMConfig`) and their meaning are the same everywhere.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, TextIO

from proact_env.llm.config import CACHE_MODES, PROVIDERS, LLMConfig

if TYPE_CHECKING:
    from proact_env.types import Backbone

_DEFAULTS = {name: f.default for name, f in LLMConfig.__dataclass_fields__.items()}


def add_llm_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the LLM backbone flags to `parser` (defaults are `LLMConfig`'s)."""
    group = parser.add_argument_group("LLM backbone (default: the offline scripted backbone)")
    group.add_argument("--llm_model", default=None,
                       help="model name (e.g. gpt-4o-mini), local model path, or a named local model "
                            "(smollm2-135m-instruct: see proact fetch-model); a name alone selects the openai "
                            "provider, a named local model the transformers one (default: none, the offline scripted backbone)")
    group.add_argument("--llm_provider", choices=PROVIDERS, default=None,
                       help="scripted (offline), openai (OpenAI API or any compatible server) or transformers (local model) "
                            "(default: openai with --llm_model, else scripted)")
    group.add_argument("--base_url", default=None,
                       help="OpenAI-compatible server, e.g. http://127.0.0.1:8000/v1 (vLLM, Ollama, llama.cpp, transformers serve) "
                            "(default: the OpenAI API)")
    group.add_argument("--api_key_env", default=_DEFAULTS["api_key_env"],
                       help="NAME of the environment variable holding the API key (default: %(default)s); never pass the key itself")
    group.add_argument("--temperature", type=float, default=_DEFAULTS["temperature"], help="sampling temperature (default: %(default)s)")
    group.add_argument("--max_tokens", type=int, default=_DEFAULTS["max_tokens"], help="completion length limit (default: %(default)s)")
    group.add_argument("--llm_seed", type=int, default=_DEFAULTS["seed"], help="sampling seed sent with requests (default: %(default)s)")
    group.add_argument("--concurrency", type=int, default=_DEFAULTS["concurrency"], help="requests in flight at once (default: %(default)s)")
    group.add_argument("--max_retries", type=int, default=_DEFAULTS["max_retries"],
                       help="retries on 429, 5xx, timeouts and dropped connections (default: %(default)s)")
    group.add_argument("--request_timeout", type=float, default=_DEFAULTS["request_timeout"],
                       help="seconds before a request counts as hung (default: %(default)s)")
    group.add_argument("--cache_dir", default=None, help="response cache folder (default: $PROACT_CACHE_DIR or ~/.cache/proact_env/llm)")
    group.add_argument("--cache_mode", choices=CACHE_MODES, default=_DEFAULTS["cache_mode"],
                       help="read-write (default), replay (a cache miss is an error) or off")
    group.add_argument("--device", default=_DEFAULTS["device"], help="transformers: auto, cpu, cuda:0... (default: %(default)s)")
    group.add_argument("--batch_size", type=int, default=_DEFAULTS["batch_size"], help="transformers: prompts per generation batch (default: %(default)s)")


def llm_config_from_args(args: argparse.Namespace) -> LLMConfig:
    """The `LLMConfig` the flags describe; a model without a provider means the openai provider
    (the transformers one for a named local model)."""
    from proact_env.llm.local_models import is_local_name

    provider = args.llm_provider or (
        "scripted" if not args.llm_model else "transformers" if is_local_name(args.llm_model) else "openai")
    return LLMConfig(
        provider=provider,
        model=args.llm_model,
        base_url=args.base_url,
        api_key_env=args.api_key_env,
        temperature=args.temperature,
        max_tokens=args.max_tokens,
        seed=args.llm_seed,
        concurrency=args.concurrency,
        max_retries=args.max_retries,
        request_timeout=args.request_timeout,
        cache_dir=args.cache_dir,
        cache_mode=args.cache_mode,
        device=args.device,
        batch_size=args.batch_size,
    )


def backbone_from_args(args: argparse.Namespace) -> "Backbone | None":
    """The LLM backbone the flags ask for, or None for the scripted default of the task source."""
    config = llm_config_from_args(args)
    if config.provider == "scripted":
        return None
    from proact_env.llm.backbone import LLMBackbone

    return LLMBackbone.from_config(config)


def print_llm_summary(*users: object, file: TextIO | None = None) -> None:
    """Print the end-of-run summary (usage, cost, cache, failures) of each backbone or simulator that has one.

    `file` defaults to the `sys.stderr` of the moment of the call, not of the import (a redirected or
    captured stream of an earlier caller may be closed by now).
    """
    file = file or sys.stderr
    for user in users:
        summary = getattr(user, "summary", None)
        if callable(summary):
            print(summary(), file=file)
