"""What the baselines share: knowing the env they act in, and a stateless reset."""

from __future__ import annotations

import gymnasium as gym
import numpy as np

from proact_env.policy import ObservationView


class EnvPolicy:
    """A policy built for one env; it decodes observations with that env's `max_turns`."""

    def __init__(self, env: gym.Env) -> None:
        self.max_turns: int = env.unwrapped.max_turns

    def view(self, observation: np.ndarray) -> ObservationView:
        return ObservationView(observation, self.max_turns)

    def reset(self, seed: int | None = None) -> None:
        """Stateless by default: every decision is read from the observation."""
