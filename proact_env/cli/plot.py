"""`proact plot`: redraw a saved benchmark's plots (Pareto, calibration, reliability, regret) from results.json."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from proact_env.errors import SchemaError

#: per-policy numbers every plot reads (results.json written by `proact benchmark`)
POLICY_NUMBERS = ("mean_r_task", "mean_c_interrupt")


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("plot", help="redraw a benchmark's plots (pareto, calibration, reliability, regret) from its "
                                    "results.json")
    p.add_argument("--results", "--input", type=Path, required=True,
                   help="the benchmark output folder (holding results.json)")
    p.add_argument("--out", type=Path, default=None, help="folder for the PNGs (default: the --results folder)")
    p.set_defaults(func=run)


def check_summary(summary: Any, where: str) -> dict[str, Any]:
    """The parts of results.json every plot needs, checked so a damaged file fails naming the field."""
    if not isinstance(summary, dict):
        raise SchemaError(where, None, f"expected a JSON object, got {type(summary).__name__}")
    for name in ("config", "policies"):
        if not isinstance(summary.get(name), dict) or not summary[name]:
            raise SchemaError(where, name, "missing or not a non-empty object (is this a results.json written "
                                           "by 'proact benchmark'?)")
    for spec, metrics in summary["policies"].items():
        if not isinstance(metrics, dict):
            raise SchemaError(where, f"policies.{spec}", f"expected an object, got {type(metrics).__name__}")
        for name in POLICY_NUMBERS:
            value = metrics.get(name)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise SchemaError(where, f"policies.{spec}.{name}", f"expected a number, got {value!r}")
    return summary


def run(args: argparse.Namespace) -> int:
    from proact_env.benchmark.report import read_summary, write_plots

    path = args.results / "results.json"
    summary = check_summary(read_summary(args.results), str(path))
    out = args.out or args.results
    out.mkdir(parents=True, exist_ok=True)
    try:
        paths = write_plots(summary, out)
    except (KeyError, TypeError, IndexError) as exc:  # a part one plot reads is missing or of the wrong type
        raise SchemaError(str(path), None, f"cannot be plotted ({type(exc).__name__}: {exc}); rerun "
                                           "'proact benchmark' to write it again") from None
    print("wrote " + ", ".join(str(p) for p in paths.values()))
    return 0
