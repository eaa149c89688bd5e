"""`render_state`: the one textual rendering of a decision point (and `transcript_image`, the
transcript drawn for `render_mode="rgb_array"`).

Trajectory prompts, DPO preference prompts, LLM policies and the text
observation all call this function, so a policy is always scored on exactly
the text it was trained on.
"""

from __future__ import annotations

import textwrap
from typing import Iterable, Mapping

import numpy as np

from proact_env.errors import require
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


def transcript_image(text: str, width_px: int = 800, line_px: int = 16, wrap: int = 100) -> np.ndarray:
    """`text` (the env's ansi transcript) drawn as an RGB image, `uint8` of shape (height, width, 3).

    For `render_mode="rgb_array"`: `RecordVideo` and notebooks show a conversation better than a
    log does. Drawn with matplotlib's Agg canvas on a figure of its own (no pyplot, no backend switch).
    """
    require("matplotlib", "plot")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    lines = [part for line in text.splitlines() for part in (textwrap.wrap(line, wrap) or [""])]
    dpi = 100
    height_px = line_px * (len(lines) + 2)
    fig = Figure(figsize=(width_px / dpi, height_px / dpi), dpi=dpi, facecolor="white")
    canvas = FigureCanvasAgg(fig)
    for i, line in enumerate(lines):
        colour = "tab:blue" if line.startswith("assistant") else "tab:green" if line.startswith("user") else "black"
        fig.text(0.01, 1 - (i + 1) * line_px / height_px, line, fontsize=9, family="monospace", color=colour,
                 va="top")
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[..., :3].copy()
