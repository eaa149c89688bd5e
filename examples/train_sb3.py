"""Train a stable-baselines3 agent on proact_env/Synthetic-v0 and benchmark it against the baselines.

The env is used as it is: `MlpPolicy` reads the normalised `Box` observation,
no wrapper needed.

    python examples/train_sb3.py --algo ppo --timesteps 100000 --out outputs/sb3_ppo

writes OUT/model.zip and OUT/benchmark/ (results.json, results.csv, pareto.png,
calibration.png), and prints the comparison table. The same comparison from
the command line: `proact benchmark --policies sb3:OUT/model.zip,optimal,threshold`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import gymnasium as gym
from stable_baselines3 import A2C, DQN, PPO

import proact_env  # noqa: F401  (registers the env ids)
from proact_env.agents.sb3_policy import RECOMMENDED_HYPERPARAMS
from proact_env.benchmark.registry import DEFAULT_POLICIES
from proact_env.benchmark.report import write_results
from proact_env.benchmark.runner import BenchmarkConfig, format_table, run_benchmark

ALGOS = {"ppo": PPO, "dqn": DQN, "a2c": A2C}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--algo", choices=sorted(ALGOS), default="ppo")
    parser.add_argument("--timesteps", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--env", default="proact_env/Synthetic-v0")
    parser.add_argument("--episodes", type=int, default=2000, help="benchmark episodes per policy")
    parser.add_argument("--out", type=Path, default=Path("outputs/sb3"))
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    # 1. Train on the env as registered.
    env = gym.make(args.env)
    model = ALGOS[args.algo]("MlpPolicy", env, seed=args.seed, device="cpu", verbose=0, **RECOMMENDED_HYPERPARAMS[args.algo])
    model.learn(total_timesteps=args.timesteps, progress_bar=True)
    model_path = args.out / "model.zip"
    model.save(model_path)
    print(f"saved {model_path}")

    # 2. Benchmark it beside every baseline and the exact optimum, on the same episodes.
    config = BenchmarkConfig(
        env_id=args.env,
        policies=(f"sb3:{args.algo}:{model_path}", *DEFAULT_POLICIES),
        episodes=args.episodes,
        seed=args.seed + 1,  # evaluation episodes differ from the training seed
    )
    results = run_benchmark(config)
    summary = results.summary()
    write_results(results, args.out / "benchmark", summary)
    print(format_table(summary))


if __name__ == "__main__":
    main()
