"""The scripted offline backbone for synthetic tasks: no model, no network, exact probabilities.

It behaves like a sensible assistant with no access to the user's mind:
a Clarify asks about the first unknown requirements (one or two questions, each
naming the requirement and its options); an Execute states the known
requirements and guesses each unknown one uniformly among its options.

Message lengths depend only on the number of slots, options and unknowns,
never on which slot is which; the solver relies on this to compute the exact
chance that a turn is "long" for a persona (`word_counts`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from proact_env.domains.scripted import check_questions_per_turn, payload_for
from proact_env.domains.synthetic.tasks import Slot, SyntheticSpec
from proact_env.rng import pick, pick_index
from proact_env.text import prose_words
from proact_env.types import Action, MessageRequest, Task

_OPENERS = {
    1: ("Quick question before I start:", "One thing to check first:", "Before I write this, one question:"),
    2: ("Two quick questions before I start:", "Before I write this, two questions:", "To get this right, two things to check:"),
}
_QUESTION_TEMPLATES = ("Which {label} do you want: {options}?", "What {label} should I use: {options}?")
_CONFIRM = "Just to confirm, the {label} should be {value}?"
_CONFIRM_NOTHING = "Just to confirm, is there anything else I should know?"
_EXECUTE_OPENERS = {
    "coding": ("Here is my solution.", "Here is a first version.", "This should do it."),
    "planning": ("Here is the plan.", "Here is a first draft of the plan.", "This plan should work."),
}
#: bound once: reading a member off the Enum class costs ~0.1 µs in Python 3.11 (every message tests it)
_CLARIFY = Action.CLARIFY


def _join(words: list[str], last: str) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + f" {last} " + words[-1]


@lru_cache(maxsize=4096)
def _question(template: str, label: str, options: tuple[str, ...]) -> str:
    """One question of a Clarify; a few hundred exist, and a Clarify is written on every other step."""
    return template.format(label=label, options=_join(list(options), "or"))


@dataclass(frozen=True, slots=True)
class ScriptedSyntheticBackbone:
    """Writes Clarify and Execute messages for synthetic tasks.

    Arguments:
        questions_per_turn: how many unknown requirements one Clarify asks about
            (1 or 2; the prompts ask LLMs for "one or two focused questions").
    """

    questions_per_turn: int = 2

    def __post_init__(self) -> None:
        check_questions_per_turn(self.questions_per_turn)

    def write_for(self, task: Task, request: MessageRequest) -> str:
        spec = payload_for(self, task, SyntheticSpec)
        rng = request.rng
        if request.action is _CLARIFY:
            return self._clarify(spec, request.revealed, pick_index(rng, len(_OPENERS[1]) * len(_QUESTION_TEMPLATES)))
        domain = task.domain
        revealed = request.revealed
        variant = pick_index(rng, len(_EXECUTE_OPENERS[domain]))
        values = [s.truth if (not s.hidden or s.name in revealed) else pick(rng, s.options) for s in spec.slots]
        return self._execute(spec, domain, revealed, values, variant)

    def questions_asked(self, spec: SyntheticSpec, revealed: frozenset[str]) -> list[Slot]:
        """The unknown slots a Clarify asks about (empty: it asks a confirmation instead)."""
        unknown = [s for s in spec.slots if s.hidden and s.name not in revealed]
        return unknown[: self.questions_per_turn]

    def _clarify(self, spec: SyntheticSpec, revealed: frozenset[str], variant: int) -> str:
        asked = self.questions_asked(spec, revealed)
        if not asked:
            if not spec.slots:
                return _CONFIRM_NOTHING
            slot = next((s for s in spec.slots if s.hidden), spec.slots[0])
            return _CONFIRM.format(label=slot.label, value=slot.truth)
        opener = _OPENERS[len(asked)][variant // len(_QUESTION_TEMPLATES)]
        template = _QUESTION_TEMPLATES[variant % len(_QUESTION_TEMPLATES)]
        return f"{opener} {' '.join([_question(template, s.label, s.options) for s in asked])}"

    def _execute(
        self, spec: SyntheticSpec, domain: str, revealed: frozenset[str], values: list[str], variant: int
    ) -> str:
        """The Execute message stating `values` (one per slot, in order: a list, not a dict by name, since
        an Execute is written on every other step)."""
        opener = _EXECUTE_OPENERS[domain][variant]
        coding = domain == "coding"
        chosen, settings, assumed = [], [], []
        for s, value in zip(spec.slots, values):  # one pass: an Execute is written on every other step
            chosen.append(f"{value} {s.label}")
            if coding:
                settings.append(f'"{s.label}": "{value}"')
            if s.hidden and s.name not in revealed:
                assumed.append(s.label)
        choices = _join(chosen, "and") if chosen else "your request as stated"
        if coding:
            body = f"```python\nSETTINGS = {{{', '.join(settings)}}}\n\n\ndef run(records):\n    return apply_settings(records, SETTINGS)\n```"
            message = f"{opener}\n\n{body}\nIt uses {choices}."
        else:
            message = f"{opener}\nOutline: arrival, main activities, wrap-up.\nChoices: {choices}."
        if assumed:
            message += f"\nI assumed the {_join(assumed, 'and')} since you did not specify {'it' if len(assumed) == 1 else 'them'}."
        return message

    def clarify_variants(self, spec: SyntheticSpec, n_unknown: int) -> tuple[frozenset[str], list[str]]:
        """Every equally likely Clarify message with `n_unknown` slots still unknown, and the revealed slots.

        Which slots are revealed does not change what the messages ask about
        (the first unknown ones, by label and options), only which words name them.
        """
        hidden = [s.name for s in spec.slots if s.hidden]
        revealed = frozenset(hidden[: len(hidden) - n_unknown])
        n_variants = len(_OPENERS[1]) * len(_QUESTION_TEMPLATES)
        return revealed, [self._clarify(spec, revealed, v) for v in range(n_variants)]

    def word_counts(self, spec: SyntheticSpec, domain: str, action: Action, n_unknown: int) -> list[int]:
        """Prose words of every equally likely message variant with `n_unknown` slots still unknown."""
        hidden = [s.name for s in spec.slots if s.hidden]
        revealed = frozenset(hidden[: len(hidden) - n_unknown])
        if action is Action.CLARIFY:
            return [prose_words(message) for message in self.clarify_variants(spec, n_unknown)[1]]
        values = [s.truth for s in spec.slots]
        return [
            prose_words(self._execute(spec, domain, revealed, values, v))
            for v in range(len(_EXECUTE_OPENERS[domain]))
        ]
