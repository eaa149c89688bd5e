"""From episode records to the benchmark's numbers: means, 95% intervals, breakdowns, calibration,
and where a policy loses value against the optimum."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

import numpy as np

#: Remaining-uncertainty bins of the calibration view (left-closed; the last includes 1).
CALIBRATION_BINS = (0.0, 0.1, 0.3, 0.5, 0.7, 0.9, 1.0)


#: Remaining uncertainty from which a decision point counts as "unclear" in the lost-value breakdown.
UNCLEAR_FROM = 0.5


@dataclass
class Decision:
    """One decision of a policy: where it was, what it did, what the optimum would have done.

    `lost_value` is Q*(s, optimal) - Q*(s, action) from the exact solver: summed over an
    episode it is an unbiased estimate of the episode's regret (the performance-difference
    lemma), so it says at which decisions the regret is made.
    """

    remaining_uncertainty: float
    action: int
    optimal_action: int | None = None
    turn: int = 0
    prev_reject: bool = False
    lost_value: float | None = None

    def situation(self) -> str:
        """The coarse decision context the breakdown groups by (turn, after a rejection, uncertainty)."""
        turn = f"turn {self.turn}" if self.turn < 2 else "turn 2+"
        after = "after a rejection" if self.prev_reject else "no rejection"
        clarity = "unclear" if self.remaining_uncertainty >= UNCLEAR_FROM else "mostly clear"
        return f"{turn}, {after}, {clarity}"


@dataclass
class EpisodeRecord:
    """What the benchmark keeps of one episode of one policy."""

    policy: str
    episode: int
    seed: int
    task_id: str
    persona: str
    episode_return: float
    r_task: float
    c_interrupt: float
    success: bool
    gave_up: bool
    turns: int
    asks: int
    questions: int
    rejections: int
    optimal_value: float | None = None
    #: the exact persona-blind optimum's expected return for this episode's task and user
    blind_value: float | None = None
    #: the Clarify turns' questions as the user heard them (`info["question_quality"]`): about a
    #: still-hidden fact, about one already told, about nothing hidden
    good_questions: int = 0
    repeated_questions: int = 0
    vague_questions: int = 0
    #: hidden facts revealed by answers to questions (not by complaints about solutions)
    revealed_by_questions: int = 0
    decisions: list[Decision] = field(default_factory=list)
    #: the step rewards, turn by turn (what a shorter turn budget would have kept)
    rewards: list[float] = field(default_factory=list)
    #: success of this episode and of each replay with fresh user randomness (`replays` > 1)
    replay_successes: list[bool] = field(default_factory=list)
    #: an LLM user's reactions in this episode: from the model, malformed / failed (rule-based
    #: fallback), and reveals compared with / agreeing with the rules' (empty for the rule-based user)
    user_counts: dict[str, int] = field(default_factory=dict)
    #: why the episode was cut short: a model call that failed for good (None when it played out)
    failed_call: str | None = None
    #: the steps' `info["question_quality"]` summed: questions, good, repeated, vague (empty if not reported)
    question_quality: dict[str, int] = field(default_factory=dict)


def mean_ci(values: Sequence[float]) -> tuple[float, float]:
    """Mean and the half-width of its normal-approximation 95% interval."""
    arr = np.asarray(values, dtype=float)
    if arr.size == 0:
        return math.nan, math.nan
    if arr.size == 1:
        return float(arr[0]), math.nan
    return float(arr.mean()), float(1.96 * arr.std(ddof=1) / math.sqrt(arr.size))


def summarize(records: Sequence[EpisodeRecord], longest_budget: int | None = None) -> dict[str, Any]:
    """The per-policy metrics of the benchmark table (see the README for definitions);
    turn budgets run to `longest_budget` (default: this policy's longest episode)."""
    returns = [r.episode_return for r in records]
    decisions = [d for r in records for d in r.decisions]
    turns = sum(r.turns for r in records)
    summary: dict[str, Any] = {"episodes": len(records)}
    for name, values in (
        ("return", returns),
        ("success", [float(r.success) for r in records]),
        ("r_task", [r.r_task for r in records]),
        ("c_interrupt", [r.c_interrupt for r in records]),
    ):
        mean, half = mean_ci(values)
        key = "success_rate" if name == "success" else f"mean_{name}"
        summary[key] = mean
        summary[f"{name}_ci95"] = half
    summary["questions_per_episode"] = float(np.mean([r.questions for r in records]))
    summary["reject_rate"] = sum(r.rejections for r in records) / turns if turns else math.nan
    summary["give_up_rate"] = float(np.mean([r.gave_up for r in records]))
    summary["ask_rate"] = sum(d.action == 0 for d in decisions) / len(decisions) if decisions else math.nan
    summary["mean_turns"] = turns / len(records)
    if records and all(r.optimal_value is not None for r in records):
        regret, half = mean_ci([r.optimal_value - r.episode_return for r in records])
        summary["regret"] = regret
        summary["regret_ci95"] = half
        judged = [d for d in decisions if d.optimal_action is not None]
        summary["agreement_with_optimal"] = (
            sum(d.action == d.optimal_action for d in judged) / len(judged) if judged else math.nan
        )
    if records and all(r.blind_value is not None for r in records):
        summary["regret_blind"], summary["regret_blind_ci95"] = mean_ci([r.blind_value - r.episode_return
                                                                         for r in records])
    summary.update(question_quality(records))
    summary["by_turn_budget"] = by_turn_budget(records, longest_budget)
    if records and len(records[0].replay_successes) > 1:
        summary["pass_k"] = pass_k(records)
    summary["per_persona"] = per_persona(records)
    summary["calibration"] = calibration(decisions)
    if decisions and all(d.lost_value is not None for d in decisions):
        summary["lost_value_by_situation"] = lost_value_by_situation(records)
    return summary


def question_quality(records: Sequence[EpisodeRecord]) -> dict[str, float]:
    """Whether a policy's questions are worth asking, beside how many it asks.

    - `good_question_rate`: share of all questions that target a still-hidden fact
      (the counterpart of HumanEvalComm's Good Question Rate), pooled over episodes;
    - `questions_per_revealed_fact`: questions asked per hidden fact their answers
      revealed (NaN when no answer revealed anything);
    - `repeated_questions_per_episode` and `vague_questions_per_episode`: questions about
      a fact already told, and about nothing hidden, per episode.
    """
    good = sum(r.good_questions for r in records)
    heard = good + sum(r.repeated_questions + r.vague_questions for r in records)
    revealed = sum(r.revealed_by_questions for r in records)
    n = len(records) or 1
    return {
        "good_question_rate": good / heard if heard else math.nan,
        "questions_per_revealed_fact": heard / revealed if revealed else math.nan,
        "repeated_questions_per_episode": sum(r.repeated_questions for r in records) / n,
        "vague_questions_per_episode": sum(r.vague_questions for r in records) / n,
    }


def by_turn_budget(records: Sequence[EpisodeRecord], longest: int | None = None) -> dict[str, list[float]]:
    """Success and return had each episode been cut after `budget` assistant turns (MINT's
    success by turn budget): success counts only when reached within the budget, the return
    is the sum of the first `budget` step rewards."""
    longest = longest or max((r.turns for r in records), default=0)
    budgets = list(range(1, longest + 1))
    return {
        "budget": budgets,
        "success": [float(np.mean([r.success and r.turns <= k for r in records])) for k in budgets],
        "return": [float(np.mean([sum(r.rewards[:k]) for r in records])) for k in budgets],
    }


def pass_k(records: Sequence[EpisodeRecord]) -> dict[str, float]:
    """τ-bench's pass^k for k = 1..n: over episodes, the chance that k of its n replays, drawn
    without replacement, all succeed (C(c, k) / C(n, k) with c successes of n)."""
    n = len(records[0].replay_successes)
    if any(len(r.replay_successes) != n for r in records):
        raise ValueError("every episode needs the same number of replays for pass^k")
    return {str(k): float(np.mean([math.comb(sum(r.replay_successes), k) / math.comb(n, k) for r in records]))
            for k in range(1, n + 1)}


def lost_value_by_situation(records: Sequence[EpisodeRecord]) -> list[dict[str, Any]]:
    """Where the regret is made: per situation and persona, the value lost per episode, worst first.

    Each row also gives the policy's ask rate beside the optimum's at the same decision
    points, so a row reads "asks too little after a clarification with patient users".
    Lost values over all rows sum to the mean regret, up to sampling noise.
    """
    groups: dict[tuple[str, str], list[Decision]] = defaultdict(list)
    for record in records:
        for d in record.decisions:
            groups[(d.situation(), record.persona)].append(d)
    rows = [
        {
            "situation": situation,
            "persona": persona,
            "decisions": len(group),
            "ask_rate": sum(d.action == 0 for d in group) / len(group),
            "optimal_ask_rate": sum(d.optimal_action == 0 for d in group) / len(group),
            "lost_value_per_episode": sum(d.lost_value for d in group) / len(records),
        }
        for (situation, persona), group in groups.items()
    ]
    return sorted(rows, key=lambda row: (-row["lost_value_per_episode"], row["situation"], row["persona"]))


def per_persona(records: Iterable[EpisodeRecord]) -> dict[str, dict[str, float]]:
    groups: dict[str, list[EpisodeRecord]] = defaultdict(list)
    for record in records:
        groups[record.persona].append(record)
    table = {}
    for persona, group in sorted(groups.items()):
        decisions = [d for r in group for d in r.decisions]
        mean, half = mean_ci([r.episode_return for r in group])
        table[persona] = {
            "episodes": len(group),
            "mean_return": mean,
            "return_ci95": half,
            "success_rate": float(np.mean([r.success for r in group])),
            "mean_c_interrupt": float(np.mean([r.c_interrupt for r in group])),
            "ask_rate": sum(d.action == 0 for d in decisions) / len(decisions) if decisions else math.nan,
        }
    return table


def calibration(decisions: Sequence[Decision]) -> dict[str, list]:
    """Ask rate per remaining-uncertainty bin, beside the optimum's ask rate at the same states."""
    edges = CALIBRATION_BINS
    n = [0] * (len(edges) - 1)
    asks = [0] * len(n)
    optimal_n = [0] * len(n)
    optimal_asks = [0] * len(n)
    for d in decisions:
        b = min(int(np.searchsorted(edges, d.remaining_uncertainty, side="right")) - 1, len(n) - 1)
        n[b] += 1
        asks[b] += d.action == 0
        if d.optimal_action is not None:
            optimal_n[b] += 1
            optimal_asks[b] += d.optimal_action == 0
    return {
        "bin_edges": list(edges),
        "decisions": n,
        "ask_rate": [a / k if k else None for a, k in zip(asks, n)],
        "optimal_ask_rate": [a / k if k else None for a, k in zip(optimal_asks, optimal_n)],
    }
