"""Fast seeded choices: `random.Random.randrange` costs ~1.5 µs, `random()` ~0.05 µs.

Env steps make several choices each, so the hot paths use `pick`. The bias of
flooring a 53-bit float is below 1e-15 for the small ranges used here.
"""

from __future__ import annotations

import random
from bisect import bisect
from itertools import accumulate
from typing import Sequence, TypeVar

import numpy as np

T = TypeVar("T")


def pick_index(rng: random.Random, n: int) -> int:
    """A uniform index in range(n)."""
    return int(rng.random() * n)


def pick(rng: random.Random, options: Sequence[T]) -> T:
    """A uniform element of a non-empty sequence."""
    return options[int(rng.random() * len(options))]


def truncated_cdfs(weights: Sequence[float], sizes: range) -> dict[int, list[float]]:
    """For each n in `sizes`, the cumulative distribution of a count in 0..n drawn with
    `weights[:n + 1]` (renormalised): precomputed once, sampled with `pick_count`."""
    cdfs = {}
    for n in sizes:
        kept = weights[: n + 1]
        total = sum(kept)
        if total <= 0:
            raise ValueError(f"weights {tuple(weights)} give no count in 0..{n} a positive chance")
        cdfs[n] = list(accumulate(w / total for w in kept))[:-1]
    return cdfs


def pick_count(rng: random.Random, cdf: list[float]) -> int:
    """A draw from a distribution given by `truncated_cdfs`."""
    return bisect(cdf, rng.random())


def derived_seeds(seed: int | Sequence[int], n: int) -> list[int]:
    """`n` well-mixed 32-bit seeds from `seed` (an int or a sequence of ints), stable across
    Python versions and platforms (unlike `hash()` of a tuple)."""
    return [int(s) for s in np.random.SeedSequence(seed).generate_state(n, dtype=np.uint32)]
