"""Configuration of a DPO run: one typed dataclass, every default documented (like TRL's `DPOConfig`)."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from proact_env.io import require_file
from proact_env.splits import Split, meta_path, recorded_split

#: LoRA targets for SmolLM2-135M (30 layers): the last four layers' q/v projections, so the backward
#: pass runs through four layers only (what a CPU run of `benchmarks/dpo_pretrained.py` trains)
SMOLLM2_LAST_FOUR_QV = r".*\.layers\.(26|27|28|29)\.self_attn\.(q_proj|v_proj)"
#: where a run keeps the reference log-probs of its training pairs, for `reference_from`
REFERENCE_FILE = "reference_logps.json"


@dataclass
class DPOTrainingConfig:
    """What `proact train-dpo` trains.

    Attributes:
        data: preference JSONL written by `proact rewards` (TRL's prompt/chosen/rejected columns).
        model: base model, a Hugging Face hub id or a local path (made absolute, so that
            `proact evaluate` and `dpo:RUN` find it from any folder).
        output: folder for the adapter, tokenizer, config, training log and loss plot.
        epochs: passes over the training pairs. Default ``3`` (the seed's).
        lr: learning rate. Default ``5e-5`` (the seed's).
        beta: DPO temperature: how far the policy may move from the reference. Default ``0.1``.
        lora_r, lora_alpha, lora_dropout: LoRA rank, scale and dropout. Defaults ``16``, ``32``, ``0.05``.
        target_modules: modules that get adapters; ``"all-linear"`` (default) or a list of names.
        batch_size: pairs per device step. Default ``4``.
        grad_accum: steps accumulated per update. Default ``1``.
        max_length: longest prompt + completion in tokens: completions are cut at the end, and
            TRL drops pairs whose prompt alone reaches it (the run warns and counts them). Default ``1024``.
        bf16: train in bfloat16 (GPU only; ignored with a warning on CPU). Default ``False``.
        load_in_4bit: load the base quantised to 4 bits (needs bitsandbytes and a GPU). Default ``False``.
        val_split: share of pairs held out for validation (0 disables it). Default ``0.1``.
        seed: seeds the split, the adapter initialisation and the data order. Default ``0``.
        logging_steps: log loss, reward margins and accuracies every this many steps. Default ``1``.
        gradient_checkpointing: trade compute for memory; None = on for GPU, off for CPU. Default ``None``.
        precompute_ref_log_probs: score every pair under the reference (the adapter-disabled base)
            once before training instead of at every step. The reference never changes, so the
            result is the same and each step saves a forward pass. Default ``True``.
        reference_from: a finished run whose reference log-probs (its ``reference_logps.json``) this
            run reuses instead of computing them. The reference is the base without an adapter, the
            same for every training seed, so seeds on the same pairs share it (on a CPU a reference
            pass over the pairs costs about half a training epoch). The pairs must tokenize
            to exactly what that run scored (same data, base and split), else the run stops
            with the reason. Needs ``precompute_ref_log_probs``. Default None: compute them.
        persona_split, task_split: the split the pairs were made on (`proact_env.splits`), recorded in
            ``training_config.json`` so `proact benchmark` can tell held-out evaluations from the others.
            Default None: read from the pairs' ``.meta.json``; given, it must agree with that record
            (a file without one takes the declaration as given).
    """

    data: Path
    model: str
    output: Path
    epochs: float = 3.0
    lr: float = 5e-5
    beta: float = 0.1
    lora_r: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.05
    target_modules: str | list[str] = "all-linear"
    batch_size: int = 4
    grad_accum: int = 1
    max_length: int = 1024
    bf16: bool = False
    load_in_4bit: bool = False
    val_split: float = 0.1
    seed: int = 0
    logging_steps: int = 1
    gradient_checkpointing: bool | None = None
    precompute_ref_log_probs: bool = True
    reference_from: Path | None = None
    persona_split: str | None = None
    task_split: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.data, self.output = Path(self.data), Path(self.output)
        require_file(self.data, "preference JSONL file (write one with 'proact rewards')")
        if Path(self.model).expanduser().exists():  # a local model: recorded so that any folder can reload it
            self.model = os.path.abspath(Path(self.model).expanduser())
        for name in ("epochs", "lr", "beta", "lora_r", "lora_alpha", "batch_size", "grad_accum", "max_length"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)!r}")
        if not 0.0 <= self.val_split < 1.0:
            raise ValueError(f"val_split must be in [0, 1), got {self.val_split!r}")
        if not 0.0 <= self.lora_dropout < 1.0:
            raise ValueError(f"lora_dropout must be in [0, 1), got {self.lora_dropout!r}")
        if self.reference_from is not None:
            self.reference_from = Path(self.reference_from)
            require_file(self.reference_from / REFERENCE_FILE, "reference log-probs of a finished 'train-dpo' run")
            if not self.precompute_ref_log_probs:
                raise ValueError("reference_from needs precompute_ref_log_probs (the reused values replace that pass)")
        self.split_record()  # a declaration that contradicts the data's record fails before training

    def split_record(self) -> dict[str, Any] | None:
        """The split to record in ``training_config.json``, with where it came from (None: unknown)."""
        recorded = recorded_split(meta_path(self.data))
        if self.persona_split is None and self.task_split is None:
            return {**recorded.to_dict(), "source": "the pairs' .meta.json"} if recorded is not None else None
        base = recorded or Split()
        declared = Split(self.persona_split or base.personas, self.task_split or base.tasks)
        if recorded is not None and declared != recorded:
            raise ValueError(f"{self.data} was made on persona split {recorded.personas!r} and task split "
                             f"{recorded.tasks!r} (its .meta.json), not {declared.personas!r} and {declared.tasks!r}")
        source = "the pairs' .meta.json" if recorded is not None else "declared (--persona_split/--task_split)"
        return {**declared.to_dict(), "source": source}

    def to_dict(self) -> dict[str, Any]:
        record = asdict(self)
        record["data"], record["output"] = str(self.data), str(self.output)
        record["reference_from"] = str(self.reference_from) if self.reference_from is not None else None
        return record
