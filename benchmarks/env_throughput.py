"""Steps per second of proact_env/Synthetic-v0 beside Gymnasium's CartPole-v1, in the same run.

    python benchmarks/env_throughput.py [--steps 50000] [--repeats 5] [--chunks 25]

Both envs are made with `gymnasium.make` (same wrappers) and stepped with the
same random action sequence, resetting when an episode ends. It prints two
figures per env, best of `--repeats` interleaved runs, each on its own seed (a
run that replayed the previous one's episodes would find every per-content cache
warm, which no training run does):

- loop: steps/s of the whole loop, resets included (what a training loop sees);
- step: mean time inside `env.step` alone.

On a shared machine the load can swing within one run, and the best-of ratio
with it; so it also prints the median, over `--chunks` pairs of short chunks
(the two envs back to back on the same actions), of the per-chunk `step()` ratio.

Goal (issue 2): our step costs no more than 3x CartPole's.
"""

from __future__ import annotations

import argparse
import statistics
import time

import gymnasium as gym
import numpy as np

import proact_env  # noqa: F401  (registers the env ids)


def timed_steps(env: gym.Env, actions: list[int]) -> tuple[float, float]:
    """Seconds for the whole loop and seconds inside `env.step`, resetting when an episode ends."""
    clock = time.perf_counter
    in_step = 0.0
    started = clock()
    for action in actions:
        before = clock()
        _, _, terminated, truncated, _ = env.step(action)
        in_step += clock() - before
        if terminated or truncated:
            env.reset()
    return clock() - started, in_step


def measure(env_id: str, steps: int, seed: int) -> tuple[float, float]:
    env = gym.make(env_id)
    env.reset(seed=seed)
    actions = [int(a) for a in np.random.default_rng(seed).integers(0, 2, steps)]
    total, in_step = timed_steps(env, actions)
    return steps / total, in_step / steps * 1e6


def paired_step_ratio(envs: tuple[str, str], chunk: int, chunks: int, seed: int) -> float:
    """Median over `chunks` of (ours / CartPole) `step()` time, each pair run back to back on the same actions."""
    made = [gym.make(env_id) for env_id in envs]
    for env in made:
        env.reset(seed=seed)
    rng = np.random.default_rng(seed)
    ratios = []
    for i in range(chunks):
        actions = [int(a) for a in rng.integers(0, 2, chunk)]
        order = made if i % 2 else made[::-1]  # alternate which env runs first
        times = {id(env): timed_steps(env, actions)[1] for env in order}
        ratios.append(times[id(made[0])] / times[id(made[1])])
    return statistics.median(ratios)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=50_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--chunks", type=int, default=25, help="pairs of chunks of min(2000, --steps) steps")
    args = parser.parse_args()
    if min(args.steps, args.repeats, args.chunks) < 1:
        parser.error("--steps, --repeats and --chunks must be >= 1")
    envs = ("proact_env/Synthetic-v0", "CartPole-v1")
    best_rate = dict.fromkeys(envs, 0.0)
    best_step = dict.fromkeys(envs, float("inf"))
    for seed in range(args.repeats):
        for env_id in envs:
            rate, step_us = measure(env_id, args.steps, seed)
            best_rate[env_id] = max(best_rate[env_id], rate)
            best_step[env_id] = min(best_step[env_id], step_us)
    ours, cartpole = envs
    print(f"{'env':28s} {'loop steps/s':>13s} {'us per step()':>14s}")
    for env_id in envs:
        print(f"{env_id:28s} {best_rate[env_id]:13,.0f} {best_step[env_id]:14.2f}")
    print(f"ratio (CartPole / ours): loop {best_rate[cartpole] / best_rate[ours]:.2f}x, "
          f"step() {best_step[ours] / best_step[cartpole]:.2f}x  (goal: <= 3x)")
    chunk = min(2000, args.steps)
    print(f"median over {args.chunks} back-to-back {chunk}-step chunks: "
          f"step() {paired_step_ratio(envs, chunk, args.chunks, seed=args.repeats):.2f}x")  # a seed no run above used


if __name__ == "__main__":
    main()
