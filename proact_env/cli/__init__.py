"""The `proact` command: one sub-command per pipeline step.

Each sub-command lives in its own module with `add_parser(subparsers)` and
`run(args)`. Modules import their heavy dependencies inside `run`, so
`proact --help` stays fast and works with the core install alone.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import Sequence

from proact_env import __version__
from proact_env.errors import MissingExtraError, SchemaError
from proact_env.grading.sandbox import SandboxUnavailable
from proact_env.llm.cache import CacheMissError
from proact_env.llm.chat import LLMSetupError
from proact_env.llm.local_models import LocalModelError

#: sub-command name -> module implementing it
COMMANDS: dict[str, str] = {
    "generate": "proact_env.cli.generate",
    "rewards": "proact_env.cli.rewards",
    "benchmark": "proact_env.cli.benchmark",
    "compare": "proact_env.cli.compare",
    "plot": "proact_env.cli.plot",
    "train-dpo": "proact_env.cli.train_dpo",
    "evaluate": "proact_env.cli.evaluate",
    "check-llm": "proact_env.cli.check_llm",
    "make-tiny-model": "proact_env.cli.make_tiny_model",
    "convert-mbpp": "proact_env.cli.convert_mbpp",
    "verify-tasks": "proact_env.cli.verify_tasks",
    "fetch-data": "proact_env.cli.fetch_data",
    "fetch-model": "proact_env.cli.fetch_model",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="proact",
        description="Proactivity calibration: generate data, compute rewards, train and benchmark Clarify/Execute policies.",
    )
    parser.add_argument("--version", action="version", version=f"proact {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in COMMANDS.values():
        importlib.import_module(module).add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (SchemaError, MissingExtraError, FileNotFoundError, FileExistsError, ValueError,
            LLMSetupError, CacheMissError, SandboxUnavailable, LocalModelError) as exc:
        print(f"proact {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"proact {args.command}: interrupted", file=sys.stderr)
        return 130


