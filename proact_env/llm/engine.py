"""`ChatEngine`: a chat client behind the response cache, with usage and failures tallied.

Both the LLM backbones and the LLM user simulator talk to models through an
engine, so caching, accounting and the end-of-run summary work the same for
every provider.
"""

from __future__ import annotations

from typing import Sequence

from proact_env.llm.cache import ResponseCache, cache_key
from proact_env.llm.chat import CallFailure, ChatClient, ChatRequest, Completion, LLMCallFailed
from proact_env.llm.usage import UsageTally


class ChatEngine:
    """Answers chat requests from the cache when it can and from `client` otherwise.

    Arguments:
        client: the provider (`OpenAIChatClient`, `TransformersChatClient`...).
        sampling: what besides provider, model and messages changes a completion: the
            sampling parameters and the endpoint (`LLMConfig.cache_identity`); part of the cache key.
        cache: the response cache; None disables caching.
        tally: where usage is counted; the client counts its attempts in the same one.
    """

    def __init__(
        self,
        client: ChatClient,
        sampling: dict[str, float | int | None],
        cache: ResponseCache | None,
        tally: UsageTally,
    ) -> None:
        self.client = client
        self.sampling = dict(sampling)
        self.cache = cache
        self.tally = tally

    def complete_many(self, requests: Sequence[ChatRequest]) -> list[Completion | CallFailure]:
        """One result per request, in order. Identical requests in a batch cost one call.

        Successful completions are cached; failures are not (a rerun retries them).
        """
        keys = [
            cache_key(self.client.provider, self.client.model, r.messages, self.sampling, r.sample_index)
            for r in requests
        ]
        results: list[Completion | CallFailure | None] = [None] * len(requests)
        pending: dict[str, list[int]] = {}
        for i, key in enumerate(keys):
            if key in pending:
                pending[key].append(i)
                continue
            hit = self.cache.get(key) if self.cache is not None else None
            if hit is None:
                pending[key] = [i]
            else:
                results[i] = hit
                self.tally.add_completion(hit.prompt_tokens, hit.completion_tokens, cached=True)
        if pending:
            groups = list(pending.items())

            def record(position: int, result: Completion | CallFailure) -> None:
                # runs as each item finishes (in the client's worker threads), so
                # cache writes overlap the requests still in flight
                key, indices = groups[position]
                if isinstance(result, Completion):
                    if self.cache is not None:
                        self.cache.put(key, result)
                    self.tally.add_completion(result.prompt_tokens, result.completion_tokens, cached=False)
                else:
                    self.tally.add_failure(requests[indices[0]].label, result.reason)
                for i in indices:
                    results[i] = result

            self.client.complete_many([requests[indices[0]] for _, indices in groups], record)
        return results  # type: ignore[return-value]  # every slot is filled above

    def complete(self, request: ChatRequest) -> Completion:
        """A single completion; raises `LLMCallFailed` if it failed after its retries."""
        (result,) = self.complete_many([request])
        if isinstance(result, CallFailure):
            raise LLMCallFailed(result)
        return result

    def summary(self) -> str:
        """Usage, estimated cost, cache hits and failures so far: print it at the end of a run."""
        return self.tally.summary(self.cache.stats() if self.cache is not None else None)
