"""Third-party RL: a stable-baselines3 agent trains on the env as it is and plugs into the benchmark."""

from __future__ import annotations

import json

import gymnasium as gym
import numpy as np
import pytest

import proact_env  # noqa: F401
from proact_env.benchmark.runner import BenchmarkConfig, run_benchmark

pytest.importorskip("stable_baselines3")


@pytest.mark.slow
def test_ppo_trained_briefly_beats_random(tmp_path):
    from stable_baselines3 import PPO

    model = PPO("MlpPolicy", gym.make("proact_env/Synthetic-v0"), seed=0, n_steps=1024, batch_size=128,
                ent_coef=0.01, device="cpu", verbose=0)
    model.learn(total_timesteps=6144)
    path = tmp_path / "ppo.zip"
    model.save(path)
    summary = run_benchmark(BenchmarkConfig(policies=(f"sb3:{path}", f"sb3:ppo:{path}", "random"),
                                            episodes=500, seed=3)).summary()["policies"]
    trained, named, random_policy = (summary[k] for k in (f"sb3:{path}", f"sb3:ppo:{path}", "random"))
    assert trained["mean_return"] == named["mean_return"]  # algorithm detection and explicit algo agree
    assert trained["mean_return"] - random_policy["mean_return"] > trained["return_ci95"] + random_policy["return_ci95"]


def test_a_model_for_another_observation_layout_is_refused(tmp_path):
    from stable_baselines3 import PPO

    from proact_env.agents.sb3_policy import SB3Policy

    blind = gym.make("proact_env/Synthetic-v0", observe_persona=False)
    PPO("MlpPolicy", blind, n_steps=64, batch_size=32, device="cpu").save(tmp_path / "blind.zip")
    with pytest.raises(ValueError, match="observe_persona"):
        SB3Policy.load(tmp_path / "blind.zip", env=gym.make("proact_env/Synthetic-v0"))


def test_several_training_runs_of_one_policy_report_their_mean_and_spread(tmp_path, capsys):
    from stable_baselines3 import PPO

    from proact_env.benchmark.registry import split_policy_list
    from proact_env.cli import main

    runs = []
    for seed in (0, 1, 2):  # untrained but differently initialised: three different policies
        path = tmp_path / f"run{seed}.zip"
        PPO("MlpPolicy", gym.make("proact_env/Synthetic-v0"), seed=seed, n_steps=64, batch_size=32,
            device="cpu").save(path)
        runs.append(str(path))
    spec = "sb3:" + ",".join(runs)
    assert split_policy_list(f"threshold,{spec},clarify_once") == ["threshold", spec, "clarify_once"]
    out = tmp_path / "bench"
    assert main(["benchmark", "--policies", f"threshold,{spec}", "--episodes", "100", "--no-progress",
                 "--out", str(out)]) == 0
    assert f"{spec} over 3 training runs: mean return" in capsys.readouterr().out
    summary = json.loads((out / "results.json").read_text())
    group = summary["run_groups"][spec]
    means = [summary["policies"][f"sb3:{run}"]["mean_return"] for run in runs]
    assert group["run_means"] == pytest.approx(means) and group["mean_return"] == pytest.approx(sum(means) / 3)
    sd = float(np.std(means, ddof=1))
    assert group["sd"] == pytest.approx(sd) and group["ci95"] == pytest.approx(4.303 * sd / 3 ** 0.5)
