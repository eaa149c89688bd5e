"""A person plays the user: the env's `UserSimulator` whose reaction is what a person answered.

`HumanSimulator(respond)` hands each assistant turn to `respond` (a terminal prompt, a
web page waiting for a click, or saved replies being replayed) and turns the person's
choice into the same `Reaction` the rule-based user would give: the meta flags the
interruption cost reads, the facts the reply revealed, the patience it spent, whether
the person gave up. So an episode played by a person goes through the env's own
step, reward and termination, and its trajectory lines read like any other.

Choices mirror the rule-based user's outcomes, so a person's replies can be scored by
that user's model (`proact fit-personas`): to a clarification a person answers,
rejects, stays silent, drifts off topic or gives up; to a solution that meets every
requirement they accept it; to one that falls short they complain (optionally naming
what is wrong, which reveals it) or give up. A rejection, a complaint and giving up
each spend one patience point, as they do for the simulated user.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Callable, Mapping

from proact_env.personas import Persona
from proact_env.simulator.rules import DialogueContext, satisfaction
from proact_env.types import Action, HiddenFact, Reaction, ReactionMeta

#: what a person may answer, by the assistant's action (and, for a solution, whether it succeeded)
CLARIFY_CHOICES = ("answer", "reject", "silence", "off_topic", "give_up")
SUCCESS_CHOICES = ("accept",)
FAILURE_CHOICES = ("complain", "give_up")

#: choices that reject the turn (and so spend patience), as the rule-based user's rejections and complaints do
REJECTING = frozenset({"reject", "complain", "give_up"})
#: choices whose reply may name hidden facts (an answer to a question, or a complaint saying what is wrong)
REVEALING = frozenset({"answer", "complain"})


@dataclass(frozen=True)
class UserTurn:
    """What the person playing the user is shown before they react.

    `hidden` is their brief: the facts the user holds and did not say (their
    answers included); `revealed` the keys already given. For a solution,
    `score` is the task checker's R_task and `success` whether it meets the
    threshold: the person reacts to the verdict as the simulated user does.
    """

    query: str
    assistant_msg: str
    action: Action
    hidden: tuple[HiddenFact, ...]
    revealed: frozenset[str]
    patience_left: int
    patience_budget: int
    score: float | None = None
    success: bool | None = None
    #: the whole dialogue context the env gave the user (a stand-in person, e.g. a simulated participant, reads it)
    context: DialogueContext | None = field(default=None, compare=False, repr=False)

    @property
    def choices(self) -> tuple[str, ...]:
        if self.action is Action.CLARIFY:
            return CLARIFY_CHOICES
        return SUCCESS_CHOICES if self.success else FAILURE_CHOICES

    @property
    def unrevealed(self) -> tuple[HiddenFact, ...]:
        return tuple(f for f in self.hidden if f.key not in self.revealed)


@dataclass(frozen=True)
class HumanReply:
    """A person's reaction to one assistant turn.

    Attributes:
        choice: one of `UserTurn.choices` (``answer``, ``reject``, ``silence``,
            ``off_topic``, ``give_up``; ``accept``; ``complain``).
        text: what they wrote (empty for silence).
        revealed: keys of the hidden facts the reply gives (an answer, or a
            complaint that says what is wrong); only facts not yet revealed count.
        too_long: the person found the assistant's turn too long to read (what
            `proact fit-personas` estimates the long-turn tolerance from).
    """

    choice: str
    text: str = ""
    revealed: tuple[str, ...] = ()
    too_long: bool = False

    def to_dict(self) -> dict[str, object]:
        return {"choice": self.choice, "text": self.text, "revealed": list(self.revealed), "too_long": self.too_long}

    @classmethod
    def from_dict(cls, record: Mapping[str, object]) -> "HumanReply":
        return cls(choice=str(record.get("choice", "")), text=str(record.get("text") or ""),
                   revealed=tuple(str(k) for k in record.get("revealed") or ()),
                   too_long=bool(record.get("too_long", False)))


def check_reply(reply: HumanReply, turn: UserTurn) -> HumanReply:
    """The reply, validated against what the turn allows; errors say what to choose instead."""
    if reply.choice not in turn.choices:
        raise ValueError(f"reply {reply.choice!r} does not fit this turn: choose one of {', '.join(turn.choices)}")
    keys = {f.key for f in turn.hidden}
    unknown = [k for k in reply.revealed if k not in keys]
    if unknown:
        raise ValueError(f"revealed {unknown} are not hidden facts of this task (they are: {', '.join(sorted(keys))})")
    if reply.revealed and reply.choice not in REVEALING:
        raise ValueError(f"a {reply.choice!r} reply reveals nothing: only an answer or a complaint can name facts")
    text = "" if reply.choice == "silence" else reply.text
    fresh = tuple(dict.fromkeys(k for k in reply.revealed if k not in turn.revealed))
    return HumanReply(reply.choice, text, fresh, reply.too_long)


class HumanSimulator:
    """The user is a person: `respond(turn) -> HumanReply` is asked at every assistant turn.

    `respond` may block (a web page waits for the person's click on another
    thread). The latest validated reply stays in `last_reply`, so the caller
    can record the person's choice beside the env's step.
    """

    def __init__(self, respond: Callable[[UserTurn], HumanReply]) -> None:
        self.respond = respond
        self.last_reply: HumanReply | None = None

    def react(
        self,
        user_msg: str,
        assistant_msg: str,
        persona: Persona,
        *,
        context: DialogueContext,
        rng: random.Random,
    ) -> Reaction:
        action = context.action if context.action is not None else Action.EXECUTE
        score = context.score.score if context.score is not None else None
        turn = UserTurn(
            query=user_msg, assistant_msg=assistant_msg, action=action, hidden=context.task.hidden,
            revealed=context.revealed, patience_left=context.patience_left, patience_budget=persona.patience_budget,
            score=score, success=None if score is None else score >= context.success_threshold, context=context,
        )
        reply = check_reply(self.respond(turn), turn)
        self.last_reply = reply
        rejecting = reply.choice in REJECTING
        patience = context.patience_left - int(rejecting)
        gave_up = reply.choice == "give_up"
        latest = score if score is not None else context.last_score
        meta = ReactionMeta(
            answered_clarification=reply.choice == "answer",
            reject_signal=rejecting,
            silence=reply.choice == "silence",
            off_topic_flag=reply.choice == "off_topic",
            satisfaction=satisfaction(persona, patience, latest, gave_up),
        )
        return Reaction(user_reply=reply.text, meta=meta, revealed=reply.revealed, gave_up=gave_up,
                        patience_left=patience)
