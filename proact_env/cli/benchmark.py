"""`proact benchmark`: compare policies on the same episodes; write tables and plots."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from proact_env.benchmark.registry import DEFAULT_POLICIES
from proact_env.cli.backend_args import add_backend_arguments, executor_config_from_args
from proact_env.splits import PERSONA_SPLIT_HELP, TASK_SPLIT_HELP, Split


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "benchmark",
        help="compare policies on the same episodes (tables with 95%% intervals, Pareto and calibration plots)",
        description="Every policy plays the same episodes (common random numbers). Writes results.json, "
        "results.csv, episodes.csv, pareto.png and calibration.png to --out, and prints a table.",
    )
    p.add_argument("--env", default="proact_env/Synthetic-v0", help="registered env id (default: %(default)s)")
    p.add_argument("--policies", default=",".join(DEFAULT_POLICIES),
                   help="comma-separated policy specs, e.g. 'optimal,threshold:tau=0.3,sb3:model.zip'; several training "
                        "runs of one policy as 'dpo:RUN1,RUN2,RUN3' (mean and spread across runs) (default: all baselines)")
    p.add_argument("--episodes", type=int, default=2000, help="episodes per policy (default: %(default)s)")
    p.add_argument("--seed", type=int, default=0, help="seeds every episode (default: %(default)s)")
    p.add_argument("--out", type=Path, default=Path("data/eval/benchmark"), help="output folder (default: %(default)s)")
    p.add_argument("--env-kwargs", default="{}", metavar="JSON",
                   help='extra gymnasium.make arguments as JSON, e.g. \'{"max_turns": 4, "persona": "sampled"}\'')
    p.add_argument("--reference", default=None, metavar="POLICY",
                   help="compare every policy with this one, episode by episode (paired 95%% intervals; "
                        "default: the best policy that is not an oracle)")
    p.add_argument("--replays", type=int, default=1, metavar="K",
                   help="play each episode K times (1-8) with fresh user randomness and report pass^k "
                        "(default: %(default)s)")
    p.add_argument("--persona_split", default="all", help=PERSONA_SPLIT_HELP + " (default: %(default)s)")
    p.add_argument("--task_split", default="all", help=TASK_SPLIT_HELP + " (default: %(default)s)")
    p.add_argument("--allow_train_split", action="store_true",
                   help="evaluate dpo:/sb3: models on a split that holds out none of the users or tasks their "
                        "training_config.json says they were trained on (an in-distribution number; default: refused)")
    p.add_argument("--no_regret_blind", action="store_true",
                   help="skip the exact persona-blind optimum and its regret_blind column (it costs about 15 s "
                        "of CPU per process on Synthetic-v0; default: computed where the persona prior is finite)")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    add_backend_arguments(p, local_workers="processes (default: 1, in this process); results do not depend on it")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from proact_env.benchmark.paired import format_paired
    from proact_env.benchmark.registry import expand_runs, split_policy_list
    from proact_env.benchmark.report import write_results
    from proact_env.benchmark.runner import (
        BenchmarkConfig,
        built_policies,
        format_lost_value,
        format_split,
        format_table,
        run_benchmark,
    )
    from proact_env.cli.env_args import make_checked_env, parse_env_kwargs
    from proact_env.cli.llm_args import print_llm_summary
    from proact_env.distributed.executor import open_executor

    env_kwargs = parse_env_kwargs(args.env_kwargs)
    make_checked_env(args.env, env_kwargs).close()  # a wrong id or argument fails here, in one line
    specs = split_policy_list(args.policies)
    groups = {spec: tuple(expand_runs(spec)) for spec in specs if len(expand_runs(spec)) > 1}
    policies = tuple(run for spec in specs for run in expand_runs(spec))
    started = time.perf_counter()
    with open_executor(executor_config_from_args(args)) as executor:
        config = BenchmarkConfig(
            env_id=args.env,
            policies=policies,
            episodes=args.episodes,
            seed=args.seed,
            workers=executor.workers,
            env_kwargs=env_kwargs,
            reference=args.reference,
            replays=args.replays,
            run_groups=groups,
            persona_split=args.persona_split,
            task_split=args.task_split,
            allow_train_split=args.allow_train_split,
            regret_blind=not args.no_regret_blind,
        )
        with tqdm(total=config.episodes * len(config.policies), unit="ep", disable=args.no_progress,
                  desc="benchmark") as bar:
            results = run_benchmark(config, progress=bar.update, executor=executor)
    summary = results.summary()
    if summary["splits"]["models"] or Split(args.persona_split, args.task_split).declared:
        print(format_split(summary["splits"]))
    print(format_table(summary))
    if summary["paired"]:
        print(format_paired(summary["paired"]))
    if lost := format_lost_value(summary):
        print(lost)
    paths = write_results(results, args.out, summary)
    print(f"{config.episodes} episodes x {len(config.policies)} policies in {time.perf_counter() - started:.1f} s; "
          f"wrote {', '.join(str(p) for p in paths.values())}")
    if args.backend == "local":  # a policy that calls a model says what it cost and what failed
        for policy in built_policies().values():
            print_llm_summary(policy)
    return 0
