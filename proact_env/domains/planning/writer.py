"""The scripted offline backbone for planning tasks: focused questions, schema-valid JSON plans.

It plays a sensible planner who knows the subject (the task's catalogue) but
not the user's mind. A Clarify asks about the constraint kinds it has not
heard about yet, one or two per turn, in the kind's order of importance (plan
length, dates, budget, pace...), never asking the same question twice; once
every kind has been asked about, it asks an open question. An Execute is
`ReferenceAssistant.draft`: a plan in the schema's JSON, in a ```json fence,
that honours every stated or revealed constraint and guesses the rest, so it
meets an unknown constraint only by chance, with exactly the odds the task's
`task_uncertainty` is computed from.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Sequence

from proact_env.domains.planning.spec import PlanningSpec
from proact_env.domains.scripted import check_questions_per_turn, payload_for
from proact_env.rng import pick
from proact_env.types import Action, MessageRequest, Task, Turn

_OPENERS = {
    1: ("Quick question before I plan:", "One thing to check first:"),
    2: ("Two quick questions before I plan:", "To get the plan right, two things to check:"),
}
_OPEN_QUESTION = "Is there anything else I should keep in mind?"
_EXECUTE_OPENERS = ("Here is the plan.", "Here is a first draft of the plan.", "This plan should work.")
_GUESSED = "Where you did not say, I made my best guess."


@dataclass(frozen=True, slots=True)
class ScriptedPlanningBackbone:
    """Writes Clarify and Execute messages for planning tasks.

    Arguments:
        questions_per_turn: constraint kinds one Clarify asks about (1 or 2;
            the prompts ask LLMs for "one or two focused questions"). Default 2.
    """

    questions_per_turn: int = 2

    def __post_init__(self) -> None:
        check_questions_per_turn(self.questions_per_turn)

    def write_for(self, task: Task, request: MessageRequest) -> str:
        spec = payload_for(self, task, PlanningSpec)
        known = spec.known(request.revealed)
        if request.action is Action.CLARIFY:
            questions = self.questions(spec, known, request.transcript)
            if not questions:
                return _OPEN_QUESTION
            return f"{pick(request.rng, _OPENERS[len(questions)])} {' '.join(questions)}"
        plan = spec.assistant.draft(known, request.rng)
        days = ",\n".join(f"    {json.dumps(day, ensure_ascii=False)}" for day in plan["days"])
        body = f'{{\n  "start_date": "{plan["start_date"]}",\n  "days": [\n{days}\n  ]\n}}'
        message = f"{pick(request.rng, _EXECUTE_OPENERS)}\n```json\n{body}\n```"
        if self.open_topics(spec, known):
            message += f"\n{_GUESSED}"
        return message

    def open_topics(self, spec: PlanningSpec, known: frozenset[int]) -> list[str]:
        """Constraint kinds the assistant has heard nothing about, most important first."""
        heard = {spec.constraints[i].kind for i in known}
        return [k for k in spec.kind.questions if k not in heard]

    def questions(self, spec: PlanningSpec, known: frozenset[int], transcript: Sequence[Turn]) -> list[str]:
        """This turn's questions: about open kinds not asked before (empty: ask an open question)."""
        asked = " ".join(t.text for t in transcript if t.role == "assistant" and t.action is Action.CLARIFY)
        pending = [spec.kind.questions[k] for k in self.open_topics(spec, known)]
        return [q for q in pending if q not in asked][: self.questions_per_turn]
