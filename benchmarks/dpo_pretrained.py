"""DPO from a pretrained model: SmolLM2-135M-Instruct (a 135M model) learns when to ask, on CPU.

    PYTHONPATH=. python benchmarks/dpo_pretrained.py [--pairs 128] [--episodes 60] [--quick]

The decision-only pipeline (label completions "Clarify:" / "Execute:") with a real pretrained
base and LoRA, measured the way a reviewer would:

1. Data: `proact generate` on Synthetic-v0 (whole conversations of `--max_turns`, a random mainline,
   every branch rolled to the end `--lookahead` times by the optimal continuation), `proact rewards
   --completions label`; pairs of the held-out persona are dropped (train on four presets), then
   `--pairs` pairs are drawn with `--seed`.
2. Training, for each of `--train_seeds` seeds: LoRA on the last four layers' q/v projections of
   SmolLM2 (`--lora_r`, `--lr`, one epoch, batch `--batch_size`), reference log-probs precomputed
   once, and the same pairs on the random-init tiny model (`proact make-tiny-model`) for comparison.
3. Held out: episodes from seed `--bench_seed` (never used for data), under the fifth preset
   (`--heldout_persona`, never trained on) and under sampled personas. Every policy plays the same
   episodes: the three SmolLM2 DPO runs, the three tiny-model runs, SmolLM2's own zero-shot decision
   (`llm_prompt:smollm2-135m-instruct`, the two answers scored), clarify_once, threshold and the
   exact optimum. Printed: mean return per policy, paired differences (95% intervals) against
   clarify_once and threshold for each run and for the mean of the three runs, and where each
   loses value (the lost-value breakdown). `results.json` per split in `--out`.

Cost on a CPU (the defaults: 128 pairs, 3 seeds of one epoch at batch 8, 60 held-out episodes per
split): 16 steps a seed; the first seed first scores the pairs under the reference (16 batches),
the other seeds reuse those values (`reference_from`: the reference is the adapter-free base, the
same for every seed), and TRL's LM head scores the completion positions only
(`agents/trl_adapter.score_only_labelled_positions`). Measured on a 2-core machine shared with
other jobs: seeds 836 s (with the reference pass), 417 s and 247 s; data and training 1,571 s,
the two held-out splits 457 s and 608 s; the whole run 2,636 s (44 minutes). `--quick` is a
smoke-size run.

On a GPU: ``--pairs 4000 --epochs 2 --batch_size 32 --target all-linear --lora_r 16 --lr 2e-4
--episodes 2000`` (bf16 is used automatically where supported with ``--bf16``); everything else
is unchanged.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import shlex
import time
from pathlib import Path

import numpy as np

from proact_env.agents.dpo_config import SMOLLM2_LAST_FOUR_QV, DPOTrainingConfig
from proact_env.agents.dpo_train import train
from proact_env.benchmark.paired import paired_difference
from proact_env.benchmark.report import write_results
from proact_env.benchmark.runner import BenchmarkConfig, format_lost_value, run_benchmark
from proact_env.cli import main as proact
from proact_env.io import atomic_write_text
from proact_env.llm.local_models import model_label

BASE = "smollm2-135m-instruct"
REFERENCES = ("clarify_once", "threshold")


def run(*args: str) -> None:
    print("$ proact " + " ".join(shlex.quote(a) for a in args), flush=True)
    if proact(list(args)) != 0:
        raise SystemExit(f"proact {args[0]} failed")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/output/dpo_pretrained"))
    parser.add_argument("--base", default=BASE, help="the pretrained base: a registered name, folder or hub id")
    parser.add_argument("--states", type=int, default=300, help="synthetic states to expand into conversations")
    parser.add_argument("--lookahead", type=int, default=16, help="rollouts per branch")
    parser.add_argument("--max_turns", type=int, default=4, help="turns per conversation (short prompts)")
    parser.add_argument("--pairs", type=int, default=128, help="training pairs drawn from the data")
    parser.add_argument("--heldout_persona", default="busy_manager", help="the preset never trained on")
    parser.add_argument("--train_seeds", default="0,1,2", help="training seeds (comma-separated)")
    parser.add_argument("--epochs", type=float, default=1.0)
    parser.add_argument("--batch_size", type=int, default=8)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--lora_r", type=int, default=16)
    parser.add_argument("--target", default=SMOLLM2_LAST_FOUR_QV,
                        help="LoRA target modules: a regex (default: SmolLM2's last four layers' q/v) or all-linear")
    parser.add_argument("--bf16", action="store_true", help="bfloat16 training (GPU only)")
    parser.add_argument("--episodes", type=int, default=60, help="held-out episodes per split and policy")
    parser.add_argument("--bench_seed", type=int, default=1000, help="seeds the held-out episodes")
    parser.add_argument("--seed", type=int, default=0, help="seeds the data")
    parser.add_argument("--quick", action="store_true", help="smoke size: 60 states, 32 pairs, 2 seeds, 20 episodes")
    args = parser.parse_args()
    if args.quick:
        args.states, args.lookahead, args.pairs, args.train_seeds, args.episodes = 60, 4, 32, "0,1", 20
    return args


def make_pairs(args: argparse.Namespace) -> Path:
    data = args.out / "data"
    run("generate", "--mode", "synthetic", "--n_states", str(args.states), "--multi_turn", "--max_turns",
        str(args.max_turns), "--lookahead", str(args.lookahead), "--continuation", "optimal", "--mainline", "random",
        "--seed", str(args.seed), "--out", str(data / "trajectories.jsonl"), "--overwrite", "--concurrency", "1",
        "--no-progress")
    run("rewards", "--trajectories", str(data / "trajectories.jsonl"), "--out", str(data / "prefs.jsonl"),
        "--margin", "0.02", "--completions", "label")
    lines = (data / "prefs.jsonl").read_text().splitlines()
    kept = [line for line in lines if json.loads(line)["persona"]["name"] != args.heldout_persona]
    chosen = random.Random(args.seed).sample(kept, min(args.pairs, len(kept)))
    atomic_write_text(data / "train.jsonl", "\n".join(chosen) + "\n")
    print(f"{len(lines)} pairs, {len(kept)} without {args.heldout_persona}, {len(chosen)} drawn for training")
    return data / "train.jsonl"


def train_runs(args: argparse.Namespace, pairs: Path) -> dict[str, list[str]]:
    seeds = [int(s) for s in args.train_seeds.split(",")]
    tiny = args.out / "tiny_model"
    run("make-tiny-model", "--out", str(tiny), "--init_range", "0.02")
    runs: dict[str, list[str]] = {"smollm2": [], "tiny": []}
    for i, seed in enumerate(seeds):
        # every seed after the first reuses the first one's reference log-probs: same pairs, same adapter-free base
        started = time.perf_counter()
        out = args.out / f"smollm2_seed{seed}"
        train_once(DPOTrainingConfig(data=pairs, model=args.base, output=out, epochs=args.epochs, lr=args.lr,
                                     beta=0.1, lora_r=args.lora_r, lora_alpha=2 * args.lora_r,
                                     target_modules=args.target, batch_size=args.batch_size, max_length=512,
                                     val_split=0.0, seed=seed, bf16=args.bf16, precompute_ref_log_probs=True,
                                     reference_from=Path(runs["smollm2"][0]) if i else None, logging_steps=5))
        print(f"SmolLM2 DPO seed {seed}: {time.perf_counter() - started:.0f} s", flush=True)
        runs["smollm2"].append(str(out))
        out = args.out / f"tiny_seed{seed}"
        train_once(DPOTrainingConfig(data=pairs, model=str(tiny), output=out, epochs=2, lr=2e-3, beta=0.1, lora_r=32,
                                     lora_alpha=64, batch_size=16, max_length=640, val_split=0.0, seed=seed,
                                     reference_from=Path(runs["tiny"][0]) if i else None))
        runs["tiny"].append(str(out))
    return runs


def train_once(config: DPOTrainingConfig) -> None:
    """Train unless `config.output` already holds a run of this exact configuration on these exact pairs.

    A SmolLM2 seed costs minutes of CPU, so an interrupted benchmark resumes where it stopped
    instead of training every seed again; a changed setting or a changed pairs file retrains.
    """
    record, data_hash = config.output / "training_config.json", hashlib.sha256(config.data.read_bytes()).hexdigest()
    marker = config.output / "pairs.sha256"
    if record.exists() and marker.exists() and marker.read_text().strip() == data_hash:
        done = json.loads(record.read_text())
        if all(done.get(k) == v for k, v in config.to_dict().items()):
            print(f"{config.output}: already trained with this configuration, reused", flush=True)
            return
    train(config)
    atomic_write_text(marker, data_hash + "\n")


def benchmark(args: argparse.Namespace, runs: dict[str, list[str]]) -> dict:
    smollm2 = [f"dpo:{r}" for r in runs["smollm2"]]
    tiny = [f"dpo:{r}" for r in runs["tiny"]]
    zero_shot = f"llm_prompt:local:{args.base}"
    policies = (*smollm2, *tiny, zero_shot, "clarify_once", "threshold", "optimal")
    report = {}
    for split, persona in (("held-out preset", args.heldout_persona), ("sampled personas", "sampled")):
        started = time.perf_counter()
        config = BenchmarkConfig(policies=policies, episodes=args.episodes, seed=args.bench_seed,
                                 env_kwargs={"persona": persona, "max_turns": args.max_turns},
                                 run_groups={"smollm2": tuple(smollm2), "tiny": tuple(tiny)}, episodes_at_once=8)
        results = run_benchmark(config)
        summary = results.summary()
        folder = args.out / split.replace(" ", "_")
        write_results(results, folder, summary)
        grouped = results.by_policy()
        names = {**{s: f"SmolLM2 DPO seed {i}" for i, s in enumerate(smollm2)},
                 **{s: f"tiny DPO seed {i}" for i, s in enumerate(tiny)}, zero_shot: "SmolLM2 zero-shot"}
        rows = {}
        for label, specs in (*((names.get(s, s), [s]) for s in policies), ("SmolLM2 DPO, mean of seeds", smollm2),
                             ("tiny DPO, mean of seeds", tiny)):
            returns = np.mean([[r.episode_return for r in grouped[s]] for s in specs], axis=0)
            rows[label] = {"mean_return": float(returns.mean()),
                           "ask_rate": float(np.mean([summary["policies"][s]["ask_rate"] for s in specs])),
                           **{f"vs {ref}": paired_difference(returns, [r.episode_return for r in grouped[ref]])
                              for ref in REFERENCES}}
        report[split] = {"persona": persona, "rows": rows, "seconds": time.perf_counter() - started,
                         "lost_value": format_lost_value(summary)}
        print(f"\n== {split} ({persona}), {args.episodes} episodes from seed {args.bench_seed}, "
              f"{report[split]['seconds']:.0f} s")
        print(f"{'policy':28s} return  ask    vs clarify_once       vs threshold")
        for label, row in rows.items():
            diffs = "   ".join(f"{row[f'vs {ref}']['mean']:+.4f} ±{row[f'vs {ref}']['ci95']:.4f}" for ref in REFERENCES)
            print(f"{label:28s} {row['mean_return']:.3f}  {row['ask_rate']:.2f}   {diffs}")
        print(report[split]["lost_value"])
    return report


def main() -> None:
    args = parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    pairs = make_pairs(args)
    runs = train_runs(args, pairs)
    trained = time.perf_counter()
    report = benchmark(args, runs)
    total = time.perf_counter() - started
    print(f"\nbase {model_label(args.base)}; {args.pairs} pairs x {len(runs['smollm2'])} seeds; training and data "
          f"{trained - started:.0f} s, whole run {total:.0f} s")
    atomic_write_text(args.out / "report.json", json.dumps(
        {"config": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()}, "runs": runs,
         "report": report, "seconds": total}, indent=2) + "\n")


if __name__ == "__main__":
    main()
