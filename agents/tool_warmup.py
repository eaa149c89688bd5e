"""A supervised warm-up on the tool-call syntax, before GRPO, for a model too small to call tools zero-shot.

GRPO learns only from groups whose rollouts get different rewards. In decision
mode SmolLM2-135M-Instruct called no tool in any of 48 training rollouts (nor in
8 samples with an example call in the prompt): every rollout ended in plain text,
each was read as the same decision, every group of one episode scored alike, and
the gradient was float noise (docs/online_rl.md). The warm-up teaches the syntax,
not the decision: each episode's first prompt, rendered as TRL renders it (tools
in the system turn), is answered by every call (`clarify()` and `execute()`), the
answers to one prompt side by side in one batch, so each prompt's loss pulls
towards each call alike and the warmed model learns even odds per prompt, not
one memorised call per prompt (an earlier warm-up drew one call per prompt, and
5 of 6 GRPO groups then made the same call eight times: no signal). What GRPO adds is then measured against the
warmed model (the "before" evaluation). The adapter is merged into the model, so
GRPO's own LoRA adapter starts from the warmed weights.

`GRPOTrainingConfig.tool_warmup_steps` uses it in decision mode only, whose
tools take no arguments: in text mode a call carries the model's own question or
solution, and example calls would teach their words too.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from proact_env.agents.logprobs import right_padded, token_logprobs
from proact_env.agents.trl_env import environment_factory, episode_dataset
from proact_env.errors import require

#: an environment's methods that are not tools (TRL calls them itself)
NOT_TOOLS = ("reset", "get_reward")
#: decision mode's calls, each taught on every prompt
DECISION_CALLS = ({"name": "clarify", "arguments": {}}, {"name": "execute", "arguments": {}})


@dataclass(frozen=True)
class WarmupResult:
    """What the warm-up did: its losses per step, how often the model calls a tool (greedy), and the odds.

    `first_call_share` is, per check prompt, the warmed model's probability of the
    first call (clarify) among the calls: about 0.5 everywhere means GRPO's samples
    of one episode will differ, which is what gives a group signal.
    """

    losses: list[float]
    calls_before: float
    calls_after: float
    first_call_share: list[float]

    def to_dict(self) -> dict[str, Any]:
        return {"losses": self.losses, "tool_call_rate_before": self.calls_before,
                "tool_call_rate_after": self.calls_after, "first_call_share": self.first_call_share}


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


def tool_call_rate(model: Any, tokenizer: Any, prompts: list[list[int]], max_new_tokens: int = 24) -> float:
    """Share of `prompts` whose greedy answer opens with a tool call."""
    torch = require("torch", "dpo")
    opened = 0
    with torch.no_grad():
        for prompt in prompts:
            out = model.generate(torch.tensor([prompt]), max_new_tokens=max_new_tokens, do_sample=False,
                                 pad_token_id=tokenizer.pad_token_id)
            opened += tokenizer.decode(out[0, len(prompt):]).lstrip().startswith("<tool_call>")
    return opened / len(prompts)


def call_shares(model: Any, prompts: list[list[int]], answers: list[list[int]], pad: int) -> list[float]:
    """Per prompt, the model's probability of `answers[0]` among `answers` (each answer's tokens scored whole)."""
    torch = require("torch", "dpo")
    shares = []
    for prompt in prompts:
        totals = torch.tensor(token_logprobs(model, [(prompt + answer, len(prompt)) for answer in answers], pad))
        shares.append(float(torch.softmax(totals, dim=0)[0]))
    return shares


def warm_up_tool_calls(model: Any, tokenizer: Any, *, steps: int, mode: str = "decision",
                       calls: Sequence[Mapping[str, Any]] = DECISION_CALLS, examples: int = 32, batch_size: int = 4,
                       lr: float = 1e-3, seed: int = 0, target_modules: str | list[str] | None = "all-linear",
                       env_id: str = "proact_env/Synthetic-v0", env_kwargs: Mapping[str, Any] | None = None,
                       check_prompts: int = 8) -> tuple[Any, WarmupResult]:
    """Train a LoRA adapter on answering with `calls` for `steps` steps, merge it, return the model.

    `target_modules` None trains every weight instead (no adapter): a randomly
    initialised test model needs that, a pretrained one does not.

    `examples` training episodes (seeds from 0, like GRPO's) give the prompts, in an
    order shuffled by `random.Random(seed)`; each prompt is answered by every one of
    `calls`, and each step takes the next `batch_size` (prompt, call) items, a
    prompt's answers next to each other (keep `batch_size` a multiple of the number
    of calls and every step is balanced). The tool-call rate is measured greedily
    on `check_prompts` episodes from seed 500,000 before and after.
    """
    torch = require("torch", "dpo")
    peft = require("peft", "dpo")
    if steps < 1 or examples < 1 or batch_size < 1:
        raise ValueError(f"steps, examples and batch_size must be >= 1, got {steps}, {examples}, {batch_size}")
    prompts = episode_prompts(tokenizer, examples, mode=mode, env_id=env_id, env_kwargs=env_kwargs)
    checks = episode_prompts(tokenizer, check_prompts, mode=mode, first_seed=500_000, env_id=env_id,
                             env_kwargs=env_kwargs)
    answers = [call_tokens(tokenizer, call) for call in calls]
    random.Random(seed).shuffle(prompts)
    items = [(prompt, answer) for prompt in prompts for answer in answers]
    calls_before = tool_call_rate(model, tokenizer, checks)

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
            labels[row, :len(prompt)] = -100  # the loss is on the call alone
        loss = model(input_ids=input_ids, attention_mask=mask, labels=labels).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        losses.append(loss.item())
    model.eval()
    if target_modules is not None:
        model = model.merge_and_unload()
    shares = call_shares(model, checks, answers, tokenizer.pad_token_id) if len(answers) > 1 else []
    return model, WarmupResult(losses, calls_before, tool_call_rate(model, tokenizer, checks), shares)
