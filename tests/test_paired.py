"""Paired differences: from the same episodes only, narrower than the columns' intervals, refused otherwise."""

from __future__ import annotations

import math

import numpy as np
import pytest

from proact_env.benchmark.paired import EpisodeMismatchError, default_reference, paired_difference
from proact_env.benchmark.runner import BenchmarkConfig, run_benchmark
from proact_env.cli import main


def test_paired_difference_is_the_interval_of_the_per_episode_differences():
    a, b = [1.0, 0.5, 0.0, 1.0], [1.0, 0.0, 0.0, 0.5]
    d = paired_difference(a, b)
    diffs = np.subtract(a, b)
    assert d["mean"] == pytest.approx(diffs.mean())
    assert d["ci95"] == pytest.approx(1.96 * diffs.std(ddof=1) / 2)
    assert d["share_identical"] == 0.5 and d["episodes"] == 4
    with pytest.raises(EpisodeMismatchError):
        paired_difference([1.0, 2.0], [1.0])


def test_default_reference_is_the_best_policy_that_is_not_an_oracle():
    assert default_reference({"optimal": 0.75, "threshold": 0.73, "clarify_once": 0.71}) == "threshold"
    with pytest.raises(ValueError, match="oracle"):
        default_reference({"optimal": 0.75})


def test_benchmark_stores_paired_differences_narrower_than_the_columns():
    summary = run_benchmark(BenchmarkConfig(policies=("always_execute", "threshold", "optimal"), episodes=400)).summary()
    assert summary["schema_version"] == 3
    paired = summary["paired"]
    assert paired["reference"] == "threshold"
    gap = paired["differences"]["optimal"]
    policies = summary["policies"]
    assert gap["mean"] == pytest.approx(policies["optimal"]["mean_return"] - policies["threshold"]["mean_return"])
    unpaired = math.hypot(policies["optimal"]["return_ci95"], policies["threshold"]["return_ci95"])
    assert gap["ci95"] < unpaired / 1.5  # common random numbers make the paired interval much narrower
    assert gap["share_identical"] > 0.5


def test_reference_must_be_one_of_the_policies():
    with pytest.raises(ValueError, match="reference 'optimal' is not one of"):
        BenchmarkConfig(policies=("threshold",), reference="optimal")
    summary = run_benchmark(BenchmarkConfig(policies=("threshold", "optimal"), episodes=50, reference="optimal")).summary()
    assert list(summary["paired"]["differences"]) == ["threshold"]


def test_compare_pairs_two_runs_and_refuses_different_episodes(tmp_path, capsys):
    common = ["benchmark", "--policies", "threshold,clarify_once", "--no-progress"]
    assert main([*common, "--episodes", "200", "--out", str(tmp_path / "a")]) == 0
    assert main([*common, "--episodes", "200", "--out", str(tmp_path / "b"), "--env-kwargs", '{"max_turns": 3}']) == 0
    assert main([*common, "--episodes", "200", "--seed", "1", "--out", str(tmp_path / "c")]) == 0
    capsys.readouterr()
    assert main(["compare", str(tmp_path / "a"), str(tmp_path / "b")]) == 0
    out = capsys.readouterr().out
    assert "threshold:" in out and "clarify_once:" in out and "of 200 episodes" in out
    assert main(["compare", str(tmp_path / "a"), str(tmp_path / "a"), "--pair", "clarify_once,threshold"]) == 0
    assert "threshold (B) − clarify_once (A)" in capsys.readouterr().out
    assert main(["compare", str(tmp_path / "a"), str(tmp_path / "c")]) == 2
    assert "did not play the same episodes" in capsys.readouterr().err
