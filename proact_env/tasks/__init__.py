"""Task sources: where the user's requests, their hidden information and their scorers come from."""

from __future__ import annotations

import random
from typing import Any, Protocol

from proact_env.tasks.synthetic import SyntheticSpec, SyntheticTaskSource
from proact_env.types import Task


class TaskSource(Protocol):
    """Anything the env can draw tasks from.

    `sample` must use only the generator it is given, so that a seeded reset
    always yields the same task.
    """

    def sample(self, rng: random.Random) -> Task: ...

    def describe(self) -> dict[str, Any]:
        """A JSON-able description, recorded with results so a run can be reproduced."""


__all__ = ["SyntheticSpec", "SyntheticTaskSource", "TaskSource"]
