"""Train an RLlib PPO agent on proact_env/Synthetic-v0 with several env runners, and benchmark it.

RLlib builds the env in each env runner from its gymnasium id, as it builds
any gymnasium env: ``"proact_env:proact_env/Synthetic-v0"`` tells
`gymnasium.make` to import `proact_env` (which registers the ids) first. No
wrapper: the `Box` observation and `Discrete(2)` actions go to RLlib's default
MLP module as they are.

RLlib pins its own gymnasium, so it runs in its own virtual environment
(README, "Scaling out"):

    python examples/train_rllib.py --env-runners 2 --timesteps 200000 --out outputs/rllib_ppo

writes OUT/checkpoint (the algorithm; its module is what `rllib:OUT/checkpoint`
loads) and OUT/benchmark/ (results.json, results.csv, plots), and prints the
same comparison table as the SB3 example. The same comparison from the command
line (in the RLlib environment): `proact benchmark --policies rllib:OUT/checkpoint,optimal,threshold`.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import TYPE_CHECKING

from proact_env.benchmark.registry import DEFAULT_POLICIES
from proact_env.benchmark.report import write_results
from proact_env.benchmark.runner import BenchmarkConfig, format_table, run_benchmark
from proact_env.distributed.config import ExecutorConfig
from proact_env.distributed.executor import open_executor

# RLlib is imported where it is used, so that `--help` works outside the RLlib environment.
if TYPE_CHECKING:
    from ray.rllib.algorithms.ppo import PPOConfig

#: The gymnasium id, prefixed with the module `gymnasium.make` imports to register it.
ENV_ID = "proact_env:proact_env/Synthetic-v0"
# Settings that learn this env reliably; everything else is RLlib's PPO default.
# Episodes last two or three turns and the return is what the benchmark scores,
# so the return is not discounted.
HYPERPARAMS = {"lr": 3e-4, "gamma": 1.0, "lambda_": 0.95, "entropy_coeff": 0.01,
               "train_batch_size_per_learner": 4000, "minibatch_size": 256, "num_epochs": 10}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--env-runners", type=int, default=2, help="parallel env runner actors (default: %(default)s)")
    parser.add_argument("--timesteps", type=int, default=200_000, help="env steps to train for (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0, help="seeds training (default: %(default)s)")
    parser.add_argument("--episodes", type=int, default=2000, help="benchmark episodes per policy (default: %(default)s)")
    parser.add_argument("--ray_address", default=None, help="an existing Ray cluster (default: start a local instance)")
    parser.add_argument("--out", type=Path, default=Path("outputs/rllib_ppo"),
                        help="output folder (default: %(default)s)")
    return parser.parse_args()


def build_config(args: argparse.Namespace) -> PPOConfig:
    from ray.rllib.algorithms.ppo import PPOConfig

    return (
        PPOConfig()
        .environment(ENV_ID)
        .env_runners(num_env_runners=args.env_runners, num_envs_per_env_runner=1)
        .training(**HYPERPARAMS)
        .debugging(seed=args.seed)
    )


def train(args: argparse.Namespace) -> Path:
    from ray.rllib.utils.metrics import ENV_RUNNER_RESULTS, EPISODE_RETURN_MEAN, NUM_ENV_STEPS_SAMPLED_LIFETIME

    algo = build_config(args).build_algo()
    started, steps = time.perf_counter(), 0
    while steps < args.timesteps:
        result = algo.train()
        steps = result[NUM_ENV_STEPS_SAMPLED_LIFETIME]
        mean_return = result[ENV_RUNNER_RESULTS].get(EPISODE_RETURN_MEAN, float("nan"))
        print(f"{steps:>8} steps  {time.perf_counter() - started:6.0f} s  mean training return {mean_return:.3f}",
              flush=True)
    checkpoint = algo.save_to_path((args.out / "checkpoint").resolve())
    algo.stop()
    print(f"saved {checkpoint}")
    return Path(checkpoint)


def main() -> None:
    args = parse_args()
    import ray

    args.out.mkdir(parents=True, exist_ok=True)
    ray.init(address=args.ray_address, include_dashboard=False if args.ray_address is None else None)
    try:
        # 1. Train on the env as registered, with `--env-runners` sampling in parallel.
        checkpoint = train(args)
        # 2. Benchmark its greedy policy beside every baseline and the exact optimum, on the same
        #    episodes, on the same Ray instance: one benchmark worker per CPU, each loading the module.
        with open_executor(ExecutorConfig(backend="ray")) as executor:
            config = BenchmarkConfig(policies=(f"rllib:{checkpoint}", *DEFAULT_POLICIES), episodes=args.episodes,
                                     seed=args.seed + 1,  # evaluation episodes differ from the training seed
                                     workers=executor.workers)
            results = run_benchmark(config, executor=executor)
    finally:
        ray.shutdown()
    summary = results.summary()
    write_results(results, args.out / "benchmark", summary)
    print(format_table(summary))
    ours = summary["policies"][config.policies[0]]["mean_return"]
    optimal_policy, exact = summary["policies"]["optimal"]["mean_return"], summary["optimum"]["exact_mean_value"]
    print(f"RLlib PPO: mean return {ours:.3f} = {100 * ours / optimal_policy:.1f}% of the optimal policy's "
          f"({optimal_policy:.3f}) on the same episodes, {100 * ours / exact:.1f}% of their exact optimal value ({exact:.3f})")


if __name__ == "__main__":
    main()
