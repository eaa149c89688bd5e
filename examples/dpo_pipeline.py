"""The whole chain offline on the synthetic env: states → trajectories → preferences → DPO → evaluation → benchmark.

    python examples/dpo_pipeline.py --out outputs/dpo_pipeline

Every step is the `proact` command a user would type (shown as it runs), on a
tiny model built locally (nothing is downloaded), in a few minutes on a CPU:

1. `proact generate`: synthetic states, mainline + branches, multi-turn, each
   branch rolled to the end of the episode (`--lookahead`) by the optimal
   continuation, so a question's value shows in its return; the mainline picks
   its actions at random, so the data reaches the later turns of both actions
   (the persona rule never asks twice: its data holds no "asked, still unclear" state);
2. `proact rewards`: preference pairs (decision-only completions: the policy learns when to ask);
3. `proact make-tiny-model` and `proact train-dpo`: TRL DPOTrainer + LoRA;
4. `proact evaluate`: held-out preference accuracy beside the untrained base;
5. `proact benchmark`: the DPO policy beside the baselines and the exact optimum.

For a real model, replace step 3's model with a hub id or path
(e.g. `--model meta-llama/Llama-3.1-8B-Instruct`) and drop `--completions label`
to also train the message writing.
"""

from __future__ import annotations

import argparse
import json
import shlex
from pathlib import Path

from proact_env.cli import main as proact


def run(*args: str) -> None:
    print("$ proact " + " ".join(shlex.quote(a) for a in args), flush=True)
    if proact(list(args)) != 0:
        raise SystemExit(f"proact {args[0]} failed")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("outputs/dpo_pipeline"))
    parser.add_argument("--states", type=int, default=600, help="synthetic states to expand")
    parser.add_argument("--lookahead", type=int, default=4, help="rollouts per branch: more, less label noise")
    parser.add_argument("--mainline", default="random", help="the policy that continues each conversation")
    parser.add_argument("--heldout", type=int, default=150, help="pairs held out for evaluation")
    parser.add_argument("--hidden_size", type=int, default=64)
    parser.add_argument("--num_layers", type=int, default=2)
    parser.add_argument("--epochs", type=float, default=2)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--batch_size", type=int, default=16)
    parser.add_argument("--max_length", type=int, default=640,
                        help="prompt + completion tokens; longer pairs are dropped by TRL (whole conversations run long)")
    parser.add_argument("--episodes", type=int, default=500, help="benchmark episodes per policy")
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args(argv)


def pipeline(args: argparse.Namespace) -> dict:
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    # 1. Trajectories: whole conversations, every branch rolled to the end by the optimal policy.
    run("generate", "--mode", "synthetic", "--n_states", str(args.states), "--multi_turn", "--max_turns", "6",
        "--lookahead", str(args.lookahead), "--continuation", "optimal", "--mainline", args.mainline,
        "--seed", str(args.seed),
        "--out", str(out / "logs" / "trajectories.jsonl"), "--overwrite", "--concurrency", "1")
    # 2. Preference pairs, then a held-out split by decision point (the file's tail).
    run("rewards", "--trajectories", str(out / "logs" / "trajectories.jsonl"),
        "--out", str(out / "dpo" / "prefs.jsonl"), "--margin", "0.02", "--completions", "label")
    pairs = (out / "dpo" / "prefs.jsonl").read_text().splitlines()
    (out / "dpo" / "train.jsonl").write_text("\n".join(pairs[: -args.heldout]) + "\n")
    (out / "dpo" / "heldout.jsonl").write_text("\n".join(pairs[-args.heldout:]) + "\n")
    # 3. A tiny model built locally, trained with DPO + LoRA.
    run("make-tiny-model", "--out", str(out / "tiny_model"), "--init_range", "0.02",
        "--hidden_size", str(args.hidden_size), "--num_layers", str(args.num_layers))
    run("train-dpo", "--data", str(out / "dpo" / "train.jsonl"), "--model", str(out / "tiny_model"),
        "--output", str(out / "policy_model"), "--epochs", str(args.epochs), "--lr", str(args.lr),
        "--beta", "0.1", "--batch_size", str(args.batch_size), "--max_length", str(args.max_length), "--lora_r", "32",
        "--lora_alpha", "64", "--seed", str(args.seed))
    # 4 + 5. Held-out preference accuracy beside the base, and the benchmark beside the baselines.
    run("evaluate", "--model_dir", str(out / "policy_model"), "--prefs_path", str(out / "dpo" / "heldout.jsonl"),
        "--output", str(out / "eval_results.json"), "--env", "proact_env/Synthetic-v0",
        "--episodes", str(args.episodes), "--seed", str(args.seed + 1))
    return json.loads((out / "eval_results.json").read_text())


if __name__ == "__main__":
    pipeline(parse_args())
