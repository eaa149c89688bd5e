"""`proact convert-mbpp`: MBPP -> a coding states file (the seed's `convert_mbpp_to_states.py`).

Each line is a seed-format state (``id, domain, query, dialogue_turn,
prev_reject, task_uncertainty``) plus the hidden fields the env grades and
plays the user with (tests, setup code, entry point and signature, reference
code, hidden facts); see `proact_env.domains.coding.states`.
"""

from __future__ import annotations

import argparse

from proact_env.domains.coding.mbpp import MBPP_SPLITS

DEFAULT_OUT = "data/seeds/mbpp_states.jsonl"


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "convert-mbpp",
        help="convert MBPP to a coding states file",
        description="Convert MBPP (mbpp.jsonl, sanitized-mbpp.json, or the Hugging Face hub) to a coding states "
                    "file: seed-format states plus the hidden fields the coding env needs.",
    )
    parser.add_argument("--input", "--dataset_path", "--dataset", default=None,
                        help="mbpp.jsonl or sanitized-mbpp.json (default: none, MBPP is downloaded from the hub, "
                             "which needs network and the 'datasets' package)")
    parser.add_argument("--hub-config", choices=("full", "sanitized"), default="full",
                        help="which MBPP to download when --input is not given (default: full)")
    parser.add_argument("--split", choices=tuple(MBPP_SPLITS), default="all",
                        help="upstream split by task id: prompt 1-10, test 11-510, validation 511-600, "
                             "train 601-974, all (default)")
    parser.add_argument("--out", default=DEFAULT_OUT, help=f"output states file (default: {DEFAULT_OUT})")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from proact_env.domains.coding.mbpp import load_mbpp, load_mbpp_hub
    from proact_env.domains.coding.states import write_states

    if args.input is not None:
        problems = load_mbpp(args.input, split=args.split)
        origin = args.input
    else:
        problems = load_mbpp_hub(config=args.hub_config, split=args.split)
        origin = f"the hub ({args.hub_config})"
    count = write_states(problems, args.out)
    print(f"wrote {count} MBPP states ({args.split} split) from {origin} to {args.out}")
    return 0
