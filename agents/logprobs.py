"""Log-probabilities of completions given prompts, tokenized exactly as TRL's DPOTrainer does.

TRL tokenizes `prompt` and `prompt + completion` (special tokens as the
tokenizer adds them) and takes the completion to start where the two diverge;
it appends the EOS token to training completions. Scoring here does the same,
so a policy is scored on the very tokens it was trained on.
"""

from __future__ import annotations

from typing import Any, Callable, Hashable, Mapping, Sequence

from proact_env.errors import require
from proact_env.lockstep import run_together
from proact_env.types import Action

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


class ActionScorer:
    """Decides by the more likely of two action labels after a prompt, many prompts per forward pass.

    `decide` is what a policy calls for one state: played in a `proact_env.lockstep.Lockstep`,
    the states of all member episodes are scored together (`decide_many`), `batch_size` prompts
    (two rows each) per forward pass. Ties go to Execute.

    Arguments:
        model, tokenizer: the causal LM (not modified).
        labels: the completion that names each action (``"Clarify:"``, or ``"Clarify"`` after a chat prompt).
        batch_size: prompts per forward pass. Default 16.
    """

    def __init__(self, model: Any, tokenizer: Any, labels: Mapping[Action, str], batch_size: int = 16) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.labels = dict(labels)
        self.batch_size = batch_size

    @property
    def group(self) -> Hashable:
        """Scorers of one model and labels batch together."""
        return ("action-scores", id(self.model), tuple(sorted(self.labels.items())))

    def decide(self, prompt: str) -> Action:
        return run_together(self.group, self.decide_many, [prompt])[0]

    def scores_many(self, prompts: Sequence[str]) -> list[dict[Action, float]]:
        """log p(label | prompt) of both actions for every prompt."""
        actions = list(Action)
        rows = [prompt for prompt in prompts for _ in actions]
        completions = [self.labels[a] for _ in prompts for a in actions]
        flat = completion_logprobs(self.model, self.tokenizer, rows, completions, 2 * self.batch_size)
        return [dict(zip(actions, flat[i:i + len(actions)])) for i in range(0, len(flat), len(actions))]

    def decide_many(self, prompts: Sequence[str]) -> list[Action]:
        return [Action.CLARIFY if s[Action.CLARIFY] > s[Action.EXECUTE] else Action.EXECUTE
                for s in self.scores_many(prompts)]
