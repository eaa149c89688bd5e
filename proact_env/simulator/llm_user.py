"""A simulated user played by an LLM, with the same `Reaction` contract as the rule-based one.

The model gets the persona, the conversation rendered by `render_state`, the
assistant's latest message and, for a solution, how well it scored; it
answers in JSON that is validated field by field. An answer that is not valid
JSON of that shape, or a request that failed after its retries, falls back to
the rule-based simulator's reaction to the same turn, and is counted
(`stats`), so a flaky or weak model degrades a run instead of stopping it.

What may be revealed is decided in code, the way the rule-based user decides
it, not left to the model: the simulator hears the questions
(`proact_env.simulator.hearing`) and shows the model only the answers it may
give: the still-hidden facts a question is about, for an open question
("anything else?") the one fact it may volunteer, for a failed solution the
one fact it got wrong, and what it already told. The other facts are only
counted ("keep them to yourself"), so the model cannot leak them. A fact the
model claims to have revealed counts only if it was allowed and the reply
states it (`hearing.states_fact`); other claims are dropped and counted.

The bookkeeping stays in code too: a rejection spends one patience point and
the user gives up at zero.
"""

from __future__ import annotations

import json
import random
import re
import threading
from dataclasses import dataclass, field

from proact_env.llm.chat import ChatMessage, ChatRequest, LLMCallFailed
from proact_env.llm.config import LLMConfig
from proact_env.llm.engine import ChatEngine
from proact_env.personas import Persona
from proact_env.prompts import load_template
from proact_env.render import render_state
from proact_env.simulator.hearing import VAGUE, Hearing, states_fact
from proact_env.simulator.rules import DialogueContext, RuleBasedSimulator, first_missed_fact, infer_action
from proact_env.types import Action, HiddenFact, Reaction, ReactionMeta

_BOOL_FIELDS = ("answered_clarification", "reject_signal", "silence", "off_topic")
_FENCE = re.compile(r"^```(?:json)?\s*|\s*```$", re.I)


class MalformedAnswer(ValueError):
    """The model's answer is not the JSON object the simulator prompt asks for."""


@dataclass(frozen=True, slots=True)
class UserAnswer:
    """A validated answer of the LLM user."""

    reply: str
    answered_clarification: bool
    reject_signal: bool
    silence: bool
    off_topic: bool
    satisfaction: float
    revealed: tuple[str, ...] = ()


def parse_user_answer(text: str, hidden_keys: frozenset[str]) -> UserAnswer:
    """Validate the model's JSON answer; `MalformedAnswer` says what is wrong.

    A code fence around the object and text before or after it are tolerated;
    wrong types, a satisfaction outside [0, 1] and unknown fact keys are not.
    """
    body = _FENCE.sub("", text.strip())
    start, end = body.find("{"), body.rfind("}")
    if start < 0 or end < start:
        raise MalformedAnswer("no JSON object in the answer")
    try:
        record = json.loads(body[start : end + 1])
    except json.JSONDecodeError as exc:
        raise MalformedAnswer(f"invalid JSON: {exc.msg}") from None
    if not isinstance(record, dict):
        raise MalformedAnswer("the answer is not a JSON object")
    reply = record.get("reply")
    if not isinstance(reply, str):
        raise MalformedAnswer("'reply' must be a string")
    flags = {}
    for name in _BOOL_FIELDS:
        if not isinstance(record.get(name), bool):
            raise MalformedAnswer(f"{name!r} must be true or false")
        flags[name] = record[name]
    satisfaction = record.get("satisfaction")
    if isinstance(satisfaction, bool) or not isinstance(satisfaction, (int, float)) or not 0.0 <= satisfaction <= 1.0:
        raise MalformedAnswer("'satisfaction' must be a number in [0, 1]")
    revealed = record.get("revealed", [])
    if not isinstance(revealed, list) or not all(isinstance(k, str) for k in revealed):
        raise MalformedAnswer("'revealed' must be a list of fact keys")
    unknown = sorted(set(revealed) - hidden_keys)
    if unknown:
        raise MalformedAnswer(f"'revealed' names unknown fact(s) {unknown}")
    if flags["silence"]:
        reply = ""
    elif not reply.strip():
        raise MalformedAnswer("empty 'reply' without 'silence'")
    return UserAnswer(reply=reply.strip(), satisfaction=float(satisfaction), revealed=tuple(dict.fromkeys(revealed)), **flags)


def simulator_messages(
    assistant_msg: str, persona: Persona, context: DialogueContext, allowed: tuple[HiddenFact, ...] = (),
    hearing: Hearing | None = None,
) -> tuple[ChatMessage, ...]:
    """The user-simulator prompt for one reaction (`prompts/user_simulator.txt`).

    `allowed` are the facts this reply may reveal (`allowed_facts`), `hearing`
    what a Clarify's questions are about; only their answers, and those already
    told, are shown to the model.
    """
    task = context.task
    turn = sum(1 for t in context.transcript if t.role == "assistant")
    state = task.state(turn, int(context.prev_reject), context.revealed)
    action = context.action.label if context.action is not None else "Clarify or Execute"
    text = load_template("user_simulator").render(
        persona=_describe(persona),
        hidden_facts=fact_notes(context, allowed, hearing),
        state=render_state(state, None, context.transcript),
        action=action,
        assistant_msg=assistant_msg,
        outcome=_outcome(context),
    )
    return (ChatMessage("user", text),)


def allowed_facts(context: DialogueContext, hearing: Hearing | None) -> tuple[HiddenFact, ...]:
    """The facts this reaction may reveal, by the rule-based user's rules.

    Clarify: every still-hidden fact a question is about and, for an open
    question, the first other untold fact (the model decides, in character,
    whether to volunteer it). Execute: the fact a complaint would name
    (`first_missed_fact`).
    """
    if hearing is None:
        fact = first_missed_fact(context)
        return (fact,) if fact is not None else ()
    by_key = {f.key: f for f in context.task.hidden}
    allowed = [by_key[key] for key in hearing.targeted(context.revealed)]
    if hearing.any_open:
        asked = set(hearing.targeted())
        extra = next((f for f in context.task.hidden if f.key not in context.revealed and f.key not in asked), None)
        allowed += [extra] if extra is not None else []
    return tuple(allowed)


def fact_notes(context: DialogueContext, allowed: tuple[HiddenFact, ...], hearing: Hearing | None) -> str:
    """The prompt's account of what the user holds back and what the assistant's message asked about."""
    allowed_keys = {f.key for f in allowed}
    asked_again = set(hearing.targeted()) & context.revealed if hearing is not None else set()
    lines = ["What you want but have not said, and what the assistant's message asked about (decided for you):"]
    for fact in context.task.hidden:
        if fact.key in context.revealed:
            note = "you already told the assistant" + (
                "; they ask about it again, which is tiresome" if fact.key in asked_again else "")
        elif fact.key in allowed_keys:
            note = ("their solution gets this wrong: you may say so" if hearing is None
                    else "they asked about this: you may tell it now" if fact.key in hearing.targeted()
                    else "they asked whether there is anything else: you may volunteer this one, if your persona would")
        else:
            continue
        lines.append(f"- {fact.key}: {fact.answer} ({note})")
    untold = sum(1 for f in context.task.hidden if f.key not in context.revealed and f.key not in allowed_keys)
    if untold:
        lines.append(f"You also hold back {untold} more thing(s) that the assistant did not ask about: "
                     "keep them to yourself.")
    if len(lines) == 1:
        lines.append("(none: you said everything that matters)")
    if hearing is not None and any(q.kind == VAGUE and not q.open for q in hearing.questions):
        lines.append("Part of their message asks about nothing you hold back: react as your persona would to a "
                     "question that misses the point (ask what they mean, shrug, or show irritation), and reveal "
                     "nothing for it.")
    if hearing is not None and hearing.any_open and not any(f.key not in hearing.targeted() for f in allowed):
        lines.append("They ask whether there is anything else: there is nothing more you may tell.")
    return "\n".join(lines)


def _describe(persona: Persona) -> str:
    return (
        f"{persona.name.replace('_', ' ')}: {persona.patience} patience, {persona.expertise} expertise; "
        f"you accept about {persona.question_tolerance} question(s) in the whole conversation and "
        f"messages of up to {persona.long_turn_tolerance} words. {persona.description}"
    ).strip()


def _outcome(context: DialogueContext) -> str:
    if context.action is not Action.EXECUTE or context.score is None:
        return ""
    score = context.score
    verdict = "it does what you need" if score.score >= context.success_threshold else "it is not what you need yet"
    return f"\nYou checked this solution: it meets {score.passed} of {score.total} of your requirements, so {verdict}.\n"


@dataclass
class SimulatorStats:
    """How the LLM user's reactions were obtained.

    `reveal_checked` counts the model's reactions that were compared with what the rule-based
    user would have revealed on the same turn (same random state), `reveal_agreed` those that
    revealed the same facts.
    """

    llm: int = 0
    malformed: int = 0
    failed: int = 0
    #: facts the model said it revealed that were not allowed or that its reply does not state
    dropped_claims: int = 0
    reveal_checked: int = 0
    reveal_agreed: int = 0
    reasons: dict[str, int] = field(default_factory=dict)

    @property
    def fallback_rate(self) -> float:
        total = self.llm + self.malformed + self.failed
        return (self.malformed + self.failed) / total if total else 0.0

    def summary(self) -> str:
        total = self.llm + self.malformed + self.failed
        text = (
            f"LLM user: {total} reaction(s): {self.llm} from the model, "
            f"{self.malformed} malformed and {self.failed} failed -> rule-based fallback "
            f"(fallback rate {self.fallback_rate:.1%}); "
            f"{self.dropped_claims} claimed fact(s) not counted (not asked about, or not in the reply)"
        )
        if self.reveal_checked:
            text += f"; reveals agree with the rules in {self.reveal_agreed} of {self.reveal_checked}"
        if self.reasons:
            text += "; " + ", ".join(f"{n} x {reason}" for reason, n in sorted(self.reasons.items(), key=lambda kv: -kv[1]))
        return text


class LLMUserSimulator:
    """Plays the user with an LLM; falls back to `fallback` (rule-based) when the answer is unusable.

    Arguments:
        engine: the cached, tallied chat engine (`from_config` builds one).
        fallback: the simulator used for malformed or failed answers. Default `RuleBasedSimulator()`.
    """

    def __init__(self, engine: ChatEngine, fallback: RuleBasedSimulator | None = None) -> None:
        self.engine = engine
        self.fallback = fallback if fallback is not None else RuleBasedSimulator()
        self.stats = SimulatorStats()
        self._stats_lock = threading.Lock()  # envs in several threads may share one simulator
        self._per_thread = threading.local()  # the same counts for the calling thread (one episode at a time)

    @classmethod
    def from_config(cls, config: LLMConfig) -> "LLMUserSimulator":
        from proact_env.llm.factory import build_engine

        return cls(build_engine(config))

    def react(
        self,
        user_msg: str,
        assistant_msg: str,
        persona: Persona,
        *,
        context: DialogueContext,
        rng: random.Random,
    ) -> Reaction:
        action = context.action if context.action is not None else infer_action(assistant_msg)
        hearing = context.heard(assistant_msg) if action is Action.CLARIFY else None
        allowed = allowed_facts(context, hearing)
        request = ChatRequest(simulator_messages(assistant_msg, persona, context, allowed, hearing),
                              label=f"{context.task.id} user reaction")
        try:
            text = self.engine.complete(request).text
            answer = parse_user_answer(text, frozenset(f.key for f in context.task.hidden))
        except LLMCallFailed as exc:
            self._count("failed", exc.failure.reason)
            return self.fallback.react(user_msg, assistant_msg, persona, context=context, rng=rng)
        except MalformedAnswer as exc:
            self._count("malformed", str(exc))
            return self.fallback.react(user_msg, assistant_msg, persona, context=context, rng=rng)
        reaction = to_reaction(answer, persona, context, allowed)
        shadow_rng = random.Random()
        shadow_rng.setstate(rng.getstate())  # the rules' reaction to this very turn, without using up `rng`
        shadow = self.fallback.react(user_msg, assistant_msg, persona, context=context, rng=shadow_rng)
        self._count("llm", agreed=set(shadow.revealed) == set(reaction.revealed),
                    dropped=len(set(answer.revealed) - context.revealed - set(reaction.revealed)))
        return reaction

    def _count(self, kind: str, reason: str | None = None, agreed: bool | None = None, dropped: int = 0) -> None:
        counts = self.thread_counts()
        counts[kind] += 1
        with self._stats_lock:
            setattr(self.stats, kind, getattr(self.stats, kind) + 1)
            self.stats.dropped_claims += dropped
            if reason is not None:
                self.stats.reasons[reason] = self.stats.reasons.get(reason, 0) + 1
            if agreed is not None:
                self.stats.reveal_checked += 1
                self.stats.reveal_agreed += agreed
                counts["reveal_checked"] += 1
                counts["reveal_agreed"] += agreed

    def thread_counts(self) -> dict[str, int]:
        """The calling thread's running counts (llm, malformed, failed, reveal_checked, reveal_agreed):
        a benchmark that plays one episode at a time per thread reads each episode's share from them."""
        counts = getattr(self._per_thread, "counts", None)
        if counts is None:
            counts = self._per_thread.counts = dict.fromkeys(
                ("llm", "malformed", "failed", "reveal_checked", "reveal_agreed"), 0)
        return counts

    def summary(self) -> str:
        return f"{self.stats.summary()}\n{self.engine.summary()}"


def to_reaction(
    answer: UserAnswer, persona: Persona, context: DialogueContext, allowed: tuple[HiddenFact, ...]
) -> Reaction:
    """The env's `Reaction` from a validated answer: patience, giving up and reveals are computed, not trusted.

    A claimed fact counts only if it is in `allowed` and the reply states it.
    """
    patience = context.patience_left - int(answer.reject_signal)
    gave_up = patience <= 0
    by_key = {f.key: f for f in allowed}
    revealed = tuple(k for k in answer.revealed
                     if k not in context.revealed and k in by_key and states_fact(by_key[k], answer.reply))
    meta = ReactionMeta(
        answered_clarification=answer.answered_clarification,
        reject_signal=answer.reject_signal,
        silence=answer.silence,
        off_topic_flag=answer.off_topic,
        satisfaction=0.0 if gave_up else round(answer.satisfaction, 6),
    )
    return Reaction(user_reply=answer.reply, meta=meta, revealed=revealed, gave_up=gave_up, patience_left=patience)
