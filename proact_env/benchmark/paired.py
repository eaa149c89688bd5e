"""Paired differences between policies that played the same episodes.

The benchmark seeds episode `i` identically for every policy (common random numbers), so
two policies' returns on one episode are strongly correlated: `optimal` and `threshold`
return exactly the same in most episodes. The interval of a *difference* must then come
from the per-episode differences, not from the two columns' own intervals, which
overstate it two to three times. A comparison is only made between records of the same
episode seeds; anything else is refused.
"""

from __future__ import annotations

from statistics import NormalDist
from typing import Any, Mapping, Sequence

import numpy as np

from proact_env.benchmark.metrics import EpisodeRecord, mean_ci

#: policies the exact solvers compute from the simulator's own model: bounds to measure against, not
#: contenders (`optimal` also reads the hidden state; `blind_optimal` knows the exact persona prior)
ORACLES = frozenset({"optimal", "blind_optimal"})


class EpisodeMismatchError(ValueError):
    """Two sets of records are not the same episodes, so no paired difference exists."""


def paired_difference(values: Sequence[float], reference: Sequence[float]) -> dict[str, float]:
    """Mean of `values - reference` (episode by episode) with its 95% interval half-width."""
    a, b = np.asarray(values, dtype=float), np.asarray(reference, dtype=float)
    if a.shape != b.shape:
        raise EpisodeMismatchError(f"{a.size} episodes against {b.size}: a paired difference needs the same episodes")
    mean, half = mean_ci(a - b)
    return {"mean": mean, "ci95": half, "episodes": int(a.size), "share_identical": float(np.mean(np.isclose(a, b)))}


def default_reference(mean_returns: Mapping[str, float]) -> str:
    """The best policy by mean return that is not an oracle (the one a new policy must beat)."""
    candidates = {spec: value for spec, value in mean_returns.items() if spec.partition(":")[0] not in ORACLES}
    if not candidates:
        raise ValueError("every policy is an oracle: name a --reference")
    return max(candidates, key=candidates.__getitem__)


def episode_key(records: Sequence[EpisodeRecord]) -> list[tuple[int, int]]:
    """(episode index, reset seed) of each record: what must match for a pairing."""
    return [(r.episode, r.seed) for r in records]


def paired_against(grouped: Mapping[str, Sequence[EpisodeRecord]], reference: str,
                   metric: str = "episode_return") -> dict[str, Any]:
    """Every policy's paired difference from `reference` on `metric` (per-episode attribute)."""
    if reference not in grouped:
        raise ValueError(f"reference policy {reference!r} is not among the benchmarked policies: {sorted(grouped)}")
    ref = grouped[reference]
    differences = {}
    for spec, records in grouped.items():
        if spec == reference:
            continue
        if episode_key(records) != episode_key(ref):
            raise EpisodeMismatchError(f"{spec!r} and {reference!r} did not play the same episodes")
        differences[spec] = paired_difference([getattr(r, metric) for r in records],
                                              [getattr(r, metric) for r in ref])
    # Each interval covers its own difference 95% of the time; with m comparisons at once, one of them
    # misses far more often. Bonferroni's widening makes all m hold together with 95% probability.
    widen = family_z(len(differences)) / 1.96
    for d in differences.values():
        d["ci95_family"] = d["ci95"] * widen
    return {"reference": reference, "metric": metric, "differences": differences, "comparisons": len(differences)}


def family_z(comparisons: int, level: float = 0.95) -> float:
    """The normal quantile that makes `comparisons` two-sided intervals hold jointly at `level` (Bonferroni)."""
    return NormalDist().inv_cdf(1.0 - (1.0 - level) / (2 * max(1, comparisons)))


#: two-sided 95% Student t quantiles by degrees of freedom (runs - 1); a handful of training runs
#: is the usual case, where the normal 1.96 would understate the spread badly
T_975 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262,
         10: 2.228, 15: 2.131, 20: 2.086, 30: 2.042}


def t_quantile(df: int) -> float:
    """The 97.5% t quantile for `df` degrees of freedom (the nearest tabulated df below; 1.96 past 30)."""
    return T_975[max(k for k in T_975 if k <= df)] if df <= 30 else 1.96


def across_runs(run_means: Sequence[float], runs: Sequence[str]) -> dict[str, Any]:
    """Several training runs of one policy: the mean of their mean returns, the sd across runs and
    a 95% t-interval over runs (the run-to-run noise a single run hides)."""
    values = np.asarray(run_means, dtype=float)
    sd = float(values.std(ddof=1))
    return {"runs": list(runs), "run_means": values.tolist(), "mean_return": float(values.mean()), "sd": sd,
            "ci95": t_quantile(values.size - 1) * sd / float(np.sqrt(values.size))}


def format_difference(d: Mapping[str, Any]) -> str:
    """``+0.0129 ±0.0089 (identical in 75% of 2000 episodes)``."""
    return f"{d['mean']:+.4f} ±{d['ci95']:.4f} (identical in {d['share_identical']:.0%} of {d['episodes']} episodes)"


def format_paired(paired: Mapping[str, Any]) -> str:
    """One line per policy: its paired difference from the reference, and the interval that holds
    jointly over every comparison of the run."""
    m = paired["comparisons"]
    lines = [f"paired differences in {paired['metric']} from {paired['reference']} (95% intervals, normal "
             f"approximation of the per-episode differences; [±x]: Bonferroni over the {m} comparisons, "
             "jointly 95%):"]
    lines += [f"  {spec} − {paired['reference']}: {format_difference(d)} [±{d['ci95_family']:.4f}]"
              for spec, d in paired["differences"].items()]
    return "\n".join(lines)
