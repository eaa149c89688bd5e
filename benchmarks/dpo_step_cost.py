"""What one DPO training step costs on a CPU, with TRL's LM head as shipped and scoring labelled positions only.

    PYTHONPATH=. python benchmarks/dpo_step_cost.py [--model smollm2-135m-instruct] [--repeats 3]

TRL 1.16's fused LM head projects every position of every sequence through the head
off Triton devices, then zeroes the unlabelled ones; `agents/trl_adapter.py`'s
`score_only_labelled_positions` feeds it the labelled positions only, on a CPU too
(see its docstring). This script measures both on the same batch, the same trainer
and the same model, one after the other:

1. Pairs: decision-only preference pairs of Synthetic-v0 (`proact generate`, `proact
   rewards --completions label`: a ~200-token prompt, a 3-token completion), the
   shape `benchmarks/dpo_pretrained.py` trains on.
2. A real `trl.DPOTrainer` (through `agents/trl_adapter.py`) with LoRA on `--target`,
   the reference computed inside each step (`precompute_ref_log_probs` off), so one
   step is a reference forward, a policy forward and a backward.
3. For each head, one warm-up step, then `--repeats` timed steps (TRL's `compute_loss`
   and the backward pass; no optimizer update, so every step sees the same weights) on the
   same batch of `--batch_size` pairs. It prints seconds per step and the ratio, and
   the losses of the two (equal: only the cost differs).

Timings move with the machine's load: run it alone.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from proact_env.agents import trl_adapter
from proact_env.agents.dpo_config import SMOLLM2_LAST_FOUR_QV, DPOTrainingConfig
from proact_env.agents.dpo_train import load_base, load_pairs
from proact_env.cli import main as proact


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="smollm2-135m-instruct", help="a registered name, folder or hub id")
    parser.add_argument("--target", default=SMOLLM2_LAST_FOUR_QV,
                        help="LoRA target modules: a regex (default: SmolLM2's last four layers' q/v) or all-linear")
    parser.add_argument("--batch_size", type=int, default=8, help="pairs per step")
    parser.add_argument("--repeats", type=int, default=3, help="timed steps per head")
    parser.add_argument("--states", type=int, default=40, help="synthetic states the pairs come from")
    return parser.parse_args()


def make_pairs(folder: Path, states: int) -> Path:
    trajectories, pairs = folder / "trajectories.jsonl", folder / "prefs.jsonl"
    for args in (["generate", "--mode", "synthetic", "--n_states", str(states), "--multi_turn", "--max_turns", "4",
                  "--lookahead", "4", "--continuation", "optimal", "--seed", "0", "--out", str(trajectories),
                  "--concurrency", "1", "--no-progress"],
                 ["rewards", "--trajectories", str(trajectories), "--out", str(pairs), "--margin", "0.02",
                  "--completions", "label"]):
        if proact(args) != 0:
            raise SystemExit(f"proact {args[0]} failed")
    return pairs


def main() -> None:
    args = parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        config = DPOTrainingConfig(data=make_pairs(Path(tmp), args.states), model=args.model, output=Path(tmp) / "run",
                                   batch_size=args.batch_size, target_modules=args.target, val_split=0.0,
                                   precompute_ref_log_probs=False, max_length=512, lr=1e-3)
        train_set, _ = load_pairs(config)
        model, tokenizer = load_base(config, use_gpu=False)
        trainer = trl_adapter.dpo_trainer(model, trl_adapter.dpo_arguments(config, use_gpu=False), train_set, None,
                                          tokenizer, trl_adapter.lora_config(config))
        batch = next(iter(trainer.get_train_dataloader()))
        print(f"{args.model}: batch of {args.batch_size} pairs, {tuple(batch['input_ids'].shape)} tokens "
              f"(chosen and rejected rows), {int(batch['completion_mask'].sum())} completion tokens")
        trainer.model.train()

        def step() -> float:
            loss = trainer.compute_loss(trainer.model, batch)  # TRL's loss: reference and policy forward
            loss.backward()
            trainer.model.zero_grad()
            return float(loss.detach())

        seconds = {}
        for name, compact in (("TRL 1.16 as shipped (every position)", False), ("labelled positions only", True)):
            trl_adapter.score_only_labelled_positions(compact)
            step()  # warm-up
            times, losses = [], []
            for _ in range(args.repeats):
                started = time.perf_counter()
                losses.append(step())
                times.append(time.perf_counter() - started)
            seconds[name] = min(times)
            print(f"{name:38s} {seconds[name]:7.2f} s/step (best of {args.repeats}: "
                  f"{', '.join(f'{t:.2f}' for t in times)}); losses {', '.join(f'{v:.4f}' for v in losses)}",
                  flush=True)
        shipped, compact = seconds.values()
        print(f"ratio: {shipped / compact:.2f}x faster with labelled positions only")


if __name__ == "__main__":
    main()
