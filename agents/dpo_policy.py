"""A DPO-trained LLM as a Clarify/Execute policy (`dpo:DIR` in `proact benchmark`).

It renders the decision point with the same `render_state` as the training
pairs and compares the log-probabilities of the two action labels ("Clarify:"
and "Execute:") as the start of the completion; the higher one is the action.
Episodes played in lockstep are scored together (`ActionScorer`). It can also
write the message for the chosen action, as a backbone.

The base may be a registered local model (``smollm2-135m-instruct``); a run is
loaded once per process, so the copies of the policy a benchmark makes share it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping

import gymnasium as gym

from proact_env.agents.logprobs import ActionScorer
from proact_env.errors import SchemaError, require
from proact_env.io import read_json
from proact_env.preferences import completion
from proact_env.render import render_state
from proact_env.types import Action, MessageRequest

#: The completion prefix that names each action (what `proact rewards` puts first).
LABELS = {action: completion(action, "").rstrip() for action in Action}


#: (run folder, base) -> (model, tokenizer, base name) loaded by `shared_adapter`
_SHARED: dict[tuple[str, str | None], tuple[Any, Any, str]] = {}


def shared_adapter(model_dir: str | Path, base_model: str | None = None) -> tuple[Any, Any, str]:
    """`load_adapter`, once per process: for policies that only read the model."""
    key = (str(Path(model_dir).resolve()), base_model)
    if key not in _SHARED:
        _SHARED[key] = load_adapter(model_dir, base_model)
    return _SHARED[key]


def load_adapter(model_dir: str | Path, base_model: str | None = None) -> tuple[Any, Any, str]:
    """Base model + LoRA adapter of a `proact train-dpo` run, in eval mode.

    The base defaults to the one recorded in the run's `training_config.json`; a
    registered local name is loaded from its converted folder.
    """
    from proact_env.llm.local_models import resolve_model

    model_dir = Path(model_dir)
    if model_dir.is_file() or not (model_dir / "adapter_config.json").is_file():
        raise FileNotFoundError(f"{model_dir}: no adapter_config.json in this folder (train one with 'proact train-dpo')")
    recorded = base_model is None
    config_path = model_dir / "training_config.json"
    if recorded:
        if not config_path.is_file():
            raise FileNotFoundError(f"{config_path}: no such file; pass the base model explicitly (--base_model)")
        base_model = _recorded_base(config_path)
    peft = require("peft", "dpo")  # after the checks above: importing it takes seconds
    transformers = require("transformers", "dpo")
    try:
        base = transformers.AutoModelForCausalLM.from_pretrained(resolve_model(base_model))
    except (OSError, ValueError) as exc:  # not a local folder, nor a model the hub (or its cache) has
        reason = str(exc).strip().splitlines()[0]
        if recorded:
            raise SchemaError(str(config_path), "model", f"cannot load the recorded base model {base_model!r} "
                              f"from {os.getcwd()} ({reason}); pass it with --base_model") from None
        raise FileNotFoundError(f"cannot load base model {base_model!r}: {reason}") from None
    tokenizer = transformers.AutoTokenizer.from_pretrained(str(model_dir))
    model = peft.PeftModel.from_pretrained(base, str(model_dir))
    model.eval()
    return model, tokenizer, base_model


def _recorded_base(config_path: Path) -> str:
    """The base model a run recorded. Runs before absolute paths were recorded may hold a relative
    path, which names a folder only from where training ran: say so rather than guess."""
    record = read_json(config_path)
    model = record.get("model") if isinstance(record, dict) else None
    if not isinstance(model, str) or not model:
        raise SchemaError(str(config_path), "model", f"expected the base model's name or path, got {model!r}")
    local = Path(model).expanduser()
    if not local.is_absolute() and model.startswith((".", "~")) and not local.exists():
        raise SchemaError(str(config_path), "model", f"the base model was recorded as the relative path {model!r}, "
                          f"which does not exist from {os.getcwd()}; pass it with --base_model")
    return model


class DPOPolicy:
    """Acts on the higher of log p("Clarify:") and log p("Execute:") given the rendered state."""

    def __init__(self, env: gym.Env, model: Any, tokenizer: Any, max_new_tokens: int = 128) -> None:
        self.env = env
        self.model = model
        self.tokenizer = tokenizer
        self.max_new_tokens = max_new_tokens
        self.scorer = ActionScorer(model, tokenizer, LABELS)

    @classmethod
    def from_spec(cls, env: gym.Env, spec: str) -> "DPOPolicy":
        """`DIR` or `DIR@BASE_MODEL` (the part after `dpo:` in a benchmark policy list)."""
        model_dir, _, base = spec.partition("@")
        model, tokenizer, _ = shared_adapter(model_dir, base or None)
        return cls(env, model, tokenizer)

    def action_scores(self, prompt: str) -> dict[Action, float]:
        return self.scorer.scores_many([prompt])[0]

    def reset(self, seed: int | None = None) -> None:
        """The policy keeps no state between episodes."""

    def act(self, observation: Any, info: Mapping[str, Any]) -> Action:
        return self.scorer.decide(self.env.unwrapped.decision_prompt())

    def write(self, request: MessageRequest) -> str:
        """Write the message for a decided action (use the policy as a backbone too)."""
        torch = require("torch", "dpo")
        shown = request.persona if self.env.unwrapped.observe_persona else None  # as `decision_prompt` shows it
        prompt = render_state(request.state, shown, request.transcript) + LABELS[request.action]
        inputs = self.tokenizer(text=prompt, return_tensors="pt").to(next(self.model.parameters()).device)
        with torch.no_grad():
            output = self.model.generate(**inputs, max_new_tokens=self.max_new_tokens, do_sample=False,
                                         pad_token_id=self.tokenizer.pad_token_id)
        return self.tokenizer.decode(output[0, inputs["input_ids"].shape[1]:], skip_special_tokens=True).strip()
