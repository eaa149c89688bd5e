"""`proact plot`: redraw a saved benchmark's plots (Pareto, calibration, reliability, regret) from results.json."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("plot", help="redraw a benchmark's plots (pareto, calibration, reliability, regret) from its results.json")
    p.add_argument("--results", type=Path, required=True, help="the benchmark output folder (holding results.json)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from proact_env.benchmark.report import read_summary, write_plots

    paths = write_plots(read_summary(args.results), args.results)
    print("wrote " + ", ".join(str(p) for p in paths.values()))
    return 0
