"""proact_env as a verl `BaseInteraction`: the simulated user of multi-turn RL rollouts (the shape CollabLLM used).

verl's tool agent loop, configured with ``multi_turn.interaction_config_path``,
loads the interactions a YAML file names (``class_name:
proact_env.agents.verl_interaction.ProactInteraction``), calls
`start_interaction(request_id, **interaction_kwargs)` with a dataset row's
``extra_info.interaction_kwargs`` (here ``name``, ``seed`` and optionally
``persona``), then after every assistant turn `generate_response(request_id,
messages, **interaction_kwargs)`, whose reply becomes the next user message and
whose score joins the rollout's turn scores. The assistant's turn is played in a
text-action env (`proact_env.text_env`), so the turn scores add up to the
episode's return, also given by `calculate_score(request_id)`.

Written against verl 0.7.1, the last release with `verl.interactions`
(0.8.0 removed it); verl pins ``numpy<2``, so it lives in a venv of its own
(docs/online_rl.md). `interaction_rows` writes the dataset rows.
"""

from __future__ import annotations

from typing import Any, Mapping
from uuid import uuid4

from proact_env.errors import require
from proact_env.text_env import TextActionEnv

require("verl", "verl")
from verl.interactions.base import BaseInteraction  # noqa: E402

SYSTEM_PROMPT = (
    "You are an assistant helping a user with a request. Some of what the user wants is not in the request. "
    "Each turn, either ask a short question in <clarify>...</clarify> or deliver the complete solution in "
    "<execute>...</execute>. Questions cost the user's patience; a solution that misses what they wanted fails."
)


class ProactInteraction(BaseInteraction):
    """One proact_env episode per request. Config keys: ``env_id`` (default Synthetic-v0), ``env_kwargs``."""

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        self.env_id = config.get("env_id", "proact_env/Synthetic-v0")
        self.env_kwargs = dict(config.get("env_kwargs") or {})
        self._episodes: dict[str, dict[str, Any]] = {}

    async def start_interaction(self, instance_id: str | None = None, seed: int | None = None,
                                persona: str | None = None, **kwargs: Any) -> str:
        instance_id = instance_id or uuid4().hex
        env = TextActionEnv(self.env_id, **self.env_kwargs)
        env.reset(seed=seed, options={"persona": persona} if persona else None)
        self._episodes[instance_id] = {"env": env, "return": 0.0, "done": False}
        return instance_id

    async def generate_response(self, instance_id: str, messages: list[dict[str, Any]],
                                **kwargs: Any) -> tuple[bool, str, float, dict[str, Any]]:
        episode = self._episodes[instance_id]
        if episode["done"]:
            return True, "The conversation is over.", 0.0, {}
        env: TextActionEnv = episode["env"]
        text = next((m.get("content") or "" for m in reversed(messages) if m["role"] == "assistant"), "")
        _, reward, terminated, truncated, info = env.step(str(text)[: env.action_space.max_length])
        episode["return"] += reward
        episode["done"] = terminated or truncated
        metrics = {"action": info["action"], "read_from": info["read_from"], "r_task": info["reward_terms"]["r_task"],
                   "c_interrupt": info["reward_terms"]["c_interrupt"], "success": info["success"]}
        return episode["done"], info["user_reply"] or "(no reply)", float(reward), metrics

    async def calculate_score(self, instance_id: str | None = None, **kwargs: Any) -> float:
        """The episode's return so far: R_task of the last solution minus every interruption cost."""
        return self._episodes[instance_id]["return"] if instance_id in self._episodes else 0.0

    async def finalize_interaction(self, instance_id: str | None = None, **kwargs: Any) -> None:
        self._episodes.pop(instance_id, None)


def interaction_rows(n_episodes: int, *, first_seed: int = 0, name: str = "proact",
                     env_id: str = "proact_env/Synthetic-v0", env_kwargs: Mapping[str, Any] | None = None,
                     persona: str | None = None) -> list[dict[str, Any]]:
    """verl dataset rows (write them to parquet): the first decision point as the prompt, the episode in
    ``extra_info.interaction_kwargs``."""
    env = TextActionEnv(env_id, **dict(env_kwargs or {}))
    rows = []
    for seed in range(first_seed, first_seed + n_episodes):
        observation, _ = env.reset(seed=seed, options={"persona": persona} if persona else None)
        kwargs = {"name": name, "seed": seed, **({"persona": persona} if persona else {})}
        rows.append({
            "data_source": env_id,
            "prompt": [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": observation}],
            "agent_name": "tool_agent",
            "reward_model": {"style": "rule", "ground_truth": ""},
            "extra_info": {"index": seed, "interaction_kwargs": kwargs},
        })
    return rows
