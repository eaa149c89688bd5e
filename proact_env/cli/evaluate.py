"""`proact evaluate`: a DPO adapter against its base on preference pairs (the seed's eval/evaluate_dpo_model.py),
optionally benchmarked beside the baselines in an env."""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("evaluate", help="preference accuracy and reward margins of a DPO adapter beside its base")
    p.add_argument("--model_dir", type=Path, required=True, help="a 'proact train-dpo' output folder")
    p.add_argument("--base_model", default=None,
                   help="base model, hub id or path (default: the one the run recorded in training_config.json)")
    p.add_argument("--prefs_path", "--data", "--input", type=Path, required=True,
                   help="held-out preference JSONL from 'proact rewards'")
    p.add_argument("--output", type=Path, required=True, help="eval_results.json to write")
    p.add_argument("--limit", type=_positive, default=None, help="evaluate the first N pairs only (default: all)")
    p.add_argument("--batch_size", type=_positive, default=8, help="sequences scored per forward pass")
    p.add_argument("--env", default=None,
                   help="also benchmark the DPO policy in this env beside the baselines (default: no benchmark)")
    p.add_argument("--episodes", type=int, default=500, help="benchmark episodes per policy (with --env)")
    p.add_argument("--env-kwargs", default="{}", metavar="JSON", help="gymnasium.make arguments for --env, as JSON")
    p.add_argument("--seed", type=int, default=0, help="seeds the benchmark's episodes (with --env)")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bars")
    p.set_defaults(func=run)


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


BASELINES = ("always_execute", "always_clarify", "clarify_once", "seed_rule", "threshold")


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from proact_env.agents.dpo_eval import SEQUENCES_PER_PAIR, evaluate_preferences
    from proact_env.cli.env_args import make_checked_env, parse_env_kwargs
    from proact_env.io import atomic_write_text
    from proact_env.records import read_preferences

    env_kwargs = parse_env_kwargs(args.env_kwargs)
    oracles: tuple[str, ...] = ()
    if args.env:  # a wrong id or argument fails now, not after the model has been scored
        from proact_env.benchmark.runner import exact_solver

        env = make_checked_env(args.env, env_kwargs)
        oracles = ("optimal",) if exact_solver(env) is not None else ()
        env.close()
    pairs = len(read_preferences(args.prefs_path, require_actions=True)[:args.limit])
    with tqdm(total=SEQUENCES_PER_PAIR * pairs, unit="seq", desc="scoring pairs", disable=args.no_progress) as bar:
        report = evaluate_preferences(args.model_dir, args.prefs_path, args.base_model, batch_size=args.batch_size,
                                      limit=args.limit, progress=bar.update)
    for model in ("trained", "base"):
        m = report[model]
        print(f"{model:8s} pairs {m['pairs']}  logprob accuracy {m['logprob_accuracy']:.3f}  "
              f"action accuracy {m.get('action_accuracy', float('nan')):.3f}"
              + (f"  implicit reward accuracy {m['implicit_reward_accuracy']:.3f}  mean margin "
                 f"{m['mean_reward_margin']:.4f}" if "mean_reward_margin" in m else ""))
    if args.env:
        report["benchmark"] = _benchmark(args, env_kwargs, oracles)
    atomic_write_text(args.output, json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.output}")
    return 0


def _benchmark(args: argparse.Namespace, env_kwargs: dict, oracles: tuple[str, ...]) -> dict:
    from tqdm import tqdm

    from proact_env.benchmark.runner import BenchmarkConfig, format_lost_value, format_table, run_benchmark

    spec = f"dpo:{args.model_dir}" + (f"@{args.base_model}" if args.base_model else "")
    config = BenchmarkConfig(env_id=args.env, policies=(spec, *BASELINES, *oracles), episodes=args.episodes,
                             seed=args.seed, env_kwargs=env_kwargs)
    with tqdm(total=config.episodes * len(config.policies), unit="ep", desc="benchmark",
              disable=args.no_progress) as bar:
        summary = run_benchmark(config, progress=bar.update).summary()
    print(format_table(summary))
    if lost := format_lost_value(summary):
        print(lost)
    return summary
