"""Same seed, same trajectories: the step path's speed work changed nothing the env returns.

The reference digests in `tests/rollout_digest.json` were written by `python -m tests.rollout_digest
--write` on the code before the step-cost work (issue 20, item 10); a cache or look-up table that
alters one float, one message or one info key changes the digest.
"""

from __future__ import annotations

import json

import pytest

from tests.rollout_digest import REFERENCE, ROLLOUTS, rollout_digest


@pytest.mark.parametrize("env_id", sorted(ROLLOUTS))
def test_seeded_rollouts_match_the_recorded_digest(env_id: str) -> None:
    recorded = json.loads(REFERENCE.read_text())
    assert rollout_digest(env_id, ROLLOUTS[env_id]) == recorded[env_id], (
        f"{env_id}: seeded rollouts differ from the recorded ones; if the change is meant to alter "
        "trajectories, rerun `python -m tests.rollout_digest --write` and say why in the commit"
    )


def test_the_digest_sees_a_different_seed() -> None:
    """The digest covers the rollout itself: another seed gives another digest."""
    assert rollout_digest("proact_env/Synthetic-v0", 5, seed=0) != rollout_digest("proact_env/Synthetic-v0", 5, seed=1)
