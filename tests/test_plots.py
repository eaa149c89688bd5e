"""The benchmark's figures: drawn on their own `Figure`s (a user's backend is left alone), with the
Pareto frontier visible, calibration lines broken at empty bins and legends beside the data."""

from __future__ import annotations

import math

import pytest

matplotlib = pytest.importorskip("matplotlib")

from proact_env.benchmark import plots  # noqa: E402
from proact_env.benchmark.report import write_plots  # noqa: E402
from proact_env.benchmark.runner import BenchmarkConfig, run_benchmark  # noqa: E402


@pytest.fixture(scope="module")
def summary():
    config = BenchmarkConfig(policies=("always_execute", "clarify_once", "threshold", "optimal", "always_clarify"),
                             episodes=60, seed=0, replays=2, regret_blind=False)
    return run_benchmark(config).summary()


@pytest.fixture
def figures(monkeypatch):
    """Every figure the plots module makes, kept for inspection."""
    made = []
    original = plots.new_figure

    def keep(**kwargs):
        made.append(original(**kwargs))
        return made[-1]

    monkeypatch.setattr(plots, "new_figure", keep)
    return made


def test_plotting_leaves_the_users_backend_alone(summary, tmp_path):
    before = matplotlib.get_backend()
    matplotlib.use("pdf")  # what a user (or a notebook) chose
    try:
        write_plots(summary, tmp_path)
        assert matplotlib.get_backend() == "pdf"
    finally:
        matplotlib.use(before)
    assert all((tmp_path / f"{name}.png").stat().st_size > 0 for name in ("pareto", "calibration", "reliability"))


def test_the_pareto_frontier_is_drawn_and_the_legend_covers_no_point(summary, tmp_path, figures):
    plots.plot_pareto(summary, tmp_path / "pareto.png")
    ax = figures[-1].axes[0]
    frontier = [line for line in ax.get_lines() if line.get_label() == "Pareto frontier"]
    assert len(frontier) == 1 and len(frontier[0].get_xdata()) >= 3 and frontier[0].get_linestyle() != "None"
    assert len(set(frontier[0].get_xdata())) >= 2  # a line with extent, even when one policy dominates
    anchor = ax.get_legend().get_bbox_to_anchor().transformed(ax.transAxes.inverted())
    assert anchor.x0 > 1.0  # right of the axes, where no point is


def test_labels_of_nearby_points_do_not_overlap(summary, tmp_path, figures):
    plots.plot_pareto(summary, tmp_path / "pareto.png")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.text import Text

    fig = figures[-1]
    renderer = FigureCanvasAgg(fig).get_renderer()
    fig.draw(renderer)
    boxes = [Text.get_window_extent(text, renderer) for text in fig.axes[0].texts]  # the words, not the leaders
    assert len(boxes) == len(summary["policies"])
    overlapping = [(i, j) for i in range(len(boxes)) for j in range(i) if boxes[i].overlaps(boxes[j])]
    assert overlapping == []


def test_calibration_lines_break_at_empty_bins(summary, tmp_path, figures):
    plots.plot_calibration(summary, tmp_path / "calibration.png")
    lines = {line.get_label(): line for line in figures[-1].axes[0].get_lines()}
    for spec, metrics in summary["policies"].items():
        rates = metrics["calibration"]["ask_rate"]
        drawn = list(lines[spec].get_ydata())
        assert len(drawn) == len(rates)
        assert [math.isnan(y) for y in drawn] == [r is None for r in rates]
    assert any(r is None for m in summary["policies"].values() for r in m["calibration"]["ask_rate"])
