"""Each baseline follows its documented rule; the registry builds policies by name."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import proact_env  # noqa: F401
from proact_env.baselines import (
    AlwaysClarify,
    AlwaysExecute,
    ClarifyOnce,
    OptimalPolicy,
    RandomPolicy,
    SeedRulePolicy,
    ThresholdPolicy,
)
from proact_env.benchmark.registry import BUILTIN, make_policy, split_policy_list
from proact_env.personas import PRESETS
from proact_env.solver import SyntheticSolver
from proact_env.types import Action


def _actions(env, policy, seed, persona="patient_novice"):
    obs, info = env.reset(seed=seed, options={"persona": persona})
    policy.reset(seed)
    actions, done = [], False
    while not done:
        action = policy.act(obs, info)
        actions.append((env.unwrapped.episode.turn, action))
        obs, _, terminated, truncated, info = env.step(action)
        done = terminated or truncated
    return actions


@pytest.fixture
def env():
    return gym.make("proact_env/Synthetic-v0", max_turns=5)


def test_every_builtin_acts_on_a_real_observation(env):
    obs, info = env.reset(seed=0)
    for name in BUILTIN:
        policy = make_policy(name, env)
        policy.reset(0)
        assert isinstance(policy.act(obs, info), Action), name


def test_fixed_rules(env):
    for seed in range(30):
        assert all(a is Action.EXECUTE for _, a in _actions(env, AlwaysExecute(env), seed))
        assert all((a is Action.CLARIFY) == (t < 4) for t, a in _actions(env, AlwaysClarify(env), seed))
        assert all((a is Action.CLARIFY) == (t == 0) for t, a in _actions(env, ClarifyOnce(env), seed))


def test_random_policy_is_seeded_per_episode_and_respects_p(env):
    never, always = RandomPolicy(env, p=0.0), RandomPolicy(env, p=1.0)
    assert all(a is Action.EXECUTE for _, a in _actions(env, never, 0))
    assert _actions(env, always, 0)[0][1] is Action.CLARIFY
    coin = RandomPolicy(env, p=0.5, seed=3)
    runs = [_actions(env, coin, s) for s in (4, 5, 4)]
    assert runs[0] == runs[2]
    with pytest.raises(ValueError, match="probability"):
        RandomPolicy(env, p=1.5)


def _observe(env, persona, task_seed=0, want_uncertain=None):
    """A start observation with the given persona and, optionally, (un)certain task."""
    for seed in range(task_seed, task_seed + 500):
        obs, info = env.reset(seed=seed, options={"persona": persona})
        uncertainty = env.unwrapped.episode.remaining_uncertainty
        if want_uncertain is None or (uncertainty >= 0.5) == want_uncertain:
            return obs, info
    raise AssertionError("no such task")


def test_seed_rule_follows_the_original_rule(env):
    policy = SeedRulePolicy(env)
    assert policy.act(*_observe(env, "impatient_expert", want_uncertain=False)) is Action.EXECUTE  # low patience
    assert policy.act(*_observe(env, "patient_novice", want_uncertain=False)) is Action.CLARIFY  # high + low uncertainty
    assert policy.act(*_observe(env, "patient_novice", want_uncertain=True)) is Action.EXECUTE  # the documented oddity
    assert policy.act(*_observe(env, "terse_user", want_uncertain=False)) is Action.EXECUTE  # medium: otherwise


def test_threshold_asks_only_while_uncertain_and_tolerated(env):
    assert ThresholdPolicy(env, tau=1.0).act(*_observe(env, "patient_novice", want_uncertain=True)) is Action.EXECUTE
    eager = ThresholdPolicy(env, tau=0.0)
    assert eager.act(*_observe(env, "patient_novice", want_uncertain=True)) is Action.CLARIFY
    tolerance = PRESETS["terse_user"].question_tolerance
    for seed in range(30):  # never asks once the persona's tolerance is used up, nor on the last turn
        obs, info = env.reset(seed=seed, options={"persona": "terse_user"})
        done = False
        while not done:
            action = eager.act(obs, info)
            if action is Action.CLARIFY:
                assert env.unwrapped.episode.questions_asked < tolerance and env.unwrapped.episode.turn < 4
            obs, _, terminated, truncated, info = env.step(action)
            done = terminated or truncated
    blind = gym.make("proact_env/Synthetic-v0", observe_persona=False)
    assert ThresholdPolicy(blind, tau=0.0).act(*_observe(blind, "patient_novice", want_uncertain=True)) is Action.CLARIFY


def test_optimal_policy_is_the_solver(env):
    policy, solver = OptimalPolicy(env), SyntheticSolver.for_env(env)
    for seed in range(20):
        obs, info = env.reset(seed=seed)
        assert policy.act(obs, info) is solver.optimal_action(env)


def test_registry_parses_options_and_explains_mistakes(env):
    assert make_policy("threshold:tau=0.25", env).tau == 0.25
    assert make_policy("random:p=0.2:seed=4", env).p == 0.2
    assert isinstance(make_policy("import:proact_env.baselines.fixed:AlwaysExecute", env), AlwaysExecute)
    # specs written before the folders were installed under proact_env. keep working
    assert isinstance(make_policy("import:baselines.fixed:AlwaysExecute", env), AlwaysExecute)
    with pytest.raises(ValueError, match="known policies: always_execute"):
        make_policy("smart", env)
    with pytest.raises(ValueError, match="key=value"):
        make_policy("threshold:0.3", env)
    with pytest.raises(ValueError, match="tau"):
        make_policy("threshold:tau=2", env)
    with pytest.raises(ValueError, match="unexpected keyword"):
        make_policy("always_execute:tau=1", env)
    with pytest.raises(ValueError, match="needs a path"):
        make_policy("sb3:", env)
    with pytest.raises(FileNotFoundError):
        make_policy("sb3:/nonexistent/model.zip", env)
    assert split_policy_list("a, b:x=1 ,c") == ["a", "b:x=1", "c"]
    with pytest.raises(ValueError, match="twice"):
        split_policy_list("a,a")


def test_observation_view_decodes_the_layout(env):
    from proact_env.policy import ObservationView

    obs, _ = env.reset(seed=1, options={"persona": "cooperative_collaborator"})
    view = ObservationView(obs, 5)
    assert (view.turn, view.questions_asked, view.prev_reject) == (0, 0, False)
    assert (view.patience, view.question_tolerance) == ("high", 4)
    assert view.remaining_uncertainty == pytest.approx(env.unwrapped.episode.remaining_uncertainty, abs=1e-6)
    blind = ObservationView(np.zeros(12, dtype=np.float32), 5)
    assert blind.patience is None and blind.question_tolerance is None
