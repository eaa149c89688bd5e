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

from proact_env.errors import SchemaError
from proact_env.io import atomic_write_text, dumps_line, read_jsonl
from proact_env.personas import Persona
from proact_env.render import render_state
from proact_env.reward import RewardConfig, interrupt_cost, interrupt_cost_from_counts
from proact_env.types import Action, ReactionMeta, State

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
    record: Mapping[str, Any]
    task_score: float
    interrupt_cost: float
    reward: float


_REQUIRED = {
    "state": dict, "action": str, "assistant_msg": str, "persona": dict, "user_reaction": dict,
    "decision_point": int, "state_id": str, "r_task_before": (int, float), "r_task_after": (int, float),
}


def _validate(record: Mapping[str, Any], where: str) -> None:
    for name, kind in _REQUIRED.items():
        if name not in record:
            raise SchemaError(where, name, "missing required field (is this a file written by 'proact generate'?)")
        if not isinstance(record[name], kind) or isinstance(record[name], bool):
            expected = kind.__name__ if isinstance(kind, type) else "number"
            raise SchemaError(where, name, f"expected {expected}, got {type(record[name]).__name__}")
    try:
        Action.parse(record["action"])
    except ValueError as exc:
        raise SchemaError(where, "action", str(exc)) from None
    State.from_dict(record["state"], where=f"{where} (state)")
    if "meta" not in record["user_reaction"]:
        raise SchemaError(where, "user_reaction", "missing 'meta'")


def score_trajectory(record: Mapping[str, Any], where: str, config: RewardConfig) -> ScoredTrajectory:
    """The trajectory's return: its own turn's task-score gain minus C_interrupt, or with lookahead
    the mean return of its rollouts (each replays the action from the decision point to the end)."""
    persona = Persona.from_dict(record["persona"], where=f"{where} (persona)")
    meta = ReactionMeta.from_dict(record["user_reaction"]["meta"], where=f"{where} (user_reaction.meta)")
    cost = interrupt_cost(record["assistant_msg"], meta, persona.long_turn_tolerance, config).total
    rollouts = record.get("lookahead") or []
    if rollouts:
        reward = sum(_rollout_return(steps, config) for steps in rollouts) / len(rollouts)
    else:
        reward = record["r_task_after"] - record["r_task_before"] - cost
    return ScoredTrajectory(where, record, float(record["r_task_after"]), cost, reward)


def _rollout_return(steps: Iterable[Mapping[str, Any]], config: RewardConfig) -> float:
    total = 0.0
    for step in steps:
        cost = interrupt_cost_from_counts(step["n_questions"], step["reject_signal"], step["long_turn"],
                                          step["off_topic"], config)
        total += step["delta_r_task"] - cost.total
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
) -> tuple[list[dict[str, Any]], PreferenceSummary]:
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
    for where, record in read_jsonl(trajectories):
        if "failed" in record:  # a state whose LLM calls failed during generation
            summary.failed += 1
            continue
        _validate(record, where)
        groups[(record["state_id"], record["decision_point"])].append(score_trajectory(record, where, config))
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
        if completions == "label" and chosen.record["action"] == rejected.record["action"]:
            summary.same_action += 1
            continue
        pairs.append(_pair(state_id, decision_point, chosen, rejected, gap, completions))
        summary.pairs += 1
        summary.chosen_actions[chosen.record["action"]] += 1
        summary.margins.append(gap)
    return pairs, summary


def _pair(state_id: str, decision_point: int, chosen: ScoredTrajectory, rejected: ScoredTrajectory,
          gap: float, completions: str) -> dict[str, Any]:
    record = chosen.record
    prompt = render_state(record["state"], record["persona"], record.get("transcript", ()))
    return {
        "state": record["state"],
        "chosen_action": record["action"],
        "rejected_action": rejected.record["action"],
        "chosen_text": record["assistant_msg"],
        "rejected_text": rejected.record["assistant_msg"],
        "rewards": {"chosen": chosen.reward, "rejected": rejected.reward},
        "task_scores": {"chosen": chosen.task_score, "rejected": rejected.task_score},
        "interrupt_costs": {"chosen": chosen.interrupt_cost, "rejected": rejected.interrupt_cost},
        "prompt": prompt,
        "chosen": completion(record["action"], record["assistant_msg"]) if completions == "full"
        else label_completion(record["action"]),
        "rejected": completion(rejected.record["action"], rejected.record["assistant_msg"]) if completions == "full"
        else label_completion(rejected.record["action"]),
        "state_id": state_id,
        "decision_point": decision_point,
        "persona": record["persona"],
        "margin": gap,
    }


def write_preferences(path: Path, pairs: list[dict[str, Any]], config: RewardConfig, margin: float,
                      completions: str = "full", split: Mapping[str, Any] | None = None) -> None:
    """Write the pairs atomically, and the settings used beside them (`PATH.meta.json`), with the
    split their trajectories were generated on (`proact_env.splits`; None: not recorded)."""
    atomic_write_text(path, "".join(dumps_line(p) for p in pairs))
    meta = {"reward": config.to_dict(), "margin": margin, "completions": completions, "pairs": len(pairs),
            "split": dict(split) if split is not None else None}
    atomic_write_text(path.with_name(path.name + ".meta.json"), json.dumps(meta, indent=2) + "\n")
