"""The core value types every layer of proact_env exchanges.

`State` and the dict forms of `Reaction` are the seed's JSONL formats: trajectory
and preference files written by one version must stay readable by the next, so
these classes own their (de)serialisation and validate what they read.
"""

from __future__ import annotations

import math
import random
from collections import abc
from dataclasses import dataclass, field, fields
from enum import IntEnum
from typing import TYPE_CHECKING, Any, Mapping, NamedTuple, Protocol, Sequence, runtime_checkable

from proact_env.errors import SchemaError

if TYPE_CHECKING:
    from proact_env.personas import Persona


class Action(IntEnum):
    """The assistant's decision at one turn.

    The integer values are the env's `Discrete(2)` actions; the labels
    (`"Clarify"`, `"Execute"`) are what users type and what the seed's files hold.
    """

    CLARIFY = 0
    EXECUTE = 1

    @property
    def label(self) -> str:
        return _ACTION_LABELS[self._value_]  # by value: reading `Action.CLARIFY` off the class costs ~0.1 µs

    @classmethod
    def parse(cls, value: Any) -> "Action":
        """Accept an `Action`, `0`/`1` (any integer type) or `"Clarify"`/`"Execute"`."""
        try:  # fast path: Action, int, numpy integers and the labels hash into this table
            return _ACTION_LOOKUP[value]
        except (KeyError, TypeError):
            pass
        if isinstance(value, Action):
            return value
        if isinstance(value, str):
            key = value.strip().lower()
            if key in _ACTION_WORDS:
                return _ACTION_WORDS[key]
            raise ValueError(f"unknown action {value!r}: expected 'Clarify' or 'Execute' (or 0 / 1)")
        try:
            as_int = int(value)
        except (TypeError, ValueError):
            raise ValueError(f"unknown action {value!r}: expected 'Clarify' or 'Execute' (or 0 / 1)") from None
        if as_int != value or as_int not in (0, 1):
            raise ValueError(f"invalid action {value!r}: the action space is Discrete(2) (0 = Clarify, 1 = Execute)")
        return cls(as_int)


_ACTION_LABELS = ("Clarify", "Execute")
_ACTION_WORDS = {"clarify": Action.CLARIFY, "execute": Action.EXECUTE}
_ACTION_LOOKUP: dict[Any, Action] = {0: Action.CLARIFY, 1: Action.EXECUTE, "Clarify": Action.CLARIFY, "Execute": Action.EXECUTE}


DOMAINS = ("coding", "planning")


@dataclass(frozen=True, slots=True)
class State:
    """One decision point, in the seed's format (every states/trajectory JSONL line uses it).

    `task_uncertainty` is the probability that executing right now fails, as far as
    the task source can tell (each source documents how it derives it).
    """

    id: str
    domain: str
    query: str
    dialogue_turn: int = 0
    prev_reject: int = 0
    task_uncertainty: float = 0.5

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "domain": self.domain,
            "query": self.query,
            "dialogue_turn": self.dialogue_turn,
            "prev_reject": self.prev_reject,
            "task_uncertainty": self.task_uncertainty,
        }

    @classmethod
    def from_dict(cls, record: Mapping[str, Any], *, where: str = "state") -> "State":
        """Validate a seed-format record; errors name the field and what was expected.

        `where` prefixes every message (callers pass ``"file.jsonl:12"``) so a user
        can go straight to the bad line. `id` and `domain` may be absent (the seed
        marks them optional): the id then comes from `where`, the domain is coding.
        """
        if not isinstance(record, abc.Mapping):
            raise SchemaError(where, None, f"expected a JSON object, got {type(record).__name__}")
        query = _require(record, "query", str, where)
        if not query.strip():
            raise SchemaError(where, "query", "expected a non-empty string")
        domain = record.get("domain", "coding")
        if domain not in DOMAINS:
            raise SchemaError(where, "domain", f"expected one of {', '.join(DOMAINS)}, got {domain!r}")
        raw_id = record.get("id", where)
        if not isinstance(raw_id, (str, int)) or isinstance(raw_id, bool):
            raise SchemaError(where, "id", f"expected a string or integer, got {type(raw_id).__name__}")
        turn = _require(record, "dialogue_turn", int, where)
        if turn < 0:
            raise SchemaError(where, "dialogue_turn", f"expected an integer >= 0, got {turn}")
        prev_reject = _require(record, "prev_reject", int, where, allow_bool=True)
        if int(prev_reject) not in (0, 1):
            raise SchemaError(where, "prev_reject", f"expected 0 or 1, got {prev_reject!r}")
        uncertainty = record.get("task_uncertainty", 0.5)
        if isinstance(uncertainty, bool) or not isinstance(uncertainty, (int, float)):
            raise SchemaError(where, "task_uncertainty", f"expected a number in [0, 1], got {uncertainty!r}")
        if not (0.0 <= float(uncertainty) <= 1.0) or math.isnan(uncertainty):
            raise SchemaError(where, "task_uncertainty", f"expected a number in [0, 1], got {uncertainty!r}")
        return cls(
            id=str(raw_id),
            domain=domain,
            query=query,
            dialogue_turn=turn,
            prev_reject=int(prev_reject),
            task_uncertainty=float(uncertainty),
        )


# each field's slot setter, in field order: `new_state` sets the fields through these
_SET_ID, _SET_DOMAIN, _SET_QUERY, _SET_TURN, _SET_REJECT, _SET_UNCERTAINTY = (
    State.__dict__[f.name].__set__ for f in fields(State))


def new_state(id: str, domain: str, query: str, dialogue_turn: int, prev_reject: int, task_uncertainty: float) -> State:
    """`State(id, domain, query, dialogue_turn, prev_reject, task_uncertainty)`, the same object built faster.

    A frozen dataclass's `__init__` sets each field through `object.__setattr__`, which
    costs as much again as the rest of the construction, and the env builds a State at
    every decision point. The slots' own setters store the same values (`State` has no
    `__post_init__` to skip).
    """
    state = object.__new__(State)
    _SET_ID(state, id)
    _SET_DOMAIN(state, domain)
    _SET_QUERY(state, query)
    _SET_TURN(state, dialogue_turn)
    _SET_REJECT(state, prev_reject)
    _SET_UNCERTAINTY(state, task_uncertainty)
    return state


def _require(record: Mapping[str, Any], name: str, kind: type, where: str, allow_bool: bool = False) -> Any:
    if name not in record:
        raise SchemaError(where, name, f"missing required field (expected {kind.__name__})")
    value = record[name]
    if isinstance(value, bool) and not allow_bool:
        raise SchemaError(where, name, f"expected {kind.__name__}, got a boolean")
    if not isinstance(value, kind):
        raise SchemaError(where, name, f"expected {kind.__name__}, got {type(value).__name__} {value!r}")
    return value


@dataclass(slots=True)
class ReactionMeta:
    """What the simulated user's reply signals; the interruption cost reads these."""

    answered_clarification: bool = False
    reject_signal: bool = False
    silence: bool = False
    off_topic_flag: bool = False
    satisfaction: float = 1.0

    @classmethod
    def from_dict(cls, record: Mapping[str, Any], *, where: str = "meta") -> "ReactionMeta":
        if not isinstance(record, abc.Mapping):
            raise SchemaError(where, None, f"expected a JSON object, got {type(record).__name__}")
        values = {}
        for name in ("answered_clarification", "reject_signal", "silence", "off_topic_flag"):
            value = record.get(name, False)
            if value not in (0, 1, True, False):
                raise SchemaError(where, name, f"expected true/false, got {value!r}")
            values[name] = bool(value)
        satisfaction = record.get("satisfaction", 1.0)
        if isinstance(satisfaction, bool) or not isinstance(satisfaction, (int, float)) or not 0 <= satisfaction <= 1:
            raise SchemaError(where, "satisfaction", f"expected a number in [0, 1], got {satisfaction!r}")
        return cls(**values, satisfaction=float(satisfaction))

    def to_dict(self) -> dict[str, Any]:
        return {
            "answered_clarification": self.answered_clarification,
            "reject_signal": self.reject_signal,
            "silence": self.silence,
            "off_topic_flag": self.off_topic_flag,
            "satisfaction": self.satisfaction,
        }


@dataclass(slots=True)
class Reaction:
    """The simulated user's turn.

    Beyond the seed's `user_reply` and `meta`, it records which hidden facts the
    reply revealed, the user's patience left and whether they gave up: the env's
    dynamics need them and trajectory files keep them for offline analysis.
    """

    user_reply: str
    meta: ReactionMeta
    revealed: tuple[str, ...] = ()
    gave_up: bool = False
    patience_left: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "user_reply": self.user_reply,
            "meta": self.meta.to_dict(),
            "revealed": list(self.revealed),
            "gave_up": self.gave_up,
            "patience_left": self.patience_left,
        }


@dataclass(slots=True)
class Turn:
    """One message of the conversation: `role` is ``"user"`` or ``"assistant"``."""

    role: str
    text: str
    action: Action | None = None

    def to_dict(self) -> dict[str, Any]:
        record: dict[str, Any] = {"role": self.role, "text": self.text}
        if self.action is not None:
            record["action"] = self.action.label
        return record

    @classmethod
    def from_dict(cls, record: Mapping[str, Any], *, where: str = "turn") -> "Turn":
        """Read a turn written by `to_dict` (trajectory files keep the transcript)."""
        if not isinstance(record, abc.Mapping):
            raise SchemaError(where, None, f"expected a turn object, got {type(record).__name__}")
        role = _require(record, "role", str, where)
        if role not in ("user", "assistant"):
            raise SchemaError(where, "role", f"expected 'user' or 'assistant', got {role!r}")
        text = record.get("text", "")
        if not isinstance(text, str):
            raise SchemaError(where, "text", f"expected str, got {type(text).__name__}")
        action = record.get("action")
        if action is not None:
            try:
                action = Action.parse(action)
            except ValueError as exc:
                raise SchemaError(where, "action", str(exc)) from None
        return cls(role, text, action)


class HiddenFact(NamedTuple):
    """A piece of information the user holds but did not say.

    `answer` is how the user states it when asked. `keywords` are its
    vocabulary: the words, synonyms and multi-word phrases that, in an
    assistant's question, show the question is about this fact
    (`proact_env.simulator.hearing`; stop words such as "what" never count).
    `evidence` are the specifics a statement of the fact cannot leave out (the
    chosen option, the function's name, a number): what an LLM user claims to
    have revealed counts only if its reply contains them; empty: judged from
    the words of `answer`.
    """

    key: str
    answer: str
    keywords: tuple[str, ...] = ()
    evidence: tuple[str, ...] = ()


@dataclass(slots=True)
class TaskScore:
    """R_task of one Execute message, with the evidence behind it.

    `details` is JSON-serialisable (test outcomes, violated constraints...) so a
    trajectory file can carry it and the reward step never has to rerun anything.
    """

    score: float
    passed: int
    total: int
    details: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"score": self.score, "passed": self.passed, "total": self.total, "details": dict(self.details)}

    @classmethod
    def from_dict(cls, record: Mapping[str, Any], *, where: str = "task_score") -> "TaskScore":
        """Read a score written by `to_dict`: `score` in [0, 1], `0 <= passed <= total`."""
        if not isinstance(record, abc.Mapping):
            raise SchemaError(where, None, f"expected a task score object, got {type(record).__name__}")
        score = record.get("score")
        if isinstance(score, bool) or not isinstance(score, (int, float)) or not 0.0 <= score <= 1.0:
            raise SchemaError(where, "score", f"expected a number in [0, 1], got {score!r}")
        passed = _require(record, "passed", int, where)
        total = _require(record, "total", int, where)
        if not 0 <= passed <= total:
            raise SchemaError(where, "passed", f"expected 0 <= passed <= total ({total}), got {passed}")
        details = record.get("details", {})
        if not isinstance(details, abc.Mapping):
            raise SchemaError(where, "details", f"expected an object, got {type(details).__name__}")
        return cls(float(score), passed, total, dict(details))


@runtime_checkable
class TaskPayload(Protocol):
    """The source-specific part of a task: how answers are scored and how unsure the user's request is."""

    def score(self, message: str) -> TaskScore:
        """R_task of an Execute message, in [0, 1]."""

    def uncertainty(self, revealed: frozenset[str]) -> float:
        """Probability that executing now fails, once the facts in `revealed` are known."""


@dataclass(frozen=True, slots=True)
class Task:
    """What the user wants: the query they said, the facts they did not, and how answers are scored."""

    id: str
    domain: str
    query: str
    hidden: tuple[HiddenFact, ...]
    payload: TaskPayload
    source: str = "synthetic"

    def score(self, message: str) -> TaskScore:
        return self.payload.score(message)

    def uncertainty(self, revealed: frozenset[str] = frozenset()) -> float:
        return self.payload.uncertainty(revealed)

    @property
    def hints(self) -> Mapping[str, str]:
        """What the task states openly about the answer's form (`MessageRequest.hints`), if its payload says."""
        return getattr(self.payload, "hints", None) or {}

    def state(self, dialogue_turn: int = 0, prev_reject: int = 0, revealed: frozenset[str] = frozenset()) -> State:
        """The seed-format state of this task at a decision point."""
        return State(
            id=self.id,
            domain=self.domain,
            query=self.query,
            dialogue_turn=dialogue_turn,
            prev_reject=prev_reject,
            task_uncertainty=round(self.uncertainty(revealed), 6),
        )


class TaskSource(Protocol):
    """Anything the env can draw tasks from (each domain package has one).

    `sample` must use only the generator it is given, so that a seeded reset
    always yields the same task.
    """

    def sample(self, rng: random.Random) -> Task: ...

    def describe(self) -> dict[str, Any]:
        """A JSON-able description, recorded with results so a run can be reproduced."""


@dataclass(slots=True)
class MessageRequest:
    """What an assistant knows when it writes one turn, and nothing more: never the user's hidden answers.

    `state` is the seed-format decision point (query, domain, turn, previous
    rejection, remaining uncertainty); `transcript` the conversation so far (the
    env's live list: read it, never modify it), where the user's answers are;
    `revealed` the keys of the hidden facts they disclosed; `hints` what the task
    states openly about the answer's form (a planning task's plan schema).
    `sample_index` distinguishes regenerations of the same turn (a branch that
    repeats the mainline action asks for sample 1). A backbone that calls a
    model fills `usage` (prompt and completion tokens), which the env reports in
    `info["usage"]` and trajectory files keep.
    """

    action: Action
    state: State
    transcript: Sequence[Turn]
    revealed: frozenset[str]
    persona: "Persona"
    rng: random.Random = field(compare=False)
    sample_index: int = 0
    hints: Mapping[str, str] = field(default_factory=dict)
    usage: dict[str, int] | None = None

    @property
    def query(self) -> str:
        return self.state.query

    @property
    def domain(self) -> str:
        return self.state.domain

    @property
    def dialogue_turn(self) -> int:
        return self.state.dialogue_turn

    @property
    def prev_reject(self) -> bool:
        return bool(self.state.prev_reject)


class Backbone(Protocol):
    """Writes the assistant's message for a decided action (LLM backbones, your own writer).

    It gets a `MessageRequest`: what an assistant would know, never the hidden facts.
    """

    def write(self, request: MessageRequest) -> str: ...


class ReferenceWriter(Protocol):
    """A domain's scripted assistant (`proact_env.domains.scripted`): the offline stand-in for a competent model.

    It simulates an assistant's competence (the reference solution, a faulty
    variant, a guess among the options) and so reads the task it writes for;
    the env hands it the `Task` beside the request. A backbone a user plugs in
    implements `Backbone` and gets the request alone.
    """

    def write_for(self, task: Task, request: MessageRequest) -> str: ...
