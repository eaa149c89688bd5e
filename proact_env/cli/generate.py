"""`proact generate`: step 1 of the pipeline, states → trajectories (the seed's generate_trajectories.py)."""

from __future__ import annotations

import argparse
from functools import partial
from pathlib import Path

from proact_env.cli.backend_args import add_backend_arguments, executor_config_from_args
from proact_env.cli.llm_args import add_llm_arguments, llm_config_from_args, print_llm_summary
from proact_env.env import DEFAULT_MAX_TURNS
from proact_env.errors import RunFailedError
from proact_env.splits import PERSONA_SPLIT_HELP, TASK_SPLIT_HELP
from proact_env.types import Action


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "generate",
        help="generate trajectories (mainline + branches) from synthetic or dataset states",
        description="For every state: a mainline trajectory (the persona rule's action, or --mainline_action), "
        "a branch with the other action and a branch that resamples the mainline action. Output lines are "
        "written in order, unit by unit; --resume continues an interrupted run exactly.",
    )
    p.add_argument("--mode", choices=["synthetic", "dataset"], default="synthetic",
                   help="synthetic: states generated here; dataset: states read from --dataset_path")
    p.add_argument("--domain", choices=["coding", "planning"], default="coding",
                   help="task flavour in synthetic mode (dataset states carry their own domain)")
    p.add_argument("--generator", choices=["slots", "planning"], default="slots",
                   help="synthetic tasks: 'slots' (exactly solvable, default) or 'planning' (hidden-constraint plans)")
    p.add_argument("--n_states", type=int, default=None,
                   help="states to expand (synthetic default 50; dataset default: the whole file)")
    p.add_argument("--dataset_path", "--dataset", "--input", type=Path,
                   help="states JSONL in the seed schema (dataset mode; no default)")
    p.add_argument("--out", type=Path, required=True, help="trajectories JSONL to write")
    p.add_argument("--mainline_action", type=Action.parse, choices=list(Action), metavar="{Clarify,Execute}",
                   help="force the mainline action (default: the persona rule)")
    p.add_argument("--mainline", metavar="POLICY",
                   help="a benchmark policy spec that picks the mainline action instead of the persona rule, "
                        "e.g. 'random' so a multi-turn run reaches the later turns of both actions "
                        "(default: the persona rule)")
    p.add_argument("--multi_turn", action="store_true", help="play whole conversations, one line per turn")
    p.add_argument("--max_turns", type=int, default=DEFAULT_MAX_TURNS,
                   help="assistant turns per conversation (the env's max_turns)")
    p.add_argument("--lookahead", type=int, default=0, metavar="K",
                   help="roll each branch on to the end K times with the --continuation policy (0: one-step "
                        "comparison)")
    p.add_argument("--continuation", default="execute",
                   help="lookahead continuation: 'execute' (execute next, default) or any benchmark policy spec, "
                        "e.g. 'optimal' or 'threshold:tau=0.4'")
    p.add_argument("--seed", type=int, default=0, help="random seed of the run: same seed, same file")
    p.add_argument("--persona", default="presets", help="presets (default), sampled, or a preset name")
    p.add_argument("--persona_split", default="all", help=PERSONA_SPLIT_HELP + " (default: %(default)s)")
    p.add_argument("--task_split", default="all",
                   help=TASK_SPLIT_HELP + "; here synthetic slot tasks only (default: %(default)s)")
    p.add_argument("--resume", action="store_true", help="continue an interrupted run of the same command")
    p.add_argument("--overwrite", action="store_true", help="replace an existing output file")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    add_llm_arguments(p)  # --llm_model, --base_url, --concurrency (states and requests in flight), cache...
    add_backend_arguments(p, local_workers="1 (states overlap on --concurrency threads instead)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from proact_env.distributed.executor import PerProcess, open_executor
    from proact_env.llm.backbone import LLMBackbone
    from proact_env.rollout.generate import GenerationConfig, UnitGenerator, plan_units, run_generation

    if args.backend == "local" and (args.workers or 1) > 1:
        raise ValueError("--workers needs --backend ray; on this machine, states overlap on --concurrency threads")
    n_states = args.n_states if args.n_states is not None else (50 if args.mode == "synthetic" else None)
    llm = llm_config_from_args(args)
    config = GenerationConfig(
        out=args.out, mode=args.mode, domain=args.domain, generator=args.generator, n_states=n_states, dataset_path=args.dataset_path,
        seed=args.seed, persona=args.persona, persona_split=args.persona_split, task_split=args.task_split,
        mainline_action=args.mainline_action, mainline=args.mainline, multi_turn=args.multi_turn,
        max_turns=args.max_turns, lookahead=args.lookahead, continuation=args.continuation, concurrency=args.concurrency, resume=args.resume,
        overwrite=args.overwrite,
        backbone={"provider": llm.provider, "model": llm.model, **llm.cache_identity()},
    )
    units = plan_units(config)  # validates every input state before anything is written
    # one backbone per process: shared by this process's threads, built anew in each Ray worker
    backbone = PerProcess(partial(LLMBackbone.from_config, llm)) if llm.provider != "scripted" else None
    if backbone:
        backbone()  # here, not in every worker, a missing key or extra stops the run before it starts
    generator = UnitGenerator(config, backbone_factory=backbone, continuation=_continuation(args.continuation),
                              mainline=_policy_factory(args.mainline) if args.mainline else None)
    # on Ray, --concurrency bounds the endpoint's load across all workers, not per worker
    request_limit = llm.concurrency if llm.provider == "openai" else None
    with open_executor(executor_config_from_args(args), concurrency=config.concurrency,
                       request_limit=request_limit) as executor, \
            tqdm(total=len(units), unit="state", desc="generate", disable=args.no_progress) as bar:
        bar.update(min(len(units), _already_done(config)))
        summary = run_generation(config, generator, progress=bar.update, units=units, executor=executor)
    actions = ", ".join(f"{a} {n}" for a, n in sorted(summary.by_action.items())) or "none"
    print(f"{summary.units_written} states expanded into {summary.lines_written} trajectories "
          f"({summary.units_done_before} states were already done); actions: {actions}; wrote {config.out}")
    if summary.failed:
        print(f"{len(summary.failed)} state(s) failed (recorded as 'failed' lines, skipped by 'proact rewards'):")
        for failure in summary.failed[:20]:
            print(f"  {failure}")
    if args.backend == "local":  # on Ray the workers' backbones did the work and keep their own tallies
        print_llm_summary(backbone.instance if backbone else None)
    if summary.units_written and len(summary.failed) == summary.units_written:
        raise RunFailedError(f"every one of the {summary.units_written} states failed (first: {summary.failed[0]}); "
                             "check the LLM setup with 'proact check-llm', then rerun with --overwrite")
    return 0


def _continuation(spec: str):
    """The lookahead continuation policy factory; 'execute' is the default's short name."""
    from proact_env.rollout.generate import ExecuteNext

    if spec == "execute":
        return lambda env: ExecuteNext()
    return _policy_factory(spec)


def _policy_factory(spec: str):
    """A per-env policy factory (policies are resolved by name only up here, in the CLI)."""
    from proact_env.benchmark.registry import make_policy

    return lambda env: make_policy(spec, env)


def _already_done(config) -> int:
    """Units a resumed run will skip, for the progress bar (the writer recounts them exactly)."""
    if not (config.resume and config.out.is_file()):
        return 0
    import json

    last = None
    with config.out.open("rb") as handle:
        for last in handle:
            pass
    try:
        unit = json.loads(last)["unit"]
        return unit["index"] + (unit["line"] + 1 == unit["size"])
    except (TypeError, ValueError, KeyError):
        return 0
