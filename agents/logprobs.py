"""Log-probabilities of completions given prompts, tokenized exactly as TRL's DPOTrainer does.

TRL tokenizes `prompt` and `prompt + completion` (special tokens as the
tokenizer adds them) and takes the completion to start where the two diverge;
it appends the EOS token to training completions. Scoring here does the same,
so a policy is scored on the very tokens it was trained on.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

from proact_env.errors import require

#: called with the number of sequences just scored (e.g. a tqdm bar's `update`)
Progress = Callable[[int], Any]


def _common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


def completion_logprobs(
    model: Any, tokenizer: Any, prompts: Sequence[str], completions: Sequence[str], batch_size: int = 16,
    progress: Progress | None = None,
) -> list[float]:
    """Sum of log p(completion tokens | prompt) for every (prompt, completion) pair."""
    torch = require("torch", "dpo")
    device = next(model.parameters()).device
    results: list[float] = []
    for start in range(0, len(prompts), batch_size):
        rows = []
        for prompt, completion in zip(prompts[start:start + batch_size], completions[start:start + batch_size]):
            prompt_ids = tokenizer(text=prompt)["input_ids"]
            full_ids = tokenizer(text=prompt + completion)["input_ids"]
            rows.append((full_ids, _common_prefix(prompt_ids, full_ids)))
        width = max(len(ids) for ids, _ in rows)
        pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
        input_ids = torch.full((len(rows), width), pad, dtype=torch.long)
        attention = torch.zeros((len(rows), width), dtype=torch.long)
        for i, (ids, _) in enumerate(rows):
            input_ids[i, : len(ids)] = torch.tensor(ids)
            attention[i, : len(ids)] = 1
        with torch.no_grad():
            logits = model(input_ids=input_ids.to(device), attention_mask=attention.to(device)).logits.float()
        logps = torch.log_softmax(logits[:, :-1], dim=-1).gather(2, input_ids[:, 1:].to(device).unsqueeze(-1)).squeeze(-1)
        for i, (ids, prompt_len) in enumerate(rows):
            # token t is predicted at position t-1; the completion's tokens are prompt_len .. len(ids)-1
            results.append(float(logps[i, max(prompt_len, 1) - 1 : len(ids) - 1].sum()))
        if progress is not None:
            progress(len(rows))
    return results


def with_eos(completion: str, tokenizer: Any) -> str:
    """A completion as TRL trains on it: ending with the EOS token."""
    eos = tokenizer.eos_token or ""
    return completion if completion.endswith(eos) else completion + eos
