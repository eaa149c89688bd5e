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
from proact_env.agents.logprobs import answer_shares
from proact_env.errors import require
from proact_env.solver import SyntheticSolver
from proact_env.types import Action

ANSWER_INSTRUCTION = "Answer with one word: Clarify or Execute."
#: the answers a decision prompt asks for, Clarify first
DECISION_WORDS = ("Clarify", "Execute")
#: the system turn of a decision prompt: no tools here (the episode prompt's system turn names them)
DECISION_SYSTEM_PROMPT = ("You advise an assistant helping a user with a request, some of which is not in the "
                          "request. At each turn the assistant either asks the user a short question or delivers "
                          "the solution. Questions cost the user's patience; a solution that misses what they "
                          "wanted fails.")
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
                     env_kwargs: Mapping[str, Any] | None = None,
                     system_prompt: str = DECISION_SYSTEM_PROMPT) -> Any:
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
    the decision it named (None: unreadable); the caller empties it between phases.
    """

    __name__ = "q_star"

    def __init__(self) -> None:
        self.records: list[tuple[tuple[int, int], float, Action | None]] = []

    def __call__(self, completions: list[Any], q_clarify: list[float], q_execute: list[float],
                 seed: list[int], turn: list[int], **kwargs: Any) -> list[float]:
        rewards = []
        for completion, qc, qe, key in zip(completions, q_clarify, q_execute, zip(seed, turn), strict=True):
            action = read_decision(completion)
            value = min(qc, qe) if action is None else (qc if action is Action.CLARIFY else qe)
            self.records.append((key, max(qc, qe) - value, action))
            rewards.append(value)
        return rewards


def decision_prompt_ids(tokenizer: Any, rows: Any) -> list[list[int]]:
    """Token ids of each row's prompt, rendered by the chat template as TRL renders a conversational prompt."""
    return [tokenizer(tokenizer.apply_chat_template(prompt, add_generation_prompt=True, tokenize=False),
                      add_special_tokens=False)["input_ids"] for prompt in rows["prompt"]]


def decision_answer_ids(tokenizer: Any) -> list[list[int]]:
    """Token ids of each of `DECISION_WORDS` as a whole answer (the turn ends after it)."""
    return [tokenizer(word + tokenizer.eos_token, add_special_tokens=False)["input_ids"] for word in DECISION_WORDS]


def expected_regret(model: Any, tokenizer: Any, rows: Any) -> list[float]:
    """Each decision point's regret in expectation over the model's own choice, with no sampling noise.

    The model's probabilities of answering exactly "Clarify" and exactly
    "Execute", renormalised over the two, weight the two regrets. Exact for a
    model that answers in this format (a warmed one does, 100% greedy); a model
    that writes prose instead has its sampled regret measured by `QStarReward`.
    """
    shares = answer_shares(model, decision_prompt_ids(tokenizer, rows), decision_answer_ids(tokenizer),
                           tokenizer.pad_token_id)
    regrets = []
    for p_clarify, qc, qe in zip(shares, rows["q_clarify"], rows["q_execute"], strict=True):
        best = max(qc, qe)
        regrets.append(p_clarify * (best - qc) + (1.0 - p_clarify) * (best - qe))
    return regrets
