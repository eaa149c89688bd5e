"""Fast seeded choices: `random.Random.randrange` costs ~1.5 µs, `random()` ~0.05 µs.

Env steps make several choices each, so the hot paths use `pick`. The bias of
flooring a 53-bit float is below 1e-15 for the small ranges used here.
"""

from __future__ import annotations

import random
from bisect import bisect
from itertools import accumulate
from typing import Sequence, TypeVar

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
        cdfs[n] = list(accumulate(w / total for w in kept))[:-1]
    return cdfs


def pick_count(rng: random.Random, cdf: list[float]) -> int:
    """A draw from a distribution given by `truncated_cdfs`."""
    return bisect(cdf, rng.random())
