"""`proact train-dpo`: DPO with TRL + LoRA on preference pairs (the seed's policy/train_dpo.py)."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_parser(sub: argparse._SubParsersAction) -> None:
    from proact_env.agents.dpo_config import DPOTrainingConfig

    d = DPOTrainingConfig.__dataclass_fields__
    p = sub.add_parser("train-dpo", help="train a LoRA adapter with TRL's DPOTrainer on preference pairs",
                       description="Saves the adapter, tokenizer, training_config.json, training_log.json and loss.png.")
    p.add_argument("--data", "--prefs_path", "--input", type=Path, required=True,
                   help="preference JSONL from 'proact rewards' (TRL's prompt/chosen/rejected columns)")
    p.add_argument("--model", required=True,
                   help="base model: hub id (e.g. meta-llama/Llama-3.1-8B-Instruct) or local path")
    p.add_argument("--output", type=Path, required=True,
                   help="folder for the adapter, tokenizer, training_config.json, training_log.json, loss.png")
    p.add_argument("--epochs", type=float, default=d["epochs"].default, help="passes over the training pairs")
    p.add_argument("--lr", type=float, default=d["lr"].default, help="learning rate")
    p.add_argument("--beta", type=float, default=d["beta"].default,
                   help="DPO temperature: how far the policy may move from the reference")
    p.add_argument("--lora_r", type=int, default=d["lora_r"].default, help="LoRA rank")
    p.add_argument("--lora_alpha", type=int, default=d["lora_alpha"].default, help="LoRA scale")
    p.add_argument("--lora_dropout", type=float, default=d["lora_dropout"].default, help="LoRA dropout")
    p.add_argument("--target_modules", default=d["target_modules"].default,
                   help="modules that get adapters: 'all-linear' or comma-separated names, e.g. q_proj,v_proj")
    p.add_argument("--batch_size", type=int, default=d["batch_size"].default, help="pairs per device step")
    p.add_argument("--grad_accum", type=int, default=d["grad_accum"].default, help="steps accumulated per update")
    p.add_argument("--max_length", type=int, default=d["max_length"].default,
                   help="longest prompt + completion in tokens (TRL drops pairs whose prompt alone reaches it)")
    p.add_argument("--val_split", type=float, default=d["val_split"].default,
                   help="share of pairs held out for validation (0 disables it)")
    p.add_argument("--seed", type=int, default=d["seed"].default,
                   help="seeds the split, the adapter initialisation and the data order")
    p.add_argument("--bf16", action="store_true", help="bfloat16 training (GPU only)")
    p.add_argument("--load_in_4bit", action="store_true", help="4-bit base (needs bitsandbytes and a GPU)")
    p.add_argument("--persona_split", default=None,
                   help="the persona split the pairs were made on, recorded for held-out checks; "
                        "default: read from the pairs' .meta.json (given, it must agree with it)")
    p.add_argument("--task_split", default=None,
                   help="the task split the pairs were made on (same rules as --persona_split; default: from the data)")
    p.add_argument("--precompute_ref_log_probs", action=argparse.BooleanOptionalAction,
                   default=d["precompute_ref_log_probs"].default,
                   help="score the reference once before training, not at every step")
    p.add_argument("--reference_from", type=Path, default=None,
                   help="a finished run on the same pairs and base whose reference log-probs to reuse "
                        "(e.g. another seed's; default: compute them)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from proact_env.agents.dpo_config import DPOTrainingConfig
    from proact_env.agents.dpo_train import train

    modules = args.target_modules if args.target_modules == "all-linear" else args.target_modules.split(",")
    config = DPOTrainingConfig(
        data=args.data, model=args.model, output=args.output, epochs=args.epochs, lr=args.lr, beta=args.beta,
        lora_r=args.lora_r, lora_alpha=args.lora_alpha, lora_dropout=args.lora_dropout, target_modules=modules,
        batch_size=args.batch_size, grad_accum=args.grad_accum, max_length=args.max_length, bf16=args.bf16,
        load_in_4bit=args.load_in_4bit, val_split=args.val_split, seed=args.seed,
        precompute_ref_log_probs=args.precompute_ref_log_probs, reference_from=args.reference_from,
        persona_split=args.persona_split, task_split=args.task_split,
    )
    paths = train(config)
    print("wrote " + ", ".join(str(p) for p in paths.values()))
    return 0
