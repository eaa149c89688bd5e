"""How many env steps PPO and DQN need to reach 95% of the optimal mean return on Synthetic-v0.

    python benchmarks/sb3_learning_curve.py [--algos ppo,dqn] [--seeds 0,1,2] [--timesteps 100000]

Every `--eval-every` steps the agent's deterministic policy plays a fixed set
of evaluation episodes (the same seeds every time); its mean return is compared
with the exact optimal value of those very episodes (the solver's, no noise).
Prints, per algorithm and seed, the first step count at which the mean return
reached 95% of the optimum, and draws return-vs-steps with the optimum as a
line in benchmarks/output/sb3_learning_curve.png (data in the .json beside it).
Goal (issue 3): PPO within 100,000 steps.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import gymnasium as gym
import numpy as np
from stable_baselines3 import DQN, PPO
from stable_baselines3.common.callbacks import BaseCallback

import proact_env  # noqa: F401  (registers the env ids)
from proact_env.agents.sb3_policy import RECOMMENDED_HYPERPARAMS, SB3Policy
from proact_env.benchmark.plots import new_figure
from proact_env.benchmark.runner import episode_seeds, play_episode
from proact_env.solver import SyntheticSolver

ALGOS = {"ppo": PPO, "dqn": DQN}
ENV_ID = "proact_env/Synthetic-v0"
OUTPUT = Path(__file__).parent / "output"


def evaluate(model, env: gym.Env, seeds: list[int]) -> float:
    """Mean return of the model's deterministic policy on the given episodes."""
    policy = SB3Policy(model)
    return float(np.mean([play_episode(env, policy, "sb3", i, seed, None).episode_return
                          for i, seed in enumerate(seeds)]))


def optimal_value(env: gym.Env, seeds: list[int]) -> float:
    solver = SyntheticSolver.for_env(env)
    values = []
    for seed in seeds:
        env.reset(seed=seed)
        values.append(solver.model_for(env).value())
    return float(np.mean(values))


class EvalCallback(BaseCallback):
    def __init__(self, env: gym.Env, seeds: list[int], every: int) -> None:
        super().__init__()
        self.eval_env, self.seeds, self.every = env, seeds, every
        self.curve: list[tuple[int, float]] = []

    def _on_step(self) -> bool:
        if self.num_timesteps % self.every == 0:
            self.curve.append((self.num_timesteps, evaluate(self.model, self.eval_env, self.seeds)))
        return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--algos", default="ppo,dqn", help="comma-separated: ppo, dqn (default: %(default)s)")
    parser.add_argument("--seeds", default="0,1,2", help="training seeds, comma-separated (default: %(default)s)")
    parser.add_argument("--timesteps", type=int, default=100_000, help="env steps per run (default: %(default)s)")
    parser.add_argument("--eval-every", type=int, default=5_000, help="env steps between evaluations "
                                                                      "(default: %(default)s)")
    parser.add_argument("--eval-episodes", type=int, default=1000, help="fixed evaluation episodes "
                                                                        "(default: %(default)s)")
    parser.add_argument("--out", type=Path, default=OUTPUT, help="folder for the .png and .json "
                                                                 "(default: benchmarks/output)")
    args = parser.parse_args()

    eval_env = gym.make(ENV_ID)
    seeds = episode_seeds(10_000, args.eval_episodes)
    optimum = optimal_value(eval_env, seeds)
    target = 0.95 * optimum
    print(f"exact optimal mean return on {args.eval_episodes} evaluation episodes: {optimum:.4f}; 95%: {target:.4f}")
    runs = []
    for algo in args.algos.split(","):
        algo_cls, hyper = ALGOS[algo], RECOMMENDED_HYPERPARAMS[algo]
        for seed in (int(s) for s in args.seeds.split(",")):
            callback = EvalCallback(eval_env, seeds, args.eval_every)
            started = time.perf_counter()
            model = algo_cls("MlpPolicy", gym.make(ENV_ID), seed=seed, device="cpu", verbose=0, **hyper)
            model.learn(total_timesteps=args.timesteps, callback=callback)
            reached = next((steps for steps, value in callback.curve if value >= target), None)
            runs.append({"algo": algo, "seed": seed, "curve": callback.curve, "steps_to_95": reached,
                         "final": callback.curve[-1][1], "seconds": time.perf_counter() - started})
            print(f"{algo} seed {seed}: steps to 95% of optimum: {reached if reached else 'not reached'}; "
                  f"final {callback.curve[-1][1]:.4f} ({callback.curve[-1][1] / optimum:.1%}); "
                  f"{runs[-1]['seconds']:.0f} s")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "sb3_learning_curve.json").write_text(json.dumps({"optimum": optimum, "runs": runs}, indent=2))
    plot(runs, optimum, args.out / "sb3_learning_curve.png")
    print(f"wrote {args.out / 'sb3_learning_curve.png'}")


def plot(runs: list[dict], optimum: float, path: Path) -> None:
    fig = new_figure(figsize=(7, 4.5))
    ax = fig.subplots()
    colours = {"ppo": "tab:blue", "dqn": "tab:orange"}
    for run in runs:
        steps, values = zip(*run["curve"])
        ax.plot(steps, values, color=colours[run["algo"]], alpha=0.8,
                label=run["algo"].upper() if run["seed"] == runs[0]["seed"] else None)
    ax.axhline(optimum, color="black", lw=2, label="exact optimum")
    ax.axhline(0.95 * optimum, color="black", ls="--", lw=1, label="95% of optimum")
    ax.set_xlabel("environment steps")
    ax.set_ylabel("mean return (fixed evaluation episodes)")
    ax.set_title("Synthetic-v0: learning curves (one line per seed)")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)


if __name__ == "__main__":
    main()
