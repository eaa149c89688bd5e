"""Retry timing: exponential backoff with jitter, overridden by the server's `Retry-After`.

Jitter spreads the retries of many concurrent requests that failed together
(a 429 burst), so they do not hit the server again at the same instant.
"""

from __future__ import annotations

import random
import re
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Mapping

# OpenAI-style keys ("sk-...", "sk-proj-..."), also as servers print them half-masked ("sk-ab***yz").
_SECRET_PATTERN = re.compile(r"\bsk-[A-Za-z0-9_\-*.]{4,}")


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how long to wait before retrying a transient failure.

    Attributes:
        max_retries: retries after the first attempt.
        base: delay before the first retry, in seconds; doubles each retry.
        max_delay: cap of the backoff delay (a server's `Retry-After` is honoured even if longer).
    """

    max_retries: int = 5
    base: float = 0.5
    max_delay: float = 30.0

    def delay(self, retry: int, retry_after: float | None, rng: random.Random) -> float:
        """Seconds to wait before retry number `retry` (0-based).

        Equal jitter: half the exponential step is fixed, half random. A
        server's `Retry-After` is a lower bound.
        """
        step = min(self.max_delay, self.base * (2.0**retry))
        backoff = step / 2.0 + rng.uniform(0.0, step / 2.0)
        return max(backoff, retry_after) if retry_after is not None else backoff


def parse_retry_after(headers: Mapping[str, str] | None, now: float | None = None) -> float | None:
    """Seconds the server asks us to wait: ``retry-after-ms``, ``Retry-After`` in seconds or as an HTTP date."""
    if not headers:
        return None
    millis = headers.get("retry-after-ms")
    if millis is not None:
        try:
            return max(0.0, float(millis) / 1000.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, when - (time.time() if now is None else now))


def scrub_secrets(text: str, *secrets: str | None) -> str:
    """`text` with the given secrets and anything shaped like an API key replaced by ``[redacted]``.

    Servers echo (part of) a rejected key in their error messages; failure
    reasons end up in logs and summaries, so they go through here first.
    """
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[redacted]")
    return _SECRET_PATTERN.sub("[redacted]", text)
