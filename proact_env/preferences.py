"""Step 2 of the pipeline: rewards recomputed from saved trajectories, then DPO preference pairs.

Everything a reward needs was saved by `proact generate`: the task score
before and after each turn (test or checker outcomes), the message (questions
and prose length are read from its text), the user's reaction and persona, and
for lookahead the raw features of every continuation step. So rewards are
recomputed with any weights, any number of times, without an LLM call.

A preference line holds the seed's fields (`state, chosen_action,
rejected_action, chosen_text, rejected_text, rewards, task_scores,
interrupt_costs`) and TRL's (`prompt, chosen, rejected`): the prompt is
`render_state` of the decision point and each completion starts with its action
label, so `datasets.load_dataset("json", data_files=...)` feeds
`trl.DPOTrainer` as it is.
"""

from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

from proact_env.io import atomic_write_text, dumps_line
from proact_env.records import (
    ChosenRejected,
    FailedLine,
    LookaheadStep,
    PreferenceLine,
    TrajectoryLine,
    read_trajectories,
)
from proact_env.render import render_state
from proact_env.reward import RewardConfig, interrupt_cost, interrupt_cost_from_counts
from proact_env.types import Action

COMPLETIONS = ("full", "label")


def completion(action: str | Action, text: str) -> str:
    """A DPO completion: the action label first, so a policy can score the label alone."""
    return f"{Action.parse(action).label}: {text}"


def label_completion(action: str | Action) -> str:
    """A decision-only completion (``--completions label``): the action label and nothing else."""
    return completion(action, "").rstrip()


@dataclass(frozen=True)
class ScoredTrajectory:
    """One trajectory line with its recomputed reward."""

    where: str
    line: TrajectoryLine
    task_score: float
    interrupt_cost: float
    reward: float


def validate_trajectory(record: Mapping[str, Any], where: str) -> TrajectoryLine:
    """One trajectory line as read from a file, validated (errors name `where` and the field) and typed."""
    return TrajectoryLine.from_dict(record, where=where)


def score_trajectory(line: TrajectoryLine | Mapping[str, Any], where: str, config: RewardConfig) -> ScoredTrajectory:
    """The trajectory's return: its own turn's task-score gain minus C_interrupt, or with lookahead
    the mean return of its rollouts (each replays the action from the decision point to the end).

    `line` may be the dict form of a line (it is validated first)."""
    if not isinstance(line, TrajectoryLine):
        line = validate_trajectory(line, where)
    meta = line.user_reaction.meta
    cost = interrupt_cost(line.assistant_msg, meta, line.persona.long_turn_tolerance, config).total
    if line.lookahead:
        reward = sum(_rollout_return(steps, config) for steps in line.lookahead) / len(line.lookahead)
    else:
        reward = line.r_task_after - line.r_task_before - cost
    return ScoredTrajectory(where, line, float(line.r_task_after), cost, reward)


def _rollout_return(steps: Iterable[LookaheadStep], config: RewardConfig) -> float:
    total = 0.0
    for step in steps:
        cost = interrupt_cost_from_counts(step.n_questions, step.reject_signal, step.long_turn, step.off_topic, config)
        total += step.delta_r_task - cost.total
    return total


@dataclass
class PreferenceSummary:
    trajectories: int = 0
    groups: int = 0
    pairs: int = 0
    dropped_ties: int = 0
    single: int = 0
    failed: int = 0
    same_action: int = 0
    chosen_actions: Counter = field(default_factory=Counter)
    margins: list[float] = field(default_factory=list)

    @property
    def mean_margin(self) -> float:
        return sum(self.margins) / len(self.margins) if self.margins else math.nan

    def describe(self) -> str:
        balance = ", ".join(f"{a} {n}" for a, n in sorted(self.chosen_actions.items())) or "none"
        return (f"{self.pairs} pairs written from {self.trajectories} trajectories in {self.groups} decision points; "
                f"{self.dropped_ties} dropped as ties (margin below threshold), {self.single} with one trajectory, "
                f"{self.failed} failed states skipped"
                + (f", {self.same_action} same-action pairs skipped (label completions)" if self.same_action else "")
                + "; "
                f"chosen actions: {balance}; mean margin {self.mean_margin:.4f}")


def build_preferences(
    trajectories: Path, config: RewardConfig, margin: float = 0.0, completions: str = "full"
) -> tuple[list[PreferenceLine], PreferenceSummary]:
    """Score every trajectory and pair the best and worst of each decision point.

    `completions` sets TRL's chosen/rejected: ``full`` (label and message: the
    model learns to decide and to write) or ``label`` (the label alone: a
    decision-only policy, much cheaper to train; only pairs whose actions differ
    are kept, since same-action pairs would have identical completions).
    """
    if completions not in COMPLETIONS:
        raise ValueError(f"completions must be one of {COMPLETIONS}, got {completions!r}")
    groups: dict[tuple[str, int], list[ScoredTrajectory]] = defaultdict(list)
    summary = PreferenceSummary()
    for where, line in read_trajectories(trajectories):
        if isinstance(line, FailedLine):  # a state whose LLM calls failed during generation
            summary.failed += 1
            continue
        groups[(line.state_id, line.decision_point)].append(score_trajectory(line, where, config))
        summary.trajectories += 1
    summary.groups = len(groups)
    pairs = []
    for (state_id, decision_point), scored in groups.items():
        if len(scored) < 2:
            summary.single += 1
            continue
        ranked = sorted(scored, key=lambda s: s.reward)
        rejected, chosen = ranked[0], ranked[-1]
        gap = chosen.reward - rejected.reward
        if gap < margin or gap == 0.0:
            summary.dropped_ties += 1
            continue
        if completions == "label" and chosen.line.action == rejected.line.action:
            summary.same_action += 1
            continue
        pairs.append(_pair(state_id, decision_point, chosen, rejected, gap, completions))
        summary.pairs += 1
        summary.chosen_actions[chosen.line.action.label] += 1
        summary.margins.append(gap)
    return pairs, summary


def _pair(state_id: str, decision_point: int, chosen: ScoredTrajectory, rejected: ScoredTrajectory,
          gap: float, completions: str) -> PreferenceLine:
    best, worst = chosen.line, rejected.line
    if completions == "full":
        chosen_completion = completion(best.action, best.assistant_msg)
        rejected_completion = completion(worst.action, worst.assistant_msg)
    else:
        chosen_completion, rejected_completion = label_completion(best.action), label_completion(worst.action)
    return PreferenceLine(
        state=best.state,
        chosen_action=best.action,
        rejected_action=worst.action,
        chosen_text=best.assistant_msg,
        rejected_text=worst.assistant_msg,
        rewards=ChosenRejected(chosen.reward, rejected.reward),
        task_scores=ChosenRejected(chosen.task_score, rejected.task_score),
        interrupt_costs=ChosenRejected(chosen.interrupt_cost, rejected.interrupt_cost),
        prompt=render_state(best.state, best.persona, best.transcript),
        chosen=chosen_completion,
        rejected=rejected_completion,
        state_id=state_id,
        decision_point=decision_point,
        persona=best.persona,
        margin=gap,
    )


def write_preferences(path: Path, pairs: list[PreferenceLine], config: RewardConfig, margin: float,
                      completions: str = "full", split: Mapping[str, Any] | None = None) -> None:
    """Write the pairs atomically, and the settings used beside them (`PATH.meta.json`), with the
    split their trajectories were generated on (`proact_env.splits`; None: not recorded)."""
    atomic_write_text(path, "".join(dumps_line(p.to_dict()) for p in pairs))
    meta = {"reward": config.to_dict(), "margin": margin, "completions": completions, "pairs": len(pairs),
            "split": dict(split) if split is not None else None}
    atomic_write_text(path.with_name(path.name + ".meta.json"), json.dumps(meta, indent=2) + "\n")
