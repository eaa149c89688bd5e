"""GRPO on Synthetic-v0 with SmolLM2-135M-Instruct (LoRA) on CPU: what it reaches, and how fast it rolls out.

    python benchmarks/grpo_synthetic.py --out outputs/grpo_bench

Trains one adapter per mode (`q`: single decisions rewarded by the exact Q*(s, a);
`decision`: whole conversations, tools clarify()/execute(); `text`: whole
conversations, the model writes through ask_user/submit_solution), each from the
same base, and prints for each: the held-out metric before and after training
with the paired 95% interval of the difference, training rollouts per second,
the env's share of the training time (the rest is the model: generation,
log-probabilities, backward) and the share of training groups whose rollouts
got different rewards (GRPO learns from those alone). Every figure comes from `results.json` files this
script writes (one folder per mode).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
from pathlib import Path

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from proact_env.agents.grpo_config import GRPO_MODES, GRPOTrainingConfig  # noqa: E402
from proact_env.agents.grpo_train import train  # noqa: E402

#: per mode: sized to finish within a working session on 2 CPU cores shared with other jobs; raise
#: `--steps-scale` for longer runs (the steps scale, the evaluation stays the same)
PLAN = {
    "q": {"max_steps": 24, "prompts_per_step": 2, "max_completion_length": 4, "eval_episodes": 64,
          "train_episodes": 512, "lr": 1e-4, "warmup_steps": 16},
    "decision": {"max_steps": 6, "prompts_per_step": 1, "max_completion_length": 96, "eval_episodes": 8,
                 "train_episodes": 64, "lr": 3e-4, "warmup_steps": 12},
    "text": {"max_steps": 6, "prompts_per_step": 1, "max_completion_length": 128, "eval_episodes": 8,
             "train_episodes": 64, "lr": 3e-4},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True, help="folder; each mode writes OUT/<mode>/results.json and its adapter")
    parser.add_argument("--modes", default="q,decision,text", help=f"comma-separated modes from {GRPO_MODES}")
    parser.add_argument("--model", default="smollm2-135m-instruct", help="base model name, path or hub id")
    parser.add_argument("--steps-scale", type=float, default=1.0,
                        help="multiply every mode's optimizer steps (e.g. 3 for ~60-minute runs per mode)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the adapter, data order and sampling")
    parser.add_argument("--warmup-steps", type=int, default=None,
                        help="supervised steps teaching the answer format before GRPO, decision and q mode "
                             "(default: the plan's, 12 and 16; 0 for none)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    rows = []
    for mode in args.modes.split(","):
        plan = dict(PLAN[mode])
        plan["max_steps"] = max(1, round(plan["max_steps"] * args.steps_scale))
        if mode != "text" and args.warmup_steps is not None:
            plan["warmup_steps"] = args.warmup_steps
        out = Path(args.out) / mode
        results = train(GRPOTrainingConfig(output=out, mode=mode, model=args.model, seed=args.seed, **plan))
        rows.append((mode, results))
        print(json.dumps({"mode": mode, **{k: results[k] for k in ("before", "after", "after_minus_before",
                                                                     "expected_regret", "held_out_references",
                                                                     "rollouts_per_second", "train_seconds")}}))
    print(f"\n{'mode':9s} {'metric':15s} {'held out':>8s} {'before':>15s} {'after':>15s} "
          f"{'after - before (paired 95%)':>28s} {'rollouts/s':>10s} {'train s':>8s} {'env share':>9s} "
          f"{'groups w/ signal':>16s}")
    for mode, r in rows:
        metric, before, after, diff = r["metric"], r["before"][r["metric"]], r["after"][r["metric"]], \
            r["after_minus_before"]
        print(f"{mode:9s} {metric:15s} {r['held_out_episodes']:8d} {before['mean']:8.3f} ±{before['ci95']:.3f} "
              f"{after['mean']:8.3f} ±{after['ci95']:.3f} {diff['mean']:+19.4f} ±{diff['ci95']:.4f} "
              f"{r['rollouts_per_second']:10.3f} {r['train_seconds']:8.0f} {100 * r['env_share_of_train_time']:8.2f}% "
              f"{100 * (r['groups_with_reward_spread'] or 0):15.0f}%")
        if r["expected_regret"]:  # q mode: the same points scored by the model's own odds, no sampling
            exact, refs = r["expected_regret"], r["held_out_references"]
            print(f"{'':9s} {'expected regret':15s} {r['held_out_episodes']:8d} {exact['before']['mean']:8.3f} "
                  f"±{exact['before']['ci95']:.3f} {exact['after']['mean']:8.3f} ±{exact['after']['ci95']:.3f} "
                  f"{exact['after_minus_before']['mean']:+19.4f} ±{exact['after_minus_before']['ci95']:.4f}   "
                  f"(always clarify {refs['always_clarify_regret']:.3f}, always execute "
                  f"{refs['always_execute_regret']:.3f})")


if __name__ == "__main__":
    main()
