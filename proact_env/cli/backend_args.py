"""The flags that say where a command's work runs (`--backend`, `--workers`, `--ray_address`).

`proact generate` and `proact benchmark` share them, so a run moves from this
machine to a Ray cluster by adding ``--backend ray`` and nothing else changes:
not the flags, not the output.
"""

from __future__ import annotations

import argparse

from proact_env.distributed.config import BACKENDS, ExecutorConfig


def add_backend_arguments(parser: argparse.ArgumentParser, *, local_workers: str) -> None:
    """Add the backend flags; `local_workers` says what `--workers` does with the local backend."""
    group = parser.add_argument_group("where the work runs (the output is the same on every backend)")
    group.add_argument("--backend", choices=BACKENDS, default="local",
                       help="local (this machine, default) or ray (a Ray cluster; pip install 'proact-env[ray]')")
    group.add_argument("--ray_address", default=None,
                       help="Ray cluster to join: auto, HOST:6379 or ray://HOST:10001 "
                            "(default: $RAY_ADDRESS, else a Ray instance started on this machine for the run)")
    group.add_argument("--workers", type=int, default=None,
                       help=f"parallel workers. local: {local_workers}; ray: actors, each with its own envs and "
                            "LLM clients (default: one per CPU of the cluster)")


def executor_config_from_args(args: argparse.Namespace) -> ExecutorConfig:
    return ExecutorConfig(backend=args.backend, workers=args.workers, ray_address=args.ray_address)
