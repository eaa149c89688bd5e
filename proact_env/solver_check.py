"""Does the exact solver's model match the env it solves? A check from rollouts, outcome by outcome.

At every step of a rollout the solver predicts the distribution of what happens
next (`EpisodeModel.outcomes`): the user's reaction, how many facts it reveals,
the score of a solution, whether the episode ends, and the chance that the turn
counts as long. Each outcome class's count over many steps is a sum of
independent Bernoulli draws with known probabilities, so it has a known mean and
variance: a z-score per class says whether env and model agree. This is far more
sensitive than comparing mean returns (a 1% error in one reaction probability
moves the return by a fraction of its noise, but that class's count by many
standard deviations), and it names the outcome that disagrees.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from dataclasses import dataclass
from statistics import NormalDist
from typing import Callable

import gymnasium as gym

from proact_env.rng import derived_seeds
from proact_env.solver import DecisionState, SyntheticSolver, decision_state
from proact_env.solver_blind import reaction_kind
from proact_env.types import Action

#: classes expected fewer times than this are left out: their z-score is not near normal
MIN_EXPECTED = 10.0

Chooser = Callable[[DecisionState, random.Random], Action]


@dataclass
class ClassCount:
    """One outcome class: how often it happened, how often the model expected it, and the variance."""

    name: str
    observed: int = 0
    expected: float = 0.0
    variance: float = 0.0

    @property
    def z(self) -> float:
        return (self.observed - self.expected) / math.sqrt(self.variance) if self.variance > 0 else 0.0


@dataclass
class OutcomeCheck:
    """Per-class counts of a rollout check, and the bound every |z| must stay under."""

    classes: list[ClassCount]
    steps: int
    alpha: float

    @property
    def bound(self) -> float:
        """The two-sided normal quantile at `alpha` shared by all classes (Bonferroni)."""
        return NormalDist().inv_cdf(1.0 - self.alpha / (2 * max(1, len(self.classes))))

    @property
    def failing(self) -> list[ClassCount]:
        return [c for c in self.classes if abs(c.z) > self.bound]

    def describe(self) -> str:
        lines = [f"{len(self.classes)} outcome classes over {self.steps} steps; every |z| must be <= "
                 f"{self.bound:.2f} (Bonferroni, family-wise alpha {self.alpha})",
                 f"  {'class':48s} {'observed':>9s} {'expected':>10s} {'z':>6s}"]
        lines += [f"  {c.name:48s} {c.observed:9d} {c.expected:10.1f} {c.z:+6.2f}" for c in self.classes]
        return "\n".join(lines)


def _class(action: Action, kind: str, state: DecisionState, next_state: DecisionState | None) -> str:
    """What an outcome looks like from outside: the reaction, facts revealed, and a solution's score
    (a question leaves the score as it was, so it is not part of a Clarify class)."""
    if next_state is None:
        return f"{action.label}: {kind}, episode ends"
    name = f"{action.label}: {kind}, {state.n_unknown - next_state.n_unknown} revealed"
    return name if action is Action.CLARIFY else f"{name}, score level {next_state.score_level}"


def outcome_check(env: gym.Env, choose: Chooser, episodes: int, seed: int = 0, alpha: float = 0.001,
                  solver: SyntheticSolver | None = None) -> OutcomeCheck:
    """Play `episodes` episodes of `env` (a synthetic env the solver handles) with `choose(state, rng)` and
    compare every outcome class's count with the expectation of `solver` (default: the env's own;
    `alpha`: the family-wise error rate)."""
    solver = solver or SyntheticSolver.for_env(env)
    counts: dict[str, ClassCount] = {}
    rng = random.Random(seed)
    steps = 0
    for episode_seed in derived_seeds(seed, episodes):
        env.reset(seed=episode_seed)
        model = solver.model_for(env)
        done = False
        while not done:
            state = decision_state(env)
            action = Action(choose(state, rng))
            predicted: dict[str, float] = defaultdict(float)
            for outcome in model.outcomes(state, action):
                predicted[_class(action, outcome.kind, state, outcome.next_state)] += outcome.prob
            predicted[f"{action.label}: long turn"] = model.p_long(action, state.n_unknown)
            _, _, terminated, truncated, info = env.step(action)
            done = terminated or truncated
            kind = reaction_kind(action, info["meta"], info["success"])
            happened = {_class(action, kind, state, None if done else decision_state(env))}
            if info["reward_terms"]["long_turn"] > 0:
                happened.add(f"{action.label}: long turn")
            for name in happened - set(predicted):
                raise AssertionError(f"the env produced {name!r} from {state}, which the solver gives probability 0")
            for name, p in predicted.items():
                count = counts.setdefault(name, ClassCount(name))
                count.observed += name in happened
                count.expected += p
                count.variance += p * (1.0 - p)
            steps += 1
    kept = [c for c in sorted(counts.values(), key=lambda c: c.name)
            if c.expected >= MIN_EXPECTED and steps - c.expected >= MIN_EXPECTED]
    return OutcomeCheck(kept, steps, alpha)
