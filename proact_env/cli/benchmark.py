"""`proact benchmark`: compare policies on the same episodes; write tables and plots."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from proact_env.benchmark.registry import DEFAULT_POLICIES
from proact_env.cli.backend_args import add_backend_arguments, executor_config_from_args
from proact_env.cli.llm_args import add_llm_arguments
from proact_env.splits import PERSONA_SPLIT_HELP, TASK_SPLIT_HELP, Split

#: policy spec prefixes that call a model (their copies play in lockstep by default)
MODEL_POLICIES = ("llm_prompt", "dpo", "model_decides")


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "benchmark",
        help="compare policies on the same episodes (tables with 95%% intervals, Pareto and calibration plots)",
        description="Every policy plays the same episodes (common random numbers). Writes results.json, "
        "results.csv, episodes.csv, pareto.png and calibration.png to --out, and prints a table.",
    )
    p.add_argument("--env", default="proact_env/Synthetic-v0", help="registered env id (default: %(default)s)")
    p.add_argument("--policies", default=",".join(DEFAULT_POLICIES),
                   help="comma-separated policy specs, e.g. 'optimal,threshold:tau=0.3,sb3:model.zip'; several training "
                        "runs of one policy as 'dpo:RUN1,RUN2,RUN3' (mean and spread across runs) (default: all baselines)")
    p.add_argument("--episodes", type=int, default=2000, help="episodes per policy (default: %(default)s)")
    p.add_argument("--seed", type=int, default=0, help="seeds every episode (default: %(default)s)")
    p.add_argument("--out", type=Path, default=Path("data/eval/benchmark"), help="output folder (default: %(default)s)")
    p.add_argument("--env-kwargs", default="{}", metavar="JSON",
                   help='extra gymnasium.make arguments as JSON, e.g. \'{"max_turns": 4, "persona": "sampled"}\'; '
                        'backbone and simulator may be spec strings: \'{"backbone": "local:smollm2-135m-instruct"}\'')
    p.add_argument("--backbone", default=None, metavar="SPEC",
                   help="who writes the assistant's messages: scripted (default: each task's scripted writer), "
                        "local:MODEL (a local transformers model: folder, hub id or a name such as "
                        "smollm2-135m-instruct) or openai:MODEL[@BASE_URL]; sampling, cache and device come from the "
                        "LLM flags below (same as --llm_model/--llm_provider/--base_url)")
    p.add_argument("--simulator", default=None, metavar="SPEC",
                   help="who plays the user: rules (default), llm (gpt-4o-mini) or llm:MODEL_SPEC, e.g. "
                        "llm:smollm2-135m-instruct or llm:openai:MODEL@BASE_URL")
    p.add_argument("--compare-simulators", default=None, metavar="SPEC,SPEC,...",
                   help="run the same episodes under each user (e.g. rules,llm:smollm2-135m-instruct) into "
                        "--out/<user>/ and print, per policy, the paired differences from the first, the LLM user's "
                        "fallback rate and how often its reveals agree with the rules; writes --out/simulators.json (default: "
                        "none, one run)")
    p.add_argument("--episodes-at-once", type=int, default=None, metavar="N",
                   help="episodes each worker plays at once in lockstep, so a local model batches their calls "
                        "(default: --batch_size when a model plays (backbone, LLM user or a model policy), else 1)")
    p.add_argument("--reference", default=None, metavar="POLICY",
                   help="compare every policy with this one, episode by episode (paired 95%% intervals; "
                        "default: the best policy that is not an oracle)")
    p.add_argument("--replays", type=int, default=1, metavar="K",
                   help="play each episode K times (1-8) with fresh user randomness and report pass^k "
                        "(default: %(default)s)")
    p.add_argument("--persona_split", default="all", help=PERSONA_SPLIT_HELP + " (default: %(default)s)")
    p.add_argument("--task_split", default="all", help=TASK_SPLIT_HELP + " (default: %(default)s)")
    p.add_argument("--allow_train_split", action="store_true",
                   help="evaluate dpo:/sb3: models on a split that holds out none of the users or tasks their "
                        "training_config.json says they were trained on (an in-distribution number; default: refused)")
    p.add_argument("--no_regret_blind", action="store_true",
                   help="skip the exact persona-blind optimum and its regret_blind column (it costs about 15 s "
                        "of CPU per process on Synthetic-v0; default: computed where the persona prior is finite)")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    add_backend_arguments(p, local_workers="processes (default: 1, in this process); results do not depend on it")
    add_llm_arguments(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from proact_env.benchmark.registry import expand_runs, split_policy_list
    from proact_env.cli.env_args import make_checked_env, parse_env_kwargs

    env_kwargs = parse_env_kwargs(args.env_kwargs)
    make_checked_env(args.env, env_kwargs).close()  # a wrong id or argument fails here, in one line
    backbone = backbone_option(args)
    if backbone is not None:
        if "backbone" in env_kwargs:
            raise ValueError("the backbone is given twice: in --env-kwargs and by --backbone/--llm_model")
        env_kwargs["backbone"] = backbone
    specs = split_policy_list(args.policies)
    groups = {spec: tuple(expand_runs(spec)) for spec in specs if len(expand_runs(spec)) > 1}
    policies = tuple(run for spec in specs for run in expand_runs(spec))
    if args.compare_simulators:
        if args.simulator or "simulator" in env_kwargs:
            raise ValueError("--compare-simulators names the users itself: drop --simulator and env kwargs' simulator")
        return _compare(args, env_kwargs, policies, groups)
    if args.simulator:
        if "simulator" in env_kwargs:
            raise ValueError("the simulator is given twice: in --env-kwargs and by --simulator")
        env_kwargs["simulator"] = simulator_option(args, args.simulator)
    _benchmark(args, env_kwargs, policies, groups, args.out)
    return 0


def _benchmark(args: argparse.Namespace, env_kwargs: dict, policies: tuple[str, ...],
               groups: dict[str, tuple[str, ...]], out: Path):
    """One run: table, paired differences, lost value, LLM user; files in `out`; the results."""
    from tqdm import tqdm

    from proact_env.benchmark.fidelity import format_failed_calls, format_llm_user
    from proact_env.benchmark.paired import format_paired
    from proact_env.benchmark.report import write_results
    from proact_env.benchmark.runner import (
        BenchmarkConfig,
        built_models,
        built_policies,
        format_lost_value,
        format_split,
        format_table,
        run_benchmark,
    )
    from proact_env.cli.llm_args import print_llm_summary
    from proact_env.distributed.executor import open_executor

    started = time.perf_counter()
    with open_executor(executor_config_from_args(args)) as executor:
        config = BenchmarkConfig(
            env_id=args.env,
            policies=policies,
            episodes=args.episodes,
            seed=args.seed,
            workers=executor.workers,
            env_kwargs=env_kwargs,
            reference=args.reference,
            replays=args.replays,
            run_groups=groups,
            persona_split=args.persona_split,
            task_split=args.task_split,
            allow_train_split=args.allow_train_split,
            regret_blind=not args.no_regret_blind,
            episodes_at_once=episodes_at_once(args, env_kwargs, policies),
        )
        with tqdm(total=config.episodes * len(config.policies), unit="ep", disable=args.no_progress,
                  desc="benchmark") as bar:
            results = run_benchmark(config, progress=bar.update, executor=executor)
    summary = results.summary()
    if summary["splits"]["models"] or Split(args.persona_split, args.task_split).declared:
        print(format_split(summary["splits"]))
    print(format_table(summary))
    if summary["paired"]:
        print(format_paired(summary["paired"]))
    if lost := format_lost_value(summary):
        print(lost)
    paths = write_results(results, out, summary)
    print(f"{config.episodes} episodes x {len(config.policies)} policies in {time.perf_counter() - started:.1f} s; "
          f"wrote {', '.join(str(p) for p in paths.values())}")
    if args.backend == "local":  # whatever called a model says what it cost and what failed
        print_llm_summary(*built_policies().values(), *built_models().values())
    for warning in (format_failed_calls(summary["failed_model_calls"]), format_llm_user(summary["llm_user"])):
        if warning:  # last, so that a warning is what the user sees
            print(warning)
    return results


def _compare(args: argparse.Namespace, env_kwargs: dict, policies: tuple[str, ...],
             groups: dict[str, tuple[str, ...]]) -> int:
    from proact_env.benchmark.fidelity import compare_simulators, format_comparison
    from proact_env.io import atomic_write_text

    names = [name.strip() for name in args.compare_simulators.split(",") if name.strip()]
    if len(names) < 2 or len(set(names)) != len(names):
        raise ValueError(f"--compare-simulators needs two or more different users, got {args.compare_simulators!r}")
    options = {name: simulator_option(args, name) for name in names}  # fail on a bad spec before any run
    runs = {}
    for name in names:
        print(f"== user: {name}")
        results = _benchmark(args, {**env_kwargs, "simulator": options[name]}, policies, groups,
                             args.out / _slug(name))
        runs[name] = results.by_policy()
    comparison = compare_simulators(runs)
    print(format_comparison(comparison))
    path = args.out / "simulators.json"
    atomic_write_text(path, json.dumps(comparison, indent=2) + "\n")
    print(f"wrote {path}")
    return 0


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "-" for c in name).strip("-")


def _model_settings(args: argparse.Namespace) -> dict:
    """The LLM flags that say how to sample and cache, as `LLMConfig` fields (JSON, for env kwargs)."""
    return {"temperature": args.temperature, "max_tokens": args.max_tokens, "seed": args.llm_seed,
            "concurrency": args.concurrency, "max_retries": args.max_retries,
            "request_timeout": args.request_timeout, "cache_dir": args.cache_dir, "cache_mode": args.cache_mode,
            "device": args.device, "batch_size": args.batch_size, "api_key_env": args.api_key_env}


def backbone_option(args: argparse.Namespace) -> dict | None:
    """The backbone env kwarg (`LLMConfig` fields) from --backbone or --llm_model/--llm_provider/--base_url."""
    from proact_env.cli.llm_args import llm_config_from_args
    from proact_env.llm.specs import SCRIPTED, parse_model_spec

    if args.backbone is not None:
        if args.llm_model or args.llm_provider or args.base_url:
            raise ValueError("give the backbone once: --backbone, or --llm_model/--llm_provider/--base_url")
        if args.backbone == SCRIPTED:
            return None
        return {**_model_settings(args), **parse_model_spec(args.backbone)}
    config = llm_config_from_args(args)
    if config.provider == SCRIPTED:
        return None
    return {**_model_settings(args), "provider": config.provider, "model": config.model,
            **({"base_url": config.base_url} if config.base_url else {})}


def simulator_option(args: argparse.Namespace, spec: str) -> str | dict:
    """The simulator env kwarg: ``rules``, or an LLM user's `LLMConfig` fields with the LLM flags' settings."""
    from proact_env.llm.specs import parse_model_spec
    from proact_env.simulator import DEFAULT_LLM_USER

    if spec == "rules":
        return "rules"
    kind, _, model_spec = spec.partition(":")
    if kind != "llm":
        raise ValueError(f"unknown simulator {spec!r}: expected rules, llm or llm:MODEL_SPEC")
    model = parse_model_spec(model_spec) if model_spec else {k: DEFAULT_LLM_USER[k] for k in ("provider", "model")}
    # the user answers in a JSON object: it gets the room it needs whatever --max_tokens says
    return {"kind": "llm", **_model_settings(args), "max_tokens": DEFAULT_LLM_USER["max_tokens"], **model}


def episodes_at_once(args: argparse.Namespace, env_kwargs: dict, policies: tuple[str, ...]) -> int:
    """--episodes-at-once, else --batch_size when something in the run calls a model, else 1."""
    if args.episodes_at_once is not None:
        return args.episodes_at_once
    models = (isinstance(env_kwargs.get("backbone"), (str, dict)) and env_kwargs["backbone"] != "scripted") \
        or (env_kwargs.get("simulator") not in (None, "rules")) \
        or any(spec.partition(":")[0] in MODEL_POLICIES for spec in policies)
    return args.batch_size if models else 1
