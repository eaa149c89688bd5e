"""proact_env as a `verifiers` multi-turn environment (`verifiers.MultiTurnEnv`, the legacy v0 API).

`load_environment()` is the entry point verifiers and prime-rl look for. Each
dataset row is one episode of a text-action env (`proact_env.text_env`): the
prompt is its first decision point, every assistant message is a turn
(``<clarify>...</clarify>`` / ``<execute>...</execute>``, or read from its
content), the env's user replies as the next user message, and the rollout
stops when the episode ends. The rubric's reward is the episode's return.

Written against verifiers 0.3.1, the last release with `MultiTurnEnv`
(0.4.0 replaced the whole API with `verifiers.v1`); verifiers pins
``openai>=2.9``, so it lives in a venv of its own (docs/online_rl.md).
"""

from __future__ import annotations

from typing import Any, Mapping

from proact_env.errors import require
from proact_env.text_env import TextActionEnv

vf = require("verifiers", "verifiers")

SYSTEM_PROMPT = (
    "You are an assistant helping a user with a request. Some of what the user wants is not in the request. "
    "Each turn, either ask a short question in <clarify>...</clarify> or deliver the complete solution in "
    "<execute>...</execute>. Questions cost the user's patience; a solution that misses what they wanted fails."
)


def episode_return(state: Any, **kwargs: Any) -> float:
    """The episode's return: R_task of the last solution minus every interruption cost."""
    return float(state.get("episode_return", 0.0))


class ProactMultiTurnEnv(vf.MultiTurnEnv):
    """One proact_env episode per rollout; the model writes every assistant turn."""

    def __init__(self, env_id: str = "proact_env/Synthetic-v0", env_kwargs: Mapping[str, Any] | None = None,
                 **kwargs: Any) -> None:
        self.base_env_id = env_id
        self.base_env_kwargs = dict(env_kwargs or {})
        self._episodes: dict[str, TextActionEnv] = {}
        max_turns = TextActionEnv(env_id, **self.base_env_kwargs).core.max_turns
        super().__init__(max_turns=max_turns + 1, rubric=vf.Rubric(funcs=[episode_return]), **kwargs)

    async def setup_state(self, state: Any) -> Any:
        env = TextActionEnv(self.base_env_id, **self.base_env_kwargs)
        info = state["info"]
        env.reset(seed=info["seed"], options={"persona": info["persona"]} if info.get("persona") else None)
        self._episodes[state["trajectory_id"]] = env
        state["episode_return"] = 0.0
        return state

    async def env_response(self, messages: Any, state: Any, **kwargs: Any) -> Any:
        env = self._episodes[state["trajectory_id"]]
        text = messages[-1]["content"] if messages and messages[-1]["role"] == "assistant" else ""
        _, reward, terminated, truncated, info = env.step(str(text or "")[: env.action_space.max_length])
        state["episode_return"] += reward
        state.setdefault("turns", []).append({"action": info["action"], "read_from": info["read_from"],
                                              "reward": reward})
        reply = [vf.UserMessage(content=info["user_reply"] or "(no reply)")]
        if terminated or truncated:
            state["final_env_response"] = reply
        return reply

    @vf.cleanup
    async def release_episode(self, state: Any) -> None:
        self._episodes.pop(state["trajectory_id"], None)


def episode_rows(n_episodes: int, *, first_seed: int = 0, env_id: str = "proact_env/Synthetic-v0",
                 env_kwargs: Mapping[str, Any] | None = None, persona: str | None = None) -> Any:
    """A `datasets.Dataset` of episodes: `question` (the first decision point), `info` (seed, persona), `answer`."""
    datasets = require("datasets", "verifiers")
    env = TextActionEnv(env_id, **dict(env_kwargs or {}))
    rows: dict[str, list] = {"question": [], "answer": [], "info": []}
    for seed in range(first_seed, first_seed + n_episodes):
        observation, _ = env.reset(seed=seed, options={"persona": persona} if persona else None)
        rows["question"].append(observation)
        rows["answer"].append("")
        rows["info"].append({"seed": seed, "persona": persona or ""})
    return datasets.Dataset.from_dict(rows)


def load_environment(env_id: str = "proact_env/Synthetic-v0", n_episodes: int = 256, eval_episodes: int = 64,
                     env_kwargs: Mapping[str, Any] | None = None, persona: str | None = None,
                     **kwargs: Any) -> ProactMultiTurnEnv:
    """The verifiers environment: training episodes from seed 0, evaluation episodes from seed 1,000,000."""
    from proact_env.agents.trl_env import EVAL_FIRST_SEED

    return ProactMultiTurnEnv(
        env_id, env_kwargs,
        dataset=episode_rows(n_episodes, env_id=env_id, env_kwargs=env_kwargs, persona=persona),
        eval_dataset=episode_rows(eval_episodes, first_seed=EVAL_FIRST_SEED, env_id=env_id, env_kwargs=env_kwargs,
                                  persona=persona),
        system_prompt=SYSTEM_PROMPT, **kwargs,
    )
