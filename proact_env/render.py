"""`render_state`: the one textual rendering of a decision point.

Trajectory prompts, DPO preference prompts, LLM policies and the text
observation all call this function, so a policy is always scored on exactly
the text it was trained on.
"""

from __future__ import annotations

from typing import Iterable, Mapping

from proact_env.personas import Persona
from proact_env.types import State, Turn

#: the closing line of a decision prompt: what a policy that only decides is asked
DECISION_QUESTION = "Should the assistant Clarify (ask a question) or Execute (deliver the solution)?"


def render_state(
    state: State | Mapping,
    persona: Persona | Mapping | str | None = None,
    transcript: Iterable[Turn | Mapping] = (),
    *,
    instruction: str = DECISION_QUESTION,
) -> str:
    """The decision prompt: request, dialogue status, user profile, conversation so far and `instruction`.

    A policy that writes its own turns gets the same rendering with an instruction
    to write (`proact_env.text_env`), so both kinds of policy read the same state.

    The first user turn (the query itself) is not repeated in the conversation.
    The text ends with a newline so that a completion appended to it ("Clarify:
    ...") starts on a token boundary: DPO training and the DPO policy then
    tokenize the prompt identically.
    """
    if not isinstance(state, State):
        state = State.from_dict(state)
    lines = [
        f"Domain: {state.domain}",
        f"User request: {state.query}",
        f"Dialogue turn: {state.dialogue_turn}",
        f"User rejected the previous question: {'yes' if state.prev_reject else 'no'}",
        f"Task uncertainty: {state.task_uncertainty:.2f}",
    ]
    profile = _persona_line(persona)
    if profile:
        lines.append(f"User profile: {profile}")
    turns = [t if isinstance(t, Turn) else Turn(t["role"], t.get("text", "")) for t in transcript]
    if turns and turns[0].role == "user" and turns[0].text == state.query:
        turns = turns[1:]
    if turns:
        lines.append("Conversation so far:")
        lines.extend(f"{t.role.capitalize()}: {t.text if t.text else '(no reply)'}" for t in turns)
    lines.append(instruction)
    return "\n".join(lines) + "\n"


def _persona_line(persona: Persona | Mapping | str | None) -> str:
    if persona is None:
        return ""
    if isinstance(persona, str):
        return persona
    get = persona.get if isinstance(persona, Mapping) else lambda k, d=None: getattr(persona, k, d)
    name = str(get("name", "user")).replace("_", " ")
    return (
        f"{name} (patience {get('patience', '?')}, expertise {get('expertise', '?')}, "
        f"tolerates {get('question_tolerance', '?')} questions)"
    )
