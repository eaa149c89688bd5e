"""`proact make-tiny-model --out DIR`: build the offline tiny causal LM (for tests, CI and smoke runs)."""

from __future__ import annotations

import argparse

from proact_env.agents.tiny_model import TinyModelConfig


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "make-tiny-model",
        help="build a tiny Llama-architecture model and tokenizer offline (nothing downloaded)",
        description="Build a tiny causal LM from a config, with a BPE tokenizer trained locally on the "
        "project's prompt vocabulary and a chat template; save it with save_pretrained.",
    )
    parser.add_argument("--out", required=True, help="folder to write the model and tokenizer to")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random weights (default: %(default)s)")
    defaults = TinyModelConfig()
    parser.add_argument("--hidden_size", type=int, default=defaults.hidden_size,
                        help="width of the model (the MLP is twice as wide)")
    parser.add_argument("--num_layers", type=int, default=defaults.num_layers, help="transformer layers")
    parser.add_argument("--vocab_size", type=int, default=defaults.vocab_size,
                        help="size of the locally trained BPE vocabulary")
    parser.add_argument("--init_range", type=float, default=defaults.initializer_range,
                        help="std of the random weights: 0.5 for serving tests, 0.02 for a model to train")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from proact_env.agents.tiny_model import build_tiny_model

    config = TinyModelConfig(seed=args.seed, hidden_size=args.hidden_size, intermediate_size=2 * args.hidden_size,
                             num_layers=args.num_layers, vocab_size=args.vocab_size, initializer_range=args.init_range)
    out = build_tiny_model(args.out, config)
    print(f"tiny model written to {out}")
    return 0
