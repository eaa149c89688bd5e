"""Is clarifying worth it on Planning-v0, for which users, and when? Per-persona returns of the baselines.

    python benchmarks/planning_personas.py [--episodes 1000] [--seed 0] [--split 0.5] [--workers 1]

Runs the same benchmark as

    proact benchmark --env proact_env/Planning-v0 \\
        --policies always_execute,clarify_once,threshold,always_clarify,random --episodes 1000

(every policy plays the same episodes: same tasks, users and seeds) and prints:

1. the mean return of every policy per persona (`per_persona` in that run's
   results.json), with 95% intervals;
2. per persona and initial task uncertainty (low: below `--split`, high: at or
   above it), the mean return of always_execute, clarify_once and threshold,
   what clarify_once and threshold gain over always_execute on the same
   episodes (paired, ±95%), and which is best.

What it shows: whether asking pays depends on the user. Patient users with an
uncertain request are worth asking; impatient ones are better served by a
best guess, even when the request is vague.
"""

from __future__ import annotations

import argparse
from collections import defaultdict

from proact_env.benchmark.metrics import EpisodeRecord, mean_ci
from proact_env.benchmark.runner import BenchmarkConfig, run_benchmark

POLICIES = ("always_execute", "clarify_once", "threshold", "always_clarify", "random")
BASELINE = "always_execute"
ASKING = ("clarify_once", "threshold")
COMPARED = (BASELINE, *ASKING)


def persona_table(summary: dict) -> list[str]:
    """Rows of mean return ±95% per persona (rows) and policy (columns)."""
    personas = sorted(next(iter(summary["policies"].values()))["per_persona"])
    header = ["persona", *summary["policies"]]
    rows = [header]
    for persona in personas:
        row = [persona]
        for metrics in summary["policies"].values():
            cell = metrics["per_persona"][persona]
            row.append(f"{cell['mean_return']:.3f} ±{cell['return_ci95']:.3f}")
        rows.append(row)
    return _format(rows)


def uncertainty_table(records: list[EpisodeRecord], split: float) -> list[str]:
    """Per persona and initial-uncertainty half: mean returns of the compared policies, and what asking gains.

    The gain columns are paired differences (same episode, same user) against
    always_execute, with 95% intervals: common random numbers make them far
    tighter than the difference of two means.
    """
    returns: dict[tuple[str, int], float] = {(r.policy, r.episode): r.episode_return for r in records}
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for record in records:
        if record.policy == BASELINE:
            band = "high" if record.decisions[0].remaining_uncertainty >= split else "low"
            groups[(record.persona, band)].append(record.episode)
    rows = [["persona", "uncertainty", "episodes", *COMPARED, *(f"{p} - {BASELINE}" for p in ASKING), "best"]]
    for (persona, band), episodes in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1] != "low")):
        means = {p: mean_ci([returns[(p, e)] for e in episodes])[0] for p in COMPARED}
        gains = [mean_ci([returns[(p, e)] - returns[(BASELINE, e)] for e in episodes]) for p in ASKING]
        rows.append([
            persona, band, str(len(episodes)), *(f"{means[p]:.3f}" for p in COMPARED),
            *(f"{mean:+.3f} ±{half:.3f}" for mean, half in gains), max(COMPARED, key=means.__getitem__),
        ])
    return _format(rows)


def _format(rows: list[list[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--episodes", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--split", type=float, default=0.5, help="initial uncertainty separating low from high")
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    config = BenchmarkConfig(env_id="proact_env/Planning-v0", policies=POLICIES, episodes=args.episodes,
                             seed=args.seed, workers=args.workers)
    results = run_benchmark(config)
    print(f"Planning-v0, {args.episodes} episodes, seed {args.seed}: mean return per persona (±95%)")
    print("\n".join(persona_table(results.summary())))
    print(f"\nby initial task uncertainty (high: >= {args.split})")
    print("\n".join(uncertainty_table(results.records, args.split)))


if __name__ == "__main__":
    main()
