"""The exact persona-blind optimum of synthetic tasks: the best policy that never sees the persona.

With ``observe_persona=False`` the `optimal` policy of `proact_env.solver` is an
oracle: it reads the user's persona and remaining patience. Its regret therefore
mixes two things, what no persona-blind policy could know and what a policy failed
to learn. This module separates them by solving the partially observed problem
exactly: the best a policy can do that knows the task, the simulator's rules and
the persona *prior* (the env's persona distribution), and learns about the user
only from what it observes.

What the blind policy observes (its information set), per decision point:

- the task (the query names the stated slots; the questions name the options);
- the observable state `ObservedState`: turn, hidden facts still unknown,
  questions asked, strikes (questions rejected plus solutions turned down),
  whether the previous turn was rejected, and the latest solution's score;
- the kind of each reaction: answered, rejected, silent, off topic
  (`info["meta"]`), success, or a complaint (with or without a named fact, seen as
  a revealed fact); and whether the episode has ended (a user who gives up).

It does not observe the persona, its remaining patience (only the strikes spent),
the wording of the user's replies (whose style depends on the persona) or the
long-turn term of the reward. A policy that reads those can do better than this
optimum; one that reads only the observation vector cannot.

The belief over the prior's personas is updated by Bayes' rule with each persona's
exact outcome probabilities, read from the oracle's `EpisodeModel.outcomes` (one
model per persona): the blind solver never restates the dynamics, so it stays
exact whenever the oracle does. A persona whose patience the strikes have used up
would have ended the episode, so it drops out of the belief. Backward induction
over (observable state, belief), every belief reached from the start, gives the
optimum exactly (beliefs are rounded to 12 decimals, far below any reported digit).

`persona="presets"` (a uniform draw of the five presets), a preset name, a
`Persona` or a list of them have a finite prior and are solved; ``"sampled"``
personas are continuous and are not (`UnsupportedPrior`): their blind optimum
has no finite exact solution, so none is claimed.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Mapping, NamedTuple, Sequence

import gymnasium as gym
import numpy as np

from proact_env.domains.synthetic.tasks import SyntheticSpec
from proact_env.personas import PRESETS, Persona
from proact_env.solver import DecisionState, EpisodeModel, SyntheticSolver
from proact_env.types import Action, Task

_TIE = 1e-12
#: beliefs are memoised at this precision: two histories whose posteriors agree to it share a value
_BELIEF_DIGITS = 12

Belief = tuple[float, ...]


class UnsupportedPrior(ValueError):
    """The env's persona distribution has no finite support (``persona="sampled"``)."""


class ObservedState(NamedTuple):
    """What a persona-blind agent knows of the Markov state at a decision point.

    The oracle's `DecisionState` with `patience_left` replaced by `strikes`, the
    patience points spent: the patience left is `patience_budget - strikes`, and
    the budget is the persona's.
    """

    turn: int
    n_unknown: int
    questions_asked: int
    strikes: int
    prev_reject: bool
    score_level: int


class Branch(NamedTuple):
    """One observable continuation of an action: its probability under the belief and the posterior it leads to."""

    prob: float
    belief: Belief


@dataclass(frozen=True)
class PersonaPrior:
    """A finite distribution over personas: what the env draws each episode's user from."""

    personas: tuple[Persona, ...]
    weights: tuple[float, ...]

    def __post_init__(self) -> None:
        if not self.personas or len(self.personas) != len(self.weights):
            raise ValueError("a persona prior needs one weight per persona and at least one persona")
        if any(w < 0 for w in self.weights) or abs(sum(self.weights) - 1.0) > 1e-9:
            raise ValueError(f"persona prior weights must be >= 0 and sum to 1, got {self.weights}")

    @classmethod
    def uniform(cls, personas: Sequence[Persona]) -> "PersonaPrior":
        return cls(tuple(personas), tuple(1.0 / len(personas) for _ in personas))

    @classmethod
    def for_option(cls, option: Any) -> "PersonaPrior":
        """The prior of an env's `persona` argument (``"presets"``, a preset name, a Persona or a list)."""
        if isinstance(option, Persona):
            return cls.uniform((option,))
        if isinstance(option, str):
            if option == "presets":
                return cls.uniform(tuple(PRESETS.values()))
            if option in PRESETS:
                return cls.uniform((PRESETS[option],))
            if option == "sampled":
                raise UnsupportedPrior(
                    "persona='sampled' draws continuous personas: the persona-blind optimum is solved exactly "
                    "only for a finite prior ('presets', a preset, or a list of presets)")
        if isinstance(option, (tuple, list)) and option:
            return cls.uniform(tuple(p if isinstance(p, Persona) else Persona.from_dict(p) for p in option))
        raise UnsupportedPrior(f"no finite persona prior for persona={option!r}")


def observed_state(state: DecisionState, persona: Persona) -> ObservedState:
    """What a blind agent sees of `state` (the user's remaining patience becomes strikes spent)."""
    return ObservedState(state.turn, state.n_unknown, state.questions_asked,
                         persona.patience_budget - state.patience_left, state.prev_reject, state.score_level)


def reaction_kind(action: Action, meta: Mapping[str, Any], success: bool) -> str:
    """The `REACTION_KINDS` label of a step, from what `env.step` returns in `info`."""
    if action is Action.EXECUTE:
        return "success" if success else "complaint"
    if meta["reject_signal"]:
        return "reject"
    if meta["silence"]:
        return "silence"
    if meta["off_topic_flag"]:
        return "off_topic"
    return "answer"  # a reply to the questions, even one that answers nothing ("what do you mean?")


class Transition(NamedTuple):
    """What `action` in an observable state does, persona by persona (independent of the belief).

    `rewards[i]` is persona i's expected immediate reward; `probs[k, i]` the chance that persona i
    reacts with `keys[k]` = (reaction kind, next observable state). Endings (success, a user who
    gives up, the last turn) are in the rewards only: nothing is decided after them.
    """

    rewards: np.ndarray
    keys: tuple[tuple[str, ObservedState], ...]
    probs: np.ndarray


class BlindModel:
    """The exact persona-blind problem of one task shape: one oracle model per persona of the prior."""

    def __init__(self, models: Sequence[EpisodeModel], prior: PersonaPrior) -> None:
        if len(models) != len(prior.personas):
            raise ValueError("one EpisodeModel per persona of the prior is needed")
        self.models = tuple(models)
        self.prior = prior
        self.max_turns = models[0].max_turns
        self._transition = lru_cache(maxsize=None)(self._compute_transition)
        self._step = lru_cache(maxsize=None)(self._compute_step)
        self._q = lru_cache(maxsize=None)(self._compute_q)
        self._last = lru_cache(maxsize=None)(self._compute_last_rewards)
        self._value_for = lru_cache(maxsize=None)(self._compute_value_for)
        self._beliefs: dict[Belief, np.ndarray] = {}  # rounded key -> the first exact posterior with it

    # -- the observable state and the belief ----------------------------------------

    def initial_state(self) -> ObservedState:
        return observed_state(self.models[0].initial_state(), self.prior.personas[0])

    def initial_belief(self, state: ObservedState | None = None) -> Belief:
        """The prior, less the personas whose patience `state`'s strikes have used up."""
        strikes = (state or self.initial_state()).strikes
        masses = np.array([w if p.patience_budget > strikes else 0.0
                           for p, w in zip(self.prior.personas, self.prior.weights)])
        belief = masses / _positive(masses.sum())
        return self._key(_rounded(belief), belief)

    def persona_state(self, i: int, state: ObservedState) -> DecisionState:
        patience = self.prior.personas[i].patience_budget - state.strikes
        return DecisionState(state.turn, state.n_unknown, state.questions_asked, patience, state.prev_reject,
                             state.score_level)

    def posterior(self, state: ObservedState, belief: Belief, action: Action, kind: str,
                  next_state: ObservedState) -> Belief:
        """The belief after `action` in `state` met reaction `kind` and led to `next_state` (Bayes' rule)."""
        branch = self.step(state, belief, action)[1].get((kind, next_state))
        if branch is None:
            raise ValueError(f"reaction {kind!r} to {Action(action).label} leading to {next_state} has probability 0 "
                             f"under the persona prior from {state}: the env is not the one this model solves")
        return branch.belief

    # -- dynamic programming ----------------------------------------------------------

    def transition(self, state: ObservedState, action: Action) -> Transition:
        return self._transition(state, Action(action))

    def _compute_transition(self, state: ObservedState, action: Action) -> Transition:
        n = len(self.models)
        rewards = np.zeros(n)
        columns: dict[tuple, np.ndarray] = {}
        for i, (model, persona) in enumerate(zip(self.models, self.prior.personas)):
            if persona.patience_budget <= state.strikes:
                continue  # this user would have given up already: never in a belief here
            for outcome in model.outcomes(self.persona_state(i, state), action):
                rewards[i] += outcome.prob * outcome.reward
                if outcome.next_state is not None:
                    key = (outcome.kind, observed_state(outcome.next_state, persona))
                    columns.setdefault(key, np.zeros(n))[i] += outcome.prob
        keys = tuple(columns)
        probs = np.array([columns[k] for k in keys]) if keys else np.zeros((0, n))
        return Transition(rewards, keys, probs)

    def step(self, state: ObservedState, belief: Belief, action: Action) -> tuple[float, dict[tuple, Branch]]:
        """The expected immediate reward of `action` and its observable continuations, by (kind, next state)."""
        return self._step(state, belief, Action(action))

    def _compute_step(self, state: ObservedState, belief: Belief, action: Action) -> tuple[float, dict[tuple, Branch]]:
        b = self._beliefs[belief]
        t = self._transition(state, action)
        masses = t.probs * b
        totals = masses.sum(axis=1)
        kept = totals > 0.0
        posteriors = masses[kept] / totals[kept, None]
        keys = (k for k, keep in zip(t.keys, kept) if keep)
        branches = {key: Branch(float(total), self._key(row, posterior))
                    for key, total, row, posterior in zip(keys, totals[kept], _rounded(posteriors), posteriors)}
        return float(t.rewards @ b), branches

    def _key(self, rounded: Sequence[float], belief: np.ndarray) -> Belief:
        key = tuple(rounded)
        self._beliefs.setdefault(key, belief)
        return key

    def q_values(self, state: ObservedState, belief: Belief) -> tuple[float, float]:
        """(Q(Clarify), Q(Execute)) under the belief, with blind-optimal play afterwards."""
        return self._q(state, belief)

    def _compute_q(self, state: ObservedState, belief: Belief) -> tuple[float, float]:
        b = self._beliefs[belief]
        if state.turn + 1 >= self.max_turns:  # the last turn: every outcome ends the episode
            return (float(self._transition(state, Action.CLARIFY).rewards @ b),
                    float(self._transition(state, Action.EXECUTE).rewards @ b))
        values = []
        for action in (Action.CLARIFY, Action.EXECUTE):
            if state.turn + 2 >= self.max_turns:
                # the next decision is the last: its value is max_a (mass . rewards_a) per branch, with
                # no posterior to normalise or memoise (most decision points are last ones)
                t = self._transition(state, action)
                masses = t.probs * b
                clarify, execute = self._last_rewards(state, action)
                values.append(float(t.rewards @ b + np.maximum((masses * clarify).sum(axis=1),
                                                               (masses * execute).sum(axis=1)).sum()))
                continue
            reward, branches = self._step(state, belief, action)
            values.append(reward + sum(b.prob * max(self._q(next_state, b.belief))
                                       for (_, next_state), b in branches.items()))
        return values[0], values[1]

    def _last_rewards(self, state: ObservedState, action: Action) -> tuple[np.ndarray, np.ndarray]:
        """Per branch of `action`, every persona's expected reward of Clarify and of Execute at the
        last decision point it leads to (rows in the order of the transition's keys)."""
        return self._last(state, action)

    def _compute_last_rewards(self, state: ObservedState, action: Action) -> tuple[np.ndarray, np.ndarray]:
        keys = self._transition(state, action).keys
        n = len(self.models)
        return tuple(np.array([self._transition(next_state, a).rewards for _, next_state in keys]).reshape(-1, n)
                     for a in (Action.CLARIFY, Action.EXECUTE))

    def optimal_action(self, state: ObservedState, belief: Belief) -> Action:
        q_clarify, q_execute = self.q_values(state, belief)
        return Action.CLARIFY if q_clarify > q_execute + _TIE else Action.EXECUTE

    def value(self, state: ObservedState | None = None, belief: Belief | None = None) -> float:
        """The persona-blind optimal expected return from `state` under `belief` (default: the start)."""
        state = state or self.initial_state()
        return max(self.q_values(state, belief if belief is not None else self.initial_belief(state)))

    def value_for(self, persona: int, state: ObservedState | None = None, belief: Belief | None = None) -> float:
        """The expected return of the blind-optimal policy when the user is `self.prior.personas[persona]`.

        The prior-weighted mean of these is `value()`. A benchmark episode uses the one of its own user:
        an unbiased estimate of the same mean with far less variance than the prior mean itself.
        """
        state = state or self.initial_state()
        belief = belief if belief is not None else self.initial_belief(state)
        if belief[persona] == 0.0:
            raise ValueError(f"persona {self.prior.personas[persona].name!r} has probability 0 in this belief")
        return self._value_for(persona, state, belief)

    def _compute_value_for(self, i: int, state: ObservedState, belief: Belief) -> float:
        action = self.optimal_action(state, belief)
        t = self._transition(state, action)
        branches = self._step(state, belief, action)[1]
        total = float(t.rewards[i])
        for key, probs in zip(t.keys, t.probs):
            if probs[i] > 0.0:
                total += probs[i] * self._value_for(i, key[1], branches[key].belief)
        return total


def _rounded(beliefs: np.ndarray) -> list:
    """Beliefs rounded to `_BELIEF_DIGITS` (rows, as lists): the memo keys. The same posterior reached
    by different histories (the same factors multiplied in another order) differs in its last bits;
    rounded, it is one entry."""
    return np.round(beliefs, _BELIEF_DIGITS).tolist()


def _positive(total: float) -> float:
    if total <= 0.0:
        raise ValueError("no persona of the prior is consistent with what was observed")
    return total


class BlindSolver:
    """Builds and caches the `BlindModel` of each task shape for one env configuration and persona prior.

    Use `BlindSolver.for_env(env)`: it shares the oracle's `SyntheticSolver` (and so its
    per-persona models) and reads the prior from the env's `persona` argument.
    """

    def __init__(self, solver: SyntheticSolver, prior: PersonaPrior) -> None:
        self.solver = solver
        self.prior = prior
        self._models: dict[tuple, BlindModel] = {}

    @classmethod
    def for_env(cls, env: gym.Env) -> "BlindSolver":
        """The blind solver of `env`; `UnsupportedPrior` for sampled personas, TypeError off Synthetic-v0."""
        base = env.unwrapped
        return _shared_blind_solver(SyntheticSolver.for_env(env), PersonaPrior.for_option(base.persona_option))

    def model(self, task: Task) -> BlindModel:
        spec = task.payload
        if not isinstance(spec, SyntheticSpec):
            raise TypeError(f"the exact solver handles synthetic tasks only, got a {task.source!r} task")
        key = (len(spec.slots), len(spec.hidden_slots), spec.n_options, task.domain)
        model = self._models.get(key)
        if model is None:
            model = BlindModel([self.solver.model(task, p) for p in self.prior.personas], self.prior)
            self._models[key] = model
        return model

    def model_for(self, env: gym.Env) -> BlindModel:
        ep = env.unwrapped.episode
        if ep is None:
            raise gym.error.ResetNeeded("No episode yet: call env.reset() first.")
        return self.model(ep.task)

    def episode_value(self, env: gym.Env) -> float | None:
        """The blind optimum's expected return for the env's current episode and its actual user
        (None when that user is outside the prior, e.g. a persona pinned by a reset option)."""
        ep = env.unwrapped.episode
        model = self.model(ep.task)
        if ep.persona not in self.prior.personas:
            return None
        return model.value_for(self.prior.personas.index(ep.persona))


@lru_cache(maxsize=32)
def _shared_blind_solver(solver: SyntheticSolver, prior: PersonaPrior) -> BlindSolver:
    return BlindSolver(solver, prior)
