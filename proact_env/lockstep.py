"""Several episodes, one forward pass: model calls of episodes played in threads, merged round by round.

A local model on a CPU spends as long on one prompt as on eight: generation and
scoring are bound by the weights' memory traffic, not by the batch. But an
episode asks one thing at a time (a decision, a message, a user reaction), and
the environment calls the model from inside `step`. So a benchmark plays K
episodes in K threads, each a *member* of one `Lockstep`; every model call goes
through `run_together`, which waits until every member is waiting (or has
left), then runs all waiting calls of one kind as one batch, in member order.

Round r therefore holds each member's r-th call, whatever the threads' timing:
the batches, and so the texts and scores they produce, are the same on every
run. A thread that is not a member calls straight through (no waiting), so
code that never plays in lockstep is unchanged.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

_current = threading.local()


@dataclass
class _Call:
    order: int
    group: Hashable
    run: Callable[[list[Any]], list[Any]]
    items: list[Any]
    results: list[Any] | None = None
    error: BaseException | None = None
    done: bool = False


@dataclass
class Lockstep:
    """The rendezvous of `members` threads (see the module docstring).

    The number of members is fixed up front, so that a round never starts before a
    member that is slow to start has made its call; each member leaves once, when its
    `member` block ends. `rounds` counts the batches run, `batched_items` the calls they merged.
    """

    members: int
    rounds: int = 0
    batched_items: int = 0
    _waiting: list[_Call] = field(default_factory=list)
    _cond: threading.Condition = field(default_factory=threading.Condition)

    @contextmanager
    def member(self, order: int) -> Iterator[None]:
        """Play the block as one of the members; `order` places the thread's calls within a batch."""
        _current.lockstep, _current.order = self, order
        try:
            yield
        finally:
            _current.lockstep = None
            with self._cond:
                self.members -= 1
                self._maybe_run()

    def call(self, group: Hashable, run: Callable[[list[Any]], list[Any]], items: Sequence[Any]) -> list[Any]:
        """`run(items)`, batched with the other members' calls of the same `group` (same `run` semantics)."""
        call = _Call(_current.order, group, run, list(items))
        with self._cond:
            self._waiting.append(call)
            self._maybe_run()
            while not call.done:
                self._cond.wait()
        if call.error is not None:
            raise call.error
        return call.results  # type: ignore[return-value]

    def _maybe_run(self) -> None:
        """Run the round once every member waits (called with the lock held)."""
        if not self._waiting or len(self._waiting) < self.members:
            return
        calls, self._waiting = sorted(self._waiting, key=lambda c: c.order), []
        groups: dict[Hashable, list[_Call]] = {}
        for call in calls:
            groups.setdefault(call.group, []).append(call)
        for members in groups.values():
            items = [item for call in members for item in call.items]
            try:
                results = members[0].run(items)
                if len(results) != len(items):
                    raise RuntimeError(f"a batched call returned {len(results)} results for {len(items)} items")
            except BaseException as exc:  # every caller of the batch sees the error
                for call in members:
                    call.error = exc
            else:
                start = 0
                for call in members:
                    call.results = list(results[start:start + len(call.items)])
                    start += len(call.items)
            self.batched_items += len(items)
        self.rounds += 1
        for call in calls:
            call.done = True
        self._cond.notify_all()


def run_together(group: Hashable, run: Callable[[list[Any]], list[Any]], items: Sequence[Any]) -> list[Any]:
    """`run(items)`: batched with the other members' calls when the calling thread plays in a `Lockstep`.

    `group` names what can share a batch: calls of one group must mean the same
    thing by `run` (the same model and settings); the first member's `run` runs them all.
    """
    lockstep = getattr(_current, "lockstep", None)
    if lockstep is None:
        return run(list(items))
    return lockstep.call(group, run, items)
