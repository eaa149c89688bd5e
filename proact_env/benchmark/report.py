"""Writing and reading a benchmark's output folder: results.json, results.csv, episodes.csv, plots."""

from __future__ import annotations

import csv
import io
import json
import logging
import math
from pathlib import Path
from typing import Any

from proact_env.benchmark.plots import plot_calibration, plot_pareto, plot_regret, plot_reliability
from proact_env.benchmark.runner import BenchmarkResults
from proact_env.errors import MissingExtraError
from proact_env.io import atomic_write_text, read_json

logger = logging.getLogger(__name__)

CSV_COLUMNS = (
    "mean_return", "return_ci95", "success_rate", "success_ci95", "mean_r_task", "r_task_ci95",
    "mean_c_interrupt", "c_interrupt_ci95", "questions_per_episode", "reject_rate", "give_up_rate",
    "ask_rate", "mean_turns", "regret", "regret_ci95", "regret_blind", "regret_blind_ci95", "agreement_with_optimal",
    "good_question_rate", "questions_per_revealed_fact", "repeated_questions_per_episode", "vague_questions_per_episode",
)
EPISODE_COLUMNS = (
    "policy", "episode", "seed", "task_id", "persona", "episode_return", "r_task", "c_interrupt",
    "success", "gave_up", "turns", "asks", "questions", "rejections", "optimal_value",
    "blind_value", "good_questions", "repeated_questions", "vague_questions", "revealed_by_questions",
)


def _json_safe(value: Any) -> Any:
    """NaN is not JSON: write null instead."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return value


def write_results(results: BenchmarkResults, out_dir: Path, summary: dict[str, Any] | None = None) -> dict[str, Path]:
    """Write every output file; each is written atomically (no half-written file on a crash)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    summary = summary if summary is not None else results.summary()
    paths = {"json": out_dir / "results.json", "csv": out_dir / "results.csv", "episodes": out_dir / "episodes.csv"}
    atomic_write_text(paths["json"], json.dumps(_json_safe(summary), indent=2) + "\n")
    atomic_write_text(paths["csv"], _csv_text(
        ["policy", *CSV_COLUMNS],
        ([spec, *(_cell(m.get(c)) for c in CSV_COLUMNS)] for spec, m in summary["policies"].items()),
    ))
    atomic_write_text(paths["episodes"], _csv_text(
        EPISODE_COLUMNS, ([_cell(getattr(r, c)) for c in EPISODE_COLUMNS] for r in results.records)
    ))
    try:
        paths.update(write_plots(summary, out_dir))
    except MissingExtraError as exc:  # the numbers are written; the figures need the plot extra
        logger.warning("plots skipped: %s", exc)
    return paths


def write_plots(summary: dict[str, Any], out_dir: Path) -> dict[str, Path]:
    paths = {
        "pareto": plot_pareto(summary, out_dir / "pareto.png"),
        "calibration": plot_calibration(summary, out_dir / "calibration.png"),
        "reliability": plot_reliability(summary, out_dir / "reliability.png"),
    }
    if (summary.get("optimum") or {}).get("blind_mean_value") is not None:
        paths["regret"] = plot_regret(summary, out_dir / "regret.png")
    return paths


def read_summary(out_dir: Path) -> Any:
    """The results.json of a benchmark folder; bad JSON names its line (`proact_env.io.read_json`)."""
    path = out_dir / "results.json"
    if out_dir.is_file():
        raise NotADirectoryError(f"{out_dir}: is a file; give the benchmark's output folder (the one holding "
                                 "results.json)")
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file; run 'proact benchmark --out {out_dir}' first")
    return read_json(path, "results.json written by 'proact benchmark'")


def _cell(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return round(value, 6) if isinstance(value, float) else value


def _csv_text(header, rows) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()
