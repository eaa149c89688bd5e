"""Persona parameters fitted to people's replies, by maximum likelihood under the simulated user's own model.

A person who played the user (`proact play --side user`, `proact ui`) left, for every
assistant turn, a choice (answer, reject, silence, off topic, give up; accept or
complain), the facts their reply gave and whether the turn was too long to read. Each
of these is an outcome the rule-based user draws from a distribution its persona
fixes; the fit asks which persona makes the person's outcomes most likely:

- the reaction to a question, from `RuleBasedSimulator.question_reaction_probs`, the
  very distribution `react` samples from (so the fit follows whatever decides how the
  simulated user takes a question): `p_answer, p_reject, p_silence, p_off_topic` and
  `question_tolerance`;
- the facts an answer gives: each still-hidden fact the questions are about (`hearing`)
  is revealed with probability `answer_precision`;
- a complaint names what a failed solution got wrong with probability `feedback_rate`
  (where `first_missed_fact` finds one);
- giving up: the simulated user gives up at the rejection that spends its last
  patience point (`PATIENCE_BUDGET`), and a turn is long when its prose has more words
  than `long_turn_tolerance` (`message_stats`, as the reward counts them). These two
  are deterministic in the simulator, so a person is modelled as following them up to a
  lapse rate `LAPSE` (the chance of doing otherwise), which keeps the likelihood finite.

Intervals are 95% profile-likelihood intervals: the values whose likelihood-ratio
statistic against the maximum stays within the chi-square(1) quantile 3.84. For the
four reaction probabilities the other three are re-maximised at every value and the
question tolerance is held at its estimate; for the integer and categorical
parameters the interval is the set of values within the same bound.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from proact_env.errors import SchemaError, require
from proact_env.io import read_jsonl
from proact_env.personas import LEVELS, PATIENCE_BUDGET, PRESETS, Persona
from proact_env.simulator.human import CLARIFY_CHOICES, FAILURE_CHOICES, SUCCESS_CHOICES
from proact_env.simulator.rules import (
    DialogueContext,
    RuleBasedSimulator,
    SimulatorConfig,
    first_missed_fact,
)
from proact_env.text import message_stats
from proact_env.types import Action, HiddenFact, Task, TaskScore, Turn

#: chance that a person gives up or finds a turn too long where the simulated user's rule says otherwise
LAPSE = 0.05
#: chi-square(1) 95% quantile: the profile-likelihood bound
CHI2_95 = 3.841458820694124
#: question tolerances considered (the observation caps the feature at 8)
MAX_QUESTION_TOLERANCE = 8
REACTIONS = ("answer", "reject", "silence", "off_topic")
PROBABILITIES = ("p_answer", "p_reject", "p_silence", "p_off_topic")
_TINY = 1e-300


class _Unscored:
    """The payload of a task rebuilt from a file: the reaction model reads its facts, never scores it."""

    def score(self, message: str) -> TaskScore:
        raise RuntimeError("a task rebuilt for persona fitting cannot score solutions")

    def uncertainty(self, revealed: frozenset[str]) -> float:
        return 0.0


@dataclass
class Observations:
    """What a person's replies say about each persona parameter, grouped for fast likelihoods."""

    #: (assistant message, context) -> counts of the reaction outcomes to that very turn
    clarify: list[tuple[str, DialogueContext, Counter]] = field(default_factory=list)
    #: (facts asked about and not yet known, of which the answer gave) per answer
    precision: list[tuple[int, int]] = field(default_factory=list)
    #: complaints that could have named a missed fact, and whether they did
    feedback: list[bool] = field(default_factory=list)
    #: (rejection number within the episode, whether the person gave up then)
    strikes: list[tuple[int, bool]] = field(default_factory=list)
    #: (prose words of the assistant's turn, whether the person found it too long)
    long_turns: list[tuple[int, bool]] = field(default_factory=list)
    replies: int = 0
    episodes: int = 0

    def counts(self) -> dict[str, int]:
        total = Counter()
        for _, _, c in self.clarify:
            total.update(c)
        return {name: total[name] for name in REACTIONS}


def load_observations(path: str | Path, participant: str | None = None) -> Observations:
    """The replies of people who played the user in `path` (of one `participant` if given); other lines
    (generated, assistant side) are skipped."""
    episodes: dict[str, list[tuple[str, dict[str, Any]]]] = defaultdict(list)
    for where, line in read_jsonl(Path(path)):
        human = line.get("human") or {}
        if line.get("source") != "human" or human.get("side") != "user":
            continue
        if participant is not None and human.get("participant") != participant:
            continue
        _require(line, where)
        episodes[str(line["state_id"])].append((where, line))
    if not episodes:
        raise SchemaError(str(path), "source", "no replies of a person playing the user (lines with source 'human' "
                                               "and human.side 'user', written by 'proact play --side user' or 'proact ui')")
    groups: dict[tuple, tuple[str, DialogueContext, Counter]] = {}
    obs = Observations(episodes=len(episodes))
    for turns in episodes.values():
        strikes = 0
        for where, line in sorted(turns, key=lambda t: t[1]["decision_point"]):
            _add_line(obs, groups, line, where)
            choice = line["human"]["reply"]["choice"]
            if choice in ("reject", "complain", "give_up"):
                strikes += 1
                obs.strikes.append((strikes, choice == "give_up"))
    obs.clarify = list(groups.values())
    return obs


#: random personas at which two turns' reaction distributions must coincide to be scored as one
FINGERPRINT_PROBES = 18


def merge_equivalent(obs: Observations, simulator: RuleBasedSimulator) -> Observations:
    """Score turns whose reaction distributions coincide as one, to make the fit fast.

    Two turns are merged when the simulator gives them the same distribution at
    `FINGERPRINT_PROBES` random personas (every question tolerance 0..8 twice among
    them): the simulator decides what matters (today the number of questions, those
    asked before and a previous rejection), never a copy of its rules here.
    """
    rng = np.random.default_rng(0)
    probes = []
    for i in range(FINGERPRINT_PROBES):
        p = rng.dirichlet(np.ones(4))
        probes.append(Persona(
            name="probe", patience=LEVELS[i % 3], expertise=LEVELS[(i // 3) % 3],
            question_tolerance=i % (MAX_QUESTION_TOLERANCE + 1), long_turn_tolerance=int(rng.integers(0, 200)),
            p_answer=1.0 - float(p[1:].sum()), p_reject=float(p[1]), p_silence=float(p[2]), p_off_topic=float(p[3]),
            answer_precision=float(rng.uniform()), feedback_rate=float(rng.uniform())))
    merged: dict[tuple, tuple[str, DialogueContext, Counter]] = {}
    for message, context, counts in obs.clarify:
        key = tuple(round(getattr(simulator.question_reaction_probs(message, probe, context), outcome), 12)
                    for probe in probes for outcome in REACTIONS)
        if key in merged:
            merged[key][2].update(counts)
        else:
            merged[key] = (message, context, Counter(counts))
    return replace(obs, clarify=list(merged.values()))


def _require(line: Mapping[str, Any], where: str) -> None:
    reply = (line.get("human") or {}).get("reply")
    if not isinstance(reply, Mapping) or "choice" not in reply:
        raise SchemaError(where, "human.reply", "missing the person's reply (choice, text, revealed, too_long)")
    for name, kind in (("context", Mapping), ("assistant_msg", str), ("action", str), ("state", Mapping),
                       ("decision_point", int), ("transcript", list)):
        if not isinstance(line.get(name), kind):
            raise SchemaError(where, name, f"expected {kind.__name__}, got {type(line.get(name)).__name__}")
    context = line["context"]
    for name in ("questions_before", "prev_reject", "patience_left", "revealed_before", "hidden"):
        if name not in context:
            raise SchemaError(where, f"context.{name}", "missing (lines from 'proact play' or 'proact ui' carry it)")
    allowed = CLARIFY_CHOICES if line["action"] == "Clarify" else SUCCESS_CHOICES + FAILURE_CHOICES
    if reply["choice"] not in allowed:
        raise SchemaError(where, "human.reply.choice", f"{reply['choice']!r} is not a reply to a {line['action']} "
                                                       f"turn (expected one of {', '.join(allowed)})")


def _context(line: Mapping[str, Any], action: Action) -> DialogueContext:
    """The `DialogueContext` the env gave the user at this turn, rebuilt from the line."""
    saved = line["context"]
    hidden = tuple(HiddenFact(f["key"], f["answer"], tuple(f.get("keywords", ()))) for f in saved["hidden"])
    task = Task(id=str(line.get("task_id", "")), domain=line["state"]["domain"], query=line["state"]["query"],
                hidden=hidden, payload=_Unscored(), source=str(line.get("task_source", "")))
    score = line.get("task_score")
    return DialogueContext(
        task=task, action=action, questions_before=int(saved["questions_before"]),
        prev_reject=bool(saved["prev_reject"]), patience_left=int(saved["patience_left"]),
        revealed=frozenset(saved["revealed_before"]),
        score=TaskScore(score["score"], score["passed"], score["total"], score.get("details") or {}) if score else None,
        last_score=float(line.get("r_task_before", 0.0)),
        transcript=tuple(Turn(t["role"], t.get("text", "")) for t in line["transcript"]),
    )


def _add_line(obs: Observations, groups: dict, line: Mapping[str, Any], where: str) -> None:
    reply = line["human"]["reply"]
    choice, message = reply["choice"], line["assistant_msg"]
    revealed = set(reply.get("revealed") or ())
    obs.replies += 1
    obs.long_turns.append((message_stats(message).prose_words, bool(reply.get("too_long", False))))
    if line["action"] == "Clarify":
        context = _context(line, Action.CLARIFY)
        key = (message, context.questions_before, context.prev_reject, context.patience_left,
               tuple(sorted(context.revealed)), context.task.hidden, context.task.query)
        group = groups.setdefault(key, (message, context, Counter()))
        group[2]["reject" if choice == "give_up" else choice] += 1
        if choice == "answer":
            asked = context.heard(message).targeted(context.revealed)
            if asked:
                obs.precision.append((len(asked), sum(key in revealed for key in asked)))
    elif choice == "complain":
        context = _context(line, Action.EXECUTE)
        if first_missed_fact(context) is not None:
            obs.feedback.append(bool(revealed))


# -- likelihoods -------------------------------------------------------------------------


def _log(p: float) -> float:
    return math.log(p) if p > 0 else -math.inf


def clarify_loglik(persona: Persona, obs: Observations, simulator: RuleBasedSimulator) -> float:
    """Log-likelihood of the reactions to questions, scored by the simulator's own distribution."""
    total = 0.0
    for message, context, counts in obs.clarify:
        probs = simulator.question_reaction_probs(message, persona, context)
        for outcome, n in counts.items():
            total += n * _log(getattr(probs, outcome))
    return total


def _binomial_loglik(p: float, pairs: Sequence[tuple[int, int]]) -> float:
    total = 0.0
    for n, k in pairs:
        total += math.log(math.comb(n, k)) + (k * _log(p) if k else 0.0) + ((n - k) * _log(1 - p) if n - k else 0.0)
    return total


def precision_loglik(persona: Persona, obs: Observations) -> float:
    return _binomial_loglik(persona.answer_precision, obs.precision)


def feedback_loglik(persona: Persona, obs: Observations) -> float:
    return _binomial_loglik(persona.feedback_rate, [(1, int(named)) for named in obs.feedback])


def patience_loglik(budget: int, obs: Observations) -> float:
    """The simulated user gives up at the rejection that spends its last point; a person does so up to `LAPSE`."""
    return sum(math.log(1 - LAPSE) if gave_up == (strike >= budget) else math.log(LAPSE)
               for strike, gave_up in obs.strikes)


def long_turn_loglik(tolerance: int, obs: Observations) -> float:
    """A turn is long past `tolerance` words of prose (the reward's rule); a person says so up to `LAPSE`."""
    return sum(math.log(1 - LAPSE) if too_long == (words > tolerance) else math.log(LAPSE)
               for words, too_long in obs.long_turns)


def loglik_terms(persona: Persona, obs: Observations, simulator: RuleBasedSimulator) -> dict[str, float]:
    """The data's log-likelihood under `persona`, part by part."""
    return {
        "reactions": clarify_loglik(persona, obs, simulator),
        "answer_precision": precision_loglik(persona, obs),
        "feedback": feedback_loglik(persona, obs),
        "patience": patience_loglik(persona.patience_budget, obs),
        "long_turns": long_turn_loglik(persona.long_turn_tolerance, obs),
    }


# -- the fit -------------------------------------------------------------------------------


@dataclass
class Estimate:
    """One fitted parameter: the estimate and its 95% interval (or set, for categories)."""

    name: str
    value: Any
    low: Any
    high: Any
    method: str
    n: int

    def interval_text(self) -> str:
        if self.name == "patience":
            return "{" + ", ".join(self.low) + "}"
        if isinstance(self.value, float):
            return f"[{self.low:.3f}, {self.high:.3f}]"
        return f"[{self.low}, {'inf' if self.high == math.inf else self.high}]"


@dataclass
class PersonaFit:
    """The fitted persona, every estimate, and the likelihood of the data under the fit and the presets."""

    persona: Persona
    estimates: dict[str, Estimate]
    loglik: dict[str, dict[str, float]]
    observations: Observations

    def report(self) -> dict[str, Any]:
        return {
            "persona": self.persona.to_dict(),
            "estimates": {k: {"value": e.value, "low": e.low, "high": e.high, "method": e.method, "n": e.n}
                          for k, e in self.estimates.items()},
            "loglik": self.loglik,
            "data": {"replies": self.observations.replies, "episodes": self.observations.episodes,
                     "reactions_to_questions": self.observations.counts(),
                     "answers_with_facts_asked": len(self.observations.precision),
                     "complaints_that_could_name_a_fact": len(self.observations.feedback),
                     "rejections": len(self.observations.strikes)},
            "lapse": LAPSE,
        }


def fit_persona(obs: Observations, name: str = "fitted", simulator_config: SimulatorConfig | None = None,
                progress: Callable[[str], None] | None = None) -> PersonaFit:
    """Maximum-likelihood persona for the observations, with 95% profile-likelihood intervals."""
    optimize = require("scipy.optimize", "human")
    simulator = RuleBasedSimulator(simulator_config or SimulatorConfig())
    say = progress or (lambda stage: None)
    estimates: dict[str, Estimate] = {}

    say("answer precision and feedback rate")
    for field_name, pairs in (("answer_precision", obs.precision),
                              ("feedback_rate", [(1, int(x)) for x in obs.feedback])):
        estimates[field_name] = _binomial_estimate(field_name, pairs, optimize)
    say("patience")
    estimates["patience"] = _patience_estimate(obs)
    say("long-turn tolerance")
    estimates["long_turn_tolerance"] = _long_turn_estimate(obs)

    # the reaction probabilities and question tolerance, with everything else at its estimate
    def persona_with(probs: Sequence[float], tolerance: int, label: str = name) -> Persona:
        return _persona(label, probs, tolerance, estimates, expertise="medium")

    merged = merge_equivalent(obs, simulator)

    def loglik(probs: Sequence[float], tolerance: int) -> float:
        return clarify_loglik(persona_with(probs, tolerance), merged, simulator)

    n_reactions = sum(obs.counts().values())
    if n_reactions == 0:
        raise SchemaError("replies", "action", "no reactions to a question: the persona's reaction probabilities "
                                               "need episodes where the assistant asked")
    say("reaction probabilities for each question tolerance")
    start = _empirical(obs)
    tolerances = range(MAX_QUESTION_TOLERANCE + 1)
    by_tolerance = {t: _maximise_simplex(lambda p, t=t: loglik(p, t), start, optimize) for t in tolerances}
    best_t = max(tolerances, key=lambda t: (by_tolerance[t][1], -abs(t - 2)))
    best_probs, best_ll = by_tolerance[best_t]
    within = [t for t in tolerances if 2 * (best_ll - by_tolerance[t][1]) <= CHI2_95]
    estimates["question_tolerance"] = Estimate("question_tolerance", best_t, min(within), max(within),
                                               "profile likelihood over 0..8", n_reactions)
    for i, field_name in enumerate(PROBABILITIES):
        say(f"profile interval of {field_name}")
        low, high = _profile_interval(loglik, by_tolerance, best_t, i, optimize)
        estimates[field_name] = Estimate(field_name, float(best_probs[i]), low, high,
                                         "profile likelihood (maximised over the question tolerance)", n_reactions)

    fitted = persona_with(best_probs, best_t)
    table = {"fitted": loglik_terms(fitted, obs, simulator)}
    for preset in PRESETS.values():
        table[preset.name] = loglik_terms(preset, obs, simulator)
    for terms in table.values():
        terms["total"] = sum(terms.values())
    # expertise only sets the simulated user's wording: take the likeliest preset's
    likeliest = max(PRESETS, key=lambda p: table[p]["total"])
    fitted = _persona(name, best_probs, best_t, estimates, expertise=PRESETS[likeliest].expertise,
                      description=f"fitted by maximum likelihood to {obs.replies} replies in {obs.episodes} episodes "
                                  f"played by people; expertise (wording only) from the likeliest preset, {likeliest}")
    return PersonaFit(fitted, estimates, table, obs)


def _persona(name: str, probs: Sequence[float], tolerance: int, estimates: Mapping[str, Estimate],
             expertise: str, description: str = "") -> Persona:
    # the file gets 4 decimals; the fit works on exact values
    rounded = [round(float(p), 4) if description else min(1.0, max(0.0, float(p))) for p in probs[1:]]
    return Persona(
        name=name, patience=estimates["patience"].value, expertise=expertise, question_tolerance=int(tolerance),
        long_turn_tolerance=int(estimates["long_turn_tolerance"].value),
        p_answer=max(0.0, round(1.0 - sum(rounded), 4) if description else 1.0 - sum(rounded)),
        p_reject=rounded[0], p_silence=rounded[1], p_off_topic=rounded[2],
        answer_precision=round(float(estimates["answer_precision"].value), 4),
        feedback_rate=round(float(estimates["feedback_rate"].value), 4), description=description,
    )


def _empirical(obs: Observations) -> np.ndarray:
    counts = obs.counts()
    values = np.array([counts[r] + 0.5 for r in REACTIONS], dtype=float)
    return values / values.sum()


def _softmax(logits: np.ndarray) -> np.ndarray:
    z = np.exp(logits - logits.max())
    return z / z.sum()


def _maximise_simplex(loglik: Callable[[np.ndarray], float], start: np.ndarray, optimize,
                      fixed: tuple[int, float] | None = None) -> tuple[np.ndarray, float]:
    """Maximise over probability vectors of `len(start)` (one entry pinned with `fixed=(index, value)`)."""
    free = [i for i in range(len(start)) if fixed is None or i != fixed[0]]
    mass = 1.0 if fixed is None else 1.0 - fixed[1]

    def probs_of(x: np.ndarray) -> np.ndarray:
        p = np.empty(len(start))
        p[free] = mass * _softmax(np.append(x, 0.0))
        if fixed is not None:
            p[fixed[0]] = fixed[1]
        return p

    base = np.maximum(start[free], 1e-6)
    x0 = np.log(base[:-1] / base[-1])
    if len(x0) == 0:
        p = probs_of(x0)
        return p, loglik(p)
    def objective(x: np.ndarray) -> float:
        value = loglik(probs_of(x))
        return -value if math.isfinite(value) else 1e100  # an outcome seen but impossible here

    result = optimize.minimize(objective, x0, method="Nelder-Mead",
                               options={"xatol": 1e-3, "fatol": 1e-4, "maxiter": 1000})
    p = probs_of(result.x)
    return p, -float(result.fun)


def _profile_interval(loglik: Callable[[np.ndarray, int], float], by_tolerance: Mapping[int, tuple[np.ndarray, float]],
                      best_t: int, index: int, optimize) -> tuple[float, float]:
    """Where the profile log-likelihood of probability `index` (the other three and the question tolerance
    re-maximised) falls CHI2_95 / 2 below the maximum."""
    best_probs, best_ll = by_tolerance[best_t]
    # a tolerance whose own maximum is already below the bound cannot hold the profile up: skip it
    tolerances = [t for t, (_, ll) in by_tolerance.items() if 2 * (best_ll - ll) <= CHI2_95]

    def excess(value: float) -> float:
        profile = max(_maximise_simplex(lambda p, t=t: loglik(p, t), by_tolerance[t][0], optimize,
                                        fixed=(index, value))[1] for t in tolerances)
        return 2 * (best_ll - profile) - CHI2_95

    estimate = float(best_probs[index])
    ends = []
    for bound in (0.0, 1.0):
        if excess(bound) <= 0:
            ends.append(bound)
        else:
            ends.append(float(optimize.brentq(excess, min(estimate, bound), max(estimate, bound), xtol=1e-3)))
    return ends[0], ends[1]


def _binomial_estimate(name: str, pairs: Sequence[tuple[int, int]], optimize) -> Estimate:
    n = sum(t for t, _ in pairs)
    if n == 0:
        return Estimate(name, 0.5, 0.0, 1.0, "no data: not identified (0.5 written)", 0)
    k = sum(s for _, s in pairs)
    p = k / n
    best = _binomial_loglik(p, pairs)

    def excess(value: float) -> float:
        return 2 * (best - _binomial_loglik(value, pairs)) - CHI2_95

    low = 0.0 if k == 0 or excess(1e-12) <= 0 else float(optimize.brentq(excess, 1e-12, p, xtol=1e-6))
    high = 1.0 if k == n or excess(1 - 1e-12) <= 0 else float(optimize.brentq(excess, p, 1 - 1e-12, xtol=1e-6))
    return Estimate(name, p, low, high, "profile likelihood (binomial)", n)


def _patience_estimate(obs: Observations) -> Estimate:
    ll = {level: patience_loglik(PATIENCE_BUDGET[level], obs) for level in LEVELS}
    best = max(ll.values())
    within = [level for level in LEVELS if 2 * (best - ll[level]) <= CHI2_95]
    # ties (no rejection seen) keep the middle level
    value = max(LEVELS, key=lambda level: (ll[level], level == "medium"))
    return Estimate("patience", value, within, within, f"likelihood ratio over the levels (lapse {LAPSE})",
                    len(obs.strikes))


def _long_turn_estimate(obs: Observations) -> Estimate:
    """Every tolerance past the longest turn seen explains the data alike: then the interval has no upper end."""
    longest = max((w for w, _ in obs.long_turns), default=0)
    candidates = range(0, longest + 1)
    ll = {t: long_turn_loglik(t, obs) for t in candidates}
    best = max(ll.values())
    tied = [t for t in candidates if ll[t] == best]
    within = [t for t in candidates if 2 * (best - ll[t]) <= CHI2_95]
    open_ended = max(within) == longest
    value = tied[0] if tied[-1] == longest else tied[len(tied) // 2]
    return Estimate("long_turn_tolerance", value, min(within), math.inf if open_ended else max(within),
                    f"profile likelihood over words of prose (lapse {LAPSE})"
                    + (f"; no turn seen was longer than {longest} words" if open_ended else ""), len(obs.long_turns))


def format_fit(fit: PersonaFit) -> str:
    """The printed report: each estimate with its interval, then the log-likelihood of every persona."""
    lines = [f"{fit.observations.replies} replies in {fit.observations.episodes} episodes; reactions to questions: "
             + ", ".join(f"{k} {v}" for k, v in fit.observations.counts().items())]
    width = max(len(name) for name in fit.estimates)
    lines.append(f"{'parameter'.ljust(width)}  {'estimate':>9}  {'95% interval':<18}  n     method")
    order = (*PROBABILITIES, "question_tolerance", "long_turn_tolerance", "patience", "answer_precision",
             "feedback_rate")
    for name in order:
        e = fit.estimates[name]
        value = f"{e.value:.3f}" if isinstance(e.value, float) else str(e.value)
        lines.append(f"{name.ljust(width)}  {value:>9}  {e.interval_text():<18}  {e.n:<5} {e.method}")
    lines.append("log-likelihood of the data (higher is likelier): total = reactions + answer_precision + feedback "
                 "+ patience + long_turns")
    ranked = sorted(fit.loglik.items(), key=lambda item: -item[1]["total"])
    name_width = max(len(name) for name in fit.loglik)
    for persona, terms in ranked:
        parts = "  ".join(f"{terms[k]:9.2f}" for k in ("reactions", "answer_precision", "feedback", "patience",
                                                        "long_turns"))
        lines.append(f"  {persona.ljust(name_width)}  {terms['total']:10.2f}  ({parts})")
    return "\n".join(lines)
