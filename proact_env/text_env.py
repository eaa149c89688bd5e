"""Text-action environments: the policy writes its own turns (`proact_env/Synthetic-Text-v0`, ...)."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium.envs.registration import load_env_creator, registry

from proact_env.env import EnvSnapshot, ProactEnv
from proact_env.render import render_state
from proact_env.text_actions import read_turn
from proact_env.types import Action, MessageRequest
from proact_env.wrappers import UnicodeText, fit_text

#: the closing line of a text env's observation: how to write a turn (`proact_env.text_actions`)
WRITE_INSTRUCTION = (
    "Write the assistant's next message. To ask the user, write <clarify>your question(s)</clarify>; "
    "to deliver the solution, write <execute>your solution</execute>."
)
#: default longest message (action) and observation, in characters: ~4,000 tokens each
MAX_MESSAGE_CHARS = 16_384
MAX_OBSERVATION_CHARS = 16_384


class PolicyMessage:
    """The core env's backbone in a text env: it hands back the message the policy wrote.

    The policy's message enters `ProactEnv.step` where a backbone's would, so the
    simulated user, the reward and the graders are the Discrete(2) env's own code.
    """

    def __init__(self) -> None:
        self.pending: str | None = None

    def write(self, request: MessageRequest) -> str:
        message, self.pending = self.pending, None
        if message is None:
            raise RuntimeError("a text env's core was stepped directly: call step(text) on the TextActionEnv")
        return message


class TextActionEnv(gym.Env):
    """
    ## Description

    The Clarify/Execute environment of `base` (`proact_env.ProactEnv`: same tasks,
    simulated user, reward and graders) with the assistant's own message as the
    action, for LLM policies trained online. Whether a turn clarifies or
    executes is read from what was written (`proact_env.text_actions.read_turn`):
    a tool call (``ask_user``/``submit_solution``), else a tag
    (``<clarify>...</clarify>`` / ``<execute>...</execute>``), else its questions
    versus a solution. The user reads the message (inside the tag or the tool
    call's argument), an Execute is graded as written.

    ## Action Space

    `UnicodeText(max_message_chars)`: any `str` of at most `max_message_chars`
    characters (default 16,384, ~4,000 tokens), any Unicode. A longer message
    is outside the space and `step` raises `ValueError`; cap generation
    (``max_new_tokens``) or raise the limit. `action_space.sample()` draws
    printable ASCII (what `check_env` steps with), which reads as a question
    when it happens to end a sentence with "?", else as a solution.

    ## Observation Space

    `UnicodeText(max_observation_chars)`: the decision prompt (`render_state`:
    domain, request, turn, previous rejection, task uncertainty, the user's
    profile when `observe_persona`, the conversation so far) ending with
    `WRITE_INSTRUCTION`. A longer prompt loses its oldest turns first.
    `info` is the base env's (`state`, `assistant_msg`, `user_reply`, `meta`,
    `reward_terms`, ...) plus `read_from`, the rule that decided the turn.

    ## Rewards

    The base env's: `(R_task now - R_task before) - C_interrupt`, where the
    interruption cost counts the questions in the message the user read, whichever
    action it was read as.

    ## Starting State

    The base env's: a task and a persona drawn from the seed. The same seed
    gives the same task and persona as the Discrete(2) env of the same id.

    ## Episode End

    The base env's: terminated on success or when the user gives up, truncated
    after `max_turns` assistant turns.

    ## Arguments

    - `base`: id of the Discrete(2) env to write turns for (default
      ``"proact_env/Synthetic-v0"``); the registered text ids
      (`proact_env.registration.TEXT_ENV_IDS`) set it.
    - `max_message_chars`, `max_observation_chars`: the spaces' limits (above).
    - `render_mode`: None or ``"ansi"`` (the transcript as text).
    - every other keyword goes to the base env (``max_turns``, ``persona``,
      ``reward``, ``simulator``, ``dataset_path``...), except ``backbone``: here
      the policy writes.

    `snapshot()` / `restore()` / `reseed()` branch the episode as on the base
    env; `core` is the base `ProactEnv` itself.

    ## Version History

    - v0: initial version.
    """

    metadata = {"render_modes": ["ansi"], "render_fps": 1}

    def __init__(
        self,
        base: str = "proact_env/Synthetic-v0",
        *,
        max_message_chars: int = MAX_MESSAGE_CHARS,
        max_observation_chars: int = MAX_OBSERVATION_CHARS,
        render_mode: str | None = None,
        **base_kwargs: Any,
    ) -> None:
        if "backbone" in base_kwargs:
            raise ValueError("a text env takes no backbone: the policy writes every message (step(text))")
        for name, value in (("max_message_chars", max_message_chars), ("max_observation_chars", max_observation_chars)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
        self.writer = PolicyMessage()
        self.core: ProactEnv = _make_core(base, backbone=self.writer, render_mode=render_mode, **base_kwargs)
        self.base = base
        self.render_mode = render_mode
        self.action_space = UnicodeText(int(max_message_chars))
        self.observation_space = UnicodeText(int(max_observation_chars))

    # The core env draws every random number, so its generator is the env's (check_env reads `_np_random`).
    @property
    def np_random(self) -> np.random.Generator:
        return self.core.np_random

    @property
    def _np_random(self) -> np.random.Generator | None:
        return self.core._np_random

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[str, dict[str, Any]]:
        _, info = self.core.reset(seed=seed, options=options)
        return self.observe(), info

    def step(self, action: str) -> tuple[str, float, bool, bool, dict[str, Any]]:
        if not isinstance(action, str):
            raise ValueError(f"a text env's action is the assistant's message as a str, got {type(action).__name__} "
                             f"(the Discrete(2) env is {self.base})")
        if len(action) > self.action_space.max_length:
            raise ValueError(f"the message has {len(action):,} characters, more than the action space's "
                             f"max_length={self.action_space.max_length:,}: cap the policy's output or make the "
                             "env with a larger max_message_chars=")
        turn = read_turn(action)
        observation, reward, terminated, truncated, info = self.play_turn(turn.action, turn.message)
        info["read_from"] = turn.read_from
        return observation, reward, terminated, truncated, info

    def play_turn(self, action: Action | int | str, message: str) -> tuple[str, float, bool, bool, dict[str, Any]]:
        """Play `message` as a turn of the given action, deciding nothing from its text.

        For callers that know the decision from elsewhere, e.g. the tool the model
        called (`proact_env.agents.trl_env`); `step` reads it from the text first.
        """
        self.writer.pending = message
        try:
            _, reward, terminated, truncated, info = self.core.step(action)
        finally:
            self.writer.pending = None
        return self.observe(), reward, terminated, truncated, info

    def observe(self) -> str:
        """The observation of the current decision point (e.g. after `restore()`)."""
        return fit_text(decision_text(self.core, WRITE_INSTRUCTION), self.observation_space.max_length)

    def render(self) -> str | None:
        return self.core.render()

    def close(self) -> None:
        self.core.close()

    # -- Branching (the core env holds the whole episode) -----------------------------

    def snapshot(self) -> EnvSnapshot:
        return self.core.snapshot()

    def restore(self, snapshot: EnvSnapshot) -> None:
        self.core.restore(snapshot)

    def reseed(self, seed: int) -> None:
        self.core.reseed(seed)


def decision_text(env: ProactEnv, instruction: str) -> str:
    """`env`'s decision prompt (`ProactEnv.decision_prompt`) closing with `instruction` instead of the decision question.

    Policies that write their turns, or call tools, read the same state as those that only decide.
    """
    ep = env._require_episode()
    return render_state(ep.state(), ep.persona if env.observe_persona else None, ep.transcript,
                        instruction=instruction)


def _make_core(base: str, **kwargs: Any) -> ProactEnv:
    """The Discrete(2) env of id `base`, built by its registered factory (no wrappers) with `kwargs` over its defaults."""
    if base not in registry:
        raise ValueError(f"unknown base env {base!r}: expected a registered proact_env id such as proact_env/Synthetic-v0")
    spec = registry[base]
    core = load_env_creator(spec.entry_point)(**{**spec.kwargs, **kwargs})
    if not isinstance(core, ProactEnv):
        raise TypeError(f"{base} makes a {type(core).__name__}; a text env needs a proact_env.ProactEnv")
    return core
