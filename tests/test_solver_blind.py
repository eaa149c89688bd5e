"""The persona-blind optimum: exact (agrees with Monte Carlo), between the oracle and every memoryless policy."""

from __future__ import annotations

import collections
import itertools
import types
from statistics import NormalDist

import gymnasium as gym
import numpy as np
import pytest

import proact_env  # noqa: F401
from proact_env.benchmark.registry import make_policy
from proact_env.benchmark.runner import BenchmarkConfig, format_table, run_benchmark
from proact_env.personas import PRESETS
from proact_env.solver import SyntheticSolver
from proact_env.solver_blind import BlindModel, BlindSolver, PersonaPrior, UnsupportedPrior, observed_state
from proact_env.types import Action

#: two-sided 99.9% normal quantile: with a fixed seed a test either passes or fails for good, so it must
#: not sit at the 5% edge; 3.29 standard errors still flag any bias the size of the issue's residual
Z_999 = NormalDist().inv_cdf(1 - 0.001 / 2)


def _model(shape: tuple[int, int, int], max_turns: int = 6, persona="presets") -> tuple[gym.Env, BlindModel]:
    """An env reset to a task of `shape` = (n_slots, n_hidden, options per slot) and that task's blind model."""
    env = gym.make("proact_env/Synthetic-v0", observe_persona=False, max_turns=max_turns, persona=persona).unwrapped
    for seed in range(5000):
        env.reset(seed=seed)
        spec = env.episode.task.payload
        if (len(spec.slots), len(spec.hidden_slots), spec.n_options) == shape:
            return env, BlindSolver.for_env(env).model(env.episode.task)
    raise AssertionError(f"no task of shape {shape}")


def _oracle_values(env, model: BlindModel) -> list[float]:
    solver = SyntheticSolver.for_env(env)
    return [solver.model(env.episode.task, p).value() for p in model.prior.personas]


@pytest.mark.parametrize("shape", [(2, 1, 3), (3, 2, 2), (4, 3, 4)])
def test_blind_value_lies_below_the_oracle_for_every_user_and_is_the_prior_mean_of_its_values(shape):
    env, model = _model(shape)
    oracle = _oracle_values(env, model)
    per_persona = [model.value_for(i) for i in range(len(oracle))]
    weights = model.prior.weights
    assert np.dot(weights, per_persona) == pytest.approx(model.value(), abs=1e-12)
    for i, (blind, best) in enumerate(zip(per_persona, oracle)):
        assert blind <= best + 1e-12, model.prior.personas[i].name  # no policy beats the oracle for any user
    gap = np.dot(weights, oracle) - model.value()
    assert gap > 0.005  # with hidden facts, not knowing the user costs something real


def test_blind_beats_the_oracle_policy_of_any_one_persona_and_fixed_rules():
    """Acting as if the user were persona j (a memoryless policy of the observable state) is one
    persona-blind policy among many: the blind optimum is at least as good, and strictly better."""
    env, model = _model((3, 2, 3))
    solver = SyntheticSolver.for_env(env)
    personas = model.prior.personas
    models = [solver.model(env.episode.task, p) for p in personas]

    def blind_value_of(rule) -> float:  # rule: ObservedState -> Action, played against every user
        return sum(w * m.policy_value(lambda s, p=p: rule(observed_state(s, p)))
                   for w, m, p in zip(model.prior.weights, models, personas))

    rules = {"always_execute": lambda s: Action.EXECUTE,
             "clarify_once": lambda s: Action.CLARIFY if s.turn == 0 else Action.EXECUTE}
    for j, (persona, m) in enumerate(zip(personas, models)):
        rules[f"as if {persona.name}"] = lambda s, m=m, p=persona: m.optimal_action(
            s._replace(strikes=p.patience_budget - s.strikes))
    for name, rule in rules.items():
        assert blind_value_of(rule) < model.value() - 1e-6, name


def _reachable(model: BlindModel) -> set:
    start = model.initial_state()
    seen, frontier = {start}, [start]
    while frontier:
        frontier = [ns for s in frontier for a in Action for _, ns in model.transition(s, a).keys
                    if ns not in seen and not seen.add(ns)]
    return seen


def best_memoryless_value(model: BlindModel) -> float:
    """The best policy of the current observable state alone, by exhaustive search: every choice at the
    non-last decision points, then at each last one the action best for the users who reach it."""
    last = model.max_turns - 1
    decide = sorted(s for s in _reachable(model) if s.turn < last)
    prior = np.array(model.initial_belief())
    best = -np.inf
    for choice in itertools.product(tuple(Action), repeat=len(decide)):
        policy = dict(zip(decide, choice))
        value, frontier = 0.0, {model.initial_state(): prior}  # probability mass per user at each state
        for _ in range(last - model.initial_state().turn):
            reached = collections.defaultdict(lambda: np.zeros(len(prior)))
            for state, mass in frontier.items():
                step = model.transition(state, policy[state])
                value += mass @ step.rewards
                for (_, next_state), probs in zip(step.keys, step.probs):
                    reached[next_state] += mass * probs
            frontier = reached
        value += sum(max(mass @ model.transition(s, a).rewards for a in Action) for s, mass in frontier.items())
        best = max(best, value)
    return best


@pytest.mark.parametrize("shape", [(3, 2, 2), (2, 2, 4)])
def test_oracle_beats_blind_beats_the_best_memoryless_policy(shape):
    """With three turns the best memoryless policy is found exhaustively (2^9 policies): memory of the
    user's reactions is worth something, and knowing the user is worth more."""
    env, model = _model(shape, max_turns=3)
    oracle = np.dot(model.prior.weights, _oracle_values(env, model))
    memoryless = best_memoryless_value(model)
    assert oracle > model.value() > memoryless + 1e-4, (oracle, model.value(), memoryless)


def test_a_known_user_makes_the_blind_optimum_the_oracle():
    env, model = _model((3, 2, 3), persona="terse_user")
    assert model.prior.personas == (PRESETS["terse_user"],)
    assert model.value() == pytest.approx(_oracle_values(env, model)[0], abs=1e-12)


def test_priors_of_the_env_persona_argument():
    assert PersonaPrior.for_option("presets").personas == tuple(PRESETS.values())
    two = PersonaPrior.for_option(["busy_manager", "terse_user"])
    assert [p.name for p in two.personas] == ["busy_manager", "terse_user"] and two.weights == (0.5, 0.5)
    with pytest.raises(UnsupportedPrior, match="continuous"):
        PersonaPrior.for_option("sampled")


def test_the_blind_policy_plays_its_exact_value_in_the_env():
    """Monte Carlo: the policy, reading only observations and reactions, returns its exact value per episode
    (each episode's value for its own user) within a 99.9% interval of the paired differences."""
    config = BenchmarkConfig(policies=("blind_optimal",), episodes=3000, seed=11,
                             env_kwargs={"observe_persona": False})
    records = run_benchmark(config).records
    gaps = np.array([r.episode_return - r.blind_value for r in records])
    stderr = gaps.std(ddof=1) / np.sqrt(len(gaps))
    assert abs(gaps.mean()) <= Z_999 * stderr, (gaps.mean(), stderr)
    assert stderr < 0.006  # tight enough to catch a bias of the size (0.003) within ~1.5 intervals


def test_the_blind_policy_never_reads_the_user():
    """The policy plays whole episodes seeing of the env only the task: the user (persona, patience left)
    is out of its reach, and its decisions come from observations and reactions alone."""
    env = gym.make("proact_env/Synthetic-v0", observe_persona=False)
    policy = make_policy("blind_optimal", env)

    class TaskOnly:  # what the policy may read: the task of the current episode, nothing of the user
        @property
        def unwrapped(self):
            return types.SimpleNamespace(episode=types.SimpleNamespace(task=env.unwrapped.episode.task))

    policy.env = TaskOnly()
    asked = 0
    for seed in range(40):
        obs, info = env.reset(seed=seed)
        policy.reset(seed)
        done = False
        while not done:
            action = policy.act(obs, info)
            asked += action is Action.CLARIFY
            obs, _, terminated, truncated, info = env.step(action)
            done = terminated or truncated
    assert asked > 10


def test_benchmark_reports_regret_blind_and_says_why_when_it_cannot():
    summary = run_benchmark(BenchmarkConfig(policies=("threshold", "optimal"), episodes=200,
                                            env_kwargs={"observe_persona": False})).summary()
    assert summary["schema_version"] == 3
    optimum = summary["optimum"]
    assert optimum["blind_mean_value"] < optimum["exact_mean_value"]
    for spec, m in summary["policies"].items():
        assert m["regret_blind"] == pytest.approx(m["regret"] - (optimum["exact_mean_value"]
                                                                 - optimum["blind_mean_value"]))
    table = format_table(summary)
    assert "regret_blind" in table and "exact persona-blind optimal value" in table
    sampled = run_benchmark(BenchmarkConfig(policies=("threshold",), episodes=20,
                                            env_kwargs={"persona": "sampled"})).summary()
    assert "regret_blind" not in sampled["policies"]["threshold"]
    assert "continuous" in sampled["optimum"]["blind_unavailable"]
    assert "no persona-blind optimum" in format_table(sampled)
