"""A digest of seeded rollouts: everything `reset` and `step` return, byte for byte.

Speed work on the step path (caches, look-up tables) must not change a single trajectory.
`tests/test_rollout_digest.py` compares the digest of these rollouts with the one recorded in
`tests/rollout_digest.json`, which this module wrote from the code before the speed work:

    python -m tests.rollout_digest --write

Rewrite the file only for a change that is *meant* to alter trajectories, and say so in the commit.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

import proact_env  # noqa: F401  (registers the env ids)

REFERENCE = Path(__file__).with_name("rollout_digest.json")

#: env id -> episodes rolled out (ids that need no data set, so the test runs everywhere)
ROLLOUTS: dict[str, int] = {"proact_env/Synthetic-v0": 300, "proact_env/Planning-v0": 40}


def _canonical(value: Any) -> Any:
    """JSON-able form of what the env returns; floats by `repr`, so a last-bit change shows."""
    if isinstance(value, np.ndarray):
        return [_canonical(v) for v in value.tolist()]
    if isinstance(value, (float, np.floating)):
        return repr(float(value))
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [_canonical(v) for v in value]
        return sorted(items, key=repr) if isinstance(value, (set, frozenset)) else items
    if value is None or isinstance(value, str):
        return value
    return repr(value)


def rollout_digest(env_id: str, episodes: int, seed: int = 0) -> str:
    """sha256 of every observation, reward, flag and info of `episodes` seeded episodes under
    seeded random actions (the first reset is seeded, later ones continue the stream, as in training)."""
    env = gym.make(env_id)
    actions = np.random.default_rng(seed)
    digest = hashlib.sha256()

    def add(record: Any) -> None:
        digest.update(json.dumps(_canonical(record), sort_keys=True).encode())

    for episode in range(episodes):
        add(env.reset(seed=seed if episode == 0 else None))
        done = False
        while not done:
            obs, reward, terminated, truncated, info = env.step(int(actions.integers(2)))
            add((obs, reward, terminated, truncated, info))
            done = terminated or truncated
    env.close()
    return digest.hexdigest()


def digests() -> dict[str, str]:
    return {env_id: rollout_digest(env_id, episodes) for env_id, episodes in ROLLOUTS.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--write", action="store_true", help=f"write the digests to {REFERENCE.name}")
    args = parser.parse_args()
    found = digests()
    print(json.dumps(found, indent=2))
    if args.write:
        REFERENCE.write_text(json.dumps(found, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
