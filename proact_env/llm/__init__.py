"""Backbones: what writes the assistant's message once the policy has decided Clarify or Execute.

The policy decides; the backbone only phrases. Every backbone (scripted,
OpenAI-compatible, local transformers) implements `Backbone.write`; the LLM
backbone also offers `write_many` for batches a script holds at once. Heavy clients are imported
inside their own modules, never here, and the LLM classes below are loaded on
first use (``from proact_env.llm import LLMBackbone``), so `import proact_env`
stays fast.

Modules: `config` (LLMConfig), `chat` (request/completion types), `prompting`
(templates + render_state), `cache`, `retry`, `usage`, `engine` (cache + client
+ tally), `openai_client`, `transformers_client`, `backbone` (LLMBackbone),
`factory`, `stub_server` (a local fault-injecting server).
"""

from __future__ import annotations

from proact_env.types import Backbone, MessageRequest  # the protocol lives with the core types

#: public name -> module that defines it, imported on first access
_LAZY = {
    "LLMBackbone": "proact_env.llm.backbone",
    "LLMConfig": "proact_env.llm.config",
    "ChatEngine": "proact_env.llm.engine",
    "ResponseCache": "proact_env.llm.cache",
    "CacheMissError": "proact_env.llm.cache",
    "CallFailure": "proact_env.llm.chat",
    "LLMCallFailed": "proact_env.llm.chat",
    "LLMSetupError": "proact_env.llm.chat",
    "PromptConfig": "proact_env.llm.prompting",
    "build_engine": "proact_env.llm.factory",
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'proact_env.llm' has no attribute {name!r}")


__all__ = ["Backbone", "MessageRequest", *_LAZY]
