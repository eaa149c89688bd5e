"""`ChatEngine`: a chat client behind the response cache, with usage and failures tallied.

Both the LLM backbones and the LLM user simulator talk to models through an
engine, so caching, accounting and the end-of-run summary work the same for
every provider.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from proact_env.llm.cache import ResponseCache, cache_key
from proact_env.llm.chat import CallFailure, ChatClient, ChatRequest, Completion, LLMCallFailed
from proact_env.llm.usage import UsageTally
from proact_env.lockstep import run_together


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

        Successful completions are cached; failures are not (a rerun retries them). Played
        in a `proact_env.lockstep.Lockstep`, the misses join the other episodes' misses for
        the same model and settings in one batch.
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
            misses = [_Miss(self, key, requests[indices[0]]) for key, indices in groups]
            for (_, indices), result in zip(groups, run_together(self.batch_group(), _complete_misses, misses)):
                for i in indices:
                    results[i] = result
        return results  # type: ignore[return-value]  # every slot is filled above

    def batch_group(self) -> tuple:
        """What may share a generation batch with this engine's requests: the same model, server or device,
        and sampling."""
        return ("chat", self.client.provider, self.client.model, getattr(self.client, "device", None),
                tuple(sorted(self.sampling.items())))

    def complete(self, request: ChatRequest) -> Completion:
        """A single completion; raises `LLMCallFailed` if it failed after its retries."""
        (result,) = self.complete_many([request])
        if isinstance(result, CallFailure):
            raise LLMCallFailed(result)
        return result

    def summary(self) -> str:
        """Usage, estimated cost, cache hits and failures so far: print it at the end of a run."""
        return self.tally.summary(self.cache.stats() if self.cache is not None else None)


@dataclass(frozen=True)
class _Miss:
    """A request the cache did not have, with the engine that caches and tallies its answer."""

    engine: ChatEngine
    key: str
    request: ChatRequest


def _complete_misses(misses: list[_Miss]) -> list[Completion | CallFailure]:
    """Send misses (of one `batch_group`, possibly from several engines) to the first one's client.

    Each result is cached and tallied by its own engine as soon as it is done (in the client's
    worker threads), so cache writes overlap the requests still in flight; a request that several
    episodes make at once is sent once.
    """
    by_key: dict[str, list[_Miss]] = {}
    for miss in misses:
        by_key.setdefault(miss.key, []).append(miss)
    keys = list(by_key)

    def record(position: int, result: Completion | CallFailure) -> None:
        for copy, miss in enumerate(by_key[keys[position]]):
            engine = miss.engine
            if isinstance(result, Completion):
                if engine.cache is not None:
                    engine.cache.put(miss.key, result)
                # one call answered them all: the others cost nothing, like cache hits
                engine.tally.add_completion(result.prompt_tokens, result.completion_tokens, cached=copy > 0)
            else:
                engine.tally.add_failure(miss.request.label, result.reason)

    answers = misses[0].engine.client.complete_many([by_key[key][0].request for key in keys], record)
    position = {key: i for i, key in enumerate(keys)}
    return [answers[position[m.key]] for m in misses]
