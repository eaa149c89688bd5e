"""Rounding to the six digits every file and info stores, cached for the per-step hot path."""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=4096, typed=True)
def round6(value: float) -> float:
    """`round(value, 6)`, cached: rounding a float to 6 digits goes through its decimal string and costs
    as much as a small object, while the figures rounded on every step (remaining uncertainty, the
    user's satisfaction) take only a few values per episode."""
    return round(value, 6)
