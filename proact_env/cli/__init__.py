"""The `proact` command: one sub-command per pipeline step.

Each sub-command lives in its own module with `add_parser(subparsers)` and
`run(args)`. Modules import their heavy dependencies inside `run`, so
`proact --help` stays fast and works with the core install alone. The flag
conventions (snake_case and kebab-case spellings, ``--out``/``--output``, defaults
in the help) come from `proact_env.cli.conventions`, for every sub-command at once.

Errors a user can fix (bad input, a missing file or extra, an unreachable
server) end the command with one line, ``proact COMMAND: error: ...``, and exit
status 2; a run in which every item failed (`RunFailedError`) exits with 1.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import Sequence

from proact_env import __version__
from proact_env.cli.conventions import EPILOG, ArgumentParser
from proact_env.errors import MissingExtraError, RunFailedError, SchemaError
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
    "play": "proact_env.cli.play",
    "ui": "proact_env.cli.ui",
    "fit-personas": "proact_env.cli.fit_personas",
    "check-source": "proact_env.cli.check_source",
    "fetch-model": "proact_env.cli.fetch_model",
}


def build_parser() -> argparse.ArgumentParser:
    parser = ArgumentParser(
        prog="proact",
        description="Proactivity calibration: generate data, compute rewards, train and benchmark Clarify/Execute policies.",
        epilog=f"{EPILOG} 'proact COMMAND --help' lists a command's flags and their defaults.",
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
    except RunFailedError as exc:
        print(f"proact {args.command}: error: {_one_line(exc)}", file=sys.stderr)
        return 1
    except (SchemaError, MissingExtraError, OSError, ValueError, LLMSetupError, CacheMissError,
            SandboxUnavailable, LocalModelError) as exc:  # OSError: a missing file, a directory, no permission
        print(f"proact {args.command}: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"proact {args.command}: interrupted", file=sys.stderr)
        return 130


def _one_line(exc: BaseException) -> str:
    """The message on one line (an OSError from the system says which file; one from a library may span lines)."""
    if isinstance(exc, OSError) and exc.filename is not None and exc.strerror:
        return f"{exc.filename}: {exc.strerror}"
    return " ".join(str(exc).split("\n")).strip() or type(exc).__name__
