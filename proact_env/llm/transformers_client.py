"""A local transformers model (`AutoModelForCausalLM` + its chat template), generating in batches.

Requests are generated `batch_size` at a time, left-padded, on the GPU when one
is available (``device="auto"``) or the CPU. Generation is serialised by a
lock: one model, one batch at a time, whatever the number of calling threads.
Each batch is seeded from `config.seed`, so the same batch gives the same text.

The model may be a local folder, a hub id or a registered name
(`proact_env.llm.local_models`, e.g. ``smollm2-135m-instruct``): the name stays
the model's identity (cache keys, summaries), its converted folder is what loads.
The weights are loaded once per process and device (`load_causal_lm`), so a
backbone, an LLM user and a policy on the same model share one copy.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from typing import Any, Sequence

from proact_env.errors import require
from proact_env.llm.chat import CallFailure, ChatRequest, Completion, ResultCallback
from proact_env.llm.config import LLMConfig
from proact_env.llm.usage import UsageTally


class TransformersChatClient:
    """Chat completions from a local causal LM (a hub id works only where the hub is reachable)."""

    provider = "transformers"

    def __init__(self, config: LLMConfig, tally: UsageTally) -> None:
        torch = require("torch", "dpo")
        self._torch = torch
        self.model = str(config.model)
        self.device = _pick_device(torch, config.device)
        self.tokenizer, self.lm = load_causal_lm(self.model, self.device)
        if not self.tokenizer.chat_template:
            raise ValueError(f"the tokenizer of {self.model!r} has no chat template; use an instruction-tuned model")
        self.batch_size = config.batch_size
        self.temperature = config.temperature
        self.max_tokens = config.max_tokens
        self.seed = config.seed
        self.tally = tally
        self._lock = _GENERATION_LOCKS[(self.model, self.device)]

    def complete_many(
        self, requests: Sequence[ChatRequest], on_result: ResultCallback | None = None
    ) -> list[Completion | CallFailure]:
        results: list[Completion | CallFailure] = []
        for start in range(0, len(requests), self.batch_size):
            for result in self._generate(requests[start : start + self.batch_size]):
                if on_result is not None:
                    on_result(len(results), result)
                results.append(result)
        return results

    def _generate(self, batch: Sequence[ChatRequest]) -> list[Completion | CallFailure]:
        """One generation batch; prompts the model cannot take fail alone, a failed batch fails its items."""
        torch = self._torch
        encoded = [
            self.tokenizer(
                self.tokenizer.apply_chat_template(r.message_dicts(), add_generation_prompt=True, tokenize=False),
                add_special_tokens=False,
            )["input_ids"]
            for r in batch
        ]
        results: list[Completion | CallFailure | None] = [None] * len(batch)
        limit = getattr(self.lm.config, "max_position_embeddings", None)
        for i, ids in enumerate(encoded):
            if limit is not None and len(ids) + self.max_tokens > limit:
                results[i] = CallFailure(f"prompt too long: {len(ids)} tokens + {self.max_tokens} new > the model's {limit}")
        todo = [i for i, r in enumerate(results) if r is None]
        if not todo:
            return results  # type: ignore[return-value]
        inputs = self.tokenizer.pad({"input_ids": [encoded[i] for i in todo]}, return_tensors="pt").to(self.device)
        sampling = {"do_sample": True, "temperature": self.temperature} if self.temperature > 0 else {"do_sample": False}
        with self._lock, torch.no_grad():
            self.tally.add_attempt(retry=False)
            if self.seed is not None:
                torch.manual_seed(self.seed + batch[0].sample_index)
            try:
                output = self.lm.generate(
                    **inputs, max_new_tokens=self.max_tokens, pad_token_id=self.tokenizer.pad_token_id, **sampling
                )
            except (RuntimeError, ValueError) as exc:  # out of memory, a model-specific limit...
                failure = CallFailure(f"generation failed: {type(exc).__name__}: {str(exc)[:200]}")
                return [failure if r is None else r for r in results]
        special = set(self.tokenizer.all_special_ids)
        new_tokens = output[:, inputs["input_ids"].shape[1] :].tolist()
        for i, row in zip(todo, new_tokens):
            generated = [t for t in row if t not in special]
            text = self.tokenizer.decode(generated, skip_special_tokens=True)
            results[i] = (
                Completion(text=text, prompt_tokens=len(encoded[i]), completion_tokens=len(generated))
                if text.strip()
                else CallFailure("empty completion (the model produced no text)")
            )
        return results  # type: ignore[return-value]


#: (model, device) -> (tokenizer, model in eval mode): one copy of the weights per process
_LOADED: dict[tuple[str, str], tuple[Any, Any]] = {}
_LOADING = threading.Lock()
#: one generation at a time per model copy, whichever client asks
_GENERATION_LOCKS: defaultdict[tuple[str, str], threading.Lock] = defaultdict(threading.Lock)


def load_causal_lm(model: str, device: str = "auto") -> tuple[Any, Any]:
    """The tokenizer (left padding, a pad token) and eval-mode model of `model` on `device`, loaded once.

    `model` is a local folder, a hub id or a registered local name (converted on first use);
    `device` is ``auto`` (a GPU if there is one), ``cpu``, ``cuda:0``...
    Callers must not change the model's weights (wrap a copy of your own to train or add adapters).
    """
    device = _pick_device(require("torch", "dpo"), device)
    with _LOADING:
        if (model, device) not in _LOADED:
            transformers = require("transformers", "dpo")
            from proact_env.llm.local_models import resolve_model

            path = resolve_model(model)
            tokenizer = transformers.AutoTokenizer.from_pretrained(path)
            tokenizer.padding_side = "left"
            if tokenizer.pad_token is None:
                tokenizer.pad_token = tokenizer.eos_token
            lm = transformers.AutoModelForCausalLM.from_pretrained(path).to(device).eval()
            _LOADED[(model, device)] = (tokenizer, lm)
        return _LOADED[(model, device)]


def _pick_device(torch, requested: str) -> str:
    if requested != "auto":
        return requested
    return "cuda" if torch.cuda.is_available() else "cpu"
