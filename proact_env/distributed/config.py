"""What every backend shares: the `ShardExecutor` protocol, `ExecutorConfig` and how threads are shared out.

Kept apart from `executor` (which picks a backend) so that `ray_backend` can use
them without importing the module that imports it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Iterator, Protocol, Sequence, TypeVar

T = TypeVar("T")
R = TypeVar("R")

BACKENDS = ("local", "ray")


class ShardExecutor(Protocol):
    """Runs `work` on every shard; yields ``(position in shards, result)`` as shards finish, each once."""

    #: parallel workers (threads of this process count as one)
    workers: int

    def map(self, work: Callable[[T], R], shards: Sequence[T]) -> Iterator[tuple[int, R]]: ...


@dataclass(frozen=True)
class ExecutorConfig:
    """Where a run's shards go (`--backend`, `--workers`, `--ray_address`).

    Attributes:
        backend: ``"local"`` (default: this machine) or ``"ray"`` (a Ray cluster).
        workers: parallel workers. Local: processes (1, the default, runs in
            this process). Ray: actors, each with its own envs and LLM clients;
            None uses one per CPU of the cluster.
        ray_address: the Ray cluster to join (``"auto"``, ``"HOST:6379"``,
            ``"ray://HOST:10001"``). Default None: ``$RAY_ADDRESS`` if set,
            else a Ray instance started on this machine for the run.
        max_restarts: how often Ray restarts a worker that died (killed,
            out of memory, node lost) and re-runs its unfinished shards.
            Shards are pure functions of their seeds, so a re-run adds the
            same result. Default 3.
    """

    backend: str = "local"
    workers: int | None = None
    ray_address: str | None = None
    max_restarts: int = 3

    def __post_init__(self) -> None:
        if self.backend not in BACKENDS:
            raise ValueError(f"--backend must be one of {BACKENDS}, got {self.backend!r}")
        if self.workers is not None and self.workers < 1:
            raise ValueError(f"--workers must be >= 1, got {self.workers}")
        if self.backend == "local" and self.ray_address is not None:
            raise ValueError("--ray_address needs --backend ray")
        if self.max_restarts < 0:
            raise ValueError(f"max_restarts must be >= 0, got {self.max_restarts}")


def threads_per_worker(concurrency: int, workers: int) -> int:
    """Each worker's share of a run's `concurrency` shards in flight, so the run as a whole keeps about that many."""
    return max(1, math.ceil(concurrency / workers))


__all__ = ["BACKENDS", "ExecutorConfig", "ShardExecutor", "threads_per_worker"]
