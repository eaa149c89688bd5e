"""Every call whose shape depends on the TRL version, in one place.

TRL's DPO API moves between releases (`tokenizer=` became `processing_class=`,
`max_prompt_length` went away, reference handling changed...). Code elsewhere
calls these functions and never TRL's constructors directly, so following a new
release means editing this file only. Written against TRL 1.16.
"""

from __future__ import annotations

import inspect
from typing import Any

from proact_env.agents.dpo_config import DPOTrainingConfig
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


def dpo_trainer(model: Any, args: Any, train_dataset: Any, eval_dataset: Any, tokenizer: Any, peft_config: Any) -> Any:
    """A `trl.DPOTrainer` whose reference model is the adapter-disabled base (no second copy in memory)."""
    trl = require("trl", "dpo")
    return trl.DPOTrainer(
        model=model,
        ref_model=None,
        args=args,
        train_dataset=train_dataset,
        eval_dataset=eval_dataset,
        processing_class=tokenizer,
        peft_config=peft_config,
    )


def lora_config(config: DPOTrainingConfig) -> Any:
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
