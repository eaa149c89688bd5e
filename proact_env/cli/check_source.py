"""`proact check-source SPEC`: check a custom task source before an env plays it (`proact_env.check_task_source`).

SPEC names the source the way a policy spec names a policy class:
``import:package.module:Factory`` (or ``package.module:Factory``), where Factory
is a class or function called with ``--kwargs``, or an object that already is a
source; or a registered env id (``proact_env/Planning-v0``), whose source is checked.
"""

from __future__ import annotations

import argparse


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "check-source",
        help="check a custom task source: says what is wrong and how to fix it",
        description="Sample tasks from a task source, score messages, play episodes and run Gymnasium's "
                    "check_env; print every problem with its fix. Exits 1 if any error is found.",
    )
    p.add_argument("spec", metavar="SPEC",
                   help="import:package.module:Factory (a class, function or source object; the module must be "
                        "importable: installed or on PYTHONPATH) or a registered env id")
    p.add_argument("--kwargs", default="{}", metavar="JSON", help="keyword arguments for Factory, as JSON")
    p.add_argument("--samples", type=int, default=20, help="tasks to sample (seeds SEED, SEED+1, ...)")
    p.add_argument("--episodes", type=int, default=5, help="episodes to play in a ProactEnv")
    p.add_argument("--seed", type=int, default=0, help="first sampling seed")
    p.set_defaults(func=run)


def load_source(spec: str, kwargs: dict) -> object:
    """The task source `spec` names (see the module docstring)."""
    import gymnasium as gym

    from proact_env.importing import resolve

    if spec.startswith("import:"):
        spec = spec[len("import:"):]
    if ":" not in spec:
        if spec not in gym.registry:
            raise ValueError(f"{spec!r} is neither 'import:package.module:Factory' nor a registered env id")
        env = gym.make(spec, **kwargs)
        source = env.unwrapped.task_source
        env.close()
        return source
    try:
        target = resolve(spec)
    except (ImportError, AttributeError) as exc:
        raise ValueError(f"cannot import {spec!r}: {exc}") from None
    if callable(getattr(target, "sample", None)) and not isinstance(target, type):
        if kwargs:
            raise ValueError(f"{spec} is already a task source object: --kwargs has nothing to build")
        return target
    return target(**kwargs)


def run(args: argparse.Namespace) -> int:
    from proact_env.cli.env_args import parse_env_kwargs
    from proact_env.source_checker import find_problems

    source = load_source(args.spec, parse_env_kwargs(args.kwargs, flag="--kwargs"))
    print(f"checking {args.spec}: {args.samples} samples from seed {args.seed}, {args.episodes} episodes")
    problems = find_problems(source, samples=args.samples, seed=args.seed, episodes=args.episodes)
    for problem in problems:
        print(f"- {problem}")
    errors = sum(p.severity == "error" for p in problems)
    warnings = len(problems) - errors
    if errors:
        print(f"{errors} error(s), {warnings} warning(s): the env would misbehave with this source")
        return 1
    print(f"OK: no error ({warnings} warning(s))")
    return 0
