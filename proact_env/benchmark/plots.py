"""Figures people would rather look at than read: the Pareto front, calibration, reliability."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from proact_env.errors import require


def new_figure(**kwargs: Any) -> Any:
    """A matplotlib `Figure` not managed by pyplot: drawing and saving it never touches the global
    backend or pyplot's figure list, so a notebook user's backend stays as they set it."""
    require("matplotlib", "plot")
    from matplotlib.figure import Figure

    return Figure(**kwargs)


def pareto_frontier(points: list[tuple[float, float]]) -> list[int]:
    """Indices of the points no other point beats on both axes (lower cost, higher task score)."""
    order = sorted(range(len(points)), key=lambda i: (points[i][0], -points[i][1]))
    frontier, best = [], float("-inf")
    for i in order:
        if points[i][1] > best:
            frontier.append(i)
            best = points[i][1]
    return frontier


def attainment_staircase(points: list[tuple[float, float]]) -> tuple[list[float], list[float]]:
    """The frontier as the boundary of what it dominates, from the lowest score straight up to the
    cheapest frontier point, through each frontier point, out to the highest cost: a line even
    when one policy dominates all the others (a lone frontier point draws nothing)."""
    frontier = [points[i] for i in pareto_frontier(points)]
    xs = [frontier[0][0]] + [x for x, _ in frontier] + [max(x for x, _ in points)]
    ys = [min(y for _, y in points)] + [y for _, y in frontier] + [frontier[-1][1]]
    return xs, ys


def separate_labels(fig: Any, texts: list[Any], step: float = 11.0, tries: int = 30) -> None:
    """Move annotation labels down a line at a time until none overlaps one placed before it, measured
    in the rendered figure (Agg's renderer on this figure only; the global backend is untouched). Each
    label carries a thin leader line to its point, which shows only once a label has moved away."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.text import Text

    renderer = FigureCanvasAgg(fig).get_renderer()
    placed: list[Any] = []
    for text in texts:
        for _ in range(tries):
            box = Text.get_window_extent(text, renderer)  # the words only, not the leader line
            if not any(box.overlaps(other) for other in placed):
                break
            x, y = text.get_position()
            text.set_position((x, y - step))
        placed.append(Text.get_window_extent(text, renderer))


def plot_pareto(summary: dict[str, Any], path: Path) -> Path:
    """Mean R_task against mean interruption cost, one point per policy with 95% intervals."""
    specs = list(summary["policies"])
    metrics = [summary["policies"][s] for s in specs]
    points = [(m["mean_c_interrupt"], m["mean_r_task"]) for m in metrics]
    fig = new_figure(figsize=(8.5, 5))
    ax = fig.subplots()
    xs, ys = attainment_staircase(points)
    ax.plot(xs, ys, color="0.45", ls="--", lw=1.5, drawstyle="steps-post", zorder=1, label="Pareto frontier")
    frontier = pareto_frontier(points)
    ax.plot([points[i][0] for i in frontier], [points[i][1] for i in frontier], ls="none", marker="o", color="0.45",
            markersize=11, markerfacecolor="none", markeredgecolor="0.45", zorder=1)
    for spec, m, (x, y) in zip(specs, metrics, points):
        ax.errorbar(x, y, xerr=m["c_interrupt_ci95"], yerr=m["r_task_ci95"], fmt="o", capsize=3, label=spec, zorder=2)
    leader = {"arrowstyle": "-", "lw": 0.5, "color": "0.5", "shrinkA": 0, "shrinkB": 4}
    labels = [ax.annotate(spec, (x, y), textcoords="offset points", xytext=(6, 4), fontsize=8, arrowprops=leader)
              for spec, (x, y) in zip(specs, points)]
    ax.set_xlabel("mean interruption cost C_interrupt (lower is better)")
    ax.set_ylabel("mean task score R_task (higher is better)")
    config = summary["config"]
    ax.set_title(f"{config['env_id']}: {config['episodes']} episodes per policy")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0)  # beside, over no point
    fig.tight_layout()
    separate_labels(fig, labels)
    fig.savefig(path, dpi=120)
    return path


def plot_calibration(summary: dict[str, Any], path: Path) -> Path:
    """How often each policy asks as the remaining uncertainty grows; the optimum's line is the
    `optimal` policy's, drawn thick when it is among the policies (results.json also holds, for
    every policy, how often the optimum would have asked at that policy's own states)."""
    fig = new_figure(figsize=(8.5, 5))
    ax = fig.subplots()
    for spec, m in summary["policies"].items():
        cal = m["calibration"]
        edges = cal["bin_edges"]
        centres = [(a + b) / 2 for a, b in zip(edges[:-1], edges[1:])]
        ys = [math.nan if r is None else r for r in cal["ask_rate"]]  # an empty bin breaks the line
        style = {"color": "black", "lw": 2.5} if spec == "optimal" else {}
        ax.plot(centres, ys, marker="o", label=spec, **style)
    ax.set_xlabel("remaining uncertainty (probability that executing now fails)")
    ax.set_ylabel("ask rate (share of decisions that Clarify)")
    ax.set_ylim(-0.03, 1.03)
    ax.set_title("Calibration: when does each policy ask?")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    return path


def plot_reliability(summary: dict[str, Any], path: Path) -> Path:
    """Success by turn budget (left) and, when episodes were replayed, pass^k (right), per policy."""
    policies = summary["policies"]
    with_pass_k = any("pass_k" in m for m in policies.values())
    fig = new_figure(figsize=(12 if with_pass_k else 7, 5))
    axes = fig.subplots(1, 2 if with_pass_k else 1, squeeze=False)
    left = axes[0][0]
    for spec, m in policies.items():
        style = {"color": "black", "lw": 2.5} if spec == "optimal" else {}
        left.plot(m["by_turn_budget"]["budget"], m["by_turn_budget"]["success"], marker="o", label=spec, **style)
    left.set_xticks(next(iter(policies.values()))["by_turn_budget"]["budget"])
    left.set_xlabel("turn budget (assistant turns allowed)")
    left.set_ylabel("success rate within the budget")
    left.set_ylim(-0.03, 1.03)
    left.set_title("Success by turn budget")
    left.grid(alpha=0.3)
    left.legend(fontsize=7)
    if with_pass_k:
        right = axes[0][1]
        for spec, m in policies.items():
            ks = [int(k) for k in m["pass_k"]]
            style = {"color": "black", "lw": 2.5} if spec == "optimal" else {}
            right.plot(ks, list(m["pass_k"].values()), marker="o", label=spec, **style)
        right.set_xticks(ks)
        right.set_xlabel("k (replays of the episode that must all succeed)")
        right.set_ylabel("pass^k")
        right.set_ylim(-0.03, 1.03)
        right.set_title("Reliability: pass^k with fresh user randomness")
        right.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    return path


def plot_regret(summary: dict[str, Any], path: Path) -> Path:
    """Each policy's regret against the oracle and against the exact persona-blind optimum, with 95%
    intervals: the gap between the two bars is the information limit (what knowing the user is worth),
    the blind bar what a persona-blind policy could still gain."""
    optimum = summary["optimum"]
    specs = list(summary["policies"])
    metrics = [summary["policies"][s] for s in specs]
    fig = new_figure(figsize=(8, 0.45 * len(specs) + 1.8))
    ax = fig.subplots()
    rows = range(len(specs))
    ax.barh([r + 0.2 for r in rows], [m["regret"] for m in metrics], height=0.38,
            xerr=[m["regret_ci95"] or 0.0 for m in metrics], capsize=3, color="tab:gray",
            label="regret (against the oracle, which knows the user)")
    ax.barh([r - 0.2 for r in rows], [m["regret_blind"] for m in metrics], height=0.38,
            xerr=[m["regret_blind_ci95"] or 0.0 for m in metrics], capsize=3, color="tab:blue",
            label="regret_blind (against the best persona-blind policy)")
    limit = optimum["exact_mean_value"] - optimum["blind_mean_value"]
    ax.axvline(limit, color="tab:red", ls="--", lw=1, label=f"information limit oracle − blind = {limit:.3f}")
    ax.axvline(0.0, color="black", lw=0.8)
    ax.set_yticks(list(rows))
    ax.set_yticklabels(specs)
    ax.invert_yaxis()
    ax.set_xlabel("mean return lost per episode (95% intervals)")
    config = summary["config"]
    observed = (config.get("env_kwargs") or {}).get("observe_persona", True)
    ax.set_title(f"{config['env_id']} ({'persona observed' if observed else 'persona hidden'}): "
                 f"{config['episodes']} episodes per policy")
    ax.grid(alpha=0.3, axis="x")
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    return path
