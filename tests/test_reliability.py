"""pass^k over replays with fresh user randomness, and success/return by turn budget."""

from __future__ import annotations

import gymnasium as gym
import pytest

from proact_env.benchmark.metrics import EpisodeRecord, pass_k
from proact_env.benchmark.runner import BenchmarkConfig, run_benchmark


def _record(successes: list[bool]) -> EpisodeRecord:
    return EpisodeRecord(policy="p", episode=0, seed=0, task_id="t", persona="x", episode_return=0.0, r_task=0.0,
                         c_interrupt=0.0, success=successes[0], gave_up=False, turns=1, asks=0, questions=0,
                         rejections=0, replay_successes=successes)


def test_pass_k_is_the_chance_that_k_replays_drawn_without_replacement_all_succeed():
    records = [_record([True, True, False, True]), _record([False, False, False, False])]
    # episode 1: c=3 of n=4 → pass^1 3/4, pass^2 C(3,2)/C(4,2)=1/2, pass^3 1/4, pass^4 0; episode 2: all 0
    assert pass_k(records) == pytest.approx({"1": 3 / 8, "2": 1 / 4, "3": 1 / 8, "4": 0.0})


def test_user_seed_replays_the_same_task_and_persona_with_another_user_stream():
    env = gym.make("proact_env/Synthetic-v0").unwrapped

    def play(options):
        env.reset(seed=3, options=options)
        task, persona = env.episode.task.id, env.episode.persona.name
        replies = [env.step(0)[4]["user_reply"] for _ in range(3)]
        return task, persona, replies

    base, again, other = play(None), play({"user_seed": 11}), play({"user_seed": 11})
    assert base[:2] == again[:2]  # same task and user
    assert again == other  # same user seed, same replies
    assert any(play({"user_seed": s})[2] != base[2] for s in range(12, 20))  # fresh randomness changes them
    with pytest.raises(ValueError, match="user_seed must be an int"):
        env.reset(seed=3, options={"user_seed": "7"})


def test_replays_add_pass_k_and_leave_every_other_metric_unchanged():
    policies = ("always_execute", "threshold")
    one = run_benchmark(BenchmarkConfig(policies=policies, episodes=150)).summary()
    three = run_benchmark(BenchmarkConfig(policies=policies, episodes=150, replays=3)).summary()
    for spec in policies:
        m1, m3 = one["policies"][spec], three["policies"][spec]
        assert "pass_k" not in m1 and list(m3["pass_k"]) == ["1", "2", "3"]
        assert m3["pass_k"]["1"] >= m3["pass_k"]["2"] >= m3["pass_k"]["3"]
        assert m1["mean_return"] == m3["mean_return"] and m1["success_rate"] == m3["success_rate"]
        budget = m1["by_turn_budget"]
        assert budget["budget"] == list(range(1, len(budget["budget"]) + 1))
        assert budget["success"] == sorted(budget["success"])  # a larger budget never succeeds less
        assert budget["success"][-1] == pytest.approx(m1["success_rate"])
        assert budget["return"][-1] == pytest.approx(m1["mean_return"])
    with pytest.raises(ValueError, match="replays must be in 1..8"):
        BenchmarkConfig(replays=9)
