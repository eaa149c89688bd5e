"""The benchmark: fair (same episodes), exact where the optimum is known, reproducible in parallel."""

from __future__ import annotations

import csv
import json

import pytest

from proact_env.benchmark.registry import DEFAULT_POLICIES
from proact_env.benchmark.runner import BenchmarkConfig, format_lost_value, format_table, run_benchmark
from proact_env.cli import main


@pytest.fixture(scope="module")
def full_run():
    results = run_benchmark(BenchmarkConfig(policies=DEFAULT_POLICIES, episodes=2000, seed=0))
    return results, results.summary()


def test_every_policy_plays_the_same_episodes(full_run):
    results, _ = full_run
    grouped = results.by_policy()
    reference = [(r.seed, r.task_id, r.persona) for r in grouped["optimal"]]
    for records in grouped.values():
        assert [(r.seed, r.task_id, r.persona) for r in records] == reference


def test_optimal_has_the_best_return_and_matches_the_exact_value(full_run):
    _, summary = full_run
    policies = summary["policies"]
    best = max(policies, key=lambda spec: policies[spec]["mean_return"])
    assert best == "optimal"
    optimal = policies["optimal"]
    exact = summary["optimum"]["exact_mean_value"]
    assert abs(optimal["mean_return"] - exact) <= optimal["return_ci95"]
    assert abs(optimal["regret"]) <= optimal["regret_ci95"]
    assert optimal["agreement_with_optimal"] == 1.0


def test_summary_holds_every_metric_and_the_breakdowns(full_run):
    _, summary = full_run
    for metrics in summary["policies"].values():
        for key in ("mean_return", "return_ci95", "success_rate", "mean_r_task", "mean_c_interrupt",
                    "questions_per_episode", "reject_rate", "ask_rate", "mean_turns", "regret",
                    "agreement_with_optimal"):
            assert metrics[key] == metrics[key], key  # not NaN
        assert set(metrics["per_persona"]) == {"impatient_expert", "patient_novice", "busy_manager",
                                               "cooperative_collaborator", "terse_user"}
        assert len(metrics["calibration"]["ask_rate"]) == len(metrics["calibration"]["bin_edges"]) - 1
    assert summary["policies"]["always_execute"]["ask_rate"] == 0.0
    assert "optimal" in format_table(summary)


def test_question_quality_tells_good_questions_from_repeated_and_vague_ones(full_run):
    results, summary = full_run
    policies = summary["policies"]
    # the scripted writer asks about unknown slots while any is left: the optimum never asks in vain
    assert policies["optimal"]["good_question_rate"] == 1.0
    assert policies["optimal"]["repeated_questions_per_episode"] == 0.0
    # asking on after everything is told repeats questions; seed_rule asks when the task is clear
    assert policies["always_clarify"]["repeated_questions_per_episode"] > 0.5
    assert policies["seed_rule"]["good_question_rate"] < 0.2
    assert policies["always_execute"]["good_question_rate"] != policies["always_execute"]["good_question_rate"]
    for spec, records in results.by_policy().items():
        heard = sum(r.good_questions + r.repeated_questions + r.vague_questions for r in records)
        revealed = sum(r.revealed_by_questions for r in records)
        if revealed:
            assert policies[spec]["questions_per_revealed_fact"] == pytest.approx(heard / revealed)
    assert "question quality" in format_table(summary) and summary["schema_version"] == 3


def test_lost_value_by_situation_adds_up_to_the_regret_and_names_where_it_is_made(full_run):
    """Per-decision lost value Q*(s, a*) - Q*(s, a) sums to the regret (performance-difference lemma)."""
    _, summary = full_run
    for spec, metrics in summary["policies"].items():
        rows = metrics["lost_value_by_situation"]
        lost = sum(row["lost_value_per_episode"] for row in rows)
        assert abs(lost - metrics["regret"]) <= metrics["regret_ci95"], spec
        assert sum(row["decisions"] for row in rows) == round(metrics["mean_turns"] * metrics["episodes"])
        assert [row["lost_value_per_episode"] for row in rows] == sorted(
            (row["lost_value_per_episode"] for row in rows), reverse=True)
    assert all(row["lost_value_per_episode"] == 0.0 for row in summary["policies"]["optimal"]["lost_value_by_situation"])
    # clarify_once's worst loss: not asking again when a first answer left the task unclear
    worst = summary["policies"]["clarify_once"]["lost_value_by_situation"][0]
    assert worst["situation"] == "turn 1, no rejection, unclear"
    assert worst["ask_rate"] == 0.0 and worst["optimal_ask_rate"] > 0.9
    printed = format_lost_value(summary)
    assert "where clarify_once loses value" in printed and "where optimal" not in printed


def test_parallel_workers_give_identical_numbers():
    config = dict(policies=("optimal", "random", "threshold"), episodes=250, seed=5)
    serial = run_benchmark(BenchmarkConfig(**config))
    parallel = run_benchmark(BenchmarkConfig(**config, workers=2))
    assert serial.records == parallel.records
    assert json.dumps(serial.summary()["policies"]) == json.dumps(parallel.summary()["policies"])


def test_cli_writes_tables_and_plots_and_plot_redraws_them(tmp_path, capsys):
    out = tmp_path / "bench"
    code = main(["benchmark", "--policies", "always_execute,optimal", "--episodes", "60", "--out", str(out),
                 "--no-progress", "--env-kwargs", '{"max_turns": 4}'])
    assert code == 0
    assert "always_execute" in capsys.readouterr().out
    for name in ("results.json", "results.csv", "episodes.csv", "pareto.png", "calibration.png", "regret.png"):
        assert (out / name).stat().st_size > 0
    rows = list(csv.DictReader((out / "results.csv").open()))
    assert [r["policy"] for r in rows] == ["always_execute", "optimal"]
    assert float(rows[0]["regret_blind"]) < float(rows[0]["regret"])  # the oracle knows more than any blind policy
    episodes = list(csv.DictReader((out / "episodes.csv").open()))
    assert all(float(e["blind_value"]) <= float(e["optimal_value"]) + 1e-9 for e in episodes)
    assert json.loads((out / "results.json").read_text())["config"]["env_kwargs"] == {"max_turns": 4}
    (out / "pareto.png").unlink()
    assert main(["plot", "--results", str(out)]) == 0
    assert (out / "pareto.png").exists()


def test_cli_errors_are_one_clear_line(tmp_path, capsys):
    assert main(["benchmark", "--policies", "nonsense", "--episodes", "5", "--out", str(tmp_path)]) == 2
    assert "unknown policy 'nonsense'" in capsys.readouterr().err
    assert main(["plot", "--results", str(tmp_path / "missing")]) == 2
