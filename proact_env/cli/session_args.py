"""The flags `proact play` and `proact ui` share: which env, persona, policy and backbone a session uses."""

from __future__ import annotations

import argparse
import json
from typing import Any

from proact_env.cli.llm_args import add_llm_arguments, llm_config_from_args


def add_session_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--env", default="proact_env/Synthetic-v0", help="registered env id (default: %(default)s)")
    parser.add_argument("--env-kwargs", default="{}", metavar="JSON",
                        help="extra gymnasium.make arguments as JSON, as for proact benchmark "
                             "(e.g. '{\"max_turns\": 4}'; a coding env needs '{\"dataset_path\": ...}')")
    parser.add_argument("--persona", default=None,
                        help="the env's persona: a preset, 'presets', 'sampled' or a persona .json file (default: the "
                             "env's own). Playing the user, it is what the policy and the reward assume of you")
    parser.add_argument("--policy", default="threshold",
                        help="who decides Clarify/Execute when the person plays the user: any proact benchmark "
                             "policy spec (default: %(default)s)")
    parser.add_argument("--episodes", type=int, default=3, help="episodes per session (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0,
                        help="seeds the episodes as proact benchmark --seed does: episode i meets the task and user "
                             "of the benchmark's episode i (default: %(default)s)")
    parser.add_argument("--out", default="data/human/trajectories.jsonl",
                        help="trajectories JSONL every session appends to, turn by turn; never overwritten "
                             "(default: %(default)s)")
    add_llm_arguments(parser)


def session_template(args: argparse.Namespace) -> dict[str, Any]:
    """The `SessionConfig` fields the flags set (side and participant come separately)."""
    try:
        env_kwargs = json.loads(args.env_kwargs)
    except json.JSONDecodeError as exc:
        raise ValueError(f"--env-kwargs is not valid JSON: {exc}") from None
    if not isinstance(env_kwargs, dict):
        raise ValueError("--env-kwargs must be a JSON object")
    llm = llm_config_from_args(args)
    backbone = {} if llm.provider == "scripted" else {"provider": llm.provider, "model": llm.model,
                                                        **llm.cache_identity()}
    return {"env_id": args.env, "env_kwargs": env_kwargs, "persona": args.persona, "policy": args.policy,
            "episodes": args.episodes, "seed": args.seed, "backbone": backbone}


def backbone_factory(args: argparse.Namespace):
    """Builds the user side's backbone from the LLM flags; None for the env's scripted writer."""
    from proact_env.cli.llm_args import backbone_from_args

    if llm_config_from_args(args).provider == "scripted":
        return None
    return lambda: backbone_from_args(args)
