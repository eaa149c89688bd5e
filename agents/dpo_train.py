"""DPO training of a LoRA adapter on preference pairs (`proact train-dpo`).

Reads the pairs written by `proact rewards`, holds out a validation split,
trains `trl.DPOTrainer` with a PEFT LoRA config (the reference is the base with
the adapter disabled), and saves into the output folder: the adapter and
tokenizer, `training_config.json` (the exact configuration and library
versions), `training_log.json` (loss, reward margins and accuracies per step)
and `loss.png`; with precomputed reference log-probs also `reference_logps.json`,
which another seed's run on the same pairs can reuse (`reference_from`).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from proact_env.agents import trl_adapter
from proact_env.agents.dpo_config import REFERENCE_FILE, DPOTrainingConfig
from proact_env.benchmark.plots import new_figure
from proact_env.errors import MissingExtraError, SchemaError, require
from proact_env.io import atomic_write_text
from proact_env.records import read_preferences

logger = logging.getLogger(__name__)

COLUMNS = ("prompt", "chosen", "rejected")


def load_pairs(config: DPOTrainingConfig) -> tuple[Any, Any | None]:
    """The train and validation datasets (TRL's three columns only).

    Every line is validated (`proact_env.records.read_preferences`) before a model
    is loaded, so a bad line fails at once naming its file, line and field.
    """
    pairs = [pair for _, pair in read_preferences(config.data)]
    if len(pairs) < 2:
        raise SchemaError(str(config.data), None, f"{len(pairs)} pair(s); DPO needs at least 2")
    datasets = require("datasets", "dpo")
    data = datasets.Dataset.from_dict({column: [getattr(pair, column) for pair in pairs] for column in COLUMNS})
    if config.val_split <= 0:
        return data, None
    split = data.train_test_split(test_size=config.val_split, seed=config.seed)
    return split["train"], split["test"]


def load_base(config: DPOTrainingConfig, use_gpu: bool) -> tuple[Any, Any]:
    """The base model and tokenizer, from the hub, a local path or a registered local name (optionally in 4 bits)."""
    from proact_env.llm.local_models import resolve_model

    torch = require("torch", "dpo")
    transformers = require("transformers", "dpo")
    path = resolve_model(config.model)
    tokenizer = transformers.AutoTokenizer.from_pretrained(path)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    kwargs: dict[str, Any] = {}
    if config.load_in_4bit:
        if not use_gpu:
            raise ValueError("--load_in_4bit needs a CUDA GPU")
        try:
            require("bitsandbytes", "dpo")
        except MissingExtraError:
            raise MissingExtraError("--load_in_4bit needs bitsandbytes: pip install bitsandbytes") from None
        kwargs["quantization_config"] = transformers.BitsAndBytesConfig(
            load_in_4bit=True, bnb_4bit_compute_dtype=torch.bfloat16 if config.bf16 else torch.float16
        )
    if config.bf16 and use_gpu:
        kwargs["dtype"] = torch.bfloat16
    model = transformers.AutoModelForCausalLM.from_pretrained(path, **kwargs)
    return model, tokenizer


def train(config: DPOTrainingConfig) -> dict[str, Path]:
    """Run DPO and write every artefact; returns their paths."""
    train_set, eval_set = load_pairs(config)
    torch = require("torch", "dpo")
    use_gpu = torch.cuda.is_available()
    if config.bf16 and not use_gpu:
        logger.warning("--bf16 ignored: no CUDA GPU (CPU runs train in float32)")
    model, tokenizer = load_base(config, use_gpu)
    too_long = sum(len(tokenizer(text=p)["input_ids"]) >= config.max_length for p in train_set["prompt"])
    if too_long:
        logger.warning("%d of %d training pairs have a prompt of max_length (%d) tokens or more; TRL drops them",
                       too_long, len(train_set), config.max_length)
    reference = None
    if config.reference_from is not None:
        reference = json.loads((config.reference_from / REFERENCE_FILE).read_text())
    trainer = trl_adapter.dpo_trainer(
        model, trl_adapter.dpo_arguments(config, use_gpu=use_gpu), train_set, eval_set, tokenizer,
        trl_adapter.lora_config(config), reference=reference,
    )
    trainer.train()
    config.output.mkdir(parents=True, exist_ok=True)
    scored = trl_adapter.reference_log_probs(trainer)
    if scored is not None:
        atomic_write_text(config.output / REFERENCE_FILE, json.dumps(scored) + "\n")
    trainer.save_model(str(config.output))
    tokenizer.save_pretrained(str(config.output))
    log = trl_adapter.training_log(trainer)
    paths = {
        "adapter": config.output,
        "config": config.output / "training_config.json",
        "log": config.output / "training_log.json",
        "plot": config.output / "loss.png",
    }
    record = {**config.to_dict(), "split": config.split_record(), "train_pairs": len(train_set), "val_pairs": len(eval_set) if eval_set else 0,
              "pairs_dropped_as_too_long": too_long,
              "device": "cuda" if use_gpu else "cpu", "versions": _versions()}
    atomic_write_text(paths["config"], json.dumps(record, indent=2) + "\n")
    atomic_write_text(paths["log"], json.dumps(log, indent=2) + "\n")
    plot_loss(log, paths["plot"])
    return paths


def _versions() -> dict[str, str]:
    import importlib.metadata as metadata

    return {name: metadata.version(name) for name in ("torch", "transformers", "trl", "peft", "datasets")}


def plot_loss(log: list[dict[str, Any]], path: Path) -> None:
    fig = new_figure(figsize=(10, 4))
    loss_ax, margin_ax = fig.subplots(1, 2)
    for key, ax, label in (("loss", loss_ax, "train loss"), ("eval_loss", loss_ax, "validation loss"),
                           ("rewards/margins", margin_ax, "train reward margin"),
                           ("eval_rewards/margins", margin_ax, "validation reward margin")):
        points = [(e["step"], e[key]) for e in log if key in e]
        if points:
            ax.plot(*zip(*points), marker="o" if key.startswith("eval") else None, label=label)
    loss_ax.set_xlabel("step")
    loss_ax.set_ylabel("DPO loss")
    margin_ax.set_xlabel("step")
    margin_ax.set_ylabel("implicit reward margin (chosen - rejected)")
    for ax in (loss_ax, margin_ax):
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle("DPO training")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
