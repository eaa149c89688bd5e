"""Log-probabilities of completions given prompts, tokenized exactly as TRL's DPOTrainer does.

TRL tokenizes `prompt` and `prompt + completion` (special tokens as the
tokenizer adds them) and takes the completion to start where the two diverge;
it appends the EOS token to training completions. Scoring here does the same,
so a policy is scored on the very tokens it was trained on.
"""

from __future__ import annotations

import inspect
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
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    results: list[float] = []
    for start in range(0, len(prompts), batch_size):
        rows = []
        for prompt, completion in zip(prompts[start:start + batch_size], completions[start:start + batch_size]):
            prompt_ids = tokenizer(text=prompt)["input_ids"]
            full_ids = tokenizer(text=prompt + completion)["input_ids"]
            rows.append((full_ids, _common_prefix(prompt_ids, full_ids)))
        results += token_logprobs(model, rows, pad)
        if progress is not None:
            progress(len(rows))
    return results


def token_logprobs(model: Any, rows: Sequence[tuple[Sequence[int], int]], pad: int) -> list[float]:
    """Sum of log p(row[n:] | row[:n]) for every (token ids, n) row, in one right-padded forward pass."""
    torch = require("torch", "dpo")
    device = next(model.parameters()).device
    input_ids, attention = right_padded([ids for ids, _ in rows], pad)
    with torch.no_grad():
        logits = model(input_ids=input_ids.to(device), attention_mask=attention.to(device)).logits.float()
    logps = torch.log_softmax(logits[:, :-1], dim=-1).gather(2, input_ids[:, 1:].to(device).unsqueeze(-1)).squeeze(-1)
    # token t is predicted at position t-1; the scored tokens are n .. len(ids)-1
    return [float(logps[i, max(n, 1) - 1 : len(ids) - 1].sum()) for i, (ids, n) in enumerate(rows)]


def right_padded(rows: Sequence[Sequence[int]], pad: int) -> tuple[Any, Any]:
    """Token ids and attention mask of `rows`, padded on the right to the longest."""
    torch = require("torch", "dpo")
    ids = torch.full((len(rows), max(len(row) for row in rows)), pad, dtype=torch.long)
    mask = torch.zeros_like(ids)
    for i, row in enumerate(rows):
        ids[i, :len(row)] = torch.tensor(row, dtype=torch.long)
        mask[i, :len(row)] = 1
    return ids, mask


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
        base = model.get_base_model() if hasattr(model, "get_base_model") else model
        self._keeps_logits = "logits_to_keep" in inspect.signature(base.forward).parameters

    @property
    def group(self) -> Hashable:
        """Scorers of one model and labels batch together."""
        return ("action-scores", id(self.model), tuple(sorted(self.labels.items())))

    def decide(self, prompt: str) -> Action:
        return run_together(self.group, self.decide_many, [prompt])[0]

    def scores_many(self, prompts: Sequence[str]) -> list[dict[Action, float]]:
        """log p(label | prompt) of both actions for every prompt, the prompt read once.

        Scoring each (prompt, label) row on its own, as `completion_logprobs`
        does, runs the prompt through the model once per action; the prompt is
        nearly all of a row (hundreds of tokens against a label of two or three),
        so here the prompt's shared tokens go through once per batch, right-padded,
        and both labels continue from its key/value cache. The tokens scored are
        exactly `completion_logprobs`'s (TRL's split of prompt and completion).
        """
        torch = require("torch", "dpo")
        actions = list(Action)
        device = next(self.model.parameters()).device
        pad = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else 0
        scores: list[dict[Action, float]] = []
        for start in range(0, len(prompts), self.batch_size):
            chunk = prompts[start:start + self.batch_size]
            rows = [self._split(prompt, actions) for prompt in chunk]
            if any(row is None for row in rows):
                scores += self._score_whole(chunk, actions)
                continue
            prefix, prefix_mask = right_padded([shared for shared, _ in rows], pad)
            tails = [tail for _, per_action in rows for tail, _ in per_action]
            tail_ids, tail_mask = right_padded(tails, pad)
            prefix_lengths = prefix_mask.sum(1)
            # only each prefix's last position is scored: the head over every position would be a tenth of
            # the pass and a (rows x tokens x vocabulary) tensor (about 0.8 GB for SmolLM2 at 16 x 250)
            kept = torch.unique(prefix_lengths - 1)
            with torch.no_grad():
                first = self.model(input_ids=prefix.to(device), attention_mask=prefix_mask.to(device), use_cache=True,
                                   **({"logits_to_keep": kept.to(device)} if self._keeps_logits else {}))
                cache = first.cache
                cache.batch_repeat_interleave(len(actions))
                positions = prefix_lengths.repeat_interleave(len(actions))[:, None] + torch.arange(tail_ids.shape[1])
                rest = self.model(
                    input_ids=tail_ids.to(device), position_ids=positions.to(device), cache=cache,
                    attention_mask=torch.cat([prefix_mask.repeat_interleave(len(actions), 0), tail_mask], 1).to(device),
                )
            # tail token k is predicted by the prefix's last logits (k = 0), else by the tail's logits at k - 1
            where = torch.searchsorted(kept, prefix_lengths - 1) if self._keeps_logits else prefix_lengths - 1
            last = first.logits[torch.arange(len(rows)), where.to(device)].repeat_interleave(len(actions), 0)
            logits = torch.cat([last[:, None], rest.logits[:, :-1]], 1).float()
            logps = torch.log_softmax(logits, -1).gather(2, tail_ids.to(device)[..., None])[..., 0].cpu()
            for i, (_, per_action) in enumerate(rows):
                scores.append({a: float(logps[i * len(actions) + k, skip:len(tail)].sum())
                               for k, (a, (tail, skip)) in enumerate(zip(actions, per_action))})
        return scores

    def _split(self, prompt: str, actions: list[Action]) -> tuple[list[int], list[tuple[list[int], int]]] | None:
        """The prompt tokens every action's row shares, and per action the rest of its row with how
        many of those tokens are still the prompt's (not scored); None when the rows share nothing."""
        prompt_ids = self.tokenizer(text=prompt)["input_ids"]
        fulls = [self.tokenizer(text=prompt + self.labels[a])["input_ids"] for a in actions]
        prompt_lengths = [_common_prefix(prompt_ids, full) for full in fulls]
        shared = min(prompt_lengths)
        if shared == 0 or any(len(full) == shared for full in fulls):
            return None
        return prompt_ids[:shared], [(full[shared:], max(n, 1) - shared) for full, n in zip(fulls, prompt_lengths)]

    def _score_whole(self, prompts: Sequence[str], actions: list[Action]) -> list[dict[Action, float]]:
        flat = completion_logprobs(self.model, self.tokenizer, [p for p in prompts for _ in actions],
                                   [self.labels[a] for _ in prompts for a in actions], 2 * self.batch_size)
        return [dict(zip(actions, flat[i:i + len(actions)])) for i in range(0, len(flat), len(actions))]

    def decide_many(self, prompts: Sequence[str]) -> list[Action]:
        return [Action.CLARIFY if s[Action.CLARIFY] > s[Action.EXECUTE] else Action.EXECUTE
                for s in self.scores_many(prompts)]


def answer_shares(model: Any, prompts: list[list[int]], answers: list[list[int]], pad: int) -> list[float]:
    """Per prompt, the model's probability of `answers[0]` among `answers` (each answer's tokens scored whole)."""
    torch = require("torch", "dpo")
    shares = []
    for prompt in prompts:
        totals = torch.tensor(token_logprobs(model, [(prompt + answer, len(prompt)) for answer in answers], pad))
        shares.append(float(torch.softmax(totals, dim=0)[0]))
    return shares
