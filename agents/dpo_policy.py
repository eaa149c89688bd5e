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

import json
from pathlib import Path
from typing import Any, Mapping

import gymnasium as gym

from proact_env.agents.logprobs import ActionScorer
from proact_env.errors import require
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

    peft = require("peft", "dpo")
    transformers = require("transformers", "dpo")
    model_dir = Path(model_dir)
    if not (model_dir / "adapter_config.json").is_file():
        raise FileNotFoundError(f"{model_dir}: no adapter_config.json (train one with 'proact train-dpo')")
    if base_model is None:
        config_path = model_dir / "training_config.json"
        if not config_path.is_file():
            raise ValueError(f"{model_dir}: no training_config.json; pass the base model explicitly")
        base_model = json.loads(config_path.read_text())["model"]
    tokenizer = transformers.AutoTokenizer.from_pretrained(str(model_dir))
    base = transformers.AutoModelForCausalLM.from_pretrained(resolve_model(base_model))
    model = peft.PeftModel.from_pretrained(base, str(model_dir))
    model.eval()
    return model, tokenizer, base_model


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
