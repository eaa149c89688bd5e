"""The Ray backend: shards run on Ray actors, results stream back to the driver as they finish.

Each of `workers` actors receives the run's `work` once (pickled by Ray) and
builds its own envs and LLM clients on first use; the driver keeps each actor
busy with `threads + 1` tasks (one queued behind those running), groups cheap
shards into tasks of about `TARGET_TASK_SECONDS` of work (`TaskSizer`), and
never runs further ahead of the oldest unfinished shard than a fixed window,
so the caller's reorder buffer stays small. A worker that dies is restarted by Ray
and its unfinished shards re-run (`max_restarts`): shards depend only on their
seeds, so the output is the same as if nothing had happened. With a request
limit, every worker takes its LLM request slots from one `RequestLimiter` actor.

Ray is imported when a `RayExecutor` is entered, never at `import proact_env`.
"""

from __future__ import annotations

import os
import time
import uuid
from typing import Any, Callable, Iterator, Sequence, TypeVar

from proact_env.distributed.config import ExecutorConfig, threads_per_worker
from proact_env.distributed.limiter import ClusterSlots, RequestLimiter
from proact_env.errors import require
from proact_env.llm.limits import share_request_slots

T = TypeVar("T")
R = TypeVar("R")

#: how many tasks past the oldest unfinished shard may be submitted, per worker slot
WINDOW_PER_SLOT = 4
#: seconds of work one task should carry: long enough that Ray's ~1 ms per task (and the
#: driver's share of it, which no worker count divides) is noise, short enough to keep results streaming
TARGET_TASK_SECONDS = 0.05
#: the most shards in one task
MAX_SHARDS_PER_TASK = 64


class TaskSizer:
    """How many shards go in one Ray task, from the seconds per shard measured on the tasks so far.

    Cheap shards (a scripted synthetic state takes a few ms) are grouped so the
    driver is not capped by Ray's per-task cost; slow ones (a state that waits
    on an LLM) go one per task. Never so many that some worker slot would idle
    while shards remain.
    """

    def __init__(self) -> None:
        self.seconds_per_shard: float | None = None  # running mean, None until a task is back

    def record(self, shards: int, seconds: float) -> None:
        measured = seconds / shards
        previous = self.seconds_per_shard
        self.seconds_per_shard = measured if previous is None else 0.8 * previous + 0.2 * measured

    def size(self, remaining: int, slots: int) -> int:
        if self.seconds_per_shard is None:
            return 1
        wanted = int(TARGET_TASK_SECONDS / max(self.seconds_per_shard, 1e-6))
        fair_share = -(-remaining // slots)  # ceil: every slot keeps work
        return max(1, min(wanted, MAX_SHARDS_PER_TASK, fair_share))


class ShardWorker:
    """A Ray actor's body: runs shards with the run's `work` (its own envs and clients, built on first use)."""

    def __init__(self, work: Callable[[Any], Any], limiter_name: str | None) -> None:
        if limiter_name is not None:
            import ray

            limiter = ray.get_actor(limiter_name)  # by name: a restarted worker finds it the same way
            share_request_slots(lambda config: ClusterSlots(limiter, config))
        self.work = work

    def run(self, shards: Sequence[Any]) -> tuple[list[Any], float]:
        """The results of consecutive shards, and the seconds they took (the driver sizes tasks by it)."""
        started = time.perf_counter()
        results = [self.work(shard) for shard in shards]
        return results, time.perf_counter() - started

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
        if not shards:
            return  # e.g. a resumed run with nothing left: no worker to start
        limiter_name = self._start_limiter()
        actor_class = ray.remote(ShardWorker).options(
            num_cpus=1, max_concurrency=self.threads,
            max_restarts=self.config.max_restarts, max_task_retries=self.config.max_restarts,
        )
        # `work` goes inline with each actor's creation (a few kB), so a restarted actor gets it back
        self.actors = [actor_class.remote(work, limiter_name) for _ in range(self.workers)]
        try:
            yield from self._stream(self.actors, shards)
        finally:
            for actor in self.actors:
                ray.kill(actor, no_restart=True)
            self.actors = []
            if self.limiter is not None:
                ray.kill(self.limiter, no_restart=True)
                self.limiter = None

    def _start_limiter(self) -> str | None:
        """Start the run's `RequestLimiter` (if it has a request limit); return the name workers find it by."""
        if self.request_limit is None:
            return None
        name = f"proact-request-limiter-{uuid.uuid4().hex}"
        # no CPU reserved: it only counts, and must not take a worker's place
        self.limiter = self._ray.remote(RequestLimiter).options(
            name=name, num_cpus=0, max_restarts=-1).remote(self.request_limit)
        return name

    def _stream(self, actors: list, shards: Sequence[T]) -> Iterator[tuple[int, R]]:
        ray = self._ray
        per_actor = self.threads + 1  # tasks per actor: one queued behind those running
        sizer = TaskSizer()
        load = [0] * len(actors)
        pending: dict[Any, tuple[int, int, int]] = {}  # object ref -> (first position, shards, actor)
        finished: set[int] = set()
        next_position = oldest_unfinished = 0
        while next_position < len(shards) or pending:
            while next_position < len(shards):
                actor = min(range(len(actors)), key=load.__getitem__)
                size = sizer.size(len(shards) - next_position, per_actor * len(actors))
                if load[actor] >= per_actor or next_position >= oldest_unfinished + WINDOW_PER_SLOT * per_actor * len(actors) * size:
                    break
                batch = shards[next_position:next_position + size]
                pending[actors[actor].run.remote(batch)] = (next_position, len(batch), actor)
                load[actor] += 1
                next_position += len(batch)
            (ready,), _ = ray.wait(list(pending), num_returns=1)
            first, size, actor = pending.pop(ready)
            load[actor] -= 1
            results, seconds = ray.get(ready)
            sizer.record(size, seconds)
            finished.update(range(first, first + size))
            while oldest_unfinished in finished:
                finished.discard(oldest_unfinished)
                oldest_unfinished += 1
            yield from zip(range(first, first + size), results)
