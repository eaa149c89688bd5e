"""The Ray backend: shards run on Ray actors, results stream back to the driver as they finish.

Each of `workers` actors receives the run's `work` once (pickled by Ray) and
builds its own envs and LLM clients on first use; the driver keeps each actor
busy with `threads + 1` shards (one queued behind those running) and never
runs further ahead of the oldest unfinished shard than a fixed window, so the
caller's reorder buffer stays small. A worker that dies is restarted by Ray
and its unfinished shards re-run (`max_restarts`): shards depend only on their
seeds, so the output is the same as if nothing had happened. With a request
limit, every worker takes its LLM request slots from one `RequestLimiter` actor.

Ray is imported when a `RayExecutor` is entered, never at `import proact_env`.
"""

from __future__ import annotations

import os
from typing import Any, Callable, Iterator, Sequence, TypeVar

from proact_env.distributed.executor import ExecutorConfig, threads_per_worker
from proact_env.distributed.limiter import ClusterSlots, RequestLimiter
from proact_env.errors import require
from proact_env.llm.limits import share_request_slots

T = TypeVar("T")
R = TypeVar("R")

#: how many shards past the oldest unfinished one may be submitted, per worker slot
WINDOW_PER_SLOT = 4


class ShardWorker:
    """A Ray actor's body: runs shards with the run's `work` (its own envs and clients, built on first use)."""

    def __init__(self, work: Callable[[Any], Any], limiter: Any | None) -> None:
        if limiter is not None:
            share_request_slots(lambda config: ClusterSlots(limiter, config))
        self.work = work

    def run(self, shard: Any) -> Any:
        return self.work(shard)

    def pid(self) -> int:
        """The worker's process id (to find the process in a fault-injection test)."""
        return os.getpid()


class RayExecutor:
    """Runs shards on Ray actors; a context manager that joins (or starts) Ray and leaves it as it found it.

    Arguments:
        config: the backend's settings (`workers`, `ray_address`, `max_restarts`).
        concurrency: shards in flight across all actors, on threads (LLM-bound work);
            each actor runs its share (`threads_per_worker`) at once.
        request_limit: LLM requests in flight across all actors together; None: no shared bound.
    """

    def __init__(self, config: ExecutorConfig, *, concurrency: int = 1, request_limit: int | None = None) -> None:
        self.config = config
        self.concurrency = concurrency
        self.request_limit = request_limit
        self.workers = self.threads = 0  # known once connected to the cluster
        self.limiter: Any | None = None  # the run's RequestLimiter actor, while `map` runs
        self.actors: list[Any] = []  # the ShardWorker actors, while `map` runs
        self._ray: Any = None
        self._started_ray = False

    def __enter__(self) -> "RayExecutor":
        ray = self._ray = require("ray", "ray")
        if not ray.is_initialized():
            connect_to = self.config.ray_address or os.environ.get("RAY_ADDRESS")
            # a cluster that this run starts has no use for the dashboard; one it joins keeps its own settings
            ray.init(address=connect_to, **({} if connect_to else {"include_dashboard": False}))
            self._started_ray = True
        self.workers = self.config.workers or max(1, int(ray.cluster_resources().get("CPU", 1)))
        self.threads = threads_per_worker(self.concurrency, self.workers)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._started_ray:
            self._ray.shutdown()

    def map(self, work: Callable[[T], R], shards: Sequence[T]) -> Iterator[tuple[int, R]]:
        """Results as shards finish, each exactly once, however often a worker died on the way."""
        ray = self._ray
        if ray is None:
            raise RuntimeError("enter the RayExecutor (`with RayExecutor(...) as executor:`) before map()")
        limiter = self._start_limiter()
        actor_class = ray.remote(ShardWorker).options(
            num_cpus=1, max_concurrency=self.threads,
            max_restarts=self.config.max_restarts, max_task_retries=self.config.max_restarts,
        )
        # `work` goes inline with each actor's creation (a few kB), so a restarted actor gets it back
        self.actors = [actor_class.remote(work, limiter) for _ in range(self.workers)]
        try:
            yield from self._stream(self.actors, shards)
        finally:
            for actor in self.actors:
                ray.kill(actor, no_restart=True)
            self.actors = []
            if limiter is not None:
                ray.kill(limiter, no_restart=True)
                self.limiter = None

    def _start_limiter(self) -> Any | None:
        if self.request_limit is None:
            return None
        # no CPU reserved: it only counts, and must not take a worker's place
        self.limiter = self._ray.remote(RequestLimiter).options(num_cpus=0, max_restarts=-1).remote(self.request_limit)
        return self.limiter

    def _stream(self, actors: list, shards: Sequence[T]) -> Iterator[tuple[int, R]]:
        ray = self._ray
        per_actor = self.threads + 1
        window = WINDOW_PER_SLOT * per_actor * len(actors)
        load = [0] * len(actors)
        pending: dict[Any, tuple[int, int]] = {}  # object ref -> (position, actor)
        finished: set[int] = set()
        next_position = oldest_unfinished = 0
        while next_position < len(shards) or pending:
            while next_position < len(shards) and next_position < oldest_unfinished + window:
                actor = min(range(len(actors)), key=load.__getitem__)
                if load[actor] >= per_actor:
                    break
                pending[actors[actor].run.remote(shards[next_position])] = (next_position, actor)
                load[actor] += 1
                next_position += 1
            (ready,), _ = ray.wait(list(pending), num_returns=1)
            position, actor = pending.pop(ready)
            load[actor] -= 1
            result = ray.get(ready)
            finished.add(position)
            while oldest_unfinished in finished:
                finished.discard(oldest_unfinished)
                oldest_unfinished += 1
            yield position, result
