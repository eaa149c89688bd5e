"""Shared fixtures. Tests never touch the network: servers they need bind 127.0.0.1."""

from __future__ import annotations

import os
from pathlib import Path

# Two xdist workers on two cores: one BLAS/torch thread each, or they oversubscribe
# the CPU and small-model training slows several-fold. Set before torch is imported.
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import pytest

from proact_env.data import DATASETS, DataNotFoundError, data_dir, dataset_path

REPO = Path(__file__).resolve().parents[1]
#: where the public data sets are (proact_env.data: PROACT_DATA, ../shared/data, user cache)
SHARED_DATA = data_dir()
FETCH_HINT = "proact fetch-data all"


def require_data(*names: str) -> Path:
    """The data folder, if it holds data sets `names` (default: all); else skip, or fail under CI=true.

    CI must never go green by skipping, so there a missing data set is a failure.
    """
    try:
        for name in names or tuple(DATASETS):
            dataset_path(name, SHARED_DATA)
    except DataNotFoundError as exc:
        reason = f"data sets missing ({exc}); run `{FETCH_HINT}` to get them"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true: {reason}", pytrace=False)
        pytest.skip(reason)
    return SHARED_DATA


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "needs_data(*names): the test reads public data sets (skipped when absent)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    from tests.envs import ENV_DATA

    for item in items:
        env_id = getattr(getattr(item, "callspec", None), "params", {}).get("env_id")
        if isinstance(env_id, str) and env_id in ENV_DATA:
            item.add_marker(pytest.mark.needs_data(ENV_DATA[env_id]))


def pytest_runtest_setup(item: pytest.Item) -> None:
    for mark in item.iter_markers(name="needs_data"):
        require_data(*mark.args)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The read-only public data sets (MBPP, HumanEval, HumanEvalComm); skipped (CI: failed) when absent."""
    return require_data()
