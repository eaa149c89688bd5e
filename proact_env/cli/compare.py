"""`proact compare RESULTS_A RESULTS_B`: paired differences between two benchmark runs on the same episodes.

Two runs of the same episodes (same env, seed and episode count; say a policy before and
after training, or the same policies under two simulated users) are compared episode by
episode from their `episodes.csv`. Runs on different episodes are refused: their
difference would be confounded with which episodes each drew.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

from proact_env.io import read_text_lines


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "compare",
        help="paired differences (B − A, 95%% intervals) between two benchmark runs on the same episodes",
        description="For every policy in both runs (or the pair named by --pair), the mean per-episode "
        "difference of B from A with its 95%% interval. Refuses runs on different episodes.",
    )
    p.add_argument("results_a", type=Path, metavar="RESULTS_A", help="a `proact benchmark --out` folder")
    p.add_argument("results_b", type=Path, metavar="RESULTS_B", help="another one, on the same episodes")
    p.add_argument("--pair", default=None, metavar="SPEC_A,SPEC_B",
                   help="compare policy SPEC_A of run A with SPEC_B of run B (default: every policy in both)")
    p.add_argument("--metric", default="episode_return", choices=("episode_return", "r_task", "c_interrupt", "success"),
                   help="per-episode column to compare (default: %(default)s)")
    p.set_defaults(func=run)


def read_episodes(folder: Path, metric: str) -> dict[str, list[tuple[int, int, float]]]:
    """policy -> [(episode, seed, value)] from `folder/episodes.csv`, in episode order."""
    path = folder / "episodes.csv"
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found: give a folder written by 'proact benchmark --out'")
    by_policy: dict[str, list[tuple[int, int, float]]] = {}
    lines = (text for _, text in read_text_lines(path))  # a BOM is accepted; bytes that are not UTF-8 name their line
    for line, row in enumerate(csv.DictReader(lines), start=2):
        try:
            value = {"True": 1.0, "False": 0.0}.get(row[metric], None)
            value = float(row[metric]) if value is None else value
            by_policy.setdefault(row["policy"], []).append((int(row["episode"]), int(row["seed"]), value))
        except (KeyError, ValueError, TypeError) as exc:
            raise ValueError(f"{path}:{line}: bad or missing field ({exc})") from None
    return {spec: sorted(rows) for spec, rows in by_policy.items()}


def run(args: argparse.Namespace) -> int:
    from proact_env.benchmark.paired import EpisodeMismatchError, format_difference, paired_difference

    a, b = read_episodes(args.results_a, args.metric), read_episodes(args.results_b, args.metric)
    if args.pair:
        spec_a, sep, spec_b = args.pair.partition(",")
        if not sep or spec_a not in a or spec_b not in b:
            raise ValueError(f"--pair {args.pair!r}: run A has {sorted(a)}, run B has {sorted(b)}")
        pairs = [(spec_a, spec_b)]
    else:
        pairs = [(spec, spec) for spec in a if spec in b]
        if not pairs:
            raise ValueError(f"no policy is in both runs (A: {sorted(a)}, B: {sorted(b)}): name one with --pair A,B")
    print(f"paired differences in {args.metric}, B ({args.results_b}) − A ({args.results_a}), 95% intervals:")
    for spec_a, spec_b in pairs:
        rows_a, rows_b = a[spec_a], b[spec_b]
        if [r[:2] for r in rows_a] != [r[:2] for r in rows_b]:
            raise EpisodeMismatchError(
                f"{args.results_a} ({spec_a}) and {args.results_b} ({spec_b}) did not play the same episodes "
                f"({len(rows_a)} and {len(rows_b)} episodes, first seeds {rows_a[0][1]} and {rows_b[0][1]}): "
                "rerun with the same --env, --seed and --episodes")
        name = spec_a if spec_a == spec_b else f"{spec_b} (B) − {spec_a} (A)"
        print(f"  {name}: {format_difference(paired_difference([r[2] for r in rows_b], [r[2] for r in rows_a]))}")
    return 0
