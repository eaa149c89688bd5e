"""The Gymnasium contract, for every registered id: checkers, vector envs, determinism, branching, errors."""

from __future__ import annotations

import warnings

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.error import ResetNeeded
from gymnasium.utils.env_checker import check_env as gym_check_env

import proact_env
from proact_env import Action, TextObservation
from tests.envs import env_cases

CASES = env_cases()
IDS = [case[0] for case in CASES]


@pytest.mark.parametrize("env_id,kwargs", CASES, ids=IDS)
def test_gymnasium_and_sb3_checkers_pass_without_warnings(env_id, kwargs):
    from stable_baselines3.common.env_checker import check_env as sb3_check_env

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gym_check_env(gym.make(env_id, **kwargs).unwrapped)
        sb3_check_env(gym.make(env_id, **kwargs).unwrapped, warn=True)
    assert [str(w.message) for w in caught] == []


@pytest.mark.parametrize("env_id,kwargs", CASES, ids=IDS)
@pytest.mark.parametrize("vector_cls", [gym.vector.SyncVectorEnv, gym.vector.AsyncVectorEnv])
def test_vector_envs_run_and_match_single_envs(env_id, kwargs, vector_cls):
    envs = vector_cls([lambda: gym.make(env_id, **kwargs) for _ in range(2)])
    try:
        obs, _ = envs.reset(seed=[11, 12])
        singles = [gym.make(env_id, **kwargs) for _ in range(2)]
        for i, env in enumerate(singles):
            single_obs, _ = env.reset(seed=11 + i)
            np.testing.assert_array_equal(obs[i], single_obs)
        actions = np.random.default_rng(0).integers(0, 2, size=(25, 2))
        needs_reset = [False, False]
        for step_actions in actions:
            obs, reward, terminated, truncated, info = envs.step(step_actions)
            assert envs.observation_space.contains(obs)
            for i, env in enumerate(singles):  # the vector env autoresets on the step after an end
                if needs_reset[i]:
                    single_obs, single_reward = env.reset()[0], 0.0
                    needs_reset[i] = False
                else:
                    single_obs, single_reward, term, trunc, _ = env.step(int(step_actions[i]))
                    needs_reset[i] = term or trunc
                np.testing.assert_array_equal(obs[i], single_obs)
                assert reward[i] == pytest.approx(single_reward)
    finally:
        envs.close()


def _rollout(env: gym.Env, seed: int, episodes: int) -> list:
    trace = []
    rng = np.random.default_rng(seed)
    obs, info = env.reset(seed=seed)
    trace.append((obs.tobytes(), repr(info)))
    for _ in range(episodes):
        done = False
        while not done:
            obs, reward, terminated, truncated, info = env.step(int(rng.integers(2)))
            trace.append((obs.tobytes(), reward, terminated, truncated, repr(info)))
            done = terminated or truncated
        obs, info = env.reset()
        trace.append((obs.tobytes(), repr(info)))
    return trace


@pytest.mark.parametrize("env_id,kwargs", CASES, ids=IDS)
def test_same_seed_gives_identical_observations_rewards_and_infos(env_id, kwargs):
    episodes = 20 if "Coding" in env_id or "HumanEval" in env_id else 300  # code runs sandboxed: slower
    first = _rollout(gym.make(env_id, **kwargs), seed=7, episodes=episodes)
    second = _rollout(gym.make(env_id, **kwargs), seed=7, episodes=episodes)
    assert first == second
    assert first != _rollout(gym.make(env_id, **kwargs), seed=8, episodes=episodes)


@pytest.mark.parametrize("env_id,kwargs", CASES, ids=IDS)
def test_snapshot_then_restore_reproduces_the_continuation(env_id, kwargs):
    env = gym.make(env_id, **kwargs).unwrapped
    for seed in range(20):
        env.reset(seed=seed)
        env.step(Action.CLARIFY)
        if env.episode.done:
            continue
        snap = env.snapshot()
        first = _play_out(env)
        env.restore(snap)
        second = _play_out(env)
        assert first == second
        env.restore(snap)  # a snapshot can be restored more than once
        assert _play_out(env) == first


def _play_out(env) -> list:
    steps = []
    while not env.episode.done:
        obs, reward, terminated, truncated, info = env.step(Action.EXECUTE)
        steps.append((obs.tobytes(), reward, terminated, truncated, repr(info)))
    return steps


def test_observations_are_copies_that_later_steps_leave_alone():
    # the env writes each observation into one array per episode and hands out copies
    env = gym.make("proact_env/Synthetic-v0").unwrapped
    first, _ = env.reset(seed=4)
    kept = first.copy()
    snap = env.snapshot()
    second, *_ = env.step(Action.CLARIFY)
    assert np.array_equal(first, kept) and not np.shares_memory(first, second)
    first[:] = 0.5  # a caller writing into its copy changes nothing the env returns next
    env.restore(snap)
    assert np.array_equal(env.observe(), kept)
    assert np.array_equal(env.step(Action.CLARIFY)[0], second)


def test_snapshot_branches_from_a_decision_point():
    env = gym.make("proact_env/Synthetic-v0").unwrapped
    env.reset(seed=3)
    snap = env.snapshot()
    _, _, _, _, clarify_info = env.step(Action.CLARIFY)
    env.restore(snap)
    _, _, _, _, execute_info = env.step(Action.EXECUTE)
    assert clarify_info["decision_state"] == execute_info["decision_state"]
    assert clarify_info["action"] == "Clarify" and execute_info["action"] == "Execute"


def test_actions_accept_ints_numpy_ints_enum_and_labels():
    env = gym.make("proact_env/Synthetic-v0")
    results = []
    for action in (0, np.int64(0), Action.CLARIFY, "Clarify", "clarify"):
        env.reset(seed=5)
        results.append(repr(env.step(action)[4]))
    assert len(set(results)) == 1


@pytest.mark.parametrize("bad", [2, -1, 0.5, "Ask", None, [0]])
def test_invalid_action_is_a_clear_error(bad):
    env = gym.make("proact_env/Synthetic-v0").unwrapped
    env.reset(seed=0)
    with pytest.raises(ValueError, match="Clarify|Discrete"):
        env.step(bad)


def test_step_before_reset_and_after_the_end_fail_clearly():
    env = gym.make("proact_env/Synthetic-v0").unwrapped
    with pytest.raises(ResetNeeded, match="before reset"):
        env.step(0)
    env.reset(seed=0)
    done = False
    while not done:
        *_, terminated, truncated, _ = env.step(1)
        done = terminated or truncated
    with pytest.raises(ResetNeeded, match="ended"):
        env.step(1)


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"max_turns": 0}, "max_turns"),
        ({"persona": "grumpy"}, "persona"),
        ({"reward": {"w_questions": -1}}, "w_questions"),
        ({"reward": {"w9": 1}}, "unknown reward option"),
        ({"domain": "cooking"}, "domain"),
        ({"render_mode": "human"}, "render_mode"),
    ],
)
def test_bad_options_fail_with_a_message_naming_them(kwargs, match):
    with pytest.raises(ValueError, match=match):
        proact_env.ProactEnv(**kwargs)


def test_bad_reset_option_is_rejected():
    env = gym.make("proact_env/Synthetic-v0")
    with pytest.raises(ValueError, match="unknown reset option"):
        env.reset(options={"tsk": None})


def test_info_carries_the_contract_keys_and_reward_terms_add_up():
    env = gym.make("proact_env/Synthetic-v0")
    env.reset(seed=1)
    _, reward, _, _, info = env.step(Action.CLARIFY)
    for key in ("state", "decision_state", "assistant_msg", "user_reply", "meta", "reward_terms", "task_id", "persona"):
        assert key in info
    terms = info["reward_terms"]
    assert terms["c_interrupt"] == pytest.approx(terms["questions"] + terms["reject"] + terms["long_turn"] + terms["off_topic"])
    assert reward == pytest.approx(terms["delta_r_task"] - terms["c_interrupt"])
    assert set(info["meta"]) == {"answered_clarification", "reject_signal", "silence", "off_topic_flag", "satisfaction"}


def test_observation_persona_features_follow_the_option():
    with_persona = gym.make("proact_env/Synthetic-v0")
    without = gym.make("proact_env/Synthetic-v0", observe_persona=False)
    assert with_persona.observation_space.shape == (22,)
    assert without.observation_space.shape == (12,)
    assert len(with_persona.unwrapped.feature_names) == 22


def test_render_ansi_shows_the_transcript():
    env = gym.make("proact_env/Synthetic-v0", render_mode="ansi")
    _, info = env.reset(seed=2)
    env.step(Action.CLARIFY)
    text = env.render()
    assert info["query"] in text
    assert "assistant (Clarify)" in text


def test_text_observation_renders_the_decision_point():
    env = TextObservation(gym.make("proact_env/Synthetic-v0"))
    text, info = env.reset(seed=4)
    assert isinstance(text, str) and info["query"] in text
    assert env.observation_space.contains(text)
    text, *_ = env.step(Action.CLARIFY)
    assert "Assistant:" in text and text.endswith("Execute (deliver the solution)?\n")


def test_reset_options_pin_task_and_persona():
    env = gym.make("proact_env/Synthetic-v0").unwrapped
    env.reset(seed=0)
    task = env.episode.task
    _, info = env.reset(seed=99, options={"task": task, "persona": "terse_user"})
    assert info["task_id"] == task.id and info["persona"] == "terse_user"


def test_every_registered_id_is_covered():
    assert set(IDS) == set(proact_env.ENV_IDS)


class _RecordingBackbone:
    """A user's own backbone: it sees only what `write(request)` gives it."""

    def __init__(self) -> None:
        self.requests = []

    def write(self, request) -> str:
        self.requests.append((request, [turn.text for turn in request.transcript]))  # the transcript is live
        return "Which format and ordering do you want?" if request.action is Action.CLARIFY else "Here it is."


@pytest.mark.parametrize("env_id,kwargs", env_cases(), ids=[c[0] for c in env_cases()])
def test_a_users_backbone_never_sees_the_hidden_answers(env_id, kwargs):
    env = gym.make(env_id, backbone=_RecordingBackbone(), **kwargs).unwrapped
    checked = 0
    for seed in range(3):
        env.reset(seed=seed)
        hidden = [fact.answer for fact in env.episode.task.hidden]
        before = len(env.backbone.requests)
        env.step(Action.CLARIFY)
        request, transcript = env.backbone.requests[before]
        assert not hasattr(request, "task") and not hasattr(request, "payload")
        seen = repr(request.state) + repr(request.hints) + "".join(transcript)
        assert not any(answer in seen for answer in hidden), "a hidden answer reached the writer"
        assert request.query == env.episode.task.query and request.state.dialogue_turn == 0
        checked += len(hidden)
    assert checked or env_id == "proact_env/HumanEval-v0", "no hidden fact was checked"  # HumanEval hides nothing
