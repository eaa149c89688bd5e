"""The rule-based simulated user: explicit reaction probabilities, sampled with a seeded RNG.

The probabilities are public functions (`clarify_reaction_probs`) because the
synthetic solver computes exact values from the very same numbers the
simulator samples from: the solver and the env cannot drift apart.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Sequence

from proact_env.personas import Persona
from proact_env.simulator.phrases import say, style_of
from proact_env.text import question_sentences, words_of
from proact_env.types import Action, HiddenFact, Reaction, ReactionMeta, Task, TaskScore, Turn


@dataclass(frozen=True, slots=True)
class SimulatorConfig:
    """How pushback grows; shared by every persona.

    Attributes:
        over_tolerance_reject: added to the reject probability for each question
            beyond the persona's `question_tolerance` (counting this turn's).
            Default ``0.25``.
        after_reject_reject: added when the user rejected the previous turn and
            is asked again. Default ``0.3``.
        max_reject: the reject probability never exceeds this. Default ``0.95``.
    """

    over_tolerance_reject: float = 0.25
    after_reject_reject: float = 0.3
    max_reject: float = 0.95

    def __post_init__(self) -> None:
        for name in ("over_tolerance_reject", "after_reject_reject", "max_reject"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"SimulatorConfig.{name} must be in [0, 1], got {value!r}")


@dataclass(slots=True)
class ReactionProbs:
    """How the user reacts to a clarification turn; the four sum to 1."""

    reject: float
    answer: float
    silence: float
    off_topic: float


def clarify_reaction_probs(
    persona: Persona, n_questions: int, questions_before: int, prev_reject: bool, config: SimulatorConfig
) -> ReactionProbs:
    """Reaction probabilities for a turn asking `n_questions` after `questions_before` were asked.

    Within tolerance the persona's own mix applies. Each question beyond
    `question_tolerance` and a rejection on the previous turn raise the reject
    probability; the rest of the mass keeps the persona's answer/silence/drift
    proportions.
    """
    over = max(0, questions_before + n_questions - persona.question_tolerance)
    reject = persona.p_reject + config.over_tolerance_reject * over + config.after_reject_reject * bool(prev_reject)
    reject = min(config.max_reject, reject)
    rest = persona.p_answer + persona.p_silence + persona.p_off_topic
    if rest <= 0.0:
        return ReactionProbs(reject=1.0, answer=0.0, silence=0.0, off_topic=0.0)
    scale = (1.0 - reject) / rest
    return ReactionProbs(
        reject=reject,
        answer=persona.p_answer * scale,
        silence=persona.p_silence * scale,
        off_topic=persona.p_off_topic * scale,
    )


@dataclass(slots=True)
class DialogueContext:
    """What the user knows about the conversation when reacting to one assistant turn.

    Attributes:
        task: the task, hidden facts included (the user knows them).
        action: the assistant's decision; None lets the simulator infer it from
            the text (a message with questions and no code is a clarification).
        questions_before: questions the assistant asked in earlier turns.
        prev_reject: whether the user rejected the previous turn.
        patience_left: patience points left before this turn.
        revealed: keys of hidden facts already revealed.
        score: R_task of this turn's solution (Execute turns); the env's task
            checker computes it, the simulator only reacts to it.
        last_score: R_task of the latest earlier solution (0 if none).
        success_threshold: the score at which the user accepts a solution.
        transcript: the conversation before this assistant turn (the env's
            live list: read it, never modify it). The rule-based user ignores
            it; an LLM user needs it to remember what was said.
    """

    task: Task
    action: Action | None
    questions_before: int
    prev_reject: bool
    patience_left: int
    revealed: frozenset[str] = frozenset()
    score: TaskScore | None = None
    last_score: float = 0.0
    success_threshold: float = 1.0
    transcript: Sequence[Turn] = ()


@dataclass
class RuleBasedSimulator:
    """A simulated user that follows its persona's explicit probabilities.

    To a clarification it rejects, answers, stays silent or drifts off topic
    (`clarify_reaction_probs`). An answer reveals each hidden fact that a
    question asks about with probability `answer_precision`; a question that
    matches no fact gets the next unrevealed one (users volunteer what matters).
    To a solution that falls short it complains (a rejection of the turn, so
    `reject_signal` is set) and, with probability `feedback_rate`, names one fact
    the solution got wrong. Rejections spend patience; at zero the user gives up.
    """

    config: SimulatorConfig = field(default_factory=SimulatorConfig)

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
        style = style_of(persona)
        if action is Action.EXECUTE:
            return self._react_to_solution(persona, context, style, rng)
        return self._react_to_questions(assistant_msg, persona, context, style, rng)

    def question_reaction_probs(self, assistant_msg: str, persona: Persona, context: DialogueContext) -> ReactionProbs:
        """The distribution `react` draws a clarification's reaction from.

        Public because fitting personas to people's replies (`proact fit-personas`) scores
        each reply by this very distribution: whatever decides how the user takes a
        question decides here, so the likelihood can never drift from the sampler.
        """
        n_questions = max(1, len(question_sentences(assistant_msg)))
        return clarify_reaction_probs(persona, n_questions, context.questions_before, context.prev_reject, self.config)

    def _react_to_questions(
        self, assistant_msg: str, persona: Persona, context: DialogueContext, style: str, rng: random.Random
    ) -> Reaction:
        questions = question_sentences(assistant_msg)
        probs = self.question_reaction_probs(assistant_msg, persona, context)
        u = rng.random()
        if u < probs.reject:
            patience = context.patience_left - 1
            gave_up = patience <= 0
            reply = say("give_up" if gave_up else "reject", style, rng)
            return self._reaction(reply, persona, patience, context.last_score, gave_up=gave_up, reject_signal=True)
        u -= probs.reject
        if u < probs.answer:
            revealed, repeated = [], []
            for fact in facts_asked_about(questions, context.task.hidden, context.revealed):
                if fact.key in context.revealed:
                    repeated.append(fact)
                elif rng.random() < persona.answer_precision:
                    revealed.append(fact)
            reply = answer_text(revealed, repeated, style, rng)
            return self._reaction(
                reply, persona, context.patience_left, context.last_score,
                answered=True, revealed=tuple(f.key for f in revealed),
            )
        u -= probs.answer
        if u < probs.silence:
            return self._reaction("", persona, context.patience_left, context.last_score, silence=True)
        return self._reaction(
            say("off_topic", style, rng), persona, context.patience_left, context.last_score, off_topic=True
        )

    def _react_to_solution(
        self, persona: Persona, context: DialogueContext, style: str, rng: random.Random
    ) -> Reaction:
        score = context.score.score if context.score is not None else 0.0
        if score >= context.success_threshold:
            return self._reaction(say("success", style, rng), persona, context.patience_left, score)
        patience = context.patience_left - 1
        revealed: tuple[str, ...] = ()
        reply = say("complaint", style, rng)
        if rng.random() < persona.feedback_rate:
            fact = first_missed_fact(context)
            if fact is not None:
                revealed = (fact.key,)
                reply = f"{reply} {say('feedback_prefix', style, rng)}{fact.answer}"
        if patience <= 0:
            reply = f"{reply} {say('give_up', style, rng)}"
        return self._reaction(
            reply, persona, patience, score, revealed=revealed, gave_up=patience <= 0, reject_signal=True
        )

    @staticmethod
    def _reaction(
        reply: str,
        persona: Persona,
        patience_left: int,
        score: float,
        *,
        answered: bool = False,
        reject_signal: bool = False,
        silence: bool = False,
        off_topic: bool = False,
        revealed: tuple[str, ...] = (),
        gave_up: bool = False,
    ) -> Reaction:
        meta = ReactionMeta(
            answered_clarification=answered,
            reject_signal=reject_signal,
            silence=silence,
            off_topic_flag=off_topic,
            satisfaction=satisfaction(persona, patience_left, score, gave_up),
        )
        return Reaction(user_reply=reply, meta=meta, revealed=revealed, gave_up=gave_up, patience_left=patience_left)


def satisfaction(persona: Persona, patience_left: int, score: float, gave_up: bool) -> float:
    """Half how much patience is left, half how good the latest solution is; 0 once the user gives up."""
    if gave_up:
        return 0.0
    value = 0.5 * max(0, patience_left) / persona.patience_budget + 0.5 * score
    return round(min(1.0, max(0.0, value)), 6)


def infer_action(assistant_msg: str) -> Action:
    """Classify a message when the caller did not say: questions without code are a clarification."""
    if "```" not in assistant_msg and question_sentences(assistant_msg):
        return Action.CLARIFY
    return Action.EXECUTE


def facts_asked_about(
    questions: tuple[str, ...], hidden: tuple[HiddenFact, ...], revealed: frozenset[str]
) -> list[HiddenFact]:
    """The hidden facts a turn's questions ask about, each at most once, in question order.

    A question is about a fact when it mentions one of the fact's keywords (a
    word, or a phrase for multi-word keywords).
    """
    targeted: list[HiddenFact] = []
    for question in questions:
        lowered = question.lower()
        words = words_of(lowered)
        match = None
        for fact in hidden:
            if fact not in targeted and any(k in words or (not k.isalnum() and k in lowered) for k in fact.keywords):
                match = fact
                break
        if match is None:  # a vague question: the user volunteers the next thing that matters
            match = next((f for f in hidden if f not in targeted and f.key not in revealed), None)
        if match is not None:
            targeted.append(match)
    return targeted


def first_missed_fact(context: DialogueContext) -> HiddenFact | None:
    """The fact a complaint names: one the checker says was missed, else the first unrevealed one."""
    missed = context.score.details.get("missed_facts", ()) if context.score is not None else ()
    by_key = {f.key: f for f in context.task.hidden}
    for key in missed:
        if key in by_key and key not in context.revealed:
            return by_key[key]
    if missed:
        return None
    return next((f for f in context.task.hidden if f.key not in context.revealed), None)


def answer_text(revealed: list[HiddenFact], repeated: list[HiddenFact], style: str, rng: random.Random) -> str:
    parts = [f.answer for f in revealed]
    if repeated:
        parts.append(say("repeat", style, rng) + " ".join(f.answer for f in repeated))
    if not parts:
        return say("vague", style, rng)
    return say("answer_prefix", style, rng) + " ".join(parts)
