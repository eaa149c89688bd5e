"""`proact check-llm` and the shared LLM flags."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest

from proact_env.cli import check_llm
from proact_env.cli.llm_args import add_llm_arguments, backbone_from_args, llm_config_from_args
from proact_env.llm.backbone import LLMBackbone
from proact_env.llm.chat import ChatMessage, ChatRequest
from proact_env.llm.stub_server import StubOpenAIServer

REPO = Path(__file__).resolve().parents[1]
KEY = "sk-check-llm-0a1b2c3d4e"


def _check(*argv: str) -> int:
    parser = argparse.ArgumentParser()
    check_llm.add_parser(parser.add_subparsers())
    args = parser.parse_args(["check-llm", *argv])
    return args.func(args)


@pytest.fixture
def server(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    with StubOpenAIServer(api_key=KEY, models=["stub-model", "other-model"]) as stub:
        yield stub


def test_check_llm_ok(server, capsys):
    assert _check("--llm_model", "stub-model", "--base_url", server.base_url) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"OK: model 'stub-model' at {server.base_url} answered") and server.chat_requests == 1


def test_check_llm_accepts_an_empty_answer_since_the_setup_works(server, capsys):
    server.add_faults(["empty"])
    assert _check("--llm_model", "stub-model", "--base_url", server.base_url) == 0
    assert "answered with an empty completion" in capsys.readouterr().out


def test_check_llm_without_a_key(monkeypatch, capsys):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    assert _check() == 1
    assert "no API key: the environment variable OPENAI_API_KEY is not set" in capsys.readouterr().err


def test_check_llm_with_a_bad_key(server, monkeypatch, capsys):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-bad-key-999999")
    assert _check("--llm_model", "stub-model", "--base_url", server.base_url) == 1
    err = capsys.readouterr().err
    assert "API key in $OPENAI_API_KEY was rejected (HTTP 401)" in err and "sk-bad-key-999999" not in err


def test_check_llm_with_an_unknown_model_lists_the_served_ones(server, capsys):
    assert _check("--llm_model", "gpt-5-turbo", "--base_url", server.base_url) == 1
    err = capsys.readouterr().err
    assert "model 'gpt-5-turbo' not found" in err and "other-model, stub-model" in err


def test_check_llm_with_nothing_at_the_base_url(server, capsys):
    port = server.port
    server.stop()
    assert _check("--llm_model", "stub-model", "--base_url", f"http://127.0.0.1:{port}/v1") == 1
    assert f"cannot reach http://127.0.0.1:{port}/v1" in capsys.readouterr().err


def test_check_llm_with_a_failing_server(server, capsys):
    server.add_faults(["500", "500"])
    assert _check("--llm_model", "stub-model", "--base_url", server.base_url) == 1
    assert "had a server error (HTTP 500" in capsys.readouterr().err


def test_check_llm_is_a_registered_command():
    from proact_env.cli import COMMANDS

    assert COMMANDS["check-llm"] == "proact_env.cli.check_llm"
    assert COMMANDS["make-tiny-model"] == "proact_env.cli.make_tiny_model"


def _parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_llm_arguments(parser)
    return parser.parse_args(argv)


def test_llm_flags_default_to_the_scripted_backbone():
    assert llm_config_from_args(_parse()).provider == "scripted"
    assert backbone_from_args(_parse()) is None


def test_a_model_alone_selects_the_openai_provider_and_flags_pass_through(server, tmp_path):
    args = _parse("--llm_model", "stub-model", "--base_url", server.base_url, "--temperature", "0", "--max_tokens", "32",
                  "--llm_seed", "7", "--concurrency", "3", "--cache_dir", str(tmp_path), "--cache_mode", "replay")
    config = llm_config_from_args(args)
    assert (config.provider, config.temperature, config.max_tokens, config.seed, config.concurrency, config.cache_mode) == (
        "openai", 0.0, 32, 7, 3, "replay")
    backbone = backbone_from_args(args)
    assert isinstance(backbone, LLMBackbone) and backbone.engine.cache.mode == "replay"


def test_sampling_parameters_reach_the_server_and_a_sample_index_shifts_the_seed(server, tmp_path):
    args = _parse("--llm_model", "stub-model", "--base_url", server.base_url, "--temperature", "0.3",
                  "--max_tokens", "40", "--llm_seed", "7", "--cache_dir", str(tmp_path))
    engine = backbone_from_args(args).engine
    messages = (ChatMessage("user", "Which format?"),)
    engine.complete_many([ChatRequest(messages), ChatRequest(messages, sample_index=2)])
    sent = sorted(server.bodies, key=lambda b: b["seed"])
    assert [(b["model"], b["temperature"], b["max_tokens"], b["seed"]) for b in sent] == [
        ("stub-model", 0.3, 40, 7), ("stub-model", 0.3, 40, 9)]
    assert sent[0]["messages"] == [{"role": "user", "content": "Which format?"}]


def test_a_provider_without_model_is_a_clear_error():
    with pytest.raises(ValueError, match="needs a model name"):
        llm_config_from_args(_parse("--llm_provider", "openai"))


def test_import_proact_env_loads_no_llm_library():
    code = (
        "import sys, proact_env, proact_env.llm, proact_env.cli.llm_args, proact_env.simulator;"
        "heavy = [m for m in ('openai', 'transformers', 'torch', 'tokenizers') if m in sys.modules];"
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})
    assert out.stdout.strip() == "[]"


def test_the_llm_package_exports_its_classes_on_first_use():
    import proact_env.llm as llm

    assert llm.LLMBackbone is LLMBackbone
    assert {"LLMConfig", "ResponseCache", "LLMCallFailed"} <= set(llm.__all__)
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        llm.Nope
