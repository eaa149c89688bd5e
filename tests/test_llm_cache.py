"""The on-disk response cache: keys, modes, damaged entries and concurrent writers."""

from __future__ import annotations

import json
import multiprocessing
import threading

import pytest

from proact_env.llm.cache import CacheMissError, ResponseCache, cache_key
from proact_env.llm.chat import ChatMessage, Completion

MESSAGES = (ChatMessage("system", "Be brief."), ChatMessage("user", "Which format?"))
SAMPLING = {"temperature": 0.7, "max_tokens": 64, "seed": 0}


def test_key_is_stable_and_changes_with_every_component():
    base = cache_key("openai", "gpt-4o-mini", MESSAGES, SAMPLING, 0)
    assert base == cache_key("openai", "gpt-4o-mini", list(MESSAGES), dict(reversed(SAMPLING.items())), 0)
    variants = [
        cache_key("transformers", "gpt-4o-mini", MESSAGES, SAMPLING, 0),
        cache_key("openai", "gpt-4o", MESSAGES, SAMPLING, 0),
        cache_key("openai", "gpt-4o-mini", MESSAGES[1:], SAMPLING, 0),
        cache_key("openai", "gpt-4o-mini", (MESSAGES[0], ChatMessage("user", "Which format?!")), SAMPLING, 0),
        cache_key("openai", "gpt-4o-mini", MESSAGES, {**SAMPLING, "temperature": 0.0}, 0),
        cache_key("openai", "gpt-4o-mini", MESSAGES, {**SAMPLING, "max_tokens": 65}, 0),
        cache_key("openai", "gpt-4o-mini", MESSAGES, {**SAMPLING, "seed": 1}, 0),
        cache_key("openai", "gpt-4o-mini", MESSAGES, SAMPLING, 1),
    ]
    assert len({base, *variants}) == len(variants) + 1


def test_read_write_mode_stores_and_counts(tmp_path):
    cache = ResponseCache(tmp_path)
    key = cache_key("openai", "m", MESSAGES, SAMPLING, 0)
    assert cache.get(key) is None
    cache.put(key, Completion("CSV, please.", prompt_tokens=12, completion_tokens=3))
    assert cache.get(key) == Completion("CSV, please.", 12, 3, cached=True)
    assert cache.stats() == {"hits": 1, "misses": 1}
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == [f"{key}.json"]


def test_replay_mode_reads_but_a_miss_is_an_error(tmp_path):
    ResponseCache(tmp_path).put("ab" * 32, Completion("cached"))
    replay = ResponseCache(tmp_path, "replay")
    assert replay.get("ab" * 32).text == "cached"
    with pytest.raises(CacheMissError, match="replay-only"):
        replay.get("cd" * 32)
    replay.put("ef" * 32, Completion("never stored"))
    assert not ResponseCache(tmp_path).path("ef" * 32).exists()


def test_off_mode_neither_reads_nor_writes(tmp_path):
    ResponseCache(tmp_path).put("ab" * 32, Completion("cached"))
    off = ResponseCache(tmp_path, "off")
    assert off.get("ab" * 32) is None
    off.put("cd" * 32, Completion("x"))
    assert off.stats() == {"hits": 0, "misses": 0}
    assert not off.path("cd" * 32).exists()


def test_a_damaged_entry_is_a_miss_and_is_rewritten(tmp_path):
    cache = ResponseCache(tmp_path)
    key = "ab" * 32
    cache.put(key, Completion("good"))
    cache.path(key).write_text('{"text": "trunc')
    assert cache.get(key) is None
    cache.put(key, Completion("good again"))
    assert cache.get(key).text == "good again"


def test_unknown_mode_is_rejected(tmp_path):
    with pytest.raises(ValueError, match="unknown cache mode 'sometimes'"):
        ResponseCache(tmp_path, "sometimes")


def _writer(directory: str, worker: int, n_keys: int, barrier) -> None:
    cache = ResponseCache(directory)
    barrier.wait()
    for i in range(n_keys):
        # every worker writes the shared keys (same content) and its own keys
        cache.put(cache_key("openai", "m", (ChatMessage("user", f"shared {i}"),), SAMPLING, 0), Completion(f"shared {i}" * 20_000))
        cache.put(cache_key("openai", "m", (ChatMessage("user", f"own {worker} {i}"),), SAMPLING, 0), Completion(f"own {worker} {i}"))


def test_concurrent_writer_processes_and_threads_leave_only_whole_entries(tmp_path):
    n_workers, n_keys = 4, 30
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(n_workers)
    workers = [ctx.Process(target=_writer, args=(str(tmp_path), w, n_keys, barrier)) for w in range(n_workers)]
    for w in workers:
        w.start()
    reader = ResponseCache(tmp_path)
    torn = []

    def read_while_writing() -> None:  # a reader in another thread never sees a partial entry
        while any(w.is_alive() for w in workers):
            for path in tmp_path.rglob("*.json"):
                try:
                    json.loads(path.read_text())
                except FileNotFoundError:
                    continue
                except ValueError:
                    torn.append(path)

    thread = threading.Thread(target=read_while_writing)
    thread.start()
    for w in workers:
        w.join(60)
        assert w.exitcode == 0
    thread.join()
    assert torn == []
    entries = list(tmp_path.rglob("*.json"))
    assert len(entries) == n_keys + n_workers * n_keys
    assert not [p for p in tmp_path.rglob("*") if p.is_file() and p.suffix != ".json"]  # no temporary files left
    for i in range(n_keys):
        key = cache_key("openai", "m", (ChatMessage("user", f"shared {i}"),), SAMPLING, 0)
        assert reader.get(key).text == f"shared {i}" * 20_000
