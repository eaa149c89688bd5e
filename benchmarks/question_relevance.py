"""Does a question have to be about something? The simulated user's answers to an off-topic question.

    PYTHONPATH=. python benchmarks/question_relevance.py [--episodes 2000] [--mbpp-split test]
        [--paired-episodes 5000] [--seed 0] [--skip-coding]

A backbone that answers every Clarify with the same small talk ("By the way, is
it sunny where you are today?") and otherwise writes what the scripted
assistant writes is played against the cooperative persona (who answers most
and most precisely). It prints, for Synthetic-v0 and Coding-v0 (MBPP, one
episode per task of `--mbpp-split`), beside the scripted assistant's own
questions as the peer:

1. facts revealed by the first Clarify turn (mean over episodes, every
   reaction counted: answers, rejections, silences);
2. how often the solution written right after that turn passes (R_task reaches
   the success threshold), against executing at once on the same episodes.

Then, on Synthetic-v0 with the default personas, the `threshold` policy whose
questions are that small talk (one per turn) against the exact optimum, paired
by episode seed over `--paired-episodes` episodes: the mean difference of
returns with its 95% interval, both against the optimum's exact value and
against the `optimal` policy played with the scripted questions.

A user who hears the question reveals nothing to small talk: the off-topic
rows should show 0 facts per turn and the pass rate of executing at once, and
the off-topic threshold policy should fall well short of the optimum.
Last, the time to hear one question of 10k, 100k and 1M characters.
The figures above use only the public env API (no `info["question_quality"]`), so
the script runs on older versions for a before/after comparison once the last part
(`hearing_cost`) is left out.
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import time
from dataclasses import dataclass

import gymnasium as gym
from tqdm import tqdm

import proact_env  # noqa: F401  (registers the env ids)
from proact_env.benchmark.registry import make_policy
from proact_env.data import dataset_path
from proact_env.domains.scripted import ScriptedBackbone
from proact_env.rng import derived_seeds
from proact_env.simulator.hearing import hear
from proact_env.solver import SyntheticSolver
from proact_env.types import Action, MessageRequest, Task

OFF_TOPIC = "By the way, is it sunny where you are today?"
PERSONA = "cooperative_collaborator"


@dataclass
class OffTopicWriter:
    """Asks small talk instead of a question; its solutions are the scripted assistant's."""

    def __post_init__(self) -> None:
        self.scripted = ScriptedBackbone()

    def write_for(self, task: Task, request: MessageRequest) -> str:
        if request.action is Action.CLARIFY:
            return OFF_TOPIC
        return self.scripted.write_for(task, request)


def mean_ci(values: list[float]) -> tuple[float, float]:
    mean = statistics.fmean(values)
    half = 1.96 * statistics.stdev(values) / math.sqrt(len(values)) if len(values) > 1 else math.nan
    return mean, half


def one_question_then_execute(make_env, episodes: list[tuple[int, Task | None]], label: str) -> dict[str, dict[str, float]]:
    """Per writer: facts revealed by a first Clarify, pass rate of the next solution; and executing at once.

    `episodes` are (seed, task) pairs; a task of None is drawn from the seed.
    """
    envs = {"scripted": make_env(None), "off-topic": make_env(OffTopicWriter())}
    revealed = {name: [] for name in envs}
    passed = {name: [] for name in envs}
    at_once = []
    for seed, task in tqdm(episodes, desc=label, unit="episode"):
        options = {"task": task} if task is not None else None
        env = envs["scripted"]
        env.reset(seed=seed, options=options)
        at_once.append(float(env.step(Action.EXECUTE)[4]["success"]))
        for name, env in envs.items():
            env.reset(seed=seed, options=options)
            _, _, terminated, truncated, info = env.step(Action.CLARIFY)
            revealed[name].append(len(info["revealed"]))
            success = False
            if not (terminated or truncated):
                success = env.step(Action.EXECUTE)[4]["success"]
            passed[name].append(float(success))
    rows = {name: {"facts_per_turn": statistics.fmean(revealed[name]), "next_pass": statistics.fmean(passed[name])}
            for name in envs}
    rows["execute at once"] = {"facts_per_turn": 0.0, "next_pass": statistics.fmean(at_once)}
    return rows


def print_rows(title: str, rows: dict[str, dict[str, float]], episodes: int) -> None:
    print(f"\n{title} ({episodes} episodes, persona {PERSONA}):")
    print(f"  {'questions':<16}  facts revealed per Clarify  next solution passes")
    for name, row in rows.items():
        facts = "-" if name == "execute at once" else f"{row['facts_per_turn']:.3f}"
        print(f"  {name:<16}  {facts:>26}  {row['next_pass']:>20.3f}")


def play(env: gym.Env, policy, seed: int) -> float:
    obs, info = env.reset(seed=seed)
    policy.reset(seed)
    total, done = 0.0, False
    while not done:
        obs, reward, terminated, truncated, info = env.step(policy.act(obs, info))
        total += reward
        done = terminated or truncated
    return total


def threshold_vs_optimum(seeds: list[int]) -> None:
    off_env = gym.make("proact_env/Synthetic-v0", backbone=OffTopicWriter())  # one question per Clarify
    ref_env = gym.make("proact_env/Synthetic-v0")
    threshold = make_policy("threshold", off_env)
    optimal = make_policy("optimal", ref_env)
    solver = SyntheticSolver.for_env(ref_env)
    vs_value, vs_played = [], []
    for seed in tqdm(seeds, desc="threshold (off-topic) vs optimum", unit="episode"):
        got = play(off_env, threshold, seed)
        best = play(ref_env, optimal, seed)
        ref_env.reset(seed=seed)
        vs_value.append(got - solver.model_for(ref_env).value())
        vs_played.append(got - best)
    print(f"\nthreshold with one off-topic question per Clarify vs the exact optimum, Synthetic-v0, "
          f"{len(seeds)} episodes (paired by seed, 95% intervals):")
    for name, diffs in (("minus the exact optimal value", vs_value), ("minus optimal played", vs_played)):
        mean, half = mean_ci(diffs)
        print(f"  return {name}: {mean:+.4f} ±{half:.4f}")


def hearing_cost(task: Task) -> None:
    """Seconds to hear one long question: the matcher is linear in the message (10x the text, ~10x the time)."""
    print("\nhearing one question of N characters (linear: word pattern, stems, set look-ups):")
    for n in (10_000, 100_000, 1_000_000):
        message = "which format and ordering do you want " * (n // 38) + "?"
        start = time.perf_counter()
        hear(message, task.hidden, frozenset())
        print(f"  {n:>9,} characters: {time.perf_counter() - start:.3f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--episodes", type=int, default=2000, help="Synthetic-v0 episodes per writer")
    parser.add_argument("--mbpp-split", default="test", help="MBPP split: one episode per task")
    parser.add_argument("--paired-episodes", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-coding", action="store_true", help="skip Coding-v0 (no MBPP data, or in a hurry)")
    args = parser.parse_args()
    start = time.perf_counter()

    episodes = [(seed, None) for seed in derived_seeds(args.seed, args.episodes)]
    rows = one_question_then_execute(
        lambda backbone: gym.make("proact_env/Synthetic-v0", persona=PERSONA, backbone=backbone).unwrapped,
        episodes, "Synthetic-v0")
    print_rows("Synthetic-v0", rows, len(episodes))

    if not args.skip_coding:
        path = str(dataset_path("mbpp"))

        def coding_env(backbone):
            return gym.make("proact_env/Coding-v0", dataset_path=path, split=args.mbpp_split,
                            persona=PERSONA, backbone=backbone).unwrapped

        source = coding_env(None).task_source
        tasks = [source.task(i) for i in range(len(source.problems))]
        episodes = list(zip(derived_seeds([args.seed, 1], len(tasks)), tasks))
        rows = one_question_then_execute(coding_env, episodes, f"Coding-v0 ({args.mbpp_split})")
        print_rows(f"Coding-v0, MBPP {args.mbpp_split} split", rows, len(episodes))

    threshold_vs_optimum(derived_seeds([args.seed, 2], args.paired_episodes))
    hearing_cost(gym.make("proact_env/Synthetic-v0").unwrapped.task_source.sample(random.Random(args.seed)))
    print(f"\n({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
