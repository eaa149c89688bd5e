"""Is the exact solver exact? Monte Carlo of `optimal` against its exact value, and the env's outcomes
against the solver's model, at many times the episodes of the residual reported in issue 16.

    python benchmarks/solver_residual.py [--episodes 60000] [--sets 10] [--check-episodes 100000]

1. `optimal` plays `--episodes` Synthetic-v0 episodes through the benchmark runner (the same
   episode handling as `proact benchmark`), in `--sets` sets of consecutive episodes; it prints
   each set's mean of (return − exact optimal value) and the pooled mean with its 95% t-interval
   (normal approximation at these sizes). Issue 16 saw −0.0032 ±0.0021 over 600 episodes.
2. `outcome_check` (proact_env/solver_check.py) counts every outcome class (reaction, facts
   revealed, score, episode end, long turn) over `--check-episodes` episodes of a policy that
   clarifies with probability 0.5, and of `optimal`, beside the solver's expected counts: a
   z-score per class, each within a Bonferroni bound at a family-wise 0.1%.
"""

from __future__ import annotations

import argparse
import math
import time

import gymnasium as gym
import numpy as np

import proact_env  # noqa: F401  (registers the env ids)
from proact_env.benchmark.runner import BenchmarkConfig, run_benchmark
from proact_env.solver import SyntheticSolver
from proact_env.solver_check import outcome_check
from proact_env.types import Action


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--episodes", type=int, default=60_000, help="episodes of optimal (default: %(default)s)")
    parser.add_argument("--sets", type=int, default=10, help="sets the episodes are split into (default: %(default)s)")
    parser.add_argument("--check-episodes", type=int, default=100_000,
                        help="episodes per policy of the outcome check (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0, help="benchmark seed (default: %(default)s)")
    args = parser.parse_args()

    started = time.perf_counter()
    records = run_benchmark(BenchmarkConfig(policies=("optimal",), episodes=args.episodes, seed=args.seed,
                                          regret_blind=False)).records
    gaps = np.array([r.episode_return - r.optimal_value for r in records])
    print(f"optimal − exact value over {len(gaps)} episodes (seed {args.seed}), "
          f"{time.perf_counter() - started:.0f} s:")
    for k, part in enumerate(np.array_split(gaps, args.sets)):
        print(f"  set {k}: {part.mean():+.4f} ±{1.96 * part.std(ddof=1) / math.sqrt(len(part)):.4f} "
              f"({len(part)} episodes)")
    half = 1.96 * gaps.std(ddof=1) / math.sqrt(len(gaps))
    print(f"  pooled: {gaps.mean():+.4f} ±{half:.4f} (95% interval), "
          f"return {np.mean([r.episode_return for r in records]):.4f} vs exact "
          f"{np.mean([r.optimal_value for r in records]):.4f}")

    env = gym.make("proact_env/Synthetic-v0")
    solver = SyntheticSolver.for_env(env)
    choosers = {
        "clarify with probability 0.5": lambda state, rng: Action.CLARIFY if rng.random() < 0.5 else Action.EXECUTE,
        "optimal": lambda state, rng: solver.model_for(env).optimal_action(state),
    }
    for name, choose in choosers.items():
        started = time.perf_counter()
        check = outcome_check(env, choose, args.check_episodes, seed=args.seed + 1)
        print(f"\noutcome check, {name}, {args.check_episodes} episodes ({time.perf_counter() - started:.0f} s): "
              f"{len(check.failing)} class(es) outside the bound")
        print(check.describe())


if __name__ == "__main__":
    main()
