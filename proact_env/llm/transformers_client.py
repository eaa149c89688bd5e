"""A local transformers model (`AutoModelForCausalLM` + its chat template), generating in batches.

Requests are generated `batch_size` at a time, left-padded, on the GPU when one
is available (``device="auto"``) or the CPU. Generation is serialised by a
lock: one model, one batch at a time, whatever the number of calling threads.
Each batch is seeded from `config.seed`, so the same batch gives the same text.
"""

from __future__ import annotations

import threading
from typing import Sequence

from proact_env.errors import require
from proact_env.llm.chat import CallFailure, ChatRequest, Completion, ResultCallback
from proact_env.llm.config import LLMConfig
from proact_env.llm.usage import UsageTally


class TransformersChatClient:
    """Chat completions from a local causal LM (a hub id works only where the hub is reachable)."""

    provider = "transformers"

    def __init__(self, config: LLMConfig, tally: UsageTally) -> None:
        torch = require("torch", "dpo")
        transformers = require("transformers", "dpo")
        self._torch = torch
        self.model = str(config.model)
        self.device = _pick_device(torch, config.device)
        self.tokenizer = transformers.AutoTokenizer.from_pretrained(self.model)
        self.tokenizer.padding_side = "left"
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        if not self.tokenizer.chat_template:
            raise ValueError(f"the tokenizer of {self.model!r} has no chat template; use an instruction-tuned model")
        self.lm = transformers.AutoModelForCausalLM.from_pretrained(self.model).to(self.device).eval()
        self.batch_size = config.batch_size
        self.temperature = config.temperature
        self.max_tokens = config.max_tokens
        self.seed = config.seed
        self.tally = tally
        self._lock = threading.Lock()

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


def _pick_device(torch, requested: str) -> str:
    if requested != "auto":
        return requested
    return "cuda" if torch.cuda.is_available() else "cpu"
