"""Fast seeded choices: `random.Random.randrange` costs ~1.5 µs, `random()` ~0.05 µs.

Env steps make several choices each, so the hot paths use `pick`. The bias of
flooring a 53-bit float is below 1e-15 for the small ranges used here.
"""

from __future__ import annotations

import random
from typing import Sequence, TypeVar

T = TypeVar("T")


def pick_index(rng: random.Random, n: int) -> int:
    """A uniform index in range(n)."""
    return int(rng.random() * n)


def pick(rng: random.Random, options: Sequence[T]) -> T:
    """A uniform element of a non-empty sequence."""
    return options[int(rng.random() * len(options))]
