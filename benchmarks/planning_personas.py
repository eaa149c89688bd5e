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
   and which is best.

What it shows: whether asking pays depends on the user. Patient users with an
uncertain request are worth asking; impatient ones are better served by a
best guess, even when the request is vague.
"""

from __future__ import annotations

import argparse
from collections import defaultdict

from proact_env.eval.benchmark import BenchmarkConfig, run_benchmark
from proact_env.eval.metrics import EpisodeRecord, mean_ci

POLICIES = ("always_execute", "clarify_once", "threshold", "always_clarify", "random")
COMPARED = ("always_execute", "clarify_once", "threshold")


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
    """Rows of mean return per persona and initial-uncertainty half, for the compared policies."""
    groups: dict[tuple[str, str, str], list[float]] = defaultdict(list)
    for record in records:
        if record.policy in COMPARED:
            band = "high" if record.decisions[0].remaining_uncertainty >= split else "low"
            groups[(record.persona, band, record.policy)].append(record.episode_return)
    rows = [["persona", "uncertainty", "episodes", *COMPARED, "best"]]
    for persona in sorted({key[0] for key in groups}):
        for band in ("low", "high"):
            means = {p: mean_ci(groups[(persona, band, p)]) for p in COMPARED}
            episodes = len(groups[(persona, band, COMPARED[0])])
            if not episodes:
                continue
            best = max(COMPARED, key=lambda p: means[p][0])
            rows.append([persona, band, str(episodes), *(f"{means[p][0]:.3f}" for p in COMPARED), best])
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
