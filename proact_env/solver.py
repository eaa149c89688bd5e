"""Exact dynamic programming for synthetic tasks: the optimal policy and the value of any policy.

With the scripted synthetic backbone and the rule-based simulator, one episode
is a finite Markov decision process whose state is `DecisionState` and whose
transition probabilities are read from the same functions the env samples
from (`clarify_reaction_probs`, the persona's precision and feedback rate, the
backbone's message lengths). Backward induction over the states reachable
from the start gives exact values, so regret needs no Monte Carlo.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from math import comb
from typing import Callable, NamedTuple

import gymnasium as gym

from proact_env.domains.scripted import ScriptedBackbone
from proact_env.domains.synthetic.tasks import SyntheticSpec, SyntheticTaskSource, slot_fact
from proact_env.domains.synthetic.writer import ScriptedSyntheticBackbone
from proact_env.env import DEFAULT_MAX_TURNS
from proact_env.personas import Persona
from proact_env.reward import RewardConfig, interrupt_cost_from_counts
from proact_env.simulator import RuleBasedSimulator, SimulatorConfig, clarify_reaction_probs
from proact_env.simulator.hearing import hear
from proact_env.text import count_questions
from proact_env.types import Action, Task

_TIE = 1e-12


class DecisionState(NamedTuple):
    """The Markov state of a synthetic episode at a decision point.

    `score_level` is the number of slots the latest solution met (0 before any
    solution), so the latest R_task is `score_level / n_slots`.
    """

    turn: int
    n_unknown: int
    questions_asked: int
    patience_left: int
    prev_reject: bool
    score_level: int


Policy = Callable[[DecisionState], Action]


def decision_state(env: gym.Env) -> DecisionState:
    """The current `DecisionState` of a (possibly wrapped) synthetic env."""
    ep = env.unwrapped.episode
    if ep is None:
        raise gym.error.ResetNeeded("No episode yet: call env.reset() first.")
    spec = ep.task.payload
    if not isinstance(spec, SyntheticSpec):
        raise TypeError(f"the exact solver handles synthetic tasks only, got a {ep.task.source!r} task")
    return DecisionState(
        turn=ep.turn,
        n_unknown=ep.n_unknown,
        questions_asked=ep.questions_asked,
        patience_left=ep.patience_left,
        prev_reject=ep.prev_reject,
        score_level=round(ep.last_score * len(spec.slots)),
    )


def _binomial(n: int, p: float) -> list[float]:
    return [comb(n, j) * p**j * (1.0 - p) ** (n - j) for j in range(n + 1)]


#: what the user did, as a persona-blind agent sees it (`info["meta"]`, `info["success"]`)
REACTION_KINDS = ("reject", "answer", "silence", "off_topic", "success", "complaint")


@dataclass(frozen=True)
class _Outcome:
    prob: float
    reward: float
    next_state: DecisionState | None  # None: the episode ends (success or give-up)
    kind: str = ""  # one of REACTION_KINDS: the persona-blind solver groups outcomes by what an agent observes


class ClarifyTurn(NamedTuple):
    """What the simulated user hears in the scripted writer's Clarify with some slots unknown.

    `questions` is what the reaction probabilities count, `cost_questions` what
    the interruption cost counts (`count_questions`); `targets` the unknown
    slots asked about (each revealed with the persona's precision), `repeated`
    the questions about slots already told, `open` whether an open question
    may get one more slot volunteered.
    """

    questions: int
    cost_questions: int
    targets: int
    repeated: int
    open: bool


def clarify_turn(spec: SyntheticSpec, backbone: ScriptedSyntheticBackbone, n_unknown: int) -> ClarifyTurn:
    """The simulator's own hearing (`hear`) of the writer's Clarify variants with `n_unknown` slots unknown.

    The solver's reveal model is read from the simulator rather than restated,
    so the two cannot drift apart; every variant must be heard alike (they
    differ only in wording), else the state would not be Markov.
    """
    revealed, messages = backbone.clarify_variants(spec, n_unknown)
    hidden = tuple(slot_fact(s) for s in spec.hidden_slots)
    turns = set()
    for message in messages:
        heard = hear(message, hidden, revealed)
        turns.add(ClarifyTurn(len(heard.questions), count_questions(message), len(heard.targeted(revealed)),
                              heard.repeated, heard.any_open))
    if len(turns) != 1:
        raise ValueError(f"the scripted writer's Clarify variants are heard differently with {n_unknown} "
                         f"unknown slot(s): {sorted(turns)}; the exact solver needs them alike")
    return turns.pop()


class EpisodeModel:
    """The exact MDP of one (task shape, persona) pair."""

    def __init__(
        self,
        spec: SyntheticSpec,
        domain: str,
        persona: Persona,
        *,
        max_turns: int,
        reward: RewardConfig,
        simulator: SimulatorConfig,
        backbone: ScriptedSyntheticBackbone,
    ) -> None:
        self.n_slots = len(spec.slots)
        self.n_hidden = len(spec.hidden_slots)
        self.guess_rate = spec.guess_rate
        self.persona = persona
        self.max_turns = max_turns
        self.reward = reward
        self.simulator = simulator
        self.volunteer = simulator.volunteer_probability(persona)
        self._clarify_turns = {u: clarify_turn(spec, backbone, u) for u in range(self.n_hidden + 1)}
        tolerance = persona.long_turn_tolerance
        self._p_long = {
            (action, u): sum(w > tolerance for w in counts) / len(counts)
            for action in Action
            for u in range(self.n_hidden + 1)
            for counts in [backbone.word_counts(spec, domain, action, u)]
        }
        self._outcomes = lru_cache(maxsize=None)(self._compute_outcomes)
        self._q_values = lru_cache(maxsize=None)(self._compute_q_values)
        self._value = lru_cache(maxsize=None)(self._optimal_value)

    def p_long(self, action: Action, n_unknown: int) -> float:
        """Chance that the message of `action` with `n_unknown` facts unknown is long for this persona."""
        return self._p_long[(Action(action), n_unknown)]

    def initial_state(self) -> DecisionState:
        return DecisionState(0, self.n_hidden, 0, self.persona.patience_budget, False, 0)

    def outcomes(self, state: DecisionState, action: Action) -> tuple[_Outcome, ...]:
        """Every outcome of taking `action` in `state`, with its probability and reward.

        Cached: the optimum, policy evaluation and the persona-blind solver all expand the same states.
        """
        return self._outcomes(state, Action(action))

    def _compute_outcomes(self, state: DecisionState, action: Action) -> tuple[_Outcome, ...]:
        t, u, asked, patience, prev_reject, level = state
        expected_long = self._p_long[(action, u)] * self.reward.alpha * self.reward.w_long_turn
        out: list[_Outcome] = []
        last_turn = t + 1 >= self.max_turns

        def then(next_state: DecisionState) -> DecisionState | None:
            return None if last_turn else next_state

        if action is Action.CLARIFY:
            turn = self._clarify_turns[u]
            n_q = turn.cost_questions
            probs = clarify_reaction_probs(self.persona, turn.questions, asked, prev_reject, self.simulator,
                                           repeated=turn.repeated)
            base = -interrupt_cost_from_counts(n_q, False, False, False, self.reward).total - expected_long
            reject_cost = interrupt_cost_from_counts(0, True, False, False, self.reward).total
            drift_cost = interrupt_cost_from_counts(0, False, False, True, self.reward).total
            if probs.reject > 0:
                gave_up = patience - 1 <= 0
                nxt = None if gave_up else then(DecisionState(t + 1, u, asked + n_q, patience - 1, True, level))
                out.append(_Outcome(probs.reject, base - reject_cost, nxt, "reject"))
            volunteer = self.volunteer if turn.open and u > turn.targets else 0.0
            for j, pj in enumerate(_binomial(turn.targets, self.persona.answer_precision)):
                for extra, pe in ((0, 1.0 - volunteer), (1, volunteer)):
                    if probs.answer * pj * pe > 0:
                        out.append(_Outcome(probs.answer * pj * pe, base, then(
                            DecisionState(t + 1, u - j - extra, asked + n_q, patience, False, level)), "answer"))
            same = then(DecisionState(t + 1, u, asked + n_q, patience, False, level))
            if probs.silence > 0:
                out.append(_Outcome(probs.silence, base, same, "silence"))
            if probs.off_topic > 0:
                out.append(_Outcome(probs.off_topic, base - drift_cost, same, "off_topic"))
            return tuple(out)

        complaint_cost = interrupt_cost_from_counts(0, True, False, False, self.reward).total
        for x, px in enumerate(_binomial(u, self.guess_rate)):
            if px == 0:
                continue
            new_level = self.n_slots - u + x
            score = new_level / self.n_slots
            reward = score - level / self.n_slots - expected_long
            if score >= self.reward.success_threshold:
                out.append(_Outcome(px, reward, None, "success"))
                continue
            reward -= complaint_cost
            if patience - 1 <= 0:
                out.append(_Outcome(px, reward, None, "complaint"))
                continue
            fb = self.persona.feedback_rate if u > 0 else 0.0
            for named, p_named in ((1, fb), (0, 1.0 - fb)):  # the complaint names a missed fact, or not
                if p_named > 0:
                    nxt = DecisionState(t + 1, u - named, asked, patience - 1, True, new_level)
                    out.append(_Outcome(px * p_named, reward, then(nxt), "complaint"))
        return tuple(out)

    def q_value(self, state: DecisionState, action: Action, continuation: Callable[[DecisionState], float]) -> float:
        return sum(o.prob * (o.reward + (continuation(o.next_state) if o.next_state is not None else 0.0))
                   for o in self.outcomes(state, action))

    def q_values(self, state: DecisionState) -> tuple[float, float]:
        """(Q(Clarify), Q(Execute)) under optimal play afterwards."""
        return self._q_values(state)

    def _compute_q_values(self, state: DecisionState) -> tuple[float, float]:
        return (self.q_value(state, Action.CLARIFY, self._value), self.q_value(state, Action.EXECUTE, self._value))

    def optimal_action(self, state: DecisionState) -> Action:
        q_clarify, q_execute = self.q_values(state)
        return Action.CLARIFY if q_clarify > q_execute + _TIE else Action.EXECUTE

    def value(self, state: DecisionState | None = None) -> float:
        """Optimal expected return from `state` (default: the start of the episode)."""
        return self._value(state if state is not None else self.initial_state())

    def _optimal_value(self, state: DecisionState) -> float:
        return max(self.q_values(state))

    def policy_value(self, policy: Policy, state: DecisionState | None = None) -> float:
        """Exact expected return of a Markov policy from `state`."""

        @lru_cache(maxsize=None)
        def value(s: DecisionState) -> float:
            return self.q_value(s, Action.parse(policy(s)), value)

        return value(state if state is not None else self.initial_state())


class SyntheticSolver:
    """Builds and caches the exact model of each (task shape, persona) an env can produce.

    Use `SyntheticSolver.for_env(env)` so that the solver uses the env's own
    configuration (max_turns, reward weights, simulator, backbone).
    """

    def __init__(
        self,
        *,
        max_turns: int = DEFAULT_MAX_TURNS,
        reward: RewardConfig | None = None,
        simulator: SimulatorConfig | None = None,
        backbone: ScriptedSyntheticBackbone | None = None,
    ) -> None:
        self.max_turns = max_turns
        self.reward = reward or RewardConfig()
        self.simulator = simulator or SimulatorConfig()
        self.backbone = backbone or ScriptedSyntheticBackbone()
        self._models: dict[tuple, EpisodeModel] = {}

    @classmethod
    def for_env(cls, env: gym.Env) -> "SyntheticSolver":
        """The solver for `env`'s configuration, shared by every env with the same one.

        Sharing matters: a benchmark builds a fresh env per policy and chunk of
        episodes, and each solver caches its models (one per task shape and persona).
        """
        base = env.unwrapped
        if not isinstance(base.task_source, SyntheticTaskSource):
            raise TypeError("the exact solver needs synthetic tasks (proact_env/Synthetic-v0)")
        backbone = base.backbone
        if isinstance(backbone, ScriptedBackbone):
            backbone = backbone.writer(SyntheticSpec)
        if not isinstance(backbone, ScriptedSyntheticBackbone):
            raise TypeError("the exact solver needs the scripted synthetic backbone (the env's default)")
        if not isinstance(base.simulator, RuleBasedSimulator):
            raise TypeError("the exact solver needs the rule-based simulator (the env's default)")
        return _shared_solver(base.max_turns, base.reward_config, base.simulator.config, backbone)

    def model(self, task: Task, persona: Persona) -> EpisodeModel:
        spec = task.payload
        if not isinstance(spec, SyntheticSpec):
            raise TypeError(f"the exact solver handles synthetic tasks only, got a {task.source!r} task")
        key = (len(spec.slots), len(spec.hidden_slots), spec.n_options, task.domain, persona)
        model = self._models.get(key)
        if model is None:
            model = EpisodeModel(spec, task.domain, persona, max_turns=self.max_turns, reward=self.reward,
                                 simulator=self.simulator, backbone=self.backbone)
            self._models[key] = model
        return model

    def model_for(self, env: gym.Env) -> EpisodeModel:
        ep = env.unwrapped.episode
        if ep is None:
            raise gym.error.ResetNeeded("No episode yet: call env.reset() first.")
        return self.model(ep.task, ep.persona)

    def optimal_action(self, env: gym.Env) -> Action:
        """The optimal action at the env's current decision point."""
        return self.model_for(env).optimal_action(decision_state(env))

    def q_values(self, env: gym.Env) -> tuple[float, float]:
        return self.model_for(env).q_values(decision_state(env))


@lru_cache(maxsize=32)
def _shared_solver(
    max_turns: int, reward: RewardConfig, simulator: SimulatorConfig, backbone: ScriptedSyntheticBackbone
) -> SyntheticSolver:
    return SyntheticSolver(max_turns=max_turns, reward=reward, simulator=simulator, backbone=backbone)
