"""Turn a decision point into chat messages for an LLM backbone.

The state and transcript are rendered by `render_state`, the one rendering
every caller shares (policies, DPO prompts, the text observation), and placed
into the packaged template of the task's domain and the decided action
(`prompts/<domain>_<clarify|execute>.txt`).
"""

from __future__ import annotations

from dataclasses import dataclass

from proact_env.llm.chat import ChatMessage
from proact_env.prompts import load_template
from proact_env.render import render_state
from proact_env.types import MessageRequest

#: A deliberately generic plan schema; the planning task source supplies its own
#: (`PromptConfig.plan_schema`) where its checker needs specific fields.
GENERIC_PLAN_SCHEMA = (
    '{"steps": [{"step": "<what happens>", "details": "<choices that meet the constraints>"}], '
    '"assumptions": ["<each constraint you had to guess>"]}'
)


@dataclass(frozen=True)
class PromptConfig:
    """What the assistant's prompt contains.

    Attributes:
        show_persona: include the user profile line of `render_state`. Default
            False: a real assistant does not know its user's persona.
        plan_schema: the JSON schema a planning Execute must follow. Default
            `GENERIC_PLAN_SCHEMA`.
        system_prompt: an optional system message before the template. Default None.
    """

    show_persona: bool = False
    plan_schema: str = GENERIC_PLAN_SCHEMA
    system_prompt: str | None = None


def assistant_messages(request: MessageRequest, config: PromptConfig = PromptConfig()) -> tuple[ChatMessage, ...]:
    """The chat messages that ask a model to write `request.action`'s turn."""
    rendered = render_state(request.state, request.persona if config.show_persona else None, request.transcript)
    template = load_template(f"{request.domain}_{request.action.label.lower()}")
    values = {"state": rendered}
    if "plan_schema" in template.placeholders:
        # A task whose checker needs a specific plan shape says so (planning tasks do).
        values["plan_schema"] = request.hints.get("plan_schema") or config.plan_schema
    messages = [ChatMessage("user", template.render(**values))]
    if config.system_prompt:
        messages.insert(0, ChatMessage("system", config.system_prompt))
    return tuple(messages)
