"""`proact make-tiny-model --out DIR`: build the offline tiny causal LM (for tests, CI and smoke runs)."""

from __future__ import annotations

import argparse


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "make-tiny-model",
        help="build a tiny Llama-architecture model and tokenizer offline (nothing downloaded)",
        description="Build a tiny causal LM from a config, with a BPE tokenizer trained locally on the "
        "project's prompt vocabulary and a chat template; save it with save_pretrained.",
    )
    parser.add_argument("--out", required=True, help="folder to write the model and tokenizer to")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random weights (default: %(default)s)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from proact_env.llm.tiny_model import TinyModelConfig, build_tiny_model

    out = build_tiny_model(args.out, TinyModelConfig(seed=args.seed))
    print(f"tiny model written to {out}")
    return 0
