"""`proact convert-mbpp` and `proact verify-tasks`, through the real command line."""

from __future__ import annotations

import json

import pytest

from proact_env.cli import COMMANDS, main
from proact_env.grading.sandbox import probe
from proact_env.types import State


def test_commands_are_registered():
    assert COMMANDS["convert-mbpp"] == "proact_env.cli.convert_mbpp"
    assert COMMANDS["verify-tasks"] == "proact_env.cli.verify_tasks"


def test_convert_mbpp_writes_seed_states_with_hidden_fields(tmp_path, shared_data, capsys):
    out = tmp_path / "seeds" / "mbpp_states.jsonl"
    assert main(["convert-mbpp", "--input", str(shared_data / "mbpp" / "mbpp.jsonl"), "--split", "test",
                 "--out", str(out)]) == 0
    assert "wrote 500 MBPP states (test split)" in capsys.readouterr().out
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(lines) == 500 and lines[0]["id"] == "mbpp/11" and lines[-1]["id"] == "mbpp/510"
    for i, record in enumerate(lines):
        state = State.from_dict(record, where=f"line {i + 1}")
        assert state.domain == "coding" and state.dialogue_turn == 0 and 0.0 <= state.task_uncertainty <= 1.0
        assert record["tests"] and record["entry_point"] and record["signature"].startswith(("def ", "class "))
        assert record["reference"] and {h["key"] for h in record["hidden"]} == {"signature", "example"}


def test_convert_mbpp_sanitized(tmp_path, shared_data, capsys):
    out = tmp_path / "sanitized.jsonl"
    assert main(["convert-mbpp", "--input", str(shared_data / "mbpp" / "sanitized-mbpp.json"), "--out", str(out)]) == 0
    assert len(out.read_text().splitlines()) == 427


def test_convert_mbpp_bad_input_names_file_line_and_field(tmp_path, capsys):
    bad = tmp_path / "mbpp.jsonl"
    bad.write_text('{"text": "t", "code": "def f(): pass", "task_id": 3, "test_setup_code": "", '
                   '"challenge_test_list": []}\n')
    assert main(["convert-mbpp", "--input", str(bad), "--out", str(tmp_path / "o.jsonl")]) == 2
    assert f"{bad}:1: field 'test_list': missing required field" in capsys.readouterr().err
    assert not (tmp_path / "o.jsonl").exists()


def test_verify_tasks_on_a_states_file(tmp_path, shared_data, capsys):
    states = tmp_path / "prompt.jsonl"
    main(["convert-mbpp", "--input", str(shared_data / "mbpp" / "mbpp.jsonl"), "--split", "prompt", "--out", str(states)])
    capsys.readouterr()
    assert main(["verify-tasks", "--dataset", str(states)]) == 0
    out = capsys.readouterr().out
    level = probe().level
    assert "10/10 tasks score 1.0" in out and "programs/s" in out and f"isolation: {level}" in out

    lines = states.read_text().splitlines()
    broken = json.loads(lines[3])
    broken["reference"] = f"def {broken['entry_point']}(*args):\n    return None\n"
    lines[3] = json.dumps(broken)
    states.write_text("\n".join(lines) + "\n")
    assert main(["verify-tasks", "--dataset", str(states), "--isolation", level, "--workers", "1"]) == 1
    out = capsys.readouterr().out
    assert f"FAIL {broken['id']}" in out and "9/10 tasks score 1.0" in out and f"isolation: {level}" in out


@pytest.mark.slow
@pytest.mark.parametrize(("path", "summary"), [  # HumanEvalComm variants differ in setup when they rename
    ("mbpp/mbpp.jsonl", "974/974 tasks score 1.0 (974 distinct programs"),
    ("mbpp/sanitized-mbpp.json", "427/427 tasks score 1.0 (427 distinct programs"),
    ("humaneval/HumanEval.jsonl.gz", "164/164 tasks score 1.0 (164 distinct programs"),
    ("humanevalcomm/HumanEvalComm.jsonl", "775/775 tasks score 1.0 (254 distinct programs"),
])
def test_every_reference_solution_scores_one(shared_data, capsys, path, summary):
    assert main(["verify-tasks", "--dataset", str(shared_data / path)]) == 0
    assert summary in capsys.readouterr().out
