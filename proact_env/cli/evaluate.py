"""`proact evaluate`: a DPO adapter against its base on preference pairs (the seed's eval/evaluate_dpo_model.py),
optionally benchmarked beside the baselines in an env."""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("evaluate", help="preference accuracy and reward margins of a DPO adapter beside its base")
    p.add_argument("--model_dir", type=Path, required=True, help="a 'proact train-dpo' output folder")
    p.add_argument("--base_model", default=None, help="base model (default: the one the run recorded)")
    p.add_argument("--prefs_path", type=Path, required=True, help="held-out preference JSONL")
    p.add_argument("--output", type=Path, required=True, help="eval_results.json to write")
    p.add_argument("--limit", type=_positive, default=None, help="evaluate the first N pairs only")
    p.add_argument("--env", default=None, help="also benchmark the DPO policy in this env beside the baselines")
    p.add_argument("--episodes", type=int, default=500, help="benchmark episodes per policy (with --env)")
    p.add_argument("--env-kwargs", default="{}", metavar="JSON", help="gymnasium.make arguments for --env, as JSON")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=run)


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


BASELINES = ("always_execute", "always_clarify", "clarify_once", "seed_rule", "threshold")


def run(args: argparse.Namespace) -> int:
    from proact_env.agents.dpo_eval import evaluate_preferences
    from proact_env.io import atomic_write_text

    report = evaluate_preferences(args.model_dir, args.prefs_path, args.base_model, limit=args.limit)
    for model in ("trained", "base"):
        m = report[model]
        print(f"{model:8s} pairs {m['pairs']}  logprob accuracy {m['logprob_accuracy']:.3f}  "
              f"action accuracy {m.get('action_accuracy', float('nan')):.3f}"
              + (f"  implicit reward accuracy {m['implicit_reward_accuracy']:.3f}  mean margin "
                 f"{m['mean_reward_margin']:.4f}" if "mean_reward_margin" in m else ""))
    if args.env:
        report["benchmark"] = _benchmark(args)
    atomic_write_text(args.output, json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.output}")
    return 0


def _benchmark(args: argparse.Namespace) -> dict:
    import gymnasium as gym

    from proact_env.benchmark.runner import (
        BenchmarkConfig,
        exact_solver,
        format_lost_value,
        format_table,
        run_benchmark,
    )

    env_kwargs = json.loads(args.env_kwargs)
    env = gym.make(args.env, **env_kwargs)
    extra = ("optimal",) if exact_solver(env) is not None else ()
    env.close()
    spec = f"dpo:{args.model_dir}" + (f"@{args.base_model}" if args.base_model else "")
    summary = run_benchmark(BenchmarkConfig(env_id=args.env, policies=(spec, *BASELINES, *extra),
                                            episodes=args.episodes, seed=args.seed, env_kwargs=env_kwargs)).summary()
    print(format_table(summary))
    if lost := format_lost_value(summary):
        print(lost)
    return summary
