"""Models named in one string: who writes the assistant's turns, who plays the user, who decides.

One grammar everywhere a model is named on a command line or in JSON env kwargs::

    [PROVIDER:]MODEL[@BASE_URL]

PROVIDER is ``openai`` (any OpenAI-compatible server; BASE_URL points at it),
``local`` or ``transformers`` (a local model: a folder, a hub id or a registered
name such as ``smollm2-135m-instruct``). Without a provider, a registered local
name means ``local`` and anything else ``openai`` (``gpt-4o-mini``,
``qwen2.5:7b@http://127.0.0.1:11434/v1``).

- a backbone: ``scripted`` (the task's scripted writer, the default) or a model spec
  (`backbone_config`), e.g. ``local:smollm2-135m-instruct``;
- a simulated user: ``rules`` (default), ``llm`` (`DEFAULT_LLM_USER`) or
  ``llm:`` + a model spec (`simulator_config`), e.g. ``llm:smollm2-135m-instruct``.

A mapping of `LLMConfig` fields works wherever a spec string does (that is how
sampling settings travel), so env kwargs stay plain JSON and pickle to worker
processes, and each process builds its own clients.
"""

from __future__ import annotations

from typing import Any, Mapping

from proact_env.llm.config import LLMConfig
from proact_env.llm.local_models import is_local_name
from proact_env.options import check_known

#: provider words of a spec -> `LLMConfig.provider`
PROVIDER_WORDS = {"openai": "openai", "local": "transformers", "transformers": "transformers"}
SCRIPTED = "scripted"


def parse_model_spec(spec: str) -> dict[str, Any]:
    """``[PROVIDER:]MODEL[@BASE_URL]`` -> ``{"provider", "model"[, "base_url"]}`` (see the module docstring)."""
    target, at, base_url = spec.strip().partition("@")
    head, colon, rest = target.partition(":")
    if colon and head in PROVIDER_WORDS:
        provider, model = PROVIDER_WORDS[head], rest
    else:
        model = target
        provider = "transformers" if is_local_name(model) else "openai"
    if not model:
        raise ValueError(f"model spec {spec!r}: expected [PROVIDER:]MODEL[@BASE_URL], e.g. local:smollm2-135m-instruct "
                         "or openai:gpt-4o-mini")
    if at and not base_url:
        raise ValueError(f"model spec {spec!r}: nothing after '@' (expected a base URL such as http://127.0.0.1:8000/v1)")
    if base_url and provider != "openai":
        raise ValueError(f"model spec {spec!r}: a base URL needs the openai provider (openai:MODEL@URL)")
    return {"provider": provider, "model": model, **({"base_url": base_url} if base_url else {})}


def config_fields(spec: str | Mapping[str, Any], what: str) -> dict[str, Any]:
    """`LLMConfig` fields from a spec string or a mapping of fields (checked against `LLMConfig`)."""
    if isinstance(spec, str):
        return parse_model_spec(spec)
    fields = dict(spec)
    check_known(fields, LLMConfig, what)
    if "provider" not in fields and fields.get("model"):
        fields["provider"] = "transformers" if is_local_name(fields["model"]) else "openai"
    return fields


def backbone_config(spec: str | Mapping[str, Any] | None, **overrides: Any) -> LLMConfig | None:
    """The `LLMConfig` a backbone spec asks for, or None for the scripted writers."""
    if spec is None or spec == SCRIPTED:
        return None
    fields = config_fields(spec, "backbone")
    if fields.get("provider") == SCRIPTED:
        return None
    return LLMConfig(**{**overrides, **fields})


def make_backbone(spec: str | Mapping[str, Any] | None, **overrides: Any):
    """An `LLMBackbone` for a spec (None for ``scripted``: the env then uses its task's scripted writer)."""
    config = backbone_config(spec, **overrides)
    if config is None:
        return None
    from proact_env.llm.backbone import LLMBackbone

    return LLMBackbone.from_config(config)


def simulator_config(spec: str, defaults: Mapping[str, Any]) -> LLMConfig:
    """The LLM user's config for ``llm:MODEL_SPEC`` (`defaults` fill what the spec leaves open)."""
    kind, _, model_spec = spec.partition(":")
    if kind != "llm" or not model_spec:
        raise ValueError(f"simulator spec {spec!r}: expected rules, llm or llm:[PROVIDER:]MODEL[@BASE_URL]")
    return LLMConfig(**{**defaults, **parse_model_spec(model_spec)})


def describe(spec: str | Mapping[str, Any] | None) -> str:
    """A short name for a backbone or simulator spec, for tables and file names."""
    if spec is None:
        return SCRIPTED
    if isinstance(spec, str):
        return spec
    kind = spec.get("kind")
    name = f"{spec.get('provider', '?')}:{spec.get('model', '?')}"
    return f"{kind}:{name}" if kind else name
