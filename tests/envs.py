"""Every registered env id with the arguments its tests need (tests cover all of them)."""

from __future__ import annotations

from typing import Any

from proact_env.data import DATASETS
from proact_env.registration import ENV_IDS, TEXT_ENV_IDS
from tests.conftest import SHARED_DATA

#: data set each data-needing id reads (proact_env.data names)
ENV_DATA: dict[str, str] = {
    "proact_env/Coding-v0": "mbpp",
    "proact_env/HumanEvalComm-v0": "humanevalcomm",
    "proact_env/HumanEval-v0": "humaneval",
}
ENV_DATA.update({text_id: ENV_DATA[base] for text_id, base in TEXT_ENV_IDS.items() if base in ENV_DATA})

#: extra `gymnasium.make` arguments per id; ids that need data read it from the data folder (proact_env.data)
TEST_KWARGS: dict[str, dict[str, Any]] = {
    "proact_env/Synthetic-v0": {},
    "proact_env/Planning-v0": {},
    **{env_id: {"dataset_path": str(SHARED_DATA / DATASETS[name].relpath)} for env_id, name in ENV_DATA.items()},
}


def env_cases() -> list[tuple[str, dict[str, Any]]]:
    """(env_id, kwargs) per id. A test parametrised by `env_id` with an id in ENV_DATA gets the `needs_data`
    mark (tests/conftest.py), so it skips (CI=true: fails) when that data set is absent instead of crashing."""
    missing = sorted(set(ENV_IDS) - set(TEST_KWARGS))
    if missing:
        raise AssertionError(f"registered ids without test arguments in tests/envs.py: {missing}")
    return [(env_id, TEST_KWARGS[env_id]) for env_id in ENV_IDS]


def text_env_cases() -> list[tuple[str, dict[str, Any]]]:
    """(text env id, kwargs) per text-action id: its base id's arguments."""
    return [(text_id, TEST_KWARGS[base]) for text_id, base in TEXT_ENV_IDS.items()]


__all__ = ["ENV_DATA", "SHARED_DATA", "env_cases", "text_env_cases"]
