"""A supervised warm-up on the answer format, before GRPO, for a model too small to answer in it zero-shot.

GRPO learns only from groups whose rollouts get different rewards. Zero-shot,
SmolLM2-135M-Instruct answers in neither format GRPO reads: in decision mode it
called no tool in any of 48 training rollouts, so every rollout ended in plain
text read as the same decision and every group of one episode scored alike; in
q mode it named exactly one of "Clarify" and "Execute" in 6% of samples, and an
unreadable answer gets the worse action's value, so most groups scored alike
too (docs/online_rl.md). The warm-up teaches the format, not the decision: each
prompt, rendered as TRL renders it, is answered by every answer (decision mode:
the calls `clarify()` and `execute()`; q mode: the words "Clarify" and
"Execute"), the answers to one prompt side by side in one batch, so each
prompt's loss pulls towards each answer alike and the warmed model learns even
odds per prompt, not one memorised answer per prompt (an earlier warm-up drew
one call per prompt, and 5 of 6 GRPO groups then made the same call eight
times: no signal). What GRPO adds is then measured against the warmed model
(the "before" evaluation). The adapter is merged into the model, so GRPO's own
LoRA adapter starts from the warmed weights.

`GRPOTrainingConfig.warmup_steps` uses it in decision and q mode, whose answers
carry no words of the model's own; in text mode a call carries the model's own
question or solution, and example calls would teach their words too.
"""

from __future__ import annotations

import json
import random
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from proact_env.agents.decision_reward import (
    decision_answer_ids,
    decision_dataset,
    decision_prompt_ids,
    read_decision,
)
from proact_env.agents.logprobs import answer_shares, right_padded
from proact_env.agents.trl_env import environment_factory, episode_dataset
from proact_env.errors import require

#: an environment's methods that are not tools (TRL calls them itself)
NOT_TOOLS = ("reset", "get_reward")
#: decision mode's calls, each taught on every prompt
DECISION_CALLS = ({"name": "clarify", "arguments": {}}, {"name": "execute", "arguments": {}})
#: seeds of the prompts the warm-up is checked on (neither training nor held-out evaluation seeds)
CHECK_FIRST_SEED = 500_000


@dataclass(frozen=True)
class WarmupResult:
    """What the warm-up did: its losses per step, how often the model answers in the format (greedy), the odds.

    `first_answer_share` is, per check prompt, the warmed model's probability of
    the first answer (clarify) among the answers: about 0.5 everywhere means
    GRPO's samples of one prompt will differ, which is what gives a group signal.
    """

    losses: list[float]
    format_rate_before: float
    format_rate_after: float
    first_answer_share: list[float]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class WarmupData:
    """What one mode's warm-up trains and checks on, as token ids, and how a greedy answer is judged."""

    prompts: list[list[int]]
    checks: list[list[int]]
    answers: list[list[int]]
    in_format: Callable[[str], bool]


def tool_schemas(environment: Any) -> list[dict[str, Any]]:
    """The JSON schemas TRL builds from an environment's public methods."""
    from transformers.utils import get_json_schema

    return [get_json_schema(getattr(environment, name)) for name in dir(type(environment))
            if not name.startswith("_") and name not in NOT_TOOLS and callable(getattr(environment, name))]


def episode_prompts(tokenizer: Any, n: int, *, mode: str = "decision", first_seed: int = 0,
                    env_id: str = "proact_env/Synthetic-v0", env_kwargs: Mapping[str, Any] | None = None,
                    ) -> list[list[int]]:
    """Token ids of the first prompt of `n` episodes of `mode`, as TRL's tool loop renders them."""
    environment = environment_factory(mode, env_id, env_kwargs)()
    tools = tool_schemas(environment)
    prompts = []
    for row in episode_dataset(n, first_seed=first_seed):
        messages = row["prompt"][:-1] + [{"role": "user", "content": environment.reset(seed=row["seed"])}]
        text = tokenizer.apply_chat_template(messages, tools=tools, add_generation_prompt=True, tokenize=False)
        prompts.append(tokenizer(text, add_special_tokens=False)["input_ids"])
    return prompts


def call_tokens(tokenizer: Any, call: Mapping[str, Any]) -> list[int]:
    """A tool call (``{"name": ..., "arguments": {...}}``) as the tool chat template writes it, ending the turn."""
    text = f"<tool_call>\n{json.dumps(dict(call))}\n</tool_call>{tokenizer.eos_token}"
    return tokenizer(text, add_special_tokens=False)["input_ids"]


def tool_call_data(tokenizer: Any, *, examples: int, check_prompts: int, mode: str = "decision",
                   calls: Sequence[Mapping[str, Any]] = DECISION_CALLS, env_id: str = "proact_env/Synthetic-v0",
                   env_kwargs: Mapping[str, Any] | None = None) -> WarmupData:
    """Episode prompts (tools in the system turn) answered by `calls`; in format: the answer opens with a call."""
    return WarmupData(
        prompts=episode_prompts(tokenizer, examples, mode=mode, env_id=env_id, env_kwargs=env_kwargs),
        checks=episode_prompts(tokenizer, check_prompts, mode=mode, first_seed=CHECK_FIRST_SEED, env_id=env_id,
                               env_kwargs=env_kwargs),
        answers=[call_tokens(tokenizer, call) for call in calls],
        in_format=lambda text: text.lstrip().startswith("<tool_call>"))


def decision_word_data(tokenizer: Any, *, examples: int, check_prompts: int,
                       env_kwargs: Mapping[str, Any] | None = None) -> WarmupData:
    """Synthetic-v0 decision points (q mode's prompts) answered by each decision word; in format: names one."""
    def prompts(n: int, first_seed: int) -> list[list[int]]:
        return decision_prompt_ids(tokenizer, decision_dataset(n, first_seed=first_seed, env_kwargs=env_kwargs))

    return WarmupData(
        prompts=prompts(examples, 0), checks=prompts(check_prompts, CHECK_FIRST_SEED),
        answers=decision_answer_ids(tokenizer), in_format=lambda text: read_decision(text) is not None)


def format_rate(model: Any, tokenizer: Any, data: WarmupData, max_new_tokens: int = 24) -> float:
    """Share of the check prompts whose greedy answer is in the format."""
    torch = require("torch", "dpo")
    answered = 0
    with torch.no_grad():
        for prompt in data.checks:
            out = model.generate(torch.tensor([prompt]), max_new_tokens=max_new_tokens, do_sample=False,
                                 pad_token_id=tokenizer.pad_token_id)
            answered += data.in_format(tokenizer.decode(out[0, len(prompt):]))
    return answered / len(data.checks)


def warm_up(model: Any, tokenizer: Any, data: WarmupData, *, steps: int, batch_size: int = 4, lr: float = 1e-3,
            seed: int = 0, target_modules: str | list[str] | None = "all-linear",
            save_to: str | Path | None = None) -> tuple[Any, WarmupResult]:
    """Train a LoRA adapter on answering `data.prompts` with `data.answers` for `steps` steps, merge it.

    `target_modules` None trains every weight instead (no adapter): a randomly
    initialised test model needs that, a pretrained one does not. `save_to`
    keeps the adapter before it is merged: a later adapter trained on the
    warmed model only reproduces it on top of this one (`grpo_train.load_trained`).

    The prompts are shuffled by `random.Random(seed)`; each prompt is answered
    by every one of the answers, and each step takes the next `batch_size`
    (prompt, answer) items, a prompt's answers next to each other (keep
    `batch_size` a multiple of the number of answers and every step is
    balanced). The format rate is measured greedily on `data.checks` before and after.
    """
    torch = require("torch", "dpo")
    peft = require("peft", "dpo")
    if steps < 1 or batch_size < 1:
        raise ValueError(f"steps and batch_size must be >= 1, got {steps}, {batch_size}")
    prompts = list(data.prompts)
    random.Random(seed).shuffle(prompts)
    items = [(prompt, answer) for prompt in prompts for answer in data.answers]
    rate_before = format_rate(model, tokenizer, data)

    torch.manual_seed(seed)
    if target_modules is not None:
        model = peft.get_peft_model(model, peft.LoraConfig(r=16, lora_alpha=32, target_modules=target_modules,
                                                           task_type="CAUSAL_LM"))
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=lr)
    losses = []
    model.train()
    for step in range(steps):
        batch = [items[(step * batch_size + i) % len(items)] for i in range(batch_size)]
        input_ids, mask = right_padded([prompt + answer for prompt, answer in batch], tokenizer.pad_token_id)
        labels = input_ids.masked_fill(mask == 0, -100)
        for row, (prompt, _) in enumerate(batch):
            labels[row, :len(prompt)] = -100  # the loss is on the answer alone
        loss = model(input_ids=input_ids, attention_mask=mask, labels=labels).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        losses.append(loss.item())
    model.eval()
    if target_modules is not None:
        if save_to is not None:
            model.save_pretrained(str(save_to))
        model = model.merge_and_unload()
    shares = answer_shares(model, data.checks, data.answers, tokenizer.pad_token_id) if len(data.answers) > 1 else []
    return model, WarmupResult(losses, rate_before, format_rate(model, tokenizer, data), shares)
