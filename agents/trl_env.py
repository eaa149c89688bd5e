"""Whole conversations as TRL `environment_factory` environments (`GRPOTrainer(environment_factory=...)`).

TRL makes one instance per rollout, calls `reset(**row)` with the dataset row
(here the episode's `seed` and optional `persona`) and appends what it returns
to the prompt, offers every public method as a tool the model may call, and
scores the finished rollout with `get_reward()`. Two modes:

- ``"text"`` (`ConversationTextTools`): tools ``ask_user(question)`` and
  ``submit_solution(solution)``; the model writes every message itself
  (`proact_env.text_env.TextActionEnv`, the same user, reward and graders);
- ``"decision"`` (`ConversationDecisionTools`): tools ``clarify()`` and
  ``execute()``; the model only decides and the domain's scripted writer writes
  (the Discrete(2) env).

A tool returns the user's reply; once the episode ends it says so, and a later
call is an error TRL hands back to the model. `get_reward()` is the episode's
return, R_task - total interruption cost, 0 for a rollout that never acted.

A rollout that ends in plain text (no tool call) has still said something to
the user. TRL would score it without playing it, so `play_final_message` (pass
it first in `reward_funcs`; it scores nothing itself) plays that message as the
model's last turn, read as a text-action env reads a turn
(`proact_env.text_actions.read_turn`): a model that has not learned the tool
format yet still meets the user and the grader, so GRPO has rewards to compare.
Nothing here imports TRL: the protocol is plain Python (TRL's calls live in
`proact_env.agents.trl_adapter`).
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass
from typing import Any, Callable, ClassVar, Mapping, Sequence

import gymnasium as gym

import proact_env  # noqa: F401  (registers the env ids)
from proact_env.errors import require
from proact_env.registration import TEXT_ENV_IDS
from proact_env.text_actions import read_turn
from proact_env.text_env import decision_text
from proact_env.types import Action

MODES = ("text", "decision")
#: first seed of held-out evaluation episodes: training datasets start at 0 and stay far below
EVAL_FIRST_SEED = 1_000_000

SYSTEM_PROMPT = (
    "You are an assistant helping a user with a request. Some of what the user wants is not in the request. "
    "Each turn, either ask the user a short question or deliver the solution, using the tools. "
    "Questions cost the user's patience; a solution that misses what they wanted fails."
)
TEXT_INSTRUCTION = (
    "Call ask_user with a question for the user, or submit_solution with your complete solution."
)
DECISION_INSTRUCTION = (
    "Call clarify() to ask the user about what is missing, or execute() to deliver the solution."
)


@dataclass
class EpisodeRecord:
    """One finished rollout, as `EpisodeLog` keeps it for evaluation and throughput figures."""

    seed: int | None
    persona: str
    episode_return: float
    r_task: float
    success: bool
    turns: int
    clarify_turns: int
    finished: bool
    env_seconds: float


class EpisodeLog:
    """Collects the record of every episode its environments play (shared by one factory's instances).

    TRL gives per-step means only; paired intervals need each episode's return
    under its seed, and throughput needs how long the env itself took.
    """

    def __init__(self) -> None:
        self.records: list[EpisodeRecord] = []

    def take(self) -> list[EpisodeRecord]:
        """The records so far, emptying the log (one evaluation or training phase at a time)."""
        records, self.records = self.records, []
        return records


class _ConversationTools:
    """One episode per `reset`; subclasses add the tools. Private names are not tools for TRL."""

    instruction: ClassVar[str]

    def __init__(self, env_id: str = "proact_env/Synthetic-v0", env_kwargs: Mapping[str, Any] | None = None,
                 log: EpisodeLog | None = None) -> None:
        self._env = gym.make(self._env_id(env_id), **dict(env_kwargs or {})).unwrapped
        self._log = log
        self._seed: int | None = None
        self._persona: str | None = None  # None until the first reset
        self._return = 0.0
        self._last_info: dict[str, Any] = {}
        self._turns = 0
        self._done = False
        self._recorded = True
        self._env_seconds = 0.0

    @staticmethod
    def _env_id(env_id: str) -> str:
        return env_id

    def reset(self, seed: int | None = None, persona: str | None = None, **columns: Any) -> str:
        """Start the episode of `seed` (other dataset columns, such as TRL's `prompt`, are ignored)."""
        self._record()
        start = time.perf_counter()
        _, info = self._env.reset(seed=seed, options={"persona": persona} if persona else None)
        self._seed, self._persona = seed, info["persona"]
        self._return, self._last_info, self._turns, self._done, self._recorded = 0.0, {}, 0, False, False
        self._env_seconds = time.perf_counter() - start
        return decision_text(self._core, self.instruction)

    def get_reward(self) -> float:
        """The episode's return: R_task of the last solution minus every interruption cost so far."""
        self._record()
        return self._return

    @property
    def _core(self):
        return self._env

    def _turn(self, play: Callable[[], tuple]) -> str:
        if self._persona is None:
            raise RuntimeError("call reset() before a tool")
        if self._done:
            raise ValueError("The conversation is over: no more turns. Stop calling tools.")
        start = time.perf_counter()
        _, reward, terminated, truncated, info = play()
        self._env_seconds += time.perf_counter() - start
        self._return += reward
        self._last_info, self._turns = info, self._turns + 1
        self._done = terminated or truncated
        reply = info["user_reply"] or "(the user did not reply)"
        if not self._done:
            return f"User: {reply}"
        outcome = "task complete" if info["success"] else "user gave up" if info["gave_up"] else "out of turns"
        return f"User: {reply}\nThe conversation is over ({outcome}, task score {info['reward_terms']['r_task']:.2f})."

    def _play_final(self, text: str) -> None:
        """Play a message the rollout ended with, outside any tool call, as the model's last turn."""
        if self._persona is not None and not self._done and text.strip():
            self._turn(lambda: self._play_text(text))

    def _play_text(self, text: str) -> tuple:
        raise NotImplementedError

    def _record(self) -> None:
        """Give the episode to the log once, when it is scored or replaced."""
        if self._log is None or self._recorded:
            return
        terms = self._last_info.get("reward_terms", {})
        self._log.records.append(EpisodeRecord(
            seed=self._seed, persona=self._persona, episode_return=self._return, r_task=terms.get("r_task", 0.0),
            success=bool(self._last_info.get("success", False)), turns=self._turns,
            clarify_turns=sum(t.action is Action.CLARIFY for t in self._core.episode.transcript),
            finished=self._done, env_seconds=self._env_seconds,
        ))
        self._recorded = True


class ConversationTextTools(_ConversationTools):
    """Text mode: the model writes each question and the solution itself (a `*-Text-v0` env)."""

    instruction = TEXT_INSTRUCTION

    @staticmethod
    def _env_id(env_id: str) -> str:
        text_ids = {base: text for text, base in TEXT_ENV_IDS.items()}
        return text_ids.get(env_id, env_id)

    @property
    def _core(self):
        return self._env.core

    def _play_text(self, text: str) -> tuple:
        return self._env.step(text[: self._env.action_space.max_length])

    def ask_user(self, question: str) -> str:
        """Ask the user a clarifying question about their request.

        Args:
            question: The question for the user, one or two short sentences.

        Returns:
            The user's reply.
        """
        return self._turn(lambda: self._env.play_turn(Action.CLARIFY, str(question)))

    def submit_solution(self, solution: str) -> str:
        """Deliver the complete solution to the user's request.

        Args:
            solution: The solution, stating every requirement it meets.

        Returns:
            The user's reaction to the solution.
        """
        return self._turn(lambda: self._env.play_turn(Action.EXECUTE, str(solution)))


class ConversationDecisionTools(_ConversationTools):
    """Decision-only mode: the model decides, the domain's scripted writer writes the message."""

    instruction = DECISION_INSTRUCTION

    def clarify(self) -> str:
        """Ask the user about the requirements that are still unknown.

        Returns:
            The question asked and the user's reply.
        """
        return self._written(Action.CLARIFY)

    def execute(self) -> str:
        """Deliver the solution with what is known so far.

        Returns:
            The solution delivered and the user's reaction.
        """
        return self._written(Action.EXECUTE)

    def _play_text(self, text: str) -> tuple:
        return self._env.step(read_turn(text).action)

    def _written(self, action: Action) -> str:
        reply = self._turn(lambda: self._env.step(action))
        return f"Assistant wrote: {self._last_info['assistant_msg']}\n{reply}"


def play_final_message(completions: list[list[dict[str, Any]]], environments: list[_ConversationTools],
                       **kwargs: Any) -> list[None]:
    """TRL reward function that plays each rollout's closing plain-text message in its environment.

    It returns None for every rollout (TRL then leaves it out of the sum): the
    environment's `get_reward`, which TRL calls after it, scores the episode.
    """
    for completion, environment in zip(completions, environments, strict=True):
        last = completion[-1] if completion else {}
        if last.get("role") == "assistant" and not last.get("tool_calls") and isinstance(last.get("content"), str):
            environment._play_final(last["content"])
    return [None] * len(completions)


ENVIRONMENTS: dict[str, type[_ConversationTools]] = {"text": ConversationTextTools,
                                                     "decision": ConversationDecisionTools}


def environment_factory(mode: str = "text", env_id: str = "proact_env/Synthetic-v0",
                        env_kwargs: Mapping[str, Any] | None = None,
                        log: EpisodeLog | None = None) -> Callable[[], _ConversationTools]:
    """What `GRPOTrainer(environment_factory=...)` takes: a no-argument callable making one environment.

    `env_id` is the Discrete(2) id (text mode uses its `*-Text-v0` twin); `log`,
    if given, receives every finished episode's `EpisodeRecord`.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    return functools.partial(ENVIRONMENTS[mode], env_id, dict(env_kwargs or {}), log)


def episode_dataset(n_episodes: int, *, first_seed: int = 0, personas: Sequence[str] | None = None,
                    system_prompt: str = SYSTEM_PROMPT) -> Any:
    """A `datasets.Dataset` of episodes for `environment_factory`: one row per seed.

    Columns: `prompt` (the system prompt and an empty user turn that `reset`
    fills with the decision point), `seed` (``first_seed + i``) and, if
    `personas` is given, `persona` (cycled). Train on seeds from 0 and evaluate
    from `EVAL_FIRST_SEED`, so evaluation episodes are held out.
    """
    datasets = require("datasets", "dpo")
    if n_episodes < 1:
        raise ValueError(f"n_episodes must be >= 1, got {n_episodes!r}")
    rows: dict[str, list] = {
        "prompt": [[{"role": "system", "content": system_prompt}, {"role": "user", "content": ""}]] * n_episodes,
        "seed": [first_seed + i for i in range(n_episodes)],
    }
    if personas:
        for name in personas:
            proact_env.get_preset(name)  # a typo fails here, not in the middle of training
        rows["persona"] = [personas[i % len(personas)] for i in range(n_episodes)]
    return datasets.Dataset.from_dict(rows)
