"""Any saved stable-baselines3 model as a policy (`sb3:PATH.zip` in the benchmark)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

import gymnasium as gym
import numpy as np

from proact_env.errors import require
from proact_env.types import Action

#: Algorithms with a Discrete action space, tried in this order when the spec does not name one.
DISCRETE_ALGOS = ("PPO", "A2C", "DQN")

#: Settings that learn Synthetic-v0 reliably with `MlpPolicy`; everything else is the SB3 default.
#: (The example and the learning-curve benchmark use them.)
RECOMMENDED_HYPERPARAMS = {
    "ppo": {"n_steps": 2048, "batch_size": 256, "ent_coef": 0.01},
    "dqn": {"learning_starts": 1000, "exploration_fraction": 0.3},
    "a2c": {"ent_coef": 0.01},
}


class SB3Policy:
    """Wraps a trained SB3 model; acts with its deterministic prediction.

    The model must have been trained on the same observation layout (any
    registered proact_env id with the same `observe_persona`).
    """

    def __init__(self, model: Any, deterministic: bool = True) -> None:
        self.model = model
        self.deterministic = deterministic

    @classmethod
    def load(cls, path: str | Path, algo: str | None = None, env: gym.Env | None = None) -> "SB3Policy":
        """Load `path` with `algo` (PPO, A2C, DQN...), or try the discrete algorithms in turn."""
        sb3 = require("stable_baselines3", "rl")
        path = Path(path)
        if not path.exists() and not path.with_suffix(".zip").exists():
            raise FileNotFoundError(f"no stable-baselines3 model at {path}")
        names = [algo.upper()] if algo else list(DISCRETE_ALGOS)
        errors = []
        for name in names:
            algo_cls = getattr(sb3, name, None)
            if algo_cls is None:
                raise ValueError(f"unknown stable-baselines3 algorithm {name!r}")
            try:
                model = algo_cls.load(str(path), device="cpu")
            except Exception as exc:  # a model saved by another algorithm fails to load here
                errors.append(f"{name}: {exc}")
                continue
            if env is not None and model.observation_space.shape != env.observation_space.shape:
                raise ValueError(
                    f"{path}: the model expects observations of shape {model.observation_space.shape}, "
                    f"the env gives {env.observation_space.shape} (check observe_persona)"
                )
            return cls(model)
        raise ValueError(f"could not load {path} as any of {names}: " + "; ".join(errors))

    @classmethod
    def from_spec(cls, env: gym.Env, spec: str) -> "SB3Policy":
        """`PATH.zip` or `ALGO:PATH.zip` (the part after `sb3:` in a benchmark policy list)."""
        head, sep, rest = spec.partition(":")
        if sep and head.upper() in DISCRETE_ALGOS:
            return cls.load(rest, head, env)
        return cls.load(spec, None, env)

    def reset(self, seed: int | None = None) -> None:
        """Feed-forward policies keep no state between episodes."""

    def act(self, observation: np.ndarray, info: Mapping[str, Any]) -> Action:
        action, _ = self.model.predict(observation, deterministic=self.deterministic)
        return Action(int(action))
