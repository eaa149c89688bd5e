"""The one executor abstraction both `proact generate` and `proact benchmark` use, and its local backends.

A run is a list of *shards* (the states of a generation, the episode chunks of a
benchmark) and a *work* callable that turns one shard into its result. An
executor calls `work` on every shard and yields ``(position, result)`` pairs,
each shard exactly once, in whatever order they finish; the caller puts them in
order (the generation's `UnitWriter` buffers early units, the benchmark sorts).

Out-of-process backends pickle `work` once per worker (a process, a Ray actor),
so its heavy parts (envs, LLM clients) are built lazily in each worker: never
capture a built client in `work`, capture a `PerProcess` factory of it.
"""

from __future__ import annotations

import multiprocessing
import threading
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor, as_completed
from contextlib import AbstractContextManager, nullcontext
from typing import Callable, Generic, Iterator, Sequence, TypeVar

from proact_env.distributed.config import ExecutorConfig, ShardExecutor

T = TypeVar("T")
R = TypeVar("R")


def open_executor(
    config: ExecutorConfig, *, concurrency: int = 1, request_limit: int | None = None
) -> AbstractContextManager[ShardExecutor]:
    """The executor `config` asks for, as a context manager that releases its workers (and Ray) on exit.

    Arguments:
        concurrency: shards in flight across the run, on threads (for work
            that waits on an LLM): all in this process locally, shared out
            among the workers on Ray (`threads_per_worker`). A local run
            with several worker processes takes no threads.
        request_limit: LLM requests in flight across all workers together;
            None leaves each process its own bound. Only a Ray run has
            workers in several processes that share an endpoint.
    """
    if config.backend == "ray":
        from proact_env.distributed.ray_backend import RayExecutor

        return RayExecutor(config, concurrency=concurrency, request_limit=request_limit)
    workers = config.workers or 1
    if workers == 1:
        return nullcontext(ThreadExecutor(concurrency))
    if concurrency > 1:
        raise ValueError(f"a local run overlaps {concurrency} shards on threads of one process; "
                         f"{workers} worker processes need --backend ray (or --concurrency 1)")
    return nullcontext(ProcessExecutor(workers))


class ThreadExecutor:
    """This process, `threads` shards at a time (1: one after the other), results in shard order.

    A bounded window of submitted shards keeps memory flat and the caller's
    reorder buffer small.
    """

    workers = 1

    def __init__(self, threads: int = 1) -> None:
        if threads < 1:
            raise ValueError(f"threads must be >= 1, got {threads}")
        self.threads = threads

    def map(self, work: Callable[[T], R], shards: Sequence[T]) -> Iterator[tuple[int, R]]:
        if self.threads == 1:
            for position, shard in enumerate(shards):
                yield position, work(shard)
            return
        with ThreadPoolExecutor(max_workers=self.threads) as pool:
            pending: dict[int, Future] = {}
            upcoming = iter(enumerate(shards))
            for position, shard in upcoming:
                pending[position] = pool.submit(work, shard)
                if len(pending) >= 4 * self.threads:
                    break
            while pending:
                position = min(pending)
                yield position, pending.pop(position).result()
                following = next(upcoming, None)
                if following is not None:
                    pending[following[0]] = pool.submit(work, following[1])


class ProcessExecutor:
    """`workers` fresh processes of this machine (spawned: nothing inherited but what `work` carries)."""

    def __init__(self, workers: int) -> None:
        self.workers = workers

    def map(self, work: Callable[[T], R], shards: Sequence[T]) -> Iterator[tuple[int, R]]:
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=self.workers, mp_context=context) as pool:
            futures = {pool.submit(work, shard): position for position, shard in enumerate(shards)}
            for future in as_completed(futures):
                yield futures[future], future.result()


class PerProcess(Generic[R]):
    """A factory that builds its object once per process, however many threads ask, and pickles as the factory.

    So a generator can share one LLM backbone (one cache, one usage tally)
    among its threads here, and each Ray worker builds its own there.
    """

    def __init__(self, build: Callable[[], R]) -> None:
        self.build = build
        self._lock = threading.Lock()
        self.instance: R | None = None

    def __call__(self) -> R:
        with self._lock:
            if self.instance is None:
                self.instance = self.build()
            return self.instance

    def __getstate__(self) -> dict:
        return {"build": self.build}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["build"])
