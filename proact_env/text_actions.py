"""Reading a turn the policy wrote itself: does it clarify or execute, and what does the user read?

A text-action env (`proact_env.text_env`) gets the assistant's message as its
action, so the decision has to be read from the text. The rules, first match wins:

1. **A tool call** in the Hermes/ChatML form that chat templates and TRL emit,
   ``<tool_call>{"name": ..., "arguments": {...}}</tool_call>``: ``ask_user`` or
   ``clarify`` clarifies, ``submit_solution`` or ``execute`` executes. The user
   reads the call's string argument (``question``/``solution``); a call without
   one (``clarify()``) leaves the text outside the call as the message. A call
   to any other tool, or JSON that does not parse, is not a decision: the rules
   below read the whole text.
2. **A tag**: ``<clarify>...</clarify>`` or ``<execute>...</execute>`` (any case;
   the closing tag may be left out). The first tag decides; the user reads what
   is inside it.
3. **The content**, when the text has neither:

   - empty or only whitespace: an Execute of an empty solution (graded like any
     solution, so it fails): saying nothing delivers nothing;
   - no question (outside code and URLs, as `proact_env.text` counts them): Execute;
   - a code block (a ``` fence, or a line starting with ``def``, ``class``,
     ``{`` or ``[``): Execute, even if it also asks ("does this work for you?"):
     the user has something to grade, and the questions still cost interruption;
     a "?" inside the code is not a question at all;
   - otherwise Clarify when the questions make up at least a third of the prose
     (a preamble such as "Happy to help. Before I start, ..." keeps a turn a
     question), Execute when the statements outweigh them twice over (a prose
     solution that ends "anything else?").

   The user reads the text as written (less any tool-call block).

Content reading is a fallback for models that were not told the protocol;
policies trained here are prompted with the tags or the tools, which are exact.
Reading is linear in the length of the text.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from proact_env.text import message_stats
from proact_env.types import Action

#: tool names that decide the turn (text tools, then the decision-only tools)
TOOL_ACTIONS: dict[str, Action] = {
    "ask_user": Action.CLARIFY,
    "submit_solution": Action.EXECUTE,
    "clarify": Action.CLARIFY,
    "execute": Action.EXECUTE,
}
TAG_ACTIONS: dict[str, Action] = {"clarify": Action.CLARIFY, "execute": Action.EXECUTE}

_TOOL_CALL = re.compile(r"<tool_call>(.*?)(?:</tool_call>|\Z)", re.S)
_TAG = re.compile(r"<(clarify|execute)>", re.I)
_CODE_LINE = re.compile(r"^[ \t]*(?:def |class |[{\[])", re.M)


@dataclass(frozen=True, slots=True)
class WrittenTurn:
    """A policy's message, read: the decision, what the user reads, and which rule decided.

    `read_from` is ``"tool_call"``, ``"tag"``, ``"empty"``, ``"questions"`` or
    ``"solution"``; the env reports it in ``info["read_from"]``.
    """

    action: Action
    message: str
    read_from: str


def read_turn(text: str) -> WrittenTurn:
    """Decide whether `text` clarifies or executes (module docstring: the rules, in order)."""
    if not isinstance(text, str):
        raise TypeError(f"a turn is the message as a str, got {type(text).__name__}")
    return _from_tool_call(text) or _from_tag(text) or _from_content(_TOOL_CALL.sub("", text).strip()
                                                                        if "<tool_call>" in text else text)


def _from_tool_call(text: str) -> WrittenTurn | None:
    if "<tool_call>" not in text:
        return None
    match = _TOOL_CALL.search(text)
    try:
        call = json.loads(match.group(1))
        arguments = call.get("arguments", {}) if isinstance(call, dict) else None
        if isinstance(arguments, str):  # OpenAI-style: the arguments as a JSON string
            arguments = json.loads(arguments)
    except json.JSONDecodeError:
        return None
    if not isinstance(arguments, dict) or call.get("name") not in TOOL_ACTIONS:
        return None
    said = [value for value in arguments.values() if isinstance(value, str)]
    message = said[0] if said else (text[: match.start()] + text[match.end():]).strip()
    return WrittenTurn(TOOL_ACTIONS[call["name"]], message, "tool_call")


def _from_tag(text: str) -> WrittenTurn | None:
    if "<" not in text:
        return None
    match = _TAG.search(text)
    if match is None:
        return None
    name = match.group(1).lower()
    body = text[match.end():]
    close = re.search(f"</{name}>", body, re.I)
    message = (body[: close.start()] if close else body).strip()
    return WrittenTurn(TAG_ACTIONS[name], message, "tag")


def _from_content(text: str) -> WrittenTurn:
    if not text.strip():
        return WrittenTurn(Action.EXECUTE, "", "empty")
    stats = message_stats(text)
    if not stats.questions or "```" in text or _CODE_LINE.search(text):
        return WrittenTurn(Action.EXECUTE, text, "solution")
    asked = sum(len(q.split()) for q in stats.questions)
    stated = stats.prose_words - asked
    if stated > 2 * asked:
        return WrittenTurn(Action.EXECUTE, text, "solution")
    return WrittenTurn(Action.CLARIFY, text, "questions")
