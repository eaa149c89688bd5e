"""Token usage, estimated cost and failures of a run, tallied across threads and printed at its end."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field

#: USD per million (prompt, completion) tokens of known hosted models; an estimate
#: for budgeting, not a bill. Override with `LLMConfig.price_input/price_output`.
PRICES: dict[str, tuple[float, float]] = {
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4o": (2.50, 10.00),
    "gpt-4.1-nano": (0.10, 0.40),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1": (2.00, 8.00),
    "gpt-3.5-turbo": (0.50, 1.50),
}


def price_for(provider: str, model: str, price_input: float | None, price_output: float | None) -> tuple[float, float] | None:
    """(input, output) USD per million tokens; None when unknown (then no cost is claimed)."""
    if price_input is not None or price_output is not None:
        return (price_input or 0.0, price_output or 0.0)
    if provider == "transformers":
        return (0.0, 0.0)
    name = model.rsplit("/", 1)[-1]
    for known in sorted(PRICES, key=len, reverse=True):  # "gpt-4o-mini-2024-07-18" -> gpt-4o-mini
        if name == known or name.startswith(known + "-"):
            return PRICES[known]
    return None


@dataclass
class UsageTally:
    """What a backbone spent: requests, retries, tokens, cache use and the items that failed."""

    provider: str
    model: str
    price: tuple[float, float] | None = None
    requests: int = 0
    retries: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_completions: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add_attempt(self, *, retry: bool) -> None:
        with self._lock:
            self.requests += 1
            self.retries += retry

    def add_completion(self, prompt_tokens: int, completion_tokens: int, *, cached: bool) -> None:
        with self._lock:
            if cached:
                self.cached_completions += 1
            else:
                self.prompt_tokens += prompt_tokens
                self.completion_tokens += completion_tokens

    def add_failure(self, label: str, reason: str) -> None:
        with self._lock:
            self.failures.append((label, reason))

    @property
    def estimated_cost(self) -> float | None:
        if self.price is None:
            return None
        return (self.prompt_tokens * self.price[0] + self.completion_tokens * self.price[1]) / 1e6

    def summary(self, cache_stats: dict[str, int] | None = None) -> str:
        """A few lines for the end of a run: usage, cost, cache and what failed (grouped by reason)."""
        cost = self.estimated_cost
        cost_text = f"${cost:.4f}" if cost is not None else "unknown (no price known for this model)"
        lines = [
            f"LLM {self.provider}:{self.model}: {self.requests} request(s) sent ({self.retries} retries), "
            f"{self.prompt_tokens} prompt + {self.completion_tokens} completion tokens, estimated cost {cost_text}"
        ]
        if cache_stats is not None:
            lines.append(f"  cache: {cache_stats['hits']} hit(s), {cache_stats['misses']} miss(es)")
        if self.failures:
            lines.append(f"  {len(self.failures)} item(s) FAILED after retries:")
            for reason, count in Counter(reason for _, reason in self.failures).most_common():
                examples = [label for label, r in self.failures if r == reason and label][:3]
                where = f" (e.g. {', '.join(examples)})" if examples else ""
                lines.append(f"    {count} x {reason}{where}")
        else:
            lines.append("  no failed items")
        return "\n".join(lines)
