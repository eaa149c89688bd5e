"""Every call whose shape depends on the TRL version, in one place.

TRL's DPO and GRPO APIs move between releases (`tokenizer=` became `processing_class=`,
`max_prompt_length` went away, reference handling changed...). Code elsewhere
calls these functions and never TRL's constructors directly, so following a new
release means editing this file only. Written against TRL 1.16. (The GRPO
environments in `trl_env.py` import nothing from TRL: they follow its
`environment_factory` protocol, plain Python.)
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
from typing import Any

from proact_env.agents.dpo_config import DPOTrainingConfig
from proact_env.agents.grpo_config import GRPOTrainingConfig
from proact_env.errors import require


def dpo_arguments(config: DPOTrainingConfig, *, use_gpu: bool) -> Any:
    """A `trl.DPOConfig` for this run (CPU runs: no bf16, no gradient checkpointing)."""
    trl = require("trl", "dpo")
    checkpointing = use_gpu if config.gradient_checkpointing is None else config.gradient_checkpointing and use_gpu
    values = {
        "output_dir": str(config.output),
        "num_train_epochs": config.epochs,
        "learning_rate": config.lr,
        "beta": config.beta,
        "per_device_train_batch_size": config.batch_size,
        "per_device_eval_batch_size": config.batch_size,
        "gradient_accumulation_steps": config.grad_accum,
        "max_length": config.max_length,
        "bf16": config.bf16 and use_gpu,
        "use_cpu": not use_gpu,
        "gradient_checkpointing": checkpointing,
        "precompute_ref_log_probs": config.precompute_ref_log_probs,
        "logging_steps": config.logging_steps,
        "eval_strategy": "epoch" if config.val_split > 0 else "no",
        "save_strategy": "no",
        "report_to": "none",
        "seed": config.seed,
        "data_seed": config.seed,
        "disable_tqdm": False,
        **config.extra,
    }
    accepted = set(inspect.signature(trl.DPOConfig).parameters)
    unknown = sorted(set(values) - accepted)
    if unknown:
        raise ValueError(f"this TRL version ({trl.__version__}) has no DPOConfig field(s) {unknown}")
    return trl.DPOConfig(**values)


def score_only_labelled_positions(enabled: bool = True) -> bool:
    """Make TRL's fused LM head score only the positions that have a label, on a CPU too.

    TRL 1.16's fused head (`trl.trainer.utils.add_fused_lm_head`, used by DPO, GRPO,
    KTO, RLOO and SFT) projects only the labelled positions through the LM head on
    Triton devices; elsewhere it projects every position and zeroes the unlabelled
    ones, so that compilers (Neuron's) see one tile shape per batch. On a CPU in eager
    mode that buys nothing and costs the most: a decision-only DPO pair has a prompt
    of ~200 tokens and a completion of 3, and SmolLM2's head has 49,152 rows, so the
    head's forward and backward over every position took most of each training step
    (`benchmarks/dpo_step_cost.py` prints both). The results are the same: the kernel
    is the same, fed the labelled rows only, and TRL scatters them back into place.
    `enabled=False` puts TRL's own choice back (the benchmark measures both). Returns
    whether the patch is in place (False: this TRL has no such switch, or disabled).
    """
    require("trl", "dpo")
    import trl.trainer.utils as trl_utils

    current = getattr(trl_utils, "_use_triton", None)
    if current is None:
        return False
    trls_own = getattr(current, "trls_own", current)
    if not enabled:
        trl_utils._use_triton = trls_own
        return False
    if current is trls_own:
        def compact(device: Any) -> bool:
            return device.type == "cpu" or trls_own(device)

        compact.trls_own = trls_own  # type: ignore[attr-defined]
        trl_utils._use_triton = compact
    return True


def dpo_trainer(model: Any, args: Any, train_dataset: Any, eval_dataset: Any, tokenizer: Any, peft_config: Any,
                reference: dict[str, Any] | None = None) -> Any:
    """A `trl.DPOTrainer` whose reference model is the adapter-disabled base (no second copy in memory).

    `reference` (what `reference_log_probs` returned for a run on the same pairs)
    replaces TRL's reference pass over the training pairs; it must match the pairs
    as this trainer tokenized them, checked by digest.
    """
    trl = require("trl", "dpo")
    score_only_labelled_positions()
    trainer_class = trl.DPOTrainer
    if reference is not None:
        class ReusedReferenceDPOTrainer(trl.DPOTrainer):
            # TRL 1.16 computes the reference log-probs in `_precompute_ref_logps`, called from
            # `__init__` on the tokenized dataset; the columns it adds are the ones set here.
            def _precompute_ref_logps(self, dataset: Any, name: str, batch_size: int) -> Any:
                if name != "train":
                    return super()._precompute_ref_logps(dataset, name, batch_size)
                digest = _pairs_digest(dataset)
                if digest != reference["pairs_digest"]:
                    raise ValueError("the reused reference log-probs were computed on other pairs (a different data "
                                     "file, base, split or max_length); train without reference_from")
                return dataset.add_column(REFERENCE_COLUMNS[0], reference[REFERENCE_COLUMNS[0]]).add_column(
                    REFERENCE_COLUMNS[1], reference[REFERENCE_COLUMNS[1]])

        trainer_class = ReusedReferenceDPOTrainer
    return trainer_class(
        model=model,
        ref_model=None,
        args=args,
        train_dataset=train_dataset,
        eval_dataset=eval_dataset,
        processing_class=tokenizer,
        peft_config=peft_config,
    )


#: the training dataset's reference columns (names as TRL 1.16 adds them)
REFERENCE_COLUMNS = ("ref_chosen_logps", "ref_rejected_logps")
#: the tokenized columns the reference was scored on (names as TRL 1.16 writes them)
TOKEN_COLUMNS = ("prompt_ids", "chosen_ids", "rejected_ids")


def _pairs_digest(dataset: Any) -> str:
    digest = hashlib.sha256()
    for column in TOKEN_COLUMNS:
        digest.update(json.dumps([list(ids) for ids in dataset[column]]).encode())
    return digest.hexdigest()


def reference_log_probs(trainer: Any) -> dict[str, Any] | None:
    """The reference log-probs a trainer scored its training pairs with, and the digest of those pairs."""
    dataset = trainer.train_dataset
    if not set(REFERENCE_COLUMNS) <= set(dataset.column_names):
        return None
    return {"pairs_digest": _pairs_digest(dataset), **{column: [float(v) for v in dataset[column]]
                                                       for column in REFERENCE_COLUMNS}}


def lora_config(config: DPOTrainingConfig | GRPOTrainingConfig) -> Any:
    peft = require("peft", "dpo")
    return peft.LoraConfig(
        r=config.lora_r,
        lora_alpha=config.lora_alpha,
        lora_dropout=config.lora_dropout,
        target_modules=config.target_modules,
        task_type="CAUSAL_LM",
    )


#: keys of TRL's log history that the training log keeps (names as TRL 1.16 logs them).
LOGGED_METRICS = ("loss", "eval_loss", "rewards/margins", "rewards/accuracies", "rewards/chosen",
                  "rewards/rejected", "eval_rewards/margins", "eval_rewards/accuracies", "learning_rate", "epoch")


def training_log(trainer: Any) -> list[dict[str, Any]]:
    """Per-step entries of the run: step plus whichever of `LOGGED_METRICS` were logged."""
    entries = []
    for entry in trainer.state.log_history:
        kept = {k: entry[k] for k in LOGGED_METRICS if k in entry}
        if kept:
            entries.append({"step": entry.get("step"), **kept})
    return entries


# -- GRPO (online RL) ---------------------------------------------------------------------------

def grpo_arguments(config: GRPOTrainingConfig, *, use_gpu: bool) -> Any:
    """A `trl.GRPOConfig` for this run (evaluation is run by the caller, before and after training)."""
    trl = require("trl", "dpo")
    values = {
        "output_dir": str(config.output),
        "max_steps": config.max_steps,
        "learning_rate": config.lr,
        "beta": config.beta,
        "num_generations": config.num_generations,
        "num_generations_eval": config.eval_samples,
        "per_device_train_batch_size": config.num_generations * config.prompts_per_step,
        "per_device_eval_batch_size": config.eval_samples * config.prompts_per_step,
        "gradient_accumulation_steps": 1,
        "max_completion_length": config.max_completion_length,
        "max_tool_calling_iterations": config.max_tool_calls,
        "temperature": config.temperature,
        "bf16": config.bf16 and use_gpu,
        "use_cpu": not use_gpu,
        "use_vllm": config.use_vllm and use_gpu,
        "vllm_mode": "colocate",
        "logging_steps": config.logging_steps,
        "eval_strategy": "no",
        "save_strategy": "no",
        "report_to": "none",
        "seed": config.seed,
        "data_seed": config.seed,
        "shuffle_dataset": True,
        "disable_tqdm": False,
        **config.extra,
    }
    accepted = set(inspect.signature(trl.GRPOConfig).parameters)
    unknown = sorted(set(values) - accepted)
    if unknown:
        raise ValueError(f"this TRL version ({trl.__version__}) has no GRPOConfig field(s) {unknown}")
    return trl.GRPOConfig(**values)


def grpo_trainer(model: Any, args: Any, train_dataset: Any, tokenizer: Any, peft_config: Any, *,
                 environment_factory: Any = None, reward_funcs: Any = None) -> Any:
    """A `trl.GRPOTrainer`: rewarded by the environment's `get_reward` (whole conversations) or by `reward_funcs`."""
    trl = require("trl", "dpo")
    os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")  # environment_factory is experimental in TRL 1.16
    score_only_labelled_positions()
    return trl.GRPOTrainer(
        model=model,
        reward_funcs=reward_funcs,
        args=args,
        train_dataset=train_dataset,
        processing_class=tokenizer,
        peft_config=peft_config,
        environment_factory=environment_factory,
    )


def use_tool_chat_template(tokenizer: Any) -> Any:
    """Give `tokenizer` a chat template that renders tools and tool calls, if its own cannot.

    GRPOTrainer's tools need a template that renders a tool-calling conversation and a
    parser for the calls the model writes; TRL ships both for known templates only.
    SmolLM2-Instruct's ChatML template has no tools, so it gets TRL's Qwen2.5 template:
    the same ChatML markers (``<|im_start|>``, ``<|im_end|>``), with tools listed in the
    system turn and calls written as ``<tool_call>{json}</tool_call>``.
    """
    require("trl", "dpo")
    from trl.chat_template_utils import qwen2_5_chat_template, supports_tool_calling

    if not supports_tool_calling(tokenizer):
        tokenizer.chat_template = qwen2_5_chat_template
    return tokenizer


#: keys of GRPO's log history that the training log keeps (names as TRL 1.16 logs them)
GRPO_LOGGED_METRICS = ("loss", "reward", "reward_std", "frac_reward_zero_std", "kl", "entropy",
                       "completions/mean_length", "completions/clipped_ratio", "tools/call_frequency", "tools/failure_frequency",
                       "learning_rate", "epoch")


def grpo_training_log(trainer: Any) -> list[dict[str, Any]]:
    """Per-step entries of a GRPO run: `GRPO_LOGGED_METRICS` plus every reward column's mean."""
    entries = []
    for entry in trainer.state.log_history:
        kept = {k: v for k, v in entry.items()
                if k in GRPO_LOGGED_METRICS or (k.startswith("rewards/") and k.endswith("/mean"))}
        if kept:
            entries.append({"step": entry.get("step"), **kept})
    return entries
