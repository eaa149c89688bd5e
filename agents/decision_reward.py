"""A verifiable decision reward that only an exactly solvable env can give: Q*(s, a) from the solver.

On `proact_env/Synthetic-v0` the solver (`proact_env.solver`) computes, for any
decision point s, the exact expected return of clarifying and of executing with
optimal play afterwards. Single-turn GRPO on decision prompts can then reward an
answer with Q*(s, a) itself: no sampled episode, no noise, and the regret
V*(s) - Q*(s, a) is the metric. A policy's answer is the one of the words
"Clarify" and "Execute" (whole words, any case) that its completion names. A
completion that names neither, or both, is unreadable and gets the worse
action's value, so it is never better than a wrong decision. Why not the first
word: a 135M model sampled at temperature 1 almost never starts with it (it
writes 'In this context, the answer would be "Execute".'), so a first-word
reader scored every completion of a group alike and GRPO had no signal; why
not the first of the two: copying the instruction ("Clarify or Execute") would
then pay as a decision.
"""

from __future__ import annotations

import re
from typing import Any, Mapping

import gymnasium as gym
import numpy as np

import proact_env  # noqa: F401  (registers the env ids)
from proact_env.agents.trl_env import SYSTEM_PROMPT
from proact_env.errors import require
from proact_env.solver import SyntheticSolver
from proact_env.types import Action

ANSWER_INSTRUCTION = "Answer with one word: Clarify or Execute."
_DECISION_WORD = re.compile(r"\b(clarify|execute)\b", re.IGNORECASE)


def read_decision(completion: Any) -> Action | None:
    """The decision a completion names (None: it names neither or both; see the module docstring).

    Takes TRL's completion as a string or a conversational message list.
    """
    text = completion[-1]["content"] if isinstance(completion, list) else str(completion)
    named = {word.lower() for word in _DECISION_WORD.findall(text)}
    if len(named) != 1:
        return None
    return Action.CLARIFY if named == {"clarify"} else Action.EXECUTE


def decision_dataset(n_states: int, *, first_seed: int = 0, explore: float = 0.3,
                     env_kwargs: Mapping[str, Any] | None = None, system_prompt: str = SYSTEM_PROMPT) -> Any:
    """`n_states` decision points of Synthetic-v0 with their exact Q-values, as a `datasets.Dataset`.

    Episodes from seed `first_seed` are played by the optimal policy, which takes
    the other action with probability `explore`, so later turns and states off
    the optimal path are covered too. Columns: `prompt` (system prompt, the
    decision prompt and `ANSWER_INSTRUCTION`), `q_clarify`, `q_execute`, `seed`, `turn`.
    """
    datasets = require("datasets", "dpo")
    if n_states < 1:
        raise ValueError(f"n_states must be >= 1, got {n_states!r}")
    env = gym.make("proact_env/Synthetic-v0", **dict(env_kwargs or {})).unwrapped
    solver = SyntheticSolver.for_env(env)
    rng = np.random.default_rng(first_seed)
    rows: dict[str, list] = {"prompt": [], "q_clarify": [], "q_execute": [], "seed": [], "turn": []}
    seed = first_seed
    while len(rows["seed"]) < n_states:
        env.reset(seed=seed)
        done = False
        while not done and len(rows["seed"]) < n_states:
            q_clarify, q_execute = solver.q_values(env)
            rows["prompt"].append([{"role": "system", "content": system_prompt},
                                   {"role": "user", "content": env.decision_prompt() + ANSWER_INSTRUCTION}])
            rows["q_clarify"].append(q_clarify)
            rows["q_execute"].append(q_execute)
            rows["seed"].append(seed)
            rows["turn"].append(env.episode.turn)
            best = Action.CLARIFY if q_clarify > q_execute else Action.EXECUTE
            action = Action(1 - best) if rng.random() < explore else best
            _, _, terminated, truncated, _ = env.step(action)
            done = terminated or truncated
        seed += 1
    return datasets.Dataset.from_dict(rows)


class QStarReward:
    """TRL reward function: Q*(s, a) of the decision each completion states.

    `records` collects, for every scored completion, its decision point
    ``(seed, turn)``, the regret V*(s) - Q*(s, a) (the metric of this task) and
    whether it was readable; the caller empties it between phases.
    """

    __name__ = "q_star"

    def __init__(self) -> None:
        self.records: list[tuple[tuple[int, int], float, bool]] = []

    def __call__(self, completions: list[Any], q_clarify: list[float], q_execute: list[float],
                 seed: list[int], turn: list[int], **kwargs: Any) -> list[float]:
        rewards = []
        for completion, qc, qe, key in zip(completions, q_clarify, q_execute, zip(seed, turn), strict=True):
            action = read_decision(completion)
            value = min(qc, qe) if action is None else (qc if action is Action.CLARIFY else qe)
            self.records.append((key, max(qc, qe) - value, action is not None))
            rewards.append(value)
        return rewards
