"""The pipeline's file records, typed: trajectory lines, lookahead steps and preference lines.

`proact generate` writes a `TrajectoryLine` per branch (or a `FailedLine` for a
state whose LLM calls failed); `proact rewards` reads them back and writes a
`PreferenceLine` per pair; `proact train-dpo` and `proact evaluate` read those.
Writers build these classes and call `to_dict`; readers call `read_trajectories`
and `read_preferences`, so a hand-edited or truncated file fails with
``path:line: field 'x': what was expected``, never with a `KeyError` deep inside.

The on-disk format is the seed's: key names and order are what the original
tools wrote (trajectory: ``state, action, action_prompt, assistant_msg,
persona, user_reaction, is_mainline, decision_point, mainline_action``;
preference: ``state, chosen_action, rejected_action, chosen_text,
rejected_text, rewards, task_scores, interrupt_costs``) plus TRL's ``prompt,
chosen, rejected`` and the fields the reward step needs. Fields added after
the first release are optional on read, so older files stay readable; keys a
reader does not know (the resume bookkeeping ``unit``, say) are ignored.
"""

from __future__ import annotations

import math
from collections import abc
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, NamedTuple, TypeVar

from proact_env.errors import SchemaError
from proact_env.io import read_jsonl
from proact_env.personas import Persona
from proact_env.types import Action, ReactionMeta, State, TaskScore, Turn

T = TypeVar("T")
_MISSING: Any = object()


# -- field readers: each failure names where, and the field by its dotted path -------------------

def _get(record: Mapping[str, Any], name: str, where: str, parse: Callable[[Any, str, str], T],
         default: Any = _MISSING, hint: str = "") -> T:
    """`parse(record[name])`; a missing field is an error unless it has a default."""
    if name not in record:
        if default is not _MISSING:
            return default
        raise SchemaError(where, name, f"missing required field{hint}")
    return parse(record[name], where, name)


def _string(value: Any, where: str, name: str) -> str:
    if not isinstance(value, str):
        raise SchemaError(where, name, f"expected a string, got {_kind(value)}")
    return value


def _integer(value: Any, where: str, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise SchemaError(where, name, f"expected an integer, got {_kind(value)}")
    return value


def _count(value: Any, where: str, name: str) -> int:
    value = _integer(value, where, name)
    if value < 0:
        raise SchemaError(where, name, f"expected an integer >= 0, got {value}")
    return value


def _number(value: Any, where: str, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise SchemaError(where, name, f"expected a finite number, got {_kind(value)}")
    return value


def _flag(value: Any, where: str, name: str) -> bool:
    if value not in (0, 1) or isinstance(value, float):  # true/false, and the 0/1 some writers use
        raise SchemaError(where, name, f"expected true or false, got {_kind(value)}")
    return bool(value)


def _action(value: Any, where: str, name: str) -> Action:
    try:
        return Action.parse(value)
    except ValueError:
        raise SchemaError(where, name, f"expected 'Clarify' or 'Execute', got {_kind(value)}") from None


def _object(value: Any, where: str, name: str | None) -> Mapping[str, Any]:
    if not isinstance(value, abc.Mapping):
        raise SchemaError(where, name, f"expected an object, got {_kind(value)}")
    return value


def _array(value: Any, where: str, name: str) -> list[Any]:
    if not isinstance(value, list):
        raise SchemaError(where, name, f"expected an array, got {_kind(value)}")
    return value


def _optional(parse: Callable[[Any, str, str], T]) -> Callable[[Any, str, str], T | None]:
    """`parse`, with JSON null read as None."""
    return lambda value, where, name: None if value is None else parse(value, where, name)


def _nested(from_dict: Callable[..., T]) -> Callable[[Any, str, str], T]:
    """A reader for a nested object with its own `from_dict(record, where=...)`: its field names get our prefix."""
    def parse(value: Any, where: str, name: str) -> T:
        try:
            return from_dict(value, where=where)
        except SchemaError as exc:
            raise SchemaError(where, f"{name}.{exc.field}" if exc.field else name, exc.problem) from None
        except ValueError as exc:  # e.g. an unknown persona preset name
            raise SchemaError(where, name, str(exc)) from None
    return parse


def _kind(value: Any) -> str:
    """A value as an error message shows it: its JSON type, and the value itself when short."""
    if value is None:
        return "null"
    names = {str: "a string", bool: "a boolean", int: "a number", float: "a number", list: "an array",
             dict: "an object"}
    shown = repr(value)
    return names.get(type(value), type(value).__name__) + (f" {shown}" if len(shown) <= 40 else "")


# -- trajectories -------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class LookaheadStep:
    """One step of a lookahead continuation: what re-scores it with any reward weights."""

    delta_r_task: float
    n_questions: int
    reject_signal: bool
    long_turn: bool
    off_topic: bool

    def to_dict(self) -> dict[str, Any]:
        return {"delta_r_task": self.delta_r_task, "n_questions": self.n_questions,
                "reject_signal": self.reject_signal, "long_turn": self.long_turn, "off_topic": self.off_topic}

    @classmethod
    def from_dict(cls, record: Any, *, where: str = "lookahead step") -> "LookaheadStep":
        # A lookahead file holds hundreds of steps per line: take a well-formed step as it is, and
        # read field by field (for the error message) only when something is off.
        try:
            step = cls(record["delta_r_task"], record["n_questions"], record["reject_signal"], record["long_turn"],
                       record["off_topic"])
        except (KeyError, TypeError):
            pass
        else:
            if (type(step.delta_r_task) in (float, int) and math.isfinite(step.delta_r_task)
                    and type(step.n_questions) is int and step.n_questions >= 0
                    and type(step.reject_signal) is type(step.long_turn) is type(step.off_topic) is bool):
                return step
        record = _object(record, where, None)
        return cls(
            delta_r_task=_get(record, "delta_r_task", where, _number),
            n_questions=_get(record, "n_questions", where, _count),
            reject_signal=_get(record, "reject_signal", where, _flag),
            long_turn=_get(record, "long_turn", where, _flag),
            off_topic=_get(record, "off_topic", where, _flag),
        )


def _rollouts(value: Any, where: str, name: str) -> tuple[tuple[LookaheadStep, ...], ...]:
    rollouts = []
    step_from_dict = _nested(LookaheadStep.from_dict)
    for k, steps in enumerate(_array(value, where, name)):
        path = f"{name}[{k}]"
        parsed = tuple(step_from_dict(step, where, f"{path}[{i}]") for i, step in enumerate(_array(steps, where, path)))
        if not parsed:
            raise SchemaError(where, path, "expected at least one step (a rollout plays the branch's own step)")
        rollouts.append(parsed)
    return tuple(rollouts)


@dataclass(frozen=True, slots=True)
class UserReaction:
    """The simulated user's reaction as a trajectory line keeps it (the seed's `user_reply`, `meta`)."""

    user_reply: str
    meta: ReactionMeta
    revealed: tuple[str, ...] = ()
    gave_up: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"user_reply": self.user_reply, "meta": self.meta.to_dict(), "revealed": list(self.revealed),
                "gave_up": self.gave_up}

    @classmethod
    def from_dict(cls, record: Any, *, where: str = "user_reaction") -> "UserReaction":
        record = _object(record, where, None)
        revealed = _get(record, "revealed", where, _array, default=[])
        for i, key in enumerate(revealed):
            _string(key, where, f"revealed[{i}]")
        return cls(
            user_reply=_get(record, "user_reply", where, _string, default=""),
            meta=_get(record, "meta", where, _nested(ReactionMeta.from_dict)),
            revealed=tuple(revealed),
            gave_up=_get(record, "gave_up", where, _flag, default=False),
        )


def _transcript(value: Any, where: str, name: str) -> tuple[Turn, ...]:
    return tuple(_nested(Turn.from_dict)(turn, where, f"{name}[{i}]") for i, turn in enumerate(_array(value, where, name)))


def _usage(value: Any, where: str, name: str) -> dict[str, int]:
    usage = _object(value, where, name)
    return {key: _count(count, where, f"{name}.{key}") for key, count in usage.items()}


_FROM_GENERATE = " (is this a file written by 'proact generate'?)"


@dataclass(frozen=True, slots=True)
class TrajectoryLine:
    """One branch played from one decision point: a line of `proact generate`'s output.

    Attributes:
        state: the decision point, in the seed's state format.
        action: what the branch did; `assistant_msg` the message written for it;
            `action_prompt` the prompt an LLM backbone was (or would have been) given.
        persona: the simulated user; `user_reaction` their reply and its signals.
        is_mainline, decision_point, mainline_action: the seed's branching fields:
            decision points count the turns of a multi-turn conversation from 0.
        state_id: the input state (``index-task_id``); lines of one state and decision
            point are the candidates of one preference pair.
        branch: ``mainline``, ``other_action`` or ``resample``.
        task_id, task_source: the task played and the source it came from.
        transcript: the conversation before this turn.
        r_task_before, r_task_after: the task score before and after the turn; with
            the message and reaction they are all the reward step needs.
        task_score: the evidence behind an Execute's score (tests, constraints); None for Clarify.
        done: whether the episode ended with this turn.
        usage: tokens an LLM backbone spent on the message (None for the scripted one).
        seed: the unit's seed, which reproduces the line.
        lookahead: continuation rollouts from this branch to the end of the episode
            (absent when generated without ``--lookahead``).
    """

    state: State
    action: Action
    assistant_msg: str
    persona: Persona
    user_reaction: UserReaction
    decision_point: int
    state_id: str
    r_task_before: float
    r_task_after: float
    action_prompt: str = ""
    is_mainline: bool | None = None
    mainline_action: Action | None = None
    branch: str | None = None
    task_id: str | None = None
    task_source: str | None = None
    transcript: tuple[Turn, ...] = ()
    task_score: TaskScore | None = None
    done: bool | None = None
    usage: dict[str, int] | None = None
    seed: int | None = None
    lookahead: tuple[tuple[LookaheadStep, ...], ...] | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSONL line, keys in the order the seed's tools wrote them."""
        record: dict[str, Any] = {
            "state": self.state.to_dict(),
            "action": self.action.label,
            "action_prompt": self.action_prompt,
            "assistant_msg": self.assistant_msg,
            "persona": self.persona.to_dict(),
            "user_reaction": self.user_reaction.to_dict(),
            "is_mainline": self.is_mainline,
            "decision_point": self.decision_point,
            "mainline_action": self.mainline_action.label if self.mainline_action is not None else None,
            "state_id": self.state_id,
            "branch": self.branch,
            "task_id": self.task_id,
            "task_source": self.task_source,
            "transcript": [turn.to_dict() for turn in self.transcript],
            "r_task_before": self.r_task_before,
            "r_task_after": self.r_task_after,
            "task_score": self.task_score.to_dict() if self.task_score is not None else None,
            "done": self.done,
            "usage": self.usage,
            "seed": self.seed,
        }
        if self.lookahead is not None:
            record["lookahead"] = [[step.to_dict() for step in steps] for steps in self.lookahead]
        return record

    @classmethod
    def from_dict(cls, record: Any, *, where: str = "trajectory") -> "TrajectoryLine":
        record = _object(record, where, None)
        need = _FROM_GENERATE
        return cls(
            state=_get(record, "state", where, _nested(State.from_dict), hint=need),
            action=_get(record, "action", where, _action, hint=need),
            assistant_msg=_get(record, "assistant_msg", where, _string, hint=need),
            persona=_get(record, "persona", where, _nested(Persona.from_dict), hint=need),
            user_reaction=_get(record, "user_reaction", where, _nested(UserReaction.from_dict), hint=need),
            decision_point=_get(record, "decision_point", where, _count, hint=need),
            state_id=_get(record, "state_id", where, _string, hint=need),
            r_task_before=_get(record, "r_task_before", where, _number, hint=need),
            r_task_after=_get(record, "r_task_after", where, _number, hint=need),
            action_prompt=_get(record, "action_prompt", where, _string, default=""),
            is_mainline=_get(record, "is_mainline", where, _optional(_flag), default=None),
            mainline_action=_get(record, "mainline_action", where, _optional(_action), default=None),
            branch=_get(record, "branch", where, _optional(_string), default=None),
            task_id=_get(record, "task_id", where, _optional(_string), default=None),
            task_source=_get(record, "task_source", where, _optional(_string), default=None),
            transcript=_get(record, "transcript", where, _transcript, default=()),
            task_score=_get(record, "task_score", where, _optional(_nested(TaskScore.from_dict)), default=None),
            done=_get(record, "done", where, _optional(_flag), default=None),
            usage=_get(record, "usage", where, _optional(_usage), default=None),
            seed=_get(record, "seed", where, _optional(_integer), default=None),
            lookahead=_get(record, "lookahead", where, _optional(_rollouts), default=None),
        )


@dataclass(frozen=True, slots=True)
class FailedLine:
    """A state whose LLM calls failed after their retries: recorded so a resumed run does not redo it,
    and skipped by the reward step."""

    state_id: str
    failed: str
    task_id: str | None = None
    seed: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"state_id": self.state_id, "task_id": self.task_id, "failed": self.failed, "seed": self.seed}

    @classmethod
    def from_dict(cls, record: Any, *, where: str = "trajectory") -> "FailedLine":
        record = _object(record, where, None)
        return cls(
            state_id=_get(record, "state_id", where, _string),
            failed=_get(record, "failed", where, _string),
            task_id=_get(record, "task_id", where, _optional(_string), default=None),
            seed=_get(record, "seed", where, _optional(_integer), default=None),
        )


def trajectory_from_dict(record: Any, *, where: str = "trajectory") -> TrajectoryLine | FailedLine:
    """A line of a trajectories file: a failure line (it has ``failed``) or a played branch."""
    if isinstance(record, abc.Mapping) and "failed" in record:
        return FailedLine.from_dict(record, where=where)
    return TrajectoryLine.from_dict(record, where=where)


def read_trajectories(path: Path) -> Iterator[tuple[str, TrajectoryLine | FailedLine]]:
    """Yield (``"path:line"``, record) for every line of a `proact generate` output."""
    for where, record in read_jsonl(path, what="trajectories JSONL file"):
        yield where, trajectory_from_dict(record, where=where)


# -- preferences --------------------------------------------------------------------------------

class ChosenRejected(NamedTuple):
    """A number for each side of a pair (the seed's `rewards`, `task_scores`, `interrupt_costs`)."""

    chosen: float
    rejected: float

    def to_dict(self) -> dict[str, float]:
        return {"chosen": self.chosen, "rejected": self.rejected}


def _chosen_rejected(value: Any, where: str, name: str) -> ChosenRejected:
    record = _object(value, where, name)
    sides = []
    for side in ChosenRejected._fields:
        if side not in record:
            raise SchemaError(where, f"{name}.{side}", "missing required field")
        sides.append(_number(record[side], where, f"{name}.{side}"))
    return ChosenRejected(*sides)


_FROM_REWARDS = " (write preference files with 'proact rewards')"


@dataclass(frozen=True, slots=True)
class PreferenceLine:
    """One preference pair: a line of `proact rewards`' output, which `trl.DPOTrainer` reads as it is.

    Only TRL's `prompt`, `chosen` and `rejected` are required (a pair file of your
    own works for `proact train-dpo`); `proact evaluate` also needs the actions.

    Attributes:
        state: the decision point (seed format).
        chosen_action, rejected_action: the actions of the better and the worse trajectory.
        chosen_text, rejected_text: their messages.
        rewards, task_scores, interrupt_costs: each side's return, R_task and C_interrupt.
        prompt: `render_state` of the decision point; `chosen`/`rejected` the completions
            (the action label first, then the message unless built with label completions).
        state_id, decision_point: which candidates were compared.
        persona: the simulated user of the decision point.
        margin: ``rewards.chosen - rewards.rejected``.
    """

    prompt: str
    chosen: str
    rejected: str
    state: State | None = None
    chosen_action: Action | None = None
    rejected_action: Action | None = None
    chosen_text: str | None = None
    rejected_text: str | None = None
    rewards: ChosenRejected | None = None
    task_scores: ChosenRejected | None = None
    interrupt_costs: ChosenRejected | None = None
    state_id: str | None = None
    decision_point: int | None = None
    persona: Persona | None = None
    margin: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSONL line: the seed's fields, then TRL's, then the pair's provenance (None fields left out)."""
        record = {
            "state": self.state.to_dict() if self.state is not None else None,
            "chosen_action": self.chosen_action.label if self.chosen_action is not None else None,
            "rejected_action": self.rejected_action.label if self.rejected_action is not None else None,
            "chosen_text": self.chosen_text,
            "rejected_text": self.rejected_text,
            "rewards": self.rewards.to_dict() if self.rewards is not None else None,
            "task_scores": self.task_scores.to_dict() if self.task_scores is not None else None,
            "interrupt_costs": self.interrupt_costs.to_dict() if self.interrupt_costs is not None else None,
            "prompt": self.prompt,
            "chosen": self.chosen,
            "rejected": self.rejected,
            "state_id": self.state_id,
            "decision_point": self.decision_point,
            "persona": self.persona.to_dict() if self.persona is not None else None,
            "margin": self.margin,
        }
        return {key: value for key, value in record.items() if value is not None}

    @classmethod
    def from_dict(cls, record: Any, *, where: str = "preference", require_actions: bool = False) -> "PreferenceLine":
        """Validate a pair; with `require_actions`, `chosen_action` and `rejected_action` must be there."""
        record = _object(record, where, None)
        need = _FROM_REWARDS
        action, unset = (_action, _MISSING) if require_actions else (_optional(_action), None)
        return cls(
            prompt=_get(record, "prompt", where, _string, hint=need),
            chosen=_get(record, "chosen", where, _string, hint=need),
            rejected=_get(record, "rejected", where, _string, hint=need),
            state=_get(record, "state", where, _optional(_nested(State.from_dict)), default=None),
            chosen_action=_get(record, "chosen_action", where, action, default=unset, hint=need),
            rejected_action=_get(record, "rejected_action", where, action, default=unset, hint=need),
            chosen_text=_get(record, "chosen_text", where, _optional(_string), default=None),
            rejected_text=_get(record, "rejected_text", where, _optional(_string), default=None),
            rewards=_get(record, "rewards", where, _optional(_chosen_rejected), default=None),
            task_scores=_get(record, "task_scores", where, _optional(_chosen_rejected), default=None),
            interrupt_costs=_get(record, "interrupt_costs", where, _optional(_chosen_rejected), default=None),
            state_id=_get(record, "state_id", where, _optional(_string), default=None),
            decision_point=_get(record, "decision_point", where, _optional(_count), default=None),
            persona=_get(record, "persona", where, _optional(_nested(Persona.from_dict)), default=None),
            margin=_get(record, "margin", where, _optional(_number), default=None),
        )


def read_preferences(path: Path, *, require_actions: bool = False) -> list[tuple[str, PreferenceLine]]:
    """Every pair of a preference JSONL file, validated before any model is loaded."""
    return [(where, PreferenceLine.from_dict(record, where=where, require_actions=require_actions))
            for where, record in read_jsonl(path, what="preference JSONL file")]
