"""`proact check-llm`: one tiny request that says clearly whether the LLM setup works, and if not, why.

It tells apart the usual mistakes: no key, a rejected key, a base URL where
nothing answers, an unknown model (listing the ones the server has), and a
server that errs or times out. The key itself is never printed.
"""

from __future__ import annotations

import argparse
import sys

from proact_env.cli.llm_args import add_llm_arguments, llm_config_from_args

DEFAULT_MODEL = "gpt-4o-mini"
PROBE = "Reply with the single word OK."


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "check-llm",
        help="make one tiny LLM request and say what is wrong with the setup, if anything",
        description="Check the LLM setup (key, base URL, model) with one tiny request. "
        f"Without --llm_model it checks {DEFAULT_MODEL} on the OpenAI API (or --base_url).",
    )
    add_llm_arguments(parser)
    parser.set_defaults(func=run, request_timeout=20.0, max_retries=1, max_tokens=16, temperature=0.0)


def run(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from proact_env.llm.chat import ChatMessage, ChatRequest, Completion, LLMSetupError
    from proact_env.llm.usage import UsageTally

    config = llm_config_from_args(args)
    if config.provider == "scripted":
        config = replace(config, provider="openai", model=args.llm_model or DEFAULT_MODEL)
    if config.provider != "openai":
        print(f"check-llm checks OpenAI-compatible servers; provider {config.provider!r} needs no key or server")
        return 0
    from proact_env.llm.openai_client import OpenAIChatClient

    where = config.base_url or "the OpenAI API"
    try:
        client = OpenAIChatClient(config, UsageTally(config.provider, str(config.model)), sleep=lambda _: None)
    except LLMSetupError as exc:
        print(f"FAILED: {exc}", file=sys.stderr)
        return 1
    try:
        result = client.complete(ChatRequest((ChatMessage("user", PROBE),)))
    except LLMSetupError as exc:
        print(f"FAILED: {exc}", file=sys.stderr)
        if "404" in str(exc):
            available = client.list_models()
            if available:
                print(f"  models at {client.base_url or where}: {', '.join(available[:20])}", file=sys.stderr)
        return 1
    if isinstance(result, Completion):
        print(
            f"OK: model {config.model!r} at {client.base_url or where} answered {result.text.strip()[:40]!r} "
            f"({result.prompt_tokens} prompt + {result.completion_tokens} completion tokens)"
        )
        return 0
    if result.reason.startswith("empty completion"):  # key, URL and model work; the model said nothing
        print(f"OK: model {config.model!r} at {client.base_url or where} answered with an {result.reason}; "
              "the setup works (a reasoning model may need a larger --max_tokens)")
        return 0
    print(f"FAILED: {explain(result.reason, client.base_url or where, config.request_timeout)}", file=sys.stderr)
    return 1


def explain(reason: str, where: str, timeout: float) -> str:
    """A failure reason in terms of what to check."""
    if reason.startswith("connection error"):
        return f"cannot reach {where} ({reason}). Is the server running, and is --base_url right (it usually ends in /v1)?"
    if reason.startswith("timeout"):
        return f"{where} did not answer within {timeout:g}s. The server may be overloaded or still loading the model."
    if reason.startswith("HTTP 429"):
        return f"rate limited by {where} ({reason}). Wait, or check the quota of the key."
    if reason.startswith("HTTP 5"):
        return f"{where} had a server error ({reason}). Check the server's log."
    return f"{where}: {reason}"
