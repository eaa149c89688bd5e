"""How many requests may be in flight: a bound per process, or one shared by a whole cluster.

Every HTTP client takes a slot from `request_slots(config)` for each attempt
and gives it back when the answer (or the error) is in. By default that is a
semaphore of `config.concurrency` slots in this process. A distributed
executor runs many processes against one endpoint; for `--concurrency` to
bound the endpoint's load and not each process's, it installs a shared limiter
in each of its worker processes with `share_request_slots` before any client
is built there (`proact_env.distributed.ray_backend` does so with a Ray actor).
"""

from __future__ import annotations

import threading
from contextlib import AbstractContextManager
from typing import Callable

from proact_env.llm.config import LLMConfig

#: config -> a context manager that holds one request slot while it is entered.
#: It is entered from many threads at once, once per request attempt.
SlotsFactory = Callable[[LLMConfig], AbstractContextManager]

_shared: SlotsFactory | None = None


def share_request_slots(factory: SlotsFactory | None) -> None:
    """Make every client built from now on in this process take its slots from `factory` (None: back to local)."""
    global _shared
    _shared = factory


def request_slots(config: LLMConfig) -> AbstractContextManager:
    """The slots a new client takes before each request: the shared limiter if installed, else its own semaphore."""
    if _shared is not None:
        return _shared(config)
    return threading.BoundedSemaphore(config.concurrency)
