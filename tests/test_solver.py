"""The exact solver: it agrees with Monte Carlo rollouts of the env, and the default decision is hard."""

from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist

import gymnasium as gym
import numpy as np
import pytest

import proact_env  # noqa: F401
from proact_env.benchmark.runner import BenchmarkConfig, run_benchmark
from proact_env.domains.synthetic.writer import ScriptedSyntheticBackbone
from proact_env.simulator import SimulatorConfig
from proact_env.solver import SyntheticSolver, decision_state
from proact_env.solver_check import outcome_check
from proact_env.types import Action


def _episode_return(env, policy) -> float:
    total, done = 0.0, False
    while not done:
        _, reward, terminated, truncated, _ = env.step(policy(decision_state(env)))
        total += reward
        done = terminated or truncated
    return total


POLICIES = {
    "optimal": None,
    "always_execute": lambda s: Action.EXECUTE,
    "clarify_then_execute": lambda s: Action.CLARIFY if s.turn < 2 else Action.EXECUTE,
    # asks on after everything is told: repeated questions, which annoy
    "clarify_until_the_last_turn": lambda s: Action.CLARIFY if s.turn < 5 else Action.EXECUTE,
}


@pytest.mark.parametrize("task_seed,persona", [(1, "presets"), (3, "sampled"), (6, "patient_novice"), (8, "busy_manager")])
@pytest.mark.parametrize("policy_name", list(POLICIES))
def test_exact_values_match_monte_carlo_rollouts(task_seed, persona, policy_name):
    env = gym.make("proact_env/Synthetic-v0", persona=persona).unwrapped
    env.reset(seed=task_seed)
    task, person = env.episode.task, env.episode.persona
    model = SyntheticSolver.for_env(env).model(task, person)
    policy = POLICIES[policy_name] or model.optimal_action
    exact = model.value() if policy_name == "optimal" else model.policy_value(policy)
    returns = []
    for seed in range(3000):
        env.reset(seed=10_000 + seed, options={"task": task, "persona": person})
        returns.append(_episode_return(env, policy))
    returns = np.array(returns)
    stderr = returns.std(ddof=1) / np.sqrt(len(returns))
    assert abs(returns.mean() - exact) < 4 * stderr + 1e-9, (returns.mean(), exact, stderr)


@dataclass(frozen=True, slots=True)
class OpenQuestionWriter(ScriptedSyntheticBackbone):
    """Asks only "anything else?": what it learns is what the user volunteers."""

    def _clarify(self, spec, revealed, variant):
        return "Is there anything else I should know?"


@pytest.mark.parametrize("persona", ["cooperative_collaborator", "patient_novice"])
def test_exact_values_match_monte_carlo_with_open_questions(persona):
    env = gym.make("proact_env/Synthetic-v0", persona=persona, backbone=OpenQuestionWriter()).unwrapped
    for seed in range(100):  # a task with two slots or more to volunteer
        env.reset(seed=seed)
        if env.episode.n_hidden >= 2:
            break
    task, person = env.episode.task, env.episode.persona
    model = SyntheticSolver.for_env(env).model(task, person)
    assert model._clarify_turns[2].open and model._clarify_turns[2].targets == 0
    policy = POLICIES["clarify_until_the_last_turn"]
    returns = []
    for seed in range(3000):
        env.reset(seed=10_000 + seed, options={"task": task, "persona": person})
        returns.append(_episode_return(env, policy))
    returns = np.array(returns)
    stderr = returns.std(ddof=1) / np.sqrt(len(returns))
    exact = model.policy_value(policy)
    assert abs(returns.mean() - exact) < 4 * stderr + 1e-9, (returns.mean(), exact, stderr)
    assert model.value() < SyntheticSolver.for_env(gym.make("proact_env/Synthetic-v0")).model(task, person).value()


def test_the_optimum_is_at_least_as_good_as_any_fixed_rule():
    env = gym.make("proact_env/Synthetic-v0", persona="sampled").unwrapped
    solver = SyntheticSolver.for_env(env)
    for seed in range(40):
        env.reset(seed=seed)
        model = solver.model_for(env)
        for policy in POLICIES.values():
            if policy is not None:
                assert model.value() >= model.policy_value(policy) - 1e-12


def test_the_default_configuration_makes_the_decision_genuinely_hard():
    """Optimal clarifies and executes each in >= 20% of the decisions it meets, and beats
    always-execute and clarify-first by more than a 2,000-episode 95% interval."""
    config = BenchmarkConfig(policies=("optimal", "always_execute", "clarify_once"), episodes=2000, seed=123,
                             regret_blind=False)
    summary = run_benchmark(config).summary()["policies"]
    optimal = summary["optimal"]
    assert 0.2 <= optimal["ask_rate"] <= 0.8
    for other in ("always_execute", "clarify_once"):
        margin = optimal["mean_return"] - summary[other]["mean_return"]
        assert margin > max(optimal["return_ci95"], summary[other]["return_ci95"]), (other, margin)


#: two-sided 99.9% normal quantile: a fixed seed passes or fails for good, so keep off the 5% edge
Z_999 = NormalDist().inv_cdf(1 - 0.001 / 2)


def _clarify_half(state, rng):
    return Action.CLARIFY if rng.random() < 0.5 else Action.EXECUTE


def test_the_env_produces_every_outcome_as_often_as_the_solver_predicts():
    """Every outcome class (reaction, facts revealed, score, episode end, long turn) of 4,000 episodes
    counted against the solver's expected count: all within a Bonferroni bound at family-wise 0.1%."""
    check = outcome_check(gym.make("proact_env/Synthetic-v0"), _clarify_half, episodes=4000, seed=1)
    assert len(check.classes) >= 18 and check.steps > 10_000
    assert not check.failing, check.describe()


def test_the_outcome_check_catches_a_model_that_is_slightly_off():
    """The same check against a solver whose users push back a little more (0.35 instead of 0.25 per question
    beyond tolerance): a mismatch that moves the mean exact value by −0.0033, the size of the residual issue 16
    saw, which a comparison of returns would need some 60,000 episodes to resolve. The check that passes above
    must fail here, naming rejections."""
    env = gym.make("proact_env/Synthetic-v0")
    base = env.unwrapped
    wrong = SyntheticSolver(max_turns=base.max_turns, reward=base.reward_config,
                            simulator=SimulatorConfig(over_tolerance_reject=0.35))
    check = outcome_check(env, _clarify_half, episodes=4000, seed=1, solver=wrong)
    assert any("reject" in c.name for c in check.failing), check.describe()


def test_optimal_returns_its_exact_value_through_the_benchmark():
    """The residual of issue 16 (−0.0032 ±0.0021 over 600 episodes) at 10x the episodes, through the
    benchmark's own episode handling: the mean of return − exact value is within its 99.9% interval."""
    config = BenchmarkConfig(policies=("optimal",), episodes=6000, seed=16, regret_blind=False)
    records = run_benchmark(config).records
    gaps = np.array([r.episode_return - r.optimal_value for r in records])
    stderr = gaps.std(ddof=1) / np.sqrt(len(gaps))
    assert abs(gaps.mean()) <= Z_999 * stderr, (gaps.mean(), stderr)
