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

#: text-action id -> the Discrete(2) id whose turns the policy writes (`proact_env.text_env.TextActionEnv`)
TEXT_ENV_IDS: dict[str, str] = {env_id.replace("-v0", "-Text-v0"): env_id for env_id in ENV_IDS}


def register_envs() -> None:
    for env_id, (entry_point, kwargs) in ENV_IDS.items():
        if env_id not in registry:
            register(id=env_id, entry_point=entry_point, kwargs=dict(kwargs))
    for env_id, base in TEXT_ENV_IDS.items():
        if env_id not in registry:
            register(id=env_id, entry_point="proact_env.text_env:TextActionEnv", kwargs={"base": base})
