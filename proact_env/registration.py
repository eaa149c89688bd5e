"""Gymnasium ids of the package's environments (registered on `import proact_env`)."""

from __future__ import annotations

from gymnasium.envs.registration import register, registry

#: id -> (entry point, default kwargs). Later task sources add their ids here.
ENV_IDS: dict[str, tuple[str, dict]] = {
    "proact_env/Synthetic-v0": ("proact_env.env:ProactEnv", {"domain": "mixed"}),
    "proact_env/Planning-v0": ("proact_env.domains.planning.environment:make_planning_env", {}),
    "proact_env/Coding-v0": ("proact_env.domains.coding.envs:make_coding_env", {}),
    "proact_env/HumanEvalComm-v0": ("proact_env.domains.coding.envs:make_humanevalcomm_env", {}),
    "proact_env/HumanEval-v0": ("proact_env.domains.coding.envs:make_humaneval_env", {}),
}


def register_envs() -> None:
    for env_id, (entry_point, kwargs) in ENV_IDS.items():
        if env_id not in registry:
            register(id=env_id, entry_point=entry_point, kwargs=dict(kwargs))
