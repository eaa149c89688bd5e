"""Shared fixtures. Tests never touch the network: servers they need bind 127.0.0.1."""

from __future__ import annotations

import os
from pathlib import Path

# Two xdist workers on two cores: one BLAS/torch thread each, or they oversubscribe
# the CPU and small-model training slows several-fold. Set before torch is imported.
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("PROACT_SHARED_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The read-only public data sets (MBPP, HumanEval, HumanEvalComm) beside the checkout."""
    if not SHARED_DATA.is_dir():
        pytest.fail(f"shared data not found at {SHARED_DATA}: tests read public data sets from there")
    return SHARED_DATA
