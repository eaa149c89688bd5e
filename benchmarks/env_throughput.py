"""Steps per second of proact_env/Synthetic-v0 beside Gymnasium's CartPole-v1, in the same run.

    python benchmarks/env_throughput.py [--steps 50000] [--repeats 5]

Both envs are made with `gymnasium.make` (same wrappers) and stepped with the
same random action sequence, resetting when an episode ends. It prints two
figures per env, best of `--repeats` interleaved runs:

- loop: steps/s of the whole loop, resets included (what a training loop sees);
- step: mean time inside `env.step` alone.

Goal (issue 2): our step costs no more than 3x CartPole's.
"""

from __future__ import annotations

import argparse
import time

import gymnasium as gym
import numpy as np

import proact_env  # noqa: F401  (registers the env ids)


def measure(env_id: str, steps: int) -> tuple[float, float]:
    env = gym.make(env_id)
    env.reset(seed=0)
    actions = [int(a) for a in np.random.default_rng(0).integers(0, 2, steps)]
    clock = time.perf_counter
    in_step = 0.0
    started = clock()
    for action in actions:
        before = clock()
        _, _, terminated, truncated, _ = env.step(action)
        in_step += clock() - before
        if terminated or truncated:
            env.reset()
    total = clock() - started
    return steps / total, in_step / steps * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=50_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    envs = ("proact_env/Synthetic-v0", "CartPole-v1")
    best_rate = dict.fromkeys(envs, 0.0)
    best_step = dict.fromkeys(envs, float("inf"))
    for _ in range(args.repeats):
        for env_id in envs:
            rate, step_us = measure(env_id, args.steps)
            best_rate[env_id] = max(best_rate[env_id], rate)
            best_step[env_id] = min(best_step[env_id], step_us)
    ours, cartpole = envs
    print(f"{'env':28s} {'loop steps/s':>13s} {'us per step()':>14s}")
    for env_id in envs:
        print(f"{env_id:28s} {best_rate[env_id]:13,.0f} {best_step[env_id]:14.2f}")
    print(f"ratio (CartPole / ours): loop {best_rate[cartpole] / best_rate[ours]:.2f}x, "
          f"step() {best_step[ours] / best_step[cartpole]:.2f}x  (goal: <= 3x)")


if __name__ == "__main__":
    main()
