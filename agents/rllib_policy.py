"""A trained RLlib module as a policy (`rllib:CHECKPOINT` in the benchmark).

RLlib (``pip install 'proact-env[rllib]'``) pins its own gymnasium, so it lives
in its own virtual environment (see the README); this loader runs there, next
to the trainer that wrote the checkpoint.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

import gymnasium as gym
import numpy as np

from proact_env.errors import require
from proact_env.types import Action

#: Where an algorithm checkpoint (`Algorithm.save_to_path`) keeps the single-agent module.
MODULE_IN_ALGORITHM_CHECKPOINT = Path("learner_group", "learner", "rl_module", "default_policy")


def module_path(path: str | Path) -> Path:
    """The RLModule folder of `path`: an algorithm checkpoint or the module folder itself."""
    path = Path(path)
    nested = path / MODULE_IN_ALGORITHM_CHECKPOINT
    if nested.is_dir():
        return nested
    if path.is_dir():
        return path
    raise FileNotFoundError(f"no RLlib checkpoint at {path}")


class RLlibPolicy:
    """Acts greedily on the action logits of an RLlib `RLModule` (a deterministic benchmark policy).

    The module must have been trained on the same observation layout (any
    registered proact_env id with the same `observe_persona`).
    """

    def __init__(self, module: Any) -> None:
        self.module = module
        self._torch = require("torch", "rllib")
        self._logits_key = require("ray.rllib.core", "rllib").Columns.ACTION_DIST_INPUTS

    @classmethod
    def load(cls, path: str | Path, env: gym.Env | None = None) -> "RLlibPolicy":
        rl_module = require("ray.rllib.core.rl_module.rl_module", "rllib")
        module = rl_module.RLModule.from_checkpoint(str(module_path(path)))
        expected = getattr(module, "observation_space", None)
        if env is not None and expected is not None and expected.shape != env.observation_space.shape:
            raise ValueError(f"{path}: the module expects observations of shape {expected.shape}, "
                             f"the env gives {env.observation_space.shape} (check observe_persona)")
        return cls(module)

    @classmethod
    def from_spec(cls, env: gym.Env, spec: str) -> "RLlibPolicy":
        """The part after `rllib:` in a benchmark policy list: a checkpoint folder."""
        return cls.load(spec, env)

    def reset(self, seed: int | None = None) -> None:
        """Feed-forward modules keep no state between episodes."""

    def act(self, observation: np.ndarray, info: Mapping[str, Any]) -> Action:
        batch = {"obs": self._torch.as_tensor(np.asarray(observation, dtype=np.float32)[None])}
        with self._torch.no_grad():
            logits = self.module.forward_inference(batch)[self._logits_key][0]
        return Action(int(self._torch.argmax(logits)))
