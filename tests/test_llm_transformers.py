"""Real models, built offline: the tiny model, the local transformers backbone, and `transformers serve`.

`transformers serve` with the tiny model is a real OpenAI-compatible server
started on 127.0.0.1; the real `openai` client talks to it. Its access log is
the server's own count of requests.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from proact_env import ProactEnv
from proact_env.cli import check_llm, main
from proact_env.llm.backbone import LLMBackbone
from proact_env.llm.chat import CallFailure, ChatMessage, ChatRequest, Completion
from proact_env.llm.config import LLMConfig
from tests.llm_helpers import openai_config, transformers_serve

pytestmark = pytest.mark.slow
POST_LINE = re.compile(r'"POST /v1/chat/completions HTTP/1\.1" 200')


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("tiny-model")
    assert main(["make-tiny-model", "--out", str(out)]) == 0
    return out


def test_the_tiny_model_is_a_complete_offline_checkpoint(tiny_model):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_model)
    model = AutoModelForCausalLM.from_pretrained(tiny_model)
    assert model.config.model_type == "llama" and model.num_parameters() < 1_000_000
    text = tokenizer.apply_chat_template([{"role": "user", "content": "Which format do you want?"}],
                                         add_generation_prompt=True, tokenize=False)
    assert text.endswith("<|assistant|>\n")
    ids = tokenizer("Which format do you want: csv or json?")["input_ids"]
    assert len(ids) < 15  # trained on the project's vocabulary: common words are single tokens
    profile = "User profile: busy manager (patience low, expertise medium, tolerates 1 questions)"
    assert len(tokenizer(profile)["input_ids"]) <= 20  # the decision prompt's own words too (DPO prompts stay short)
    assert tokenizer.decode(tokenizer("naïve ünïcode ✓")["input_ids"]) == "naïve ünïcode ✓"  # byte-level: any text


class RecordingBackbone:
    """The scripted backbone, keeping every request it was asked to write."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.requests = []

    def write_for(self, task, request) -> str:
        self.requests.append(request)
        return self.inner.write_for(task, request)


def _decision_points(n_episodes: int = 3):
    env = ProactEnv(domain="mixed", max_turns=3)
    env.backbone = recorder = RecordingBackbone(env.backbone)
    for seed in range(n_episodes):
        env.reset(seed=seed)
        done = False
        while not done:
            *_, terminated, truncated, _ = env.step(env.episode.turn % 2)
            done = terminated or truncated
    return recorder.requests


def test_local_transformers_backbone_generates_in_batches_deterministically(tiny_model, tmp_path):
    config = LLMConfig(provider="transformers", model=str(tiny_model), temperature=0.0, max_tokens=12,
                       batch_size=4, cache_dir=str(tmp_path), device="cpu")
    requests = _decision_points()
    first = LLMBackbone.from_config(config)
    texts = first.write_many(requests)
    assert len(texts) == len(requests) >= 5 and all(isinstance(t, str) and t.strip() for t in texts)
    assert first.engine.tally.requests == -(-len({first.chat_request(r).messages for r in requests}) // 4)  # batches
    assert first.engine.tally.prompt_tokens > 0 and "estimated cost $0.0000" in first.summary()

    uncached = LLMBackbone.from_config(LLMConfig(**{**config.__dict__, "cache_mode": "off"}))
    assert uncached.write_many(requests) == texts  # same config, same batches: same text
    rerun = LLMBackbone.from_config(config)
    assert rerun.write_many(requests) == texts and rerun.engine.tally.requests == 0


def test_a_prompt_the_model_cannot_take_fails_alone_and_the_batch_goes_on(tiny_model, tmp_path):
    config = LLMConfig(provider="transformers", model=str(tiny_model), temperature=0.0, max_tokens=8,
                       batch_size=2, cache_dir=str(tmp_path), device="cpu")
    backbone = LLMBackbone.from_config(config)
    requests = _decision_points(1)[:1]
    too_long = ChatRequest((ChatMessage("user", "word " * 5000),), label="too long")  # past max_positions
    results = backbone.engine.complete_many([too_long, backbone.chat_request(requests[0])])
    assert isinstance(results[0], CallFailure)
    assert re.fullmatch(r"prompt too long: \d{4,} tokens \+ 8 new > the model's 4096", results[0].reason)
    assert isinstance(results[1], Completion)
    assert "1 x prompt too long" in backbone.summary()


@pytest.fixture(scope="module")
def served(tiny_model, tmp_path_factory):
    """`transformers serve` of the tiny model on 127.0.0.1, offline; yields (base_url, log path)."""
    with transformers_serve(tiny_model, tmp_path_factory.mktemp("hf-home")) as served:
        yield served


def _posts(log: Path) -> int:
    return len(POST_LINE.findall(log.read_text()))


def test_check_llm_passes_against_transformers_serve(served, tiny_model, monkeypatch, capsys):
    base_url, _ = served
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    parser = argparse.ArgumentParser()
    check_llm.add_parser(parser.add_subparsers())
    args = parser.parse_args(["check-llm", "--llm_model", str(tiny_model), "--base_url", base_url])
    assert args.func(args) == 0, capsys.readouterr().err
    assert capsys.readouterr().out.startswith("OK: model")


def test_episodes_against_transformers_serve_are_free_to_rerun(served, tiny_model, tmp_path, monkeypatch):
    base_url, log = served
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    config = openai_config(base_url, tmp_path, model=str(tiny_model), temperature=0.0, max_tokens=12,
                           request_timeout=30.0, concurrency=2)

    def play() -> tuple[list[str], LLMBackbone]:
        backbone = LLMBackbone.from_config(config)
        env = ProactEnv(domain="mixed", backbone=backbone, max_turns=3)
        messages = []
        for seed in range(2):
            env.reset(seed=seed)
            done = False
            while not done:
                *_, terminated, truncated, info = env.step(env.episode.turn % 2)
                messages.append(info["assistant_msg"])
                done = terminated or truncated
        return messages, backbone

    before = _posts(log)
    first, backbone = play()
    sent = _posts(log) - before
    assert sent == backbone.engine.cache.misses >= 4 and all(m.strip() for m in first)
    second, rerun = play()
    assert second == first and rerun.engine.cache.misses == 0
    assert _posts(log) - before == sent  # the rerun reached the server zero times
