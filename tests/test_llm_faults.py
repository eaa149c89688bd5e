"""The real `openai` client against a fault-injecting server on 127.0.0.1.

Every transient fault (429 with Retry-After, 500, a hang past the timeout, a
dropped connection, malformed JSON, no choices) is retried and then succeeds;
when the retries run out the item is a `CallFailure` with its reason and the
rest of the batch still completes; hopeless errors stop the run.
"""

from __future__ import annotations

import threading

import pytest

from proact_env.llm.cache import CacheMissError
from proact_env.llm.chat import CallFailure, ChatMessage, ChatRequest, Completion, LLMCallFailed, LLMSetupError
from proact_env.llm.factory import build_engine
from proact_env.llm.stub_server import StubOpenAIServer
from tests.llm_helpers import openai_config


def _request(text: str = "Which format?", label: str = "") -> ChatRequest:
    return ChatRequest((ChatMessage("user", text),), label=label)


@pytest.fixture
def server():
    with StubOpenAIServer(hang_seconds=3.0, retry_after=0.3) as stub:
        yield stub


@pytest.mark.parametrize("fault", ["429", "500", "hang", "drop", "malformed", "no_choices"])
def test_a_transient_fault_is_retried_then_succeeds(server, tmp_path, fault):
    engine = build_engine(openai_config(server.base_url, tmp_path, request_timeout=0.5))
    server.add_faults([fault])
    result = engine.complete(_request())
    assert isinstance(result, Completion) and result.text.startswith("Stub answer")
    assert server.chat_requests == 2
    assert (engine.tally.requests, engine.tally.retries) == (2, 1)


def test_429_waits_at_least_retry_after(server, tmp_path):
    engine = build_engine(openai_config(server.base_url, tmp_path))
    server.add_faults(["429", "429"])
    engine.complete(_request())
    times = [t for t, _ in server.request_log]
    gaps = [b - a for a, b in zip(times, times[1:])]
    assert len(gaps) == 2 and min(gaps) >= 0.3  # backoff alone would be <= 0.05 s


def test_after_the_last_retry_the_item_fails_with_its_reason_and_the_batch_goes_on(server, tmp_path):
    engine = build_engine(openai_config(server.base_url, tmp_path, max_retries=2, concurrency=1))
    server.add_faults(["500", "500", "500"])  # the first item uses up all its attempts
    results = engine.complete_many([_request("a", "item-a"), _request("b", "item-b"), _request("c", "item-c")])
    assert isinstance(results[0], CallFailure)
    assert results[0].attempts == 3 and results[0].reason.startswith("HTTP 500")
    assert all(isinstance(r, Completion) for r in results[1:])
    summary = engine.summary()
    assert "1 item(s) FAILED" in summary and "HTTP 500" in summary and "item-a" in summary
    with pytest.raises(LLMCallFailed, match="HTTP 500"):
        server.add_faults(["500"] * 3)
        engine.complete(_request("d"))


def test_failures_are_not_cached_so_a_rerun_retries_them(server, tmp_path):
    engine = build_engine(openai_config(server.base_url, tmp_path, max_retries=0))
    server.add_faults(["drop"])
    assert isinstance(engine.complete_many([_request()])[0], CallFailure)
    assert isinstance(engine.complete_many([_request()])[0], Completion)
    assert server.chat_requests == 2


def test_an_empty_completion_is_a_failure_and_is_not_retried(server, tmp_path):
    engine = build_engine(openai_config(server.base_url, tmp_path))
    server.add_faults(["empty"])
    (result,) = engine.complete_many([_request()])
    assert result == CallFailure("empty completion (finish_reason=stop)", attempts=1)
    assert server.chat_requests == 1


def test_a_hang_is_cut_at_the_timeout(server, tmp_path):
    engine = build_engine(openai_config(server.base_url, tmp_path, request_timeout=0.3, max_retries=0))
    server.add_faults(["hang"])
    (result,) = engine.complete_many([_request()])
    assert result.reason == "timeout: no response within 0.3s"


def test_concurrency_is_bounded_across_calling_threads(tmp_path):
    with StubOpenAIServer(delay=0.05) as server:
        engine = build_engine(openai_config(server.base_url, tmp_path, concurrency=3, cache_mode="off"))
        batches = [[_request(f"t{t} r{i}") for i in range(8)] for t in range(3)]
        threads = [threading.Thread(target=engine.complete_many, args=(b,)) for b in batches]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert server.chat_requests == 24
    assert server.max_in_flight == 3


def test_identical_requests_in_a_batch_cost_one_call(server, tmp_path):
    engine = build_engine(openai_config(server.base_url, tmp_path, cache_mode="off"))
    results = engine.complete_many([_request("same"), _request("same"), _request("other")])
    assert results[0] == results[1] != results[2]
    assert server.chat_requests == 2


@pytest.mark.parametrize(
    "server_kwargs, config_kwargs, message",
    [
        ({"api_key": "sk-right-key-0000"}, {}, r"was rejected \(HTTP 401\)"),
        ({"models": ["stub-model"]}, {"model": "gpt-nope"}, "model 'gpt-nope' not found"),
    ],
)
def test_hopeless_errors_stop_the_run_without_retrying(tmp_path, monkeypatch, server_kwargs, config_kwargs, message):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-wrong-key-1234")
    with StubOpenAIServer(**server_kwargs) as server:
        engine = build_engine(openai_config(server.base_url, tmp_path, **config_kwargs))
        with pytest.raises(LLMSetupError, match=message) as err:
            engine.complete_many([_request(), _request("b")])
        assert server.chat_requests <= 2  # one per item at most, no retries
    assert "sk-wrong-key-1234" not in str(err.value)


def test_no_key_for_the_openai_api_is_a_setup_error(tmp_path, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    with pytest.raises(LLMSetupError, match="OPENAI_API_KEY is not set"):
        build_engine(openai_config(None, tmp_path))


def test_a_failed_turn_leaves_the_episode_untouched_so_the_run_can_go_on(server, tmp_path):
    from proact_env import ProactEnv
    from proact_env.llm.backbone import LLMBackbone

    backbone = LLMBackbone(build_engine(openai_config(server.base_url, tmp_path, max_retries=1)))
    env = ProactEnv(domain="coding", backbone=backbone)
    env.reset(seed=0)
    before = env.episode.turn, list(env.episode.transcript), env.episode.patience_left
    server.add_faults(["500", "500"])
    with pytest.raises(LLMCallFailed, match="after 2 attempt"):
        env.step("Clarify")
    assert (env.episode.turn, env.episode.transcript, env.episode.patience_left) == before
    _, _, _, _, info = env.step("Clarify")
    assert info["assistant_msg"].startswith("Stub answer") and env.episode.turn == 1
    assert "1 item(s) FAILED" in backbone.summary()


def test_replay_needs_no_key_no_server_and_no_model(server, tmp_path, monkeypatch):
    build_engine(openai_config(server.base_url, tmp_path)).complete(_request("cached question"))
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    # the cache key includes the server (one model name may be served differently by two servers):
    # replay names the same URL, which is never contacted
    replay = build_engine(openai_config(server.base_url, tmp_path, cache_mode="replay"))
    assert replay.complete(_request("cached question")).cached
    elsewhere = build_engine(openai_config("http://127.0.0.1:9/v1", tmp_path, cache_mode="replay"))
    with pytest.raises(CacheMissError):
        elsewhere.complete(_request("cached question"))
    local = build_engine(openai_config(None, tmp_path, cache_mode="replay", provider="transformers", model="/no/such/model"))
    with pytest.raises(CacheMissError, match="replay-only"):
        local.complete(_request("never asked"))
    assert server.chat_requests == 1
