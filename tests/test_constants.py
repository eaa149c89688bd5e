"""Constants defined once: generate's defaults are the env's, the observation is decoded with the scales
that encoded it, and the reward's weights answer to the seed's names and to the fields'."""

from __future__ import annotations

import inspect
import random

import gymnasium as gym
import pytest

from proact_env import ProactEnv, RewardConfig
from proact_env.cli import build_parser, main
from proact_env.personas import PRESETS, sample_persona
from proact_env.policy import ObservationView
from proact_env.rollout.generate import GenerationConfig


def test_generate_plays_as_many_turns_as_the_env_by_default(tmp_path):
    env_default = inspect.signature(ProactEnv).parameters["max_turns"].default
    assert env_default == 6
    assert GenerationConfig(out=tmp_path / "x").max_turns == env_default
    assert build_parser().parse_args(["generate", "--out", "x"]).max_turns == env_default
    out = tmp_path / "t.jsonl"  # a patient user asked at every turn: the conversation runs to the env's limit
    assert main(["generate", "--n_states", "4", "--multi_turn", "--mainline_action", "Clarify", "--persona",
                 "cooperative_collaborator", "--out", str(out), "--no-progress"]) == 0
    from proact_env.records import read_trajectories

    turns = [line.state.dialogue_turn for _, line in read_trajectories(out)]
    assert max(turns) == env_default - 1


def test_the_observation_view_decodes_what_the_env_encodes():
    env = ProactEnv(persona="sampled")
    personas = list(PRESETS.values()) + [sample_persona(random.Random(s)) for s in range(30)]
    for seed, persona in enumerate(personas):
        obs, _ = env.reset(seed=seed, options={"persona": persona})
        for step in range(3):
            ep = env.unwrapped.episode
            view = ObservationView(obs, env.max_turns)
            assert (view.turn, view.prev_reject, view.questions_asked) == (ep.turn, ep.prev_reject, ep.questions_asked)
            assert view.patience == persona.patience
            assert view.question_tolerance == min(persona.question_tolerance, 8)
            obs, _, terminated, truncated, _ = env.step(step % 2)
            if terminated or truncated:
                break


def test_the_seeds_weight_names_configure_the_reward_anywhere():
    env = gym.make("proact_env/Synthetic-v0", reward={"w1": 0.1, "w3": 0.2, "alpha": 2.0})
    assert env.unwrapped.reward_config == RewardConfig(alpha=2.0, w_questions=0.1, w_long_turn=0.2)
    assert RewardConfig.from_weights(w2=0.4) == RewardConfig(w_reject=0.4)
    with pytest.raises(ValueError, match="'w1' and 'w_questions' name the same RewardConfig field"):
        gym.make("proact_env/Synthetic-v0", reward={"w1": 0.1, "w_questions": 0.1})
    with pytest.raises(ValueError, match=r"unknown reward option\(s\) \['w5'\]: RewardConfig has alpha, "
                                         r"w_questions \(w1\), w_reject \(w2\), w_long_turn \(w3\), w_off_topic \(w4\)"):
        gym.make("proact_env/Synthetic-v0", reward={"w5": 0.1})
