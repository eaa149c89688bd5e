"""The env keeps Gymnasium's and SB3's conventions: vector envs of both SB3 kinds, the common
wrappers, `gym.make(env.spec)`, pickling and deep copies mid-episode, and an `rgb_array` render."""

from __future__ import annotations

import copy
import pickle

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import proact_env  # noqa: F401  (registers the ids)
from proact_env.wrappers import TextObservation

ENV_ID = "proact_env/Synthetic-v0"


def _play(env, actions, seed=None):
    """Observations, rewards and ends of `actions` played from the env's current state."""
    out = []
    for action in actions:
        obs, reward, terminated, truncated, _ = env.step(action)
        out.append((np.asarray(obs).tolist() if not isinstance(obs, str) else obs, reward, terminated, truncated))
        if terminated or truncated:
            env.reset(seed=seed)
    return out


@pytest.mark.parametrize("vec_env", ["DummyVecEnv", "SubprocVecEnv"])
def test_sb3_make_vec_env_with_the_id_steps_with_both_vec_env_classes(vec_env):
    pytest.importorskip("stable_baselines3")
    from stable_baselines3.common import vec_env as vec
    from stable_baselines3.common.env_util import make_vec_env

    # Subprocess workers start fresh interpreters (SB3's default start method is forkserver): the
    # "module:id" form makes each import the package, which registers the ids, before making the env.
    env_id = f"proact_env:{ENV_ID}" if vec_env == "SubprocVecEnv" else ENV_ID
    envs = make_vec_env(env_id, n_envs=2, seed=0, vec_env_cls=getattr(vec, vec_env))
    try:
        obs = envs.reset()
        assert obs.shape == (2, *envs.observation_space.shape)
        dones = 0
        for _ in range(20):
            obs, rewards, done, infos = envs.step(np.array([0, 1]))
            assert obs.shape[0] == 2 and rewards.shape == (2,) and len(infos) == 2
            dones += int(done.sum())
        assert dones > 0  # episodes ended and the vec env reset them
    finally:
        envs.close()


def test_the_common_gymnasium_wrappers_run_over_the_env():
    env = gym.make(ENV_ID)
    env = gym.wrappers.TimeLimit(env, max_episode_steps=3)
    env = gym.wrappers.RecordEpisodeStatistics(env)
    env = gym.wrappers.NormalizeObservation(env)
    env = gym.wrappers.ClipReward(env, -0.5, 0.5)
    env.reset(seed=0)
    episodes = []
    for _ in range(40):
        _, reward, terminated, truncated, info = env.step(env.action_space.sample())
        assert -0.5 <= reward <= 0.5
        if terminated or truncated:
            assert info["episode"]["l"] <= 3  # TimeLimit's cut, counted by RecordEpisodeStatistics
            episodes.append(info["episode"])
            env.reset()
    assert episodes


def test_gym_make_of_the_spec_rebuilds_the_wrapped_env():
    env = TextObservation(gym.make(ENV_ID, max_turns=4), max_length=2048)
    assert env.spec.additional_wrappers[-1].kwargs == {"max_length": 2048}
    again = gym.make(env.spec)
    assert isinstance(again, TextObservation) and again.max_length == 2048
    assert again.unwrapped.max_turns == 4
    first, _ = env.reset(seed=3)
    second, _ = again.reset(seed=3)
    assert first == second


@pytest.mark.parametrize("clone", [copy.deepcopy, lambda env: pickle.loads(pickle.dumps(env))],
                         ids=["deepcopy", "pickle"])
def test_a_copy_made_mid_episode_continues_exactly_as_the_original(clone):
    env = gym.make(ENV_ID)
    env.reset(seed=5)
    env.step(0)  # mid-episode: a Clarify has been answered
    twin = clone(env)
    actions = [1, 0, 1, 1, 0, 0, 1, 0]
    assert _play(twin, actions, seed=9) == _play(env, actions, seed=9)


def test_rgb_array_render_draws_the_transcript():
    pytest.importorskip("matplotlib")
    env = gym.make(ENV_ID, render_mode="rgb_array")
    check_env(env.unwrapped, skip_render_check=False)
    env.reset(seed=0)
    empty = env.render()
    env.step(0)
    frame = env.render()
    assert frame.dtype == np.uint8 and frame.ndim == 3 and frame.shape[2] == 3
    assert frame.shape[0] > empty.shape[0]  # the turns add lines
    assert (frame < 128).any() and (frame == 255).any()  # text on a white page
