"""Train a stable-baselines3 agent on proact_env/Synthetic-v0 and benchmark it against the baselines.

The env is used as it is: `MlpPolicy` reads the normalised `Box` observation,
no wrapper needed.

    python examples/train_sb3.py --algo ppo --timesteps 100000 --out outputs/sb3_ppo

writes OUT/model.zip, OUT/training_config.json (the run's settings and the split it
trained on) and OUT/benchmark/ (results.json, results.csv, pareto.png, calibration.png),
and prints the comparison table. With a declared split, e.g.

    python examples/train_sb3.py --persona_split train --out outputs/sb3_loo

it trains on four presets and benchmarks on the held-out fifth (the split's complement,
`proact_env.splits`). The same comparison from the command line:
`proact benchmark --policies sb3:OUT/model.zip,optimal,threshold --persona_split test`.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import gymnasium as gym
from stable_baselines3 import A2C, DQN, PPO

import proact_env  # noqa: F401  (registers the env ids)
from proact_env.agents.sb3_policy import RECOMMENDED_HYPERPARAMS
from proact_env.benchmark.registry import DEFAULT_POLICIES
from proact_env.benchmark.report import write_results
from proact_env.benchmark.runner import BenchmarkConfig, format_split, format_table, run_benchmark
from proact_env.io import atomic_write_text
from proact_env.splits import PERSONA_SPLIT_HELP, TASK_SPLIT_HELP, Split

ALGOS = {"ppo": PPO, "dqn": DQN, "a2c": A2C}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--algo", choices=sorted(ALGOS), default="ppo")
    parser.add_argument("--timesteps", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--env", default="proact_env/Synthetic-v0")
    parser.add_argument("--episodes", type=int, default=2000, help="benchmark episodes per policy")
    parser.add_argument("--out", type=Path, default=Path("outputs/sb3"))
    parser.add_argument("--persona_split", default="all", help=PERSONA_SPLIT_HELP + " (default: %(default)s)")
    parser.add_argument("--task_split", default="all", help=TASK_SPLIT_HELP + " (default: %(default)s)")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    # 1. Train on the env as registered, on the declared split's users and tasks.
    split = Split(args.persona_split, args.task_split)
    env = gym.make(args.env, **split.env_kwargs(args.env, {}))
    model = ALGOS[args.algo]("MlpPolicy", env, seed=args.seed, device="cpu", verbose=0, **RECOMMENDED_HYPERPARAMS[args.algo])
    model.learn(total_timesteps=args.timesteps, progress_bar=True)
    model_path = args.out / "model.zip"
    model.save(model_path)
    record = {"algo": args.algo, "timesteps": args.timesteps, "seed": args.seed, "env": args.env,
              "hyperparameters": RECOMMENDED_HYPERPARAMS[args.algo], "split": split.to_dict()}
    atomic_write_text(args.out / "training_config.json", json.dumps(record, indent=2) + "\n")
    print(f"saved {model_path} (trained on persona split {split.personas}, task split {split.tasks})")

    # 2. Benchmark it beside every baseline and the exact optimum, on the same episodes of the held-out
    #    split (the complement of the training split; the whole distribution when nothing was split off).
    held_out = split.complement()
    config = BenchmarkConfig(
        env_id=args.env,
        policies=(f"sb3:{args.algo}:{model_path}", *DEFAULT_POLICIES),
        episodes=args.episodes,
        seed=args.seed + 1,  # evaluation episodes differ from the training seed
        persona_split=held_out.personas,
        task_split=held_out.tasks,
    )
    results = run_benchmark(config)
    summary = results.summary()
    write_results(results, args.out / "benchmark", summary)
    print(format_split(summary["splits"]))
    print(format_table(summary))


if __name__ == "__main__":
    main()
