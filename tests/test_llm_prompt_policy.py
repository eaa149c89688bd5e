"""The zero-shot LLM policy, against an OpenAI-compatible server on 127.0.0.1."""

from __future__ import annotations

import pytest

from proact_env.agents.llm_prompt_policy import parse_decision
from proact_env.benchmark.runner import BenchmarkConfig, run_benchmark
from proact_env.llm.stub_server import StubOpenAIServer
from proact_env.types import Action


def uncertainty_minded(messages):
    """Answers like a model that asks when the task is unclear and the user is patient."""
    prompt = messages[-1]["content"]
    uncertain = "Task uncertainty: 0.0" not in prompt and "Task uncertainty: 0.5" not in prompt
    return "Clarify." if uncertain and "patience high" in prompt and "Dialogue turn: 0" in prompt else "Execute"


def test_parse_decision():
    assert parse_decision("I would Clarify first.") is Action.CLARIFY
    assert parse_decision("EXECUTE") is Action.EXECUTE
    assert parse_decision("Hmm, hard to say") is None


def test_llm_prompt_policy_plays_the_benchmark_through_a_real_server(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    monkeypatch.setenv("PROACT_CACHE_DIR", str(tmp_path / "cache"))
    with StubOpenAIServer(responder=uncertainty_minded) as server:
        spec = f"llm_prompt:openai:stub-model@{server.base_url}"
        config = BenchmarkConfig(policies=(spec, "always_execute"), episodes=60, seed=1)
        first = run_benchmark(config).summary()["policies"]
        requests = server.chat_requests
        again = run_benchmark(config).summary()["policies"]
        assert server.chat_requests == requests  # the rerun is answered from the cache
    assert requests > 60
    assert 0.0 < first[spec]["ask_rate"] < 1.0
    assert first[spec]["mean_return"] == pytest.approx(again[spec]["mean_return"])
