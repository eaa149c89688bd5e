"""Models from the command line: spec strings, benchmarks through the cache and replay, the LLM user's
fallback rate, simulator sensitivity, lockstep batching, the model-decides policy and the communication
metrics. Model calls go to a stub OpenAI-compatible server on 127.0.0.1 (the real `openai` client)."""

from __future__ import annotations

import json
import threading

import gymnasium as gym
import pytest

from proact_env.agents.model_decides import read_decision
from proact_env.benchmark.communication import communication_metrics
from proact_env.benchmark.metrics import Decision, EpisodeRecord
from proact_env.benchmark.runner import BenchmarkConfig, run_benchmark
from proact_env.cli import main
from proact_env.llm.backbone import LLMBackbone
from proact_env.llm.specs import backbone_config, parse_model_spec
from proact_env.llm.stub_server import StubOpenAIServer
from proact_env.lockstep import Lockstep, run_together
from proact_env.simulator.llm_user import LLMUserSimulator
from proact_env.types import Action
from tests.llm_helpers import scripted_model


def test_model_specs():
    assert parse_model_spec("smollm2-135m-instruct") == {"provider": "transformers", "model": "smollm2-135m-instruct"}
    assert parse_model_spec("gpt-4o-mini") == {"provider": "openai", "model": "gpt-4o-mini"}
    assert parse_model_spec("openai:qwen2.5:7b@http://127.0.0.1:11434/v1") == {
        "provider": "openai", "model": "qwen2.5:7b", "base_url": "http://127.0.0.1:11434/v1"}
    assert parse_model_spec("qwen2.5:7b") == {"provider": "openai", "model": "qwen2.5:7b"}  # not a provider word
    assert parse_model_spec("local:/models/tiny")["provider"] == "transformers"
    assert backbone_config("scripted") is None and backbone_config(None) is None
    for bad, problem in (("local:", "expected"), ("openai:m@", "nothing after"), ("local:m@http://x", "openai provider")):
        with pytest.raises(ValueError, match=problem):
            parse_model_spec(bad)
    with pytest.raises(ValueError, match="unknown backbone option"):
        backbone_config({"model": "m", "temprature": 0})


def test_lockstep_merges_one_call_per_member_per_round_in_member_order():
    lockstep, batches = Lockstep(members=3), []

    def run(items):
        batches.append(list(items))
        return [item * 10 for item in items]

    def member(slot: int, results: dict) -> None:
        with lockstep.member(slot):
            results[slot] = [run_together("g", run, [slot * 100 + step])[0] for step in range(slot + 1)]

    results: dict[int, list[int]] = {}
    threads = [threading.Thread(target=member, args=(slot, results)) for slot in (2, 0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == {0: [0], 1: [1000, 1010], 2: [2000, 2010, 2020]}
    assert batches == [[0, 100, 200], [101, 201], [202]]  # round r: every live member's r-th call, in order
    assert run_together("g", run, [7]) == [70]  # outside a lockstep: straight through


def test_an_error_in_a_batch_reaches_every_caller_and_the_others_go_on():
    lockstep, seen = Lockstep(members=3), {}

    def boom(items):
        raise RuntimeError("model down")

    def member(slot):
        with lockstep.member(slot):
            try:
                run_together("g", boom, [slot])
            except RuntimeError as exc:
                seen[slot] = str(exc)
            seen[f"{slot} after"] = run_together("h", lambda items: items, [slot])

    threads = [threading.Thread(target=member, args=(slot,)) for slot in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert seen == {0: "model down", 1: "model down", 2: "model down", "0 after": [0], "1 after": [1], "2 after": [2]}


def test_lockstep_play_gives_the_serial_records():
    base = BenchmarkConfig(policies=("threshold", "clarify_once"), episodes=40, seed=3)
    serial = run_benchmark(base)
    together = run_benchmark(BenchmarkConfig(**{**base.__dict__, "episodes_at_once": 6}))
    assert [(r.policy, r.episode, r.episode_return, r.turns) for r in together.records] == \
        [(r.policy, r.episode, r.episode_return, r.turns) for r in serial.records]


@pytest.fixture()
def server(monkeypatch, tmp_path):
    monkeypatch.setenv("PROACT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with StubOpenAIServer(responder=scripted_model) as stub:
        yield stub


def test_env_kwargs_take_backbone_and_simulator_specs_as_strings(server):
    env = gym.make("proact_env/Synthetic-v0", backbone=f"openai:stub-model@{server.base_url}",
                   simulator=f"llm:openai:stub-model@{server.base_url}", max_turns=2)
    assert isinstance(env.unwrapped.backbone, LLMBackbone)
    assert isinstance(env.unwrapped.simulator, LLMUserSimulator)
    env.reset(seed=0)
    *_, info = env.step(Action.CLARIFY)
    assert info["assistant_msg"] == "Which format and ordering do you want?" and server.chat_requests == 2


def _bench(out, *extra):
    return main(["benchmark", "--policies", "always_execute,clarify_once", "--episodes", "8", "--seed", "2",
                 "--no-progress", "--out", str(out), *extra])


def test_benchmark_with_a_model_backbone_reruns_from_the_cache_and_replays_without_a_server(server, tmp_path, capsys):
    kwargs = json.dumps({"backbone": f"openai:stub-model@{server.base_url}", "max_turns": 3})
    assert _bench(tmp_path / "a", "--env-kwargs", kwargs) == 0  # the crash: a spec string in env kwargs
    calls = server.chat_requests
    assert calls > 8
    assert _bench(tmp_path / "b", "--backbone", f"openai:stub-model@{server.base_url}",
                  "--env-kwargs", '{"max_turns": 3}') == 0
    assert server.chat_requests == calls  # the same run from the flag: every message from the cache
    first = json.loads((tmp_path / "a" / "results.json").read_text())["policies"]
    second = json.loads((tmp_path / "b" / "results.json").read_text())["policies"]
    assert first == second
    server.stop()
    assert _bench(tmp_path / "c", "--backbone", f"openai:stub-model@{server.base_url}", "--cache_mode", "replay",
                  "--env-kwargs", '{"max_turns": 3}') == 0
    assert json.loads((tmp_path / "c" / "results.json").read_text())["policies"] == first
    assert "LLM openai:stub-model" in capsys.readouterr().err  # usage, cache hits: printed at the end


def test_a_user_that_always_falls_back_is_warned_about_and_recorded(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("PROACT_CACHE_DIR", str(tmp_path / "cache"))
    with StubOpenAIServer(responder=lambda messages: "Sure! Happy to help.") as stub:  # never JSON
        assert _bench(tmp_path / "out", "--simulator", f"llm:openai:stub-model@{stub.base_url}") == 0
    out = capsys.readouterr().out
    user = json.loads((tmp_path / "out" / "results.json").read_text())["llm_user"]
    assert user["fallback_rate"] == 1.0 and user["from_model"] == 0 and user["malformed"] == user["reactions"] > 8
    assert user["by_policy"]["clarify_once"]["reactions"] > 0
    assert "WARNING: the LLM user fell back to the rule-based user in 100.0%" in out


def test_rule_based_runs_have_no_llm_user_block(tmp_path):
    assert _bench(tmp_path) == 0
    assert json.loads((tmp_path / "results.json").read_text())["llm_user"] is None


def test_compare_simulators_pairs_the_same_episodes_under_each_user(server, tmp_path, capsys):
    assert _bench(tmp_path, "--compare-simulators", f"rules,llm:openai:stub-model@{server.base_url}") == 0
    comparison = json.loads((tmp_path / "simulators.json").read_text())
    llm = f"llm:openai:stub-model@{server.base_url}"
    assert comparison["reference"] == "rules" and comparison["simulators"] == ["rules", llm]
    row = comparison["policies"]["clarify_once"][llm]["episode_return"]
    assert row["difference"]["episodes"] == 8
    assert row["difference"]["mean"] == pytest.approx(row["mean"] - row["reference_mean"])
    assert comparison["llm_user"]["rules"] is None
    assert comparison["llm_user"][llm]["fallback_rate"] == 0.0
    assert 0.0 <= comparison["llm_user"][llm]["reveal_agreement"] <= 1.0
    assert (tmp_path / "rules" / "results.json").is_file()
    assert "simulator sensitivity" in capsys.readouterr().out


def test_read_decision():
    assert read_decision("What should the function return for an empty list?") is Action.CLARIFY
    assert read_decision("```python\ndef f(x):\n    return x\n```\nDoes that help?") is Action.EXECUTE
    assert read_decision("def f(x):\n    return x") is Action.EXECUTE  # code without a fence
    assert read_decision("Here is the plan: first A, then B.") is Action.EXECUTE


def test_model_decides_acts_on_its_own_text_and_the_env_sends_that_text(monkeypatch, tmp_path):
    monkeypatch.setenv("PROACT_CACHE_DIR", str(tmp_path))

    def asks_first(messages):
        return "Which ordering do you want?" if "Conversation so far" not in messages[-1]["content"] \
            else "```python\ndef solve(items):\n    return sorted(items)\n```"

    with StubOpenAIServer(responder=asks_first) as stub:
        env = gym.make("proact_env/Synthetic-v0", domain="coding", max_turns=3)
        from proact_env.benchmark.registry import make_policy

        policy = make_policy(f"model_decides:openai:stub-model@{stub.base_url}", env)
        obs, info = env.reset(seed=1)
        first = policy.act(obs, info)
        *_, info = env.step(first)
        assert first is Action.CLARIFY and info["assistant_msg"] == "Which ordering do you want?"
        second = policy.act(obs, info)
        *_, info = env.step(second)
        assert second is Action.EXECUTE and info["assistant_msg"].startswith("```python\ndef solve")


def _record(first_action: int, r_task: float, quality: dict) -> EpisodeRecord:
    return EpisodeRecord(policy="p", episode=0, seed=0, task_id="t", persona="x", episode_return=r_task,
                         r_task=r_task, c_interrupt=0.0, success=r_task == 1.0, gave_up=False, turns=2, asks=1,
                         questions=1, rejections=0, decisions=[Decision(0.5, first_action)],
                         question_quality=quality)


def test_communication_metrics_follow_humanevalcomm():
    records = [_record(0, 1.0, {"questions": 2, "good": 1, "repeated": 0, "vague": 1}),
               _record(1, 0.5, {}), _record(0, 1.0, {"questions": 1, "good": 1, "repeated": 0, "vague": 0}),
               _record(1, 1.0, {})]
    m = communication_metrics(records)
    assert m["pass_at_1"] == 0.75 and m["communication_rate"] == 0.5
    assert m["good_question_rate"] == pytest.approx(2 / 3) and m["questions"] == 3
    assert communication_metrics([_record(0, 0.0, {})])["good_question_rate"] is None  # not reported: n/a


def test_an_episode_whose_model_call_fails_ends_and_the_run_reports_it(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("PROACT_CACHE_DIR", str(tmp_path / "cache"))
    with StubOpenAIServer(responder=lambda messages: "") as stub:  # every completion empty: a failure
        assert _bench(tmp_path / "out", "--backbone", f"openai:stub-model@{stub.base_url}", "--max_retries", "0") == 0
    summary = json.loads((tmp_path / "out" / "results.json").read_text())
    assert summary["failed_model_calls"]["episodes"] == 16
    assert summary["policies"]["always_execute"]["mean_turns"] == 0
    assert "16 episode(s) ended early because a model call failed" in capsys.readouterr().out
