"""The scripted offline backbone for coding tasks: real code, no model, no network.

It plays an assistant that can solve the problem but does not know what the
user kept to themselves:

- Clarify asks about the first one or two hidden facts still unknown (the
  function's name and parameters, an example, what exactly it should do), in
  words the simulated user recognises.
- Execute writes the reference solution, under the name it knows or guesses:
  with the signature unknown it calls the function by a name derived from the
  text (`coding_facts.name_candidates`, picked at random, as a model would) or
  by the name the prompt shows; with the parameters unknown it may add one.
  For every other hidden fact still unknown it reads the request right with
  that fact's guess rate, and otherwise writes a faulty variant
  (`code_mutations.mutate`); with probability ``1 - skill`` it slips even
  when it knows everything.

The code is always graded by really running it; the backbone only writes it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from proact_env.domains.coding.facts import name_candidates, name_guess_rate
from proact_env.domains.coding.mutations import add_parameter, mutate, rename_function
from proact_env.domains.coding.tasks import CodingProblem, CodingSpec
from proact_env.domains.scripted import check_questions_per_turn, payload_for
from proact_env.rng import pick, pick_index
from proact_env.types import Action, MessageRequest, Task

_QUESTIONS = {
    "signature": (
        "What should the function be called, and which arguments does it take?",
        "Which name and parameters should the function have?",
    ),
    "example": (
        "Could you give me an example input and the output you expect?",
        "What should it return for a typical input, for example?",
    ),
    "description": (
        "What exactly should it do? The description leaves that open to me.",
        "Could you clarify the exact behaviour you expect?",
    ),
}
_OPENERS = {1: ("Before I write it, one question:", "Quick question first:"),
            2: ("Before I write it, two questions:", "Two quick questions first:")}
_FINAL_CHECK = "Is there anything else I should know before I write it?"
_EXECUTE_OPENERS = ("Here is my solution.", "Here is an implementation.", "This should do it.")


@dataclass(frozen=True, slots=True)
class ScriptedCodingBackbone:
    """Writes Clarify questions and real Python solutions for coding tasks.

    Arguments:
        skill: chance of a correct program when nothing is left unknown (else a
            faulty variant). Default 1.0, so that a task's `task_uncertainty` is
            exactly this backbone's chance of failing.
        questions_per_turn: hidden facts one Clarify asks about (1 or 2; default 2).
    """

    skill: float = 1.0
    questions_per_turn: int = 2

    def __post_init__(self) -> None:
        if not 0.0 <= self.skill <= 1.0:
            raise ValueError(f"skill must be in [0, 1], got {self.skill!r}")
        check_questions_per_turn(self.questions_per_turn)

    def write_for(self, task: Task, request: MessageRequest) -> str:
        spec = payload_for(self, task, CodingSpec)
        if request.action is Action.CLARIFY:
            return self._clarify(spec.problem, request.revealed, request.rng)
        return self._execute(spec.problem, request.revealed, request.rng)

    def _clarify(self, problem: CodingProblem, revealed: frozenset[str], rng: random.Random) -> str:
        unknown = [f.key for f in problem.hidden if f.key not in revealed][: self.questions_per_turn]
        variant = pick_index(rng, 2)
        if not unknown:
            return _FINAL_CHECK
        questions = " ".join(_QUESTIONS.get(key, _QUESTIONS["description"])[variant] for key in unknown)
        return f"{_OPENERS[len(unknown)][variant]} {questions}"

    def _execute(self, problem: CodingProblem, revealed: frozenset[str], rng: random.Random) -> str:
        hidden = {f.key for f in problem.hidden}
        code = problem.reference
        notes = []
        name = problem.entry_point
        if "signature" in hidden and "signature" not in revealed:
            name, code, note = self._guess_signature(problem, code, rng)
            notes += [note] if note else []
        elif problem.shown_name:
            name = problem.shown_name  # the name the user's prompt shows (the tests accept it)
        code = rename_function(code, problem.entry_point, name)
        wrong = any(
            rng.random() >= problem.guess_rate(key) for key in sorted(hidden - revealed - {"signature"})
        )
        if wrong or rng.random() >= self.skill:
            code = mutate(code, rng, focus=name)
        unknown_rest = sorted(hidden - revealed - {"signature"})
        if unknown_rest:
            notes.append(f"I made assumptions about the {' and '.join(unknown_rest)} you did not give.")
        message = f"{pick(rng, _EXECUTE_OPENERS)}\n\n```python\n{code.strip()}\n```"
        return message + ("\n" + " ".join(notes) if notes else "")

    @staticmethod
    def _guess_signature(problem: CodingProblem, code: str, rng: random.Random) -> tuple[str, str, str]:
        """(name, code, note) when the signature is unknown: a name from the text, perhaps wrong parameters."""
        if problem.category:  # HumanEvalComm: the name shown is accepted, the parameters are the guess
            name = problem.shown_name or problem.entry_point
            if rng.random() >= problem.guess_rate("signature"):
                code = add_parameter(code, problem.entry_point)
            return name, code, "I guessed the parameters from your description."
        if name_guess_rate(problem.query, problem.entry_point) == 1.0:  # the text names it
            return problem.entry_point, code, ""
        name = pick(rng, name_candidates(problem.query) or ("solution",))
        return name, code, f"I called the function `{name}` since you did not name it."
