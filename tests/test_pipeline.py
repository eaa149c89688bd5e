"""The two-step pipeline: seed commands, fields, resumability under SIGKILL, validation, offline rewards."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from proact_env.cli import main
from proact_env.env import ProactEnv
from proact_env.preferences import build_preferences
from proact_env.records import TrajectoryLine
from proact_env.reward import RewardConfig
from proact_env.rollout.generate import GenerationConfig, run_generation

SEED_TRAJECTORY_FIELDS = {"state", "action", "action_prompt", "assistant_msg", "persona", "user_reaction",
                          "is_mainline", "decision_point", "mainline_action"}
SEED_PREFERENCE_FIELDS = {"state", "chosen_action", "rejected_action", "chosen_text", "rejected_text", "rewards",
                          "task_scores", "interrupt_costs"}
REPO = Path(__file__).resolve().parents[1]


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_seed_quickstart_synthetic_commands_run_as_written(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["generate", "--mode", "synthetic", "--domain", "coding", "--n_states", "50",
                 "--out", "logs/traj_synth_coding.jsonl", "--no-progress"]) == 0
    assert main(["rewards", "--trajectories", "logs/traj_synth_coding.jsonl",
                 "--out", "dpo/prefs_synth_coding.jsonl"]) == 0
    trajectories = _lines(tmp_path / "logs/traj_synth_coding.jsonl")
    assert len(trajectories) == 150
    for line in trajectories:
        assert SEED_TRAJECTORY_FIELDS | {"state_id", "task_id", "r_task_before", "r_task_after"} <= set(line)
        assert set(line["state"]) == {"id", "domain", "query", "dialogue_turn", "prev_reject", "task_uncertainty"}
        assert set(line["user_reaction"]["meta"]) == {"answered_clarification", "reject_signal", "silence",
                                                       "off_topic_flag", "satisfaction"}
    by_state: dict[str, list[dict]] = {}
    for line in trajectories:
        by_state.setdefault(line["state_id"], []).append(line)
    for lines in by_state.values():
        mainline, other, resample = lines
        assert mainline["is_mainline"] and not other["is_mainline"]
        assert other["action"] != mainline["action"] == resample["action"] == mainline["mainline_action"]
    pairs = _lines(tmp_path / "dpo/prefs_synth_coding.jsonl")
    assert pairs and all(SEED_PREFERENCE_FIELDS | {"prompt", "chosen", "rejected"} <= set(p) for p in pairs)
    for pair in pairs:
        assert pair["chosen"].startswith(pair["chosen_action"] + ": ")
        assert pair["rewards"]["chosen"] > pair["rewards"]["rejected"]


def test_mainline_action_override_and_multi_turn(tmp_path):
    out = tmp_path / "mt.jsonl"
    assert main(["generate", "--mode", "synthetic", "--domain", "planning", "--n_states", "10", "--multi_turn",
                 "--max_turns", "4", "--mainline_action", "Clarify", "--out", str(out), "--no-progress"]) == 0
    lines = _lines(out)
    assert all(line["mainline_action"] == "Clarify" for line in lines)
    for state_id in {line["state_id"] for line in lines}:
        mainline = [line for line in lines if line["state_id"] == state_id and line["is_mainline"]]
        assert [m["decision_point"] for m in mainline] == list(range(len(mainline)))
        assert [m["state"]["dialogue_turn"] for m in mainline] == list(range(len(mainline)))
        assert 1 <= len(mainline) <= 4
        for earlier, later in zip(mainline, mainline[1:]):
            assert later["state"]["prev_reject"] == int(earlier["user_reaction"]["meta"]["reject_signal"])
            assert not earlier["done"]


def test_a_mainline_policy_reaches_the_later_turns_the_persona_rule_never_plays(tmp_path):
    """The persona rule almost never asks twice, so its multi-turn data has no 'asked, still unclear' states."""
    def run(name: str, *extra: str) -> list[dict]:
        out = tmp_path / f"{name}.jsonl"
        assert main(["generate", "--n_states", "150", "--multi_turn", "--max_turns", "5", "--seed", "3",
                     "--out", str(out), "--no-progress", *extra]) == 0
        return _lines(out)

    def asked_and_unclear(lines: list[dict]) -> int:
        return sum(line["is_mainline"] and line["state"]["dialogue_turn"] >= 1 and not line["state"]["prev_reject"]
                   and line["state"]["task_uncertainty"] >= 0.5 for line in lines)

    rule, random_mainline = run("rule"), run("random", "--mainline", "random")
    assert asked_and_unclear(random_mainline) > 3 * max(asked_and_unclear(rule), 1)
    mainline = [line for line in random_mainline if line["is_mainline"]]
    assert {line["action"] for line in mainline} == {"Clarify", "Execute"}
    assert all(line["action"] == line["mainline_action"] for line in mainline)
    # the policy is reseeded from each state's seed: threads and order do not change a line
    assert _lines(tmp_path / "random.jsonl") == run("random_threads", "--mainline", "random", "--concurrency", "3")


def test_mainline_policy_and_fixed_mainline_action_exclude_each_other(tmp_path, capsys):
    assert main(["generate", "--n_states", "2", "--mainline", "random", "--mainline_action", "Clarify",
                 "--out", str(tmp_path / "x.jsonl"), "--no-progress"]) != 0
    assert "exclude each other" in capsys.readouterr().err
    assert main(["generate", "--n_states", "2", "--mainline", "no_such_policy",
                 "--out", str(tmp_path / "y.jsonl"), "--no-progress"]) != 0
    assert "unknown policy 'no_such_policy'" in capsys.readouterr().err


def test_lookahead_rolls_branches_to_the_end_and_changes_the_preferred_action(tmp_path):
    one_step, lookahead = tmp_path / "one.jsonl", tmp_path / "look.jsonl"
    for out, extra in ((one_step, []), (lookahead, ["--lookahead", "6"])):
        assert main(["generate", "--n_states", "300", "--out", str(out), "--no-progress", "--seed", "4", *extra]) == 0
    looked = _lines(lookahead)
    assert all(len(line["lookahead"]) == 6 for line in looked)
    assert "lookahead" not in _lines(one_step)[0]
    config = RewardConfig()
    _, plain = build_preferences(one_step, config)
    _, future = build_preferences(lookahead, config)
    assert future.chosen_actions["Clarify"] > plain.chosen_actions["Clarify"]


def test_rewards_recomputed_offline_equal_the_env_rewards_and_follow_new_weights(tmp_path, monkeypatch):
    seen = []
    original = ProactEnv.step

    def recording_step(self, action):
        result = original(self, action)
        seen.append(result[1])
        return result

    monkeypatch.setattr(ProactEnv, "step", recording_step)
    out = tmp_path / "t.jsonl"
    run_generation(GenerationConfig(out=out, n_states=40, seed=2))
    from proact_env.preferences import score_trajectory

    lines = [TrajectoryLine.from_dict(line) for line in _lines(out)]
    assert score_trajectory(_lines(out)[0], "x", RewardConfig()) == score_trajectory(lines[0], "x", RewardConfig())
    recomputed = [score_trajectory(line, "x", RewardConfig()).reward for line in lines]
    assert recomputed == pytest.approx(seen)
    free = [score_trajectory(line, "x", RewardConfig(alpha=0.0)).reward for line in lines]
    assert free == pytest.approx([line.r_task_after - line.r_task_before for line in lines])
    pricey = [score_trajectory(line, "x", RewardConfig(w_questions=1.0)).reward for line in lines]
    assert any(p < r for p, r in zip(pricey, recomputed))


def test_an_existing_output_is_not_overwritten_without_a_flag(tmp_path, capsys):
    out = tmp_path / "t.jsonl"
    assert main(["generate", "--n_states", "3", "--out", str(out), "--no-progress"]) == 0
    before = out.read_text()
    assert main(["generate", "--n_states", "3", "--seed", "9", "--out", str(out), "--no-progress"]) == 2
    assert "--resume" in capsys.readouterr().err and out.read_text() == before
    assert main(["generate", "--n_states", "3", "--seed", "9", "--out", str(out), "--resume", "--no-progress"]) == 2
    assert "settings differ" in capsys.readouterr().err


def _generate_command(out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "proact_env.cli", "generate", "--n_states", "1500", "--lookahead", "2",
            "--multi_turn", "--max_turns", "4", "--seed", "11", "--out", str(out), "--no-progress", *extra]


@pytest.mark.slow
@pytest.mark.parametrize("concurrency,mainline", [("1", []), ("3", []), ("3", ["--mainline", "random"])])
def test_sigkill_then_resume_gives_exactly_the_clean_run(tmp_path, concurrency, mainline):
    env = dict(os.environ, PYTHONPATH=str(REPO))
    clean, killed = tmp_path / "clean.jsonl", tmp_path / "killed.jsonl"
    subprocess.run(_generate_command(clean, *mainline), check=True, env=env, capture_output=True)
    for attempt in range(3):  # kill it mid-run, more than once
        proc = subprocess.Popen(_generate_command(killed, "--concurrency", concurrency, *mainline,
                                                  *(["--resume"] if attempt else [])), env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        start_size = killed.stat().st_size if killed.exists() else 0
        while time.monotonic() < deadline and (not killed.exists() or killed.stat().st_size < start_size + 100_000):
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert 0 < killed.stat().st_size < clean.stat().st_size
    with killed.open("a") as handle:  # a torn final line, as if killed inside write()
        handle.write('{"state": {"id": "torn')
    subprocess.run(_generate_command(killed, "--resume", "--concurrency", concurrency, *mainline), check=True,
                   env=env, capture_output=True)
    assert killed.read_bytes() == clean.read_bytes()


@pytest.mark.parametrize(
    "content,field,line",
    [
        ('{"query": "ok", "dialogue_turn": 0, "prev_reject": 0}\n{"query": "x", "dialogue_turn": 0,', None, 2),
        ('{"id": "a", "query": "ok", "dialogue_turn": 0, "prev_reject": 0}\n{"id": "b", "dialogue_turn": 1, "prev_reject": 0}', "query", 2),
        ('{"id": "a", "query": "ok", "dialogue_turn": "zero", "prev_reject": 0}', "dialogue_turn", 1),
        ('{"id": "a", "query": "ok", "dialogue_turn": 0, "prev_reject": 0, "task_uncertainty": "high"}', "task_uncertainty", 1),
        ('{"id": "a", "query": "ok", "dialogue_turn": 0, "prev_reject": 0}\n{"id": "a", "query": "ok", "dialogue_turn": 0, "prev_reject": 0}', "id", 2),
        ("[1, 2]", None, 1),
        ("", None, None),
    ],
)
def test_malformed_states_fail_naming_file_line_and_field_and_leave_no_output(tmp_path, capsys, content, field, line):
    states = tmp_path / "states.jsonl"
    states.write_text(content)
    out = tmp_path / "logs" / "out.jsonl"
    code = main(["generate", "--mode", "dataset", "--dataset_path", str(states), "--out", str(out), "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2
    assert f"{states}:{line}" in err if line else f"{states}: the file holds no records" in err
    if field:
        assert f"field '{field}'" in err
    assert not out.exists() and not out.with_name(out.name + ".meta.json").exists()


def test_dataset_mode_plays_plain_seed_states_with_their_uncertainty(tmp_path):
    states = tmp_path / "states.jsonl"
    records = [{"id": f"task-{i}", "domain": "coding" if i % 2 else "planning", "query": f"Request {i}.",
                "dialogue_turn": i % 3, "prev_reject": i % 2, "task_uncertainty": i / 10} for i in range(10)]
    states.write_text("".join(json.dumps(r) + "\n" for r in records))
    out = tmp_path / "t.jsonl"
    assert main(["generate", "--mode", "dataset", "--dataset_path", str(states), "--n_states", "8",
                 "--out", str(out), "--no-progress"]) == 0
    lines = _lines(out)
    assert [line["state"]["id"] for line in lines[::3]] == [f"task-{i}" for i in range(8)]
    for line, record in zip(lines[::3], records):
        assert line["state"]["dialogue_turn"] == record["dialogue_turn"]
        assert line["state"]["prev_reject"] == record["prev_reject"]
        assert abs(line["state"]["task_uncertainty"] - record["task_uncertainty"]) <= 0.25


def test_malformed_trajectories_name_file_line_and_field(tmp_path, capsys):
    bad = tmp_path / "t.jsonl"
    bad.write_text('{"state": {"query": "q", "dialogue_turn": 0, "prev_reject": 0}, "action": "Execute"}\n')
    assert main(["rewards", "--trajectories", str(bad), "--out", str(tmp_path / "p.jsonl")]) == 2
    err = capsys.readouterr().err
    assert f"{bad}:1: field 'assistant_msg'" in err and not (tmp_path / "p.jsonl").exists()


def test_generate_with_an_llm_backbone_reruns_from_the_cache_and_records_usage(tmp_path, monkeypatch):
    from proact_env.llm.stub_server import StubOpenAIServer
    from tests.llm_helpers import scripted_model

    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    with StubOpenAIServer(responder=scripted_model) as server:
        args = ["generate", "--n_states", "6", "--llm_model", "stub-model", "--base_url", server.base_url,
                "--cache_dir", str(tmp_path / "cache"), "--no-progress"]
        assert main([*args, "--out", str(tmp_path / "a.jsonl")]) == 0
        first = server.chat_requests
        assert main([*args, "--out", str(tmp_path / "b.jsonl")]) == 0
        assert server.chat_requests == first > 0
    assert (tmp_path / "a.jsonl").read_text() != ""
    lines_a, lines_b = _lines(tmp_path / "a.jsonl"), _lines(tmp_path / "b.jsonl")
    assert [line["assistant_msg"] for line in lines_a] == [line["assistant_msg"] for line in lines_b]
    assert all(line["usage"]["completion_tokens"] > 0 for line in lines_a)
    assert all(line["usage"]["cached"] == 1 for line in lines_b)


def test_states_whose_llm_calls_fail_are_recorded_and_skipped(tmp_path, monkeypatch, capsys):
    from proact_env.llm.stub_server import StubOpenAIServer

    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    with StubOpenAIServer(faults=["500"] * 2) as server:  # the first state's request fails both attempts
        out = tmp_path / "t.jsonl"
        assert main(["generate", "--n_states", "3", "--llm_model", "stub-model", "--base_url", server.base_url,
                     "--cache_dir", str(tmp_path / "cache"), "--max_retries", "1", "--concurrency", "1",
                     "--out", str(out), "--no-progress"]) == 0
    assert "1 state(s) failed" in capsys.readouterr().out
    assert sum("failed" in line for line in _lines(out)) == 1
    pairs = tmp_path / "p.jsonl"
    assert main(["rewards", "--trajectories", str(out), "--out", str(pairs)]) == 0
    assert "1 failed states skipped" in capsys.readouterr().out


def test_a_run_in_which_every_state_failed_exits_non_zero_and_writes_no_pairs(tmp_path, monkeypatch, capsys):
    """A wrong key or a dead server fails every state: neither step may look like it worked."""
    from proact_env.llm.stub_server import StubOpenAIServer

    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    with StubOpenAIServer(faults=["500"] * 40) as server:
        out = tmp_path / "t.jsonl"
        assert main(["generate", "--n_states", "3", "--llm_model", "stub-model", "--base_url", server.base_url,
                     "--cache_dir", str(tmp_path / "cache"), "--max_retries", "1", "--concurrency", "1",
                     "--out", str(out), "--no-progress"]) == 1
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith("proact generate: error: every one of the 3 states failed (first: 000000-")
    assert all("failed" in line for line in _lines(out))  # recorded all the same, for the record
    pairs = tmp_path / "p.jsonl"
    assert main(["rewards", "--trajectories", str(out), "--out", str(pairs)]) == 1
    assert capsys.readouterr().err == (f"proact rewards: error: {out}: every one of its 3 states failed during "
                                       "'proact generate' (its 'failed' lines say why): there is nothing to pair\n")
    assert not pairs.exists()


def test_planning_in_both_modes(tmp_path):
    dataset, generated = tmp_path / "d.jsonl", tmp_path / "g.jsonl"
    assert main(["generate", "--mode", "dataset", "--domain", "planning", "--dataset_path",
                 str(REPO / "examples" / "planning_states.jsonl"), "--out", str(dataset), "--no-progress"]) == 0
    assert main(["generate", "--mode", "synthetic", "--domain", "planning", "--generator", "planning",
                 "--n_states", "8", "--out", str(generated), "--no-progress"]) == 0
    for path, source in ((dataset, "planning-states"), (generated, "planning")):
        lines = _lines(path)
        assert {line["task_source"] for line in lines} == {source}
        executes = [line for line in lines if line["action"] == "Execute"]
        assert executes and all("constraints" in line["task_score"]["details"] for line in executes)
        assert "plan" in lines[0]["action_prompt"].lower()


def test_lookahead_returns_estimate_the_exact_q_values(tmp_path):
    """With the optimal continuation, a branch's lookahead return is a Monte Carlo estimate of Q*(s, a)."""
    from proact_env.benchmark.registry import make_policy
    from proact_env.preferences import score_trajectory
    from proact_env.rollout.generate import UnitGenerator, plan_units
    from proact_env.solver import SyntheticSolver, decision_state

    config = GenerationConfig(out=tmp_path / "t.jsonl", n_states=150, lookahead=40, continuation="optimal", seed=5)
    units = plan_units(config)
    run_generation(config, UnitGenerator(config, continuation=lambda env: make_policy("optimal", env)), units=units)
    env = ProactEnv(max_turns=config.max_turns)
    solver = SyntheticSolver.for_env(env)
    errors = []
    for unit, lines in zip(units, zip(*[iter(_lines(config.out))] * 3)):
        env.reset(seed=unit.seed, options={"task": unit.task})
        q = dict(zip(("Clarify", "Execute"), solver.model_for(env).q_values(decision_state(env))))
        for line in lines[:2]:  # mainline and the other action
            errors.append(score_trajectory(TrajectoryLine.from_dict(line), "x", RewardConfig()).reward
                          - q[line["action"]])
    bias = sum(errors) / len(errors)
    spread = (sum(e * e for e in errors) / len(errors)) ** 0.5
    assert abs(bias) < 3 * spread / len(errors) ** 0.5 + 0.005
    assert spread < 0.12


def test_seed_quickstart_mbpp_dataset_commands_run_as_written(tmp_path, monkeypatch, shared_data):
    """The seed's MBPP quickstart with the scripted coding backbone: real, sandbox-graded tasks."""
    monkeypatch.chdir(tmp_path)
    assert main(["convert-mbpp", "--input", str(shared_data / "mbpp" / "mbpp.jsonl"), "--split", "test",
                 "--out", "data/seeds/mbpp_states.jsonl"]) == 0
    assert main(["generate", "--mode", "dataset", "--domain", "coding", "--dataset_path", "data/seeds/mbpp_states.jsonl",
                 "--n_states", "6", "--out", "logs/traj_mbpp.jsonl", "--no-progress"]) == 0
    assert main(["rewards", "--trajectories", "logs/traj_mbpp.jsonl", "--out", "dpo/prefs_mbpp.jsonl"]) == 0
    lines = _lines(tmp_path / "logs/traj_mbpp.jsonl")
    assert len(lines) == 18 and {line["task_source"] for line in lines} == {"mbpp"}
    for line in lines:
        assert SEED_TRAJECTORY_FIELDS <= set(line)
        if line["action"] == "Execute":
            details = line["task_score"]["details"]
            assert line["task_score"]["total"] > 0 and "isolation" in json.dumps(details)
    assert _lines(tmp_path / "dpo/prefs_mbpp.jsonl")
