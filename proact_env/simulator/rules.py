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
from proact_env.rounding import round6
from proact_env.simulator.hearing import Hearing, hear
from proact_env.simulator.phrases import say, style_of
from proact_env.text import question_sentences
from proact_env.types import Action, HiddenFact, Reaction, ReactionMeta, Task, TaskScore, Turn

#: bound once: reading a member off the Enum class costs ~0.1 µs in Python 3.11 (every reaction tests it)
_EXECUTE = Action.EXECUTE


@dataclass(frozen=True, slots=True)
class SimulatorConfig:
    """How pushback grows and how much an open question gets; shared by every persona.

    Attributes:
        over_tolerance_reject: added to the reject probability for each question
            beyond the persona's `question_tolerance` (counting this turn's).
            Default ``0.25``.
        after_reject_reject: added when the user rejected the previous turn and
            is asked again. Default ``0.3``.
        repeat_reject: added for each question of the turn about facts the user
            already told (asking again annoys). Default ``0.25``.
        max_reject: the reject probability never exceeds this. Default ``0.95``.
        volunteer_share: an open question ("anything else?") that the user
            answers gets one hidden fact volunteered with probability
            ``volunteer_share * persona.feedback_rate`` (the persona's readiness
            to say what matters unasked), else nothing. Default ``0.5``.
    """

    over_tolerance_reject: float = 0.25
    after_reject_reject: float = 0.3
    repeat_reject: float = 0.25
    max_reject: float = 0.95
    volunteer_share: float = 0.5

    def __post_init__(self) -> None:
        for name in ("over_tolerance_reject", "after_reject_reject", "repeat_reject", "max_reject", "volunteer_share"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"SimulatorConfig.{name} must be in [0, 1], got {value!r}")

    def volunteer_probability(self, persona: Persona) -> float:
        """Chance that an answered open question gets one hidden fact volunteered."""
        return self.volunteer_share * persona.feedback_rate


@dataclass(slots=True)
class ReactionProbs:
    """How the user reacts to a clarification turn; the four sum to 1."""

    reject: float
    answer: float
    silence: float
    off_topic: float


def clarify_reaction_probs(
    persona: Persona, n_questions: int, questions_before: int, prev_reject: bool, config: SimulatorConfig,
    repeated: int = 0,
) -> ReactionProbs:
    """Reaction probabilities for a turn asking `n_questions` after `questions_before` were asked.

    Within tolerance the persona's own mix applies. Each question beyond
    `question_tolerance`, a rejection on the previous turn and each of the
    turn's `repeated` questions (about facts already told) raise the reject
    probability; the rest of the mass keeps the persona's answer/silence/drift
    proportions.
    """
    # conditionals for max()/min() and a positional record: the same values, and every Clarify step comes here
    over = questions_before + n_questions - persona.question_tolerance
    reject = (persona.p_reject + config.over_tolerance_reject * (over if over > 0 else 0)
              + config.after_reject_reject * bool(prev_reject) + config.repeat_reject * repeated)
    if not reject < config.max_reject:
        reject = config.max_reject
    rest = persona.p_answer + persona.p_silence + persona.p_off_topic
    if rest <= 0.0:
        return ReactionProbs(reject=1.0, answer=0.0, silence=0.0, off_topic=0.0)
    scale = (1.0 - reject) / rest
    return ReactionProbs(reject, persona.p_answer * scale, persona.p_silence * scale, persona.p_off_topic * scale)


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
        hearing: what the turn's questions are about (`hearing.hear`); the env
            computes it once for the simulator and `info["question_quality"]`.
            None: the simulator hears the message itself.
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
    hearing: Hearing | None = None

    def heard(self, assistant_msg: str) -> Hearing:
        """The hearing of this turn's message (computed here when the caller did not)."""
        return self.hearing if self.hearing is not None else hear(assistant_msg, self.task.hidden, self.revealed)


@dataclass
class RuleBasedSimulator:
    """A simulated user that follows its persona's explicit probabilities.

    To a clarification it rejects, answers, stays silent or drifts off topic
    (`clarify_reaction_probs`; each question about something already told
    raises the reject probability). An answer goes question by question
    (`hearing`): each still-hidden fact a question is about is revealed with
    probability `answer_precision`; a question about facts already told gets
    them restated ("as I said..."); a question about nothing hidden reveals
    nothing and gets a persona-styled "what do you mean?"; an open question
    ("anything else?") gets one hidden fact volunteered with probability
    `SimulatorConfig.volunteer_probability(persona)`, else "nothing comes to
    mind". To a solution that falls short it complains (a rejection of the turn,
    so `reject_signal` is set) and, with probability `feedback_rate`, names one
    fact the solution got wrong. Rejections spend patience; at zero the user
    gives up.
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
        if action is _EXECUTE:
            return self._react_to_solution(persona, context, style, rng)
        return self._react_to_questions(context.heard(assistant_msg), persona, context, style, rng)

    def question_reaction_probs(self, assistant_msg: str, persona: Persona, context: DialogueContext) -> ReactionProbs:
        """The distribution `react` draws a clarification's reaction from.

        Public because fitting personas to people's replies (`proact fit-personas`) scores
        each reply by this very distribution: whatever decides how the user takes a
        question decides here, so the likelihood can never drift from the sampler.
        """
        return self._probs_for(context.heard(assistant_msg), persona, context)

    def _probs_for(self, hearing: Hearing, persona: Persona, context: DialogueContext) -> ReactionProbs:
        return clarify_reaction_probs(persona, len(hearing.questions), context.questions_before,
                                      context.prev_reject, self.config, repeated=hearing.repeated)

    def _react_to_questions(
        self, hearing: Hearing, persona: Persona, context: DialogueContext, style: str, rng: random.Random
    ) -> Reaction:
        probs = self._probs_for(hearing, persona, context)
        u = rng.random()
        if u < probs.reject:
            patience = context.patience_left - 1
            gave_up = patience <= 0
            reply = say("give_up" if gave_up else "reject", style, rng)
            return self._reaction(reply, persona, patience, context.last_score, gave_up=gave_up, reject_signal=True)
        u -= probs.reject
        if u < probs.answer:
            answer = answer_questions(hearing, context, persona, self.config, rng)
            return self._reaction(
                answer.text(style, rng), persona, context.patience_left, context.last_score,
                answered=answer.answered, revealed=tuple([f.key for f in answer.told]),
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
        # positional, in field order: the simulator builds these two on every step
        satisfied = satisfaction(persona, patience_left, score, gave_up)
        meta = ReactionMeta(answered, reject_signal, silence, off_topic, satisfied)
        return Reaction(reply, meta, revealed, gave_up, patience_left)


def satisfaction(persona: Persona, patience_left: int, score: float, gave_up: bool) -> float:
    """Half how much patience is left, half how good the latest solution is; 0 once the user gives up."""
    if gave_up:
        return 0.0
    # conditionals, not max()/min(): the same values, and the simulator computes this on every step
    value = 0.5 * (patience_left if patience_left > 0 else 0) / persona.patience_budget + 0.5 * score
    return round6(value if 0.0 < value < 1.0 else (1.0 if value >= 1.0 else 0.0))


def infer_action(assistant_msg: str) -> Action:
    """Classify a message when the caller did not say: questions without code are a clarification."""
    if "```" not in assistant_msg and question_sentences(assistant_msg):
        return Action.CLARIFY
    return Action.EXECUTE


@dataclass(slots=True)
class Answer:
    """What a user who answers a Clarify turn says, fact by fact (before it is worded)."""

    revealed: list[HiddenFact] = field(default_factory=list)  # asked about and told
    not_sure: list[HiddenFact] = field(default_factory=list)  # asked about, but the answer stays vague
    restated: list[HiddenFact] = field(default_factory=list)  # asked again: told again, nothing new
    unclear: bool = False  # some question was about nothing the user holds
    open_question: bool = False  # the user was invited to add anything
    volunteered: HiddenFact | None = None

    @property
    def told(self) -> list[HiddenFact]:
        """Every hidden fact this answer reveals: those asked about, then the one volunteered."""
        return self.revealed + ([self.volunteered] if self.volunteered is not None else [])

    @property
    def answered(self) -> bool:
        """The user answered something (not only "what do you mean?")."""
        return bool(self.revealed or self.not_sure or self.restated or self.open_question)

    def text(self, style: str, rng: random.Random) -> str:
        parts = []
        if self.revealed:
            parts.append(say("answer_prefix", style, rng) + " ".join([f.answer for f in self.revealed]))
        if self.not_sure:
            parts.append(say("vague", style, rng))
        if self.restated:
            parts.append(say("repeat", style, rng) + " ".join([f.answer for f in self.restated]))
        if self.unclear:
            parts.append(say("unclear", style, rng))
        if self.open_question:
            parts.append(say("volunteer", style, rng) + self.volunteered.answer if self.volunteered
                         else say("nothing_else", style, rng))
        return " ".join([p.strip() for p in parts])


def answer_questions(
    hearing: Hearing, context: DialogueContext, persona: Persona, config: SimulatorConfig, rng: random.Random
) -> Answer:
    """The reveal rules of an answered Clarify turn (see `RuleBasedSimulator`), drawing from `rng`.

    Draws, in order: one per still-hidden fact targeted (in the order first
    asked), then one for an open question if any hidden fact is left to volunteer.
    """
    hidden, revealed = context.task.hidden, context.revealed
    by_key = {f.key: f for f in hidden}
    told: list[HiddenFact] = []
    not_sure: list[HiddenFact] = []
    restated: list[HiddenFact] = []
    asked = hearing.targeted()
    precision = persona.answer_precision
    for key in asked:  # one pass: the still-hidden facts draw in the order first asked, the others are restated
        if key in revealed:
            restated.append(by_key[key])
        else:
            (told if rng.random() < precision else not_sure).append(by_key[key])
    volunteered = None
    if hearing.any_open:
        left = [f for f in hidden if f.key not in revealed and f.key not in asked]
        if left and rng.random() < config.volunteer_probability(persona):
            volunteered = left[0]
    # every field given, positionally: an answered Clarify step builds one (the defaults' factories cost more)
    return Answer(told, not_sure, restated, hearing.unclear, hearing.any_open, volunteered)


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
