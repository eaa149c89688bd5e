"""One bound on LLM requests in flight for a whole Ray run, however many workers it has.

`--concurrency 16` must mean 16 requests at the endpoint, not 16 per worker:
64 workers would otherwise send 1,024 at once and drown a vLLM server in
queueing or 429s. The run starts one `RequestLimiter` actor; each worker
installs `ClusterSlots` as its process's request slots
(`proact_env.llm.limits.share_request_slots`), so every HTTP attempt of every
client in the worker takes a slot from the actor first and gives it back when
the answer is in. Slots are leases: a worker killed while holding some cannot
block the run, its slots come back once their lease runs out (longer than any
one attempt may take, `lease_seconds`).

This module imports no Ray: the actor class is made remote where it is started.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
from typing import Any

from proact_env.llm.config import LLMConfig


def lease_seconds(config: LLMConfig) -> float:
    """How long a slot may be held: one attempt is cut at `request_timeout`; twice that, plus slack, is safe."""
    return 2 * config.request_timeout + 10.0


class RequestLimiter:
    """At most `slots` leases held at once (an async Ray actor: waiting acquirers cost no thread).

    `max_held` is the most leases held at any moment, for a run to report.
    """

    def __init__(self, slots: int) -> None:
        if slots < 1:
            raise ValueError(f"slots must be >= 1, got {slots}")
        self.slots = slots
        self.max_held = 0
        self._expiry: dict[int, float] = {}  # lease id -> monotonic deadline
        self._ids = itertools.count()
        self._changed: asyncio.Condition | None = None  # made on the actor's event loop

    async def acquire(self, lease_seconds: float) -> int:
        """Wait for a free slot; return its lease id (give it back with `release`)."""
        if self._changed is None:
            self._changed = asyncio.Condition()
        async with self._changed:
            while True:
                now = time.monotonic()
                self._expire(now)
                if len(self._expiry) < self.slots:
                    lease = next(self._ids)
                    self._expiry[lease] = now + lease_seconds
                    self.max_held = max(self.max_held, len(self._expiry))
                    return lease
                try:
                    await asyncio.wait_for(self._changed.wait(), timeout=min(self._expiry.values()) - now)
                except asyncio.TimeoutError:
                    pass  # the oldest lease may have run out: look again

    async def release(self, lease: int) -> None:
        """Give a slot back (a lease that already ran out is ignored)."""
        if self._changed is None:
            self._changed = asyncio.Condition()
        async with self._changed:
            if self._expiry.pop(lease, None) is not None:
                self._changed.notify()

    async def stats(self) -> dict[str, int]:
        """Slots, leases held now and the most ever held at once."""
        return {"slots": self.slots, "held": len(self._expiry), "max_held": self.max_held}

    def _expire(self, now: float) -> None:
        for lease in [lease for lease, deadline in self._expiry.items() if deadline <= now]:
            del self._expiry[lease]


class ClusterSlots:
    """A worker's request slots, taken from the run's `RequestLimiter`: entered by many threads, once per attempt."""

    def __init__(self, limiter: Any, config: LLMConfig) -> None:
        import ray

        self._ray = ray
        self._limiter = limiter
        self._lease_seconds = lease_seconds(config)
        self._held = threading.local()

    def __enter__(self) -> None:
        self._held.lease = self._ray.get(self._limiter.acquire.remote(self._lease_seconds))

    def __exit__(self, *exc: object) -> None:
        # not awaited: the slot is free as soon as the actor sees this; the answer is already in
        self._limiter.release.remote(self._held.lease)
