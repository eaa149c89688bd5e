"""Every registered env id with the arguments its tests need (tests cover all of them)."""

from __future__ import annotations

from typing import Any

from proact_env.registration import ENV_IDS
from tests.conftest import SHARED_DATA

#: extra `gymnasium.make` arguments per id; ids that need data read it from ../shared/data
TEST_KWARGS: dict[str, dict[str, Any]] = {
    "proact_env/Synthetic-v0": {},
    "proact_env/Planning-v0": {},
    "proact_env/Coding-v0": {"dataset_path": str(SHARED_DATA / "mbpp" / "mbpp.jsonl")},
    "proact_env/HumanEvalComm-v0": {"dataset_path": str(SHARED_DATA / "humanevalcomm" / "HumanEvalComm.jsonl")},
    "proact_env/HumanEval-v0": {"dataset_path": str(SHARED_DATA / "humaneval" / "HumanEval.jsonl.gz")},
}


def env_cases() -> list[tuple[str, dict[str, Any]]]:
    missing = sorted(set(ENV_IDS) - set(TEST_KWARGS))
    if missing:
        raise AssertionError(f"registered ids without test arguments in tests/envs.py: {missing}")
    return [(env_id, TEST_KWARGS[env_id]) for env_id in ENV_IDS]


__all__ = ["SHARED_DATA", "env_cases"]
