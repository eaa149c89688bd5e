"""The communication table of the coding envs, comparable with HumanEvalComm's, with a real model writing.

    PYTHONPATH=. python benchmarks/communication_report.py [--model smollm2-135m-instruct] [--episodes 4]

For each HumanEvalComm variant (1a ambiguous, 1c inconsistent, 1p incomplete, 2ac, 2ap, 2cp),
the HumanEval control (nothing hidden) and MBPP, every policy plays the same `--episodes`
episodes (problems and users drawn from `--seed`, the same for every policy) with `--model`
writing every assistant turn (`--backbone local:MODEL`) and the rule-based user:

- fixed decisions (`always_execute` never asks, `clarify_once` asks first) with the model writing;
- ``model_decides:MODEL``: the model writes freely (HumanEvalComm's "either write code or ask"),
  and Clarify or Execute is read from its text (`proact_env.agents.model_decides.read_decision`).

Per (setting, policy): pass@1 of the final solution, communication rate (first turn asks),
good-question rate (the env's ``question_quality``; n/a where the env does not report it),
turns and return (`proact_env.benchmark.communication`). Writes `communication.json` and
`communication.md` to `--out`. Model calls are cached on disk: a rerun makes none.

HumanEvalComm's own figures (Wu & Fard 2025, ChatGPT): pass@1 65.58% on HumanEval, 31.34% on
HumanEvalComm, communication rate 14.21%. Numbers from SmolLM2-135M-Instruct are a 135M model's.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from tqdm import tqdm

from proact_env.benchmark.communication import communication_metrics, format_communication
from proact_env.benchmark.runner import BenchmarkConfig, run_benchmark
from proact_env.data import dataset_path
from proact_env.io import atomic_write_text
from proact_env.llm.local_models import model_label

VARIANTS = ("1a", "1c", "1p", "2ac", "2ap", "2cp")
PAPER = {"HumanEval pass@1": 0.6558, "HumanEvalComm pass@1": 0.3134, "HumanEvalComm communication rate": 0.1421}


def settings() -> dict[str, tuple[str, dict]]:
    """setting name -> (env id, env kwargs): the six variants, the control and MBPP."""
    comm = str(dataset_path("humanevalcomm"))
    table = {f"HumanEvalComm {v}": ("proact_env/HumanEvalComm-v0", {"dataset_path": comm, "variants": [v]})
             for v in VARIANTS}
    table["HumanEval (control)"] = ("proact_env/HumanEval-v0", {"dataset_path": str(dataset_path("humaneval"))})
    table["MBPP"] = ("proact_env/Coding-v0", {"dataset_path": str(dataset_path("mbpp"))})
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="smollm2-135m-instruct", help="who writes: a registered name, folder or hub id")
    parser.add_argument("--episodes", type=int, default=4, help="episodes (problems) per setting and policy")
    parser.add_argument("--policies", default="always_execute,clarify_once",
                        help="fixed-decision policies beside model_decides:MODEL (comma-separated)")
    parser.add_argument("--max_turns", type=int, default=2, help="assistant turns per episode")
    parser.add_argument("--max_tokens", type=int, default=160, help="new tokens per assistant turn")
    parser.add_argument("--batch", type=int, default=8, help="episodes in lockstep, prompts per generate")
    parser.add_argument("--only", default=None, help="comma-separated settings to run (default: all)")
    parser.add_argument("--seed", type=int, default=0, help="draws the problems and users (recorded)")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/output/communication"))
    args = parser.parse_args()

    backbone = {"provider": "transformers", "model": args.model, "temperature": 0.0, "max_tokens": args.max_tokens,
                "batch_size": args.batch, "device": "cpu"}
    policies = (*[p for p in args.policies.split(",") if p], f"model_decides:local:{args.model}")
    chosen = settings()
    if args.only:
        chosen = {name: chosen[name] for name in args.only.split(",")}
    table: dict[str, dict] = {}
    started = time.perf_counter()
    for name, (env_id, env_kwargs) in tqdm(chosen.items(), desc="settings", unit="setting"):
        config = BenchmarkConfig(env_id=env_id, policies=policies, episodes=args.episodes, seed=args.seed,
                                 env_kwargs={**env_kwargs, "max_turns": args.max_turns, "backbone": backbone},
                                 episodes_at_once=args.batch)
        grouped = run_benchmark(config).by_policy()
        table[name] = {spec.replace(f":local:{args.model}", ""): communication_metrics(records)
                       for spec, records in grouped.items()}
        print(f"\n{name}: " + "; ".join(f"{p} pass@1 {m['pass_at_1']:.0%} comm {m['communication_rate']:.0%}"
                                        for p, m in table[name].items()), flush=True)
    markdown = format_communication(table)
    print(f"\nwriter: {model_label(args.model)}; {args.episodes} episodes per setting and policy (seed {args.seed}), "
          f"max_turns {args.max_turns}, max_tokens {args.max_tokens}, rule-based user")
    print(markdown)
    print("HumanEvalComm (Wu & Fard 2025), ChatGPT: " + ", ".join(f"{k} {v:.2%}" for k, v in PAPER.items()))
    print(f"whole run {time.perf_counter() - started:.0f} s")
    args.out.mkdir(parents=True, exist_ok=True)
    record = {"model": args.model, "label": model_label(args.model), "settings": {k: list(v) for k, v in chosen.items()},
              "config": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
              "table": table, "paper": PAPER}
    atomic_write_text(args.out / "communication.json", json.dumps(record, indent=2) + "\n")
    atomic_write_text(args.out / "communication.md", markdown + "\n")
    print(f"wrote {args.out / 'communication.json'}, {args.out / 'communication.md'}")


if __name__ == "__main__":
    main()
