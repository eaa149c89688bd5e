"""Declared splits: fixed definitions, applied by every command, recorded in every output, checked by the benchmark."""

from __future__ import annotations

import collections
import json

import gymnasium as gym
import pytest

import proact_env  # noqa: F401
from proact_env.benchmark.runner import BenchmarkConfig, run_benchmark
from proact_env.cli import main
from proact_env.personas import PRESETS
from proact_env.splits import HELD_OUT_PRESET, Split, held_out, meta_path, recorded_split

FOUR = tuple(name for name in PRESETS if name != HELD_OUT_PRESET)


def test_persona_splits_leave_one_preset_out():
    assert HELD_OUT_PRESET == "terse_user"
    assert Split("train").preset_names() == FOUR
    assert Split("test").preset_names() == ("terse_user",)
    assert Split("train:patient_novice").preset_names() == tuple(n for n in PRESETS if n != "patient_novice")
    assert Split("test:patient_novice").persona_option() == ["patient_novice"]
    assert Split("all").persona_option() == "presets" and Split("sampled").persona_option() == "sampled"
    for bad in ("held_out", "train:nobody", "test:"):
        with pytest.raises(ValueError, match="persona split"):
            Split(bad)
    with pytest.raises(ValueError, match="task split"):
        Split(tasks="validation")


def test_complements_and_what_is_held_out():
    assert Split("train", "train").complement() == Split("test", "test")
    assert Split("train:busy_manager").complement() == Split("test:busy_manager")
    assert Split("sampled").complement() == Split("all")
    assert held_out(Split("train"), Split("test")) == {"personas": True, "tasks": False}
    assert held_out(Split("train"), Split("all")) == {"personas": False, "tasks": False}  # four users seen
    assert held_out(Split("train"), Split("sampled")) == {"personas": True, "tasks": False}
    assert held_out(Split("sampled"), Split("sampled"))["personas"] is False  # the same population
    assert held_out(Split(tasks="train"), Split(tasks="test"))["tasks"] is True


def test_env_kwargs_apply_the_split_per_env_and_refuse_clashes():
    kwargs = Split("train", "test").env_kwargs("proact_env/Synthetic-v0", {"domain": "planning", "max_turns": 4})
    assert kwargs["persona"] == list(FOUR) and kwargs["max_turns"] == 4
    source = kwargs["task_source"]
    assert source.options == (3,) and source.domain == "planning"
    assert Split(tasks="train").env_kwargs("proact_env/Coding-v0", {"dataset_path": "x"})["split"] == "train"
    with pytest.raises(ValueError, match="no declared task split"):
        Split(tasks="test").env_kwargs("proact_env/Planning-v0", {})
    with pytest.raises(ValueError, match="both choose the users"):
        Split("test").env_kwargs("proact_env/Synthetic-v0", {"persona": "sampled"})
    assert Split().env_kwargs("proact_env/Planning-v0", {"persona": "sampled"}) == {"persona": "sampled"}


def test_a_split_env_draws_only_the_split_users_and_task_shapes():
    env = gym.make("proact_env/Synthetic-v0", **Split("train", "train").env_kwargs("proact_env/Synthetic-v0", {}))
    users, options = collections.Counter(), collections.Counter()
    for seed in range(300):
        env.reset(seed=seed)
        users[env.unwrapped.episode.persona.name] += 1
        options[env.unwrapped.episode.task.payload.n_options] += 1
    assert set(users) == set(FOUR) and set(options) == {2, 4}
    unsplit = gym.make("proact_env/Synthetic-v0", **Split().env_kwargs("proact_env/Synthetic-v0", {}))
    plain = gym.make("proact_env/Synthetic-v0")
    for seed in range(20):  # all/all is the env as registered, episode for episode
        a, b = unsplit.reset(seed=seed)[1], plain.reset(seed=seed)[1]
        assert (a["task_id"], a["persona"]) == (b["task_id"], b["persona"])


def _generate(tmp_path, *flags):
    out = tmp_path / "trajectories.jsonl"
    assert main(["generate", "--n_states", "20", "--multi_turn", "--out", str(out), "--no-progress", *flags]) == 0
    return out


def test_generate_rewards_and_dpo_config_carry_the_split(tmp_path):
    from proact_env.agents.dpo_config import DPOTrainingConfig

    out = _generate(tmp_path, "--persona_split", "train", "--task_split", "train")
    assert recorded_split(meta_path(out)) == Split("train", "train")
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert {line["persona"]["name"] for line in lines} <= set(FOUR)
    prefs = tmp_path / "prefs.jsonl"
    assert main(["rewards", "--trajectories", str(out), "--out", str(prefs)]) == 0
    assert recorded_split(meta_path(prefs)) == Split("train", "train")
    config = DPOTrainingConfig(data=prefs, model="tiny", output=tmp_path / "run")
    assert config.split_record()["personas"] == "train" and "meta.json" in config.split_record()["source"]
    with pytest.raises(ValueError, match="was made on persona split 'train'"):
        DPOTrainingConfig(data=prefs, model="tiny", output=tmp_path / "run", persona_split="test")


def test_generate_refuses_two_persona_choices_and_task_splits_of_a_states_file(tmp_path, capsys):
    out = str(tmp_path / "o.jsonl")
    assert main(["generate", "--persona", "sampled", "--persona_split", "test", "--out", out]) == 2
    assert "both choose the users" in capsys.readouterr().err
    assert main(["generate", "--mode", "dataset", "--dataset_path", str(tmp_path / "s.jsonl"), "--task_split", "test",
                 "--out", out]) == 2
    assert "states file is one task set" in capsys.readouterr().err


def test_a_run_from_before_splits_still_resumes(tmp_path):
    out = _generate(tmp_path)
    sidecar = meta_path(out)
    record = json.loads(sidecar.read_text())
    assert record["split"]["personas"] == "all"
    del record["split"]
    sidecar.write_text(json.dumps(record))
    _generate(tmp_path, "--resume")  # nothing changed: no error


def test_benchmark_on_the_held_out_preset_records_it(tmp_path):
    summary = run_benchmark(BenchmarkConfig(policies=("threshold", "optimal"), episodes=60,
                                            persona_split="test", env_kwargs={"observe_persona": False})).summary()
    assert summary["splits"]["evaluation"]["presets"] == ["terse_user"]
    assert summary["config"]["persona_split"] == "test"
    assert set(summary["policies"]["threshold"]["per_persona"]) == {"terse_user"}
    # one known user: the persona-blind optimum is the oracle
    assert summary["optimum"]["blind_mean_value"] == pytest.approx(summary["optimum"]["exact_mean_value"])


def _model_trained_on(tmp_path, split: Split):
    from stable_baselines3 import PPO

    path = tmp_path / "model.zip"
    env = gym.make("proact_env/Synthetic-v0", **split.env_kwargs("proact_env/Synthetic-v0", {}))
    PPO("MlpPolicy", env, seed=0, n_steps=64, batch_size=32, device="cpu").save(path)
    (tmp_path / "training_config.json").write_text(json.dumps({"algo": "ppo", "split": split.to_dict()}))
    return f"sb3:{path}"


def test_benchmark_refuses_a_model_on_its_own_training_split_and_records_held_out_ones(tmp_path, capsys):
    pytest.importorskip("stable_baselines3")
    spec = _model_trained_on(tmp_path, Split("train"))
    for split in ("train", "all"):  # its four users, or all five: nothing held out
        with pytest.raises(ValueError, match="holds out none of its users or tasks"):
            run_benchmark(BenchmarkConfig(policies=(spec,), episodes=5, persona_split=split))
    allowed = run_benchmark(BenchmarkConfig(policies=(spec,), episodes=5, persona_split="train",
                                            allow_train_split=True, regret_blind=False)).summary()
    assert allowed["splits"]["models"][spec]["held_out"] == {"personas": False, "tasks": False}
    out = tmp_path / "bench"
    assert main(["benchmark", "--policies", f"{spec},threshold", "--persona_split", "test", "--episodes", "20",
                 "--no-progress", "--no_regret_blind", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "split: persona test (terse_user)" in printed and "held out here: users yes, tasks no" in printed
    record = json.loads((out / "results.json").read_text())["splits"]["models"][spec]
    assert record["trained_on"]["presets"] == list(FOUR) and record["held_out"]["personas"] is True
