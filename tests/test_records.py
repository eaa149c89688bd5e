"""Typed records: what generate and rewards write reads back to the same bytes, older files stay readable,
and every damaged field is named by file, line and its dotted path."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from proact_env.errors import SchemaError
from proact_env.io import dumps_line
from proact_env.preferences import build_preferences
from proact_env.records import (
    FailedLine,
    LookaheadStep,
    PreferenceLine,
    TrajectoryLine,
    read_preferences,
    read_trajectories,
    trajectory_from_dict,
)
from proact_env.reward import RewardConfig
from proact_env.rollout.generate import GenerationConfig, run_generation


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    """A multi-turn run with lookahead: every field a trajectory line can hold."""
    out = tmp_path_factory.mktemp("records") / "t.jsonl"
    run_generation(GenerationConfig(out=out, n_states=12, multi_turn=True, lookahead=2, seed=7))
    return out


def _records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_every_generated_line_reads_back_to_the_same_bytes(generated):
    for record in _records(generated):
        unit = record.pop("unit")  # the writer's resume bookkeeping: not part of the record
        line = trajectory_from_dict(record, where="x")
        assert isinstance(line, TrajectoryLine) and line.lookahead and unit["size"] >= 3
        assert dumps_line(line.to_dict()) == dumps_line(record)


def test_every_preference_line_reads_back_to_the_same_bytes(generated, tmp_path):
    pairs, _ = build_preferences(generated, RewardConfig())
    path = tmp_path / "p.jsonl"
    path.write_text("".join(dumps_line(p.to_dict()) for p in pairs))
    for (where, pair), text in zip(read_preferences(path, require_actions=True), path.read_text().splitlines()):
        assert dumps_line(pair.to_dict()) == text + "\n", where


def test_files_written_before_usage_was_recorded_give_the_same_pairs(generated, tmp_path):
    """The first release's lines had no 'usage' key; the fields after it were all optional."""
    old = tmp_path / "old.jsonl"
    old.write_text("".join(dumps_line({k: v for k, v in r.items() if k != "usage"}) for r in _records(generated)))
    now, _ = build_preferences(generated, RewardConfig())
    before, _ = build_preferences(old, RewardConfig())
    assert [p.to_dict() for p in before] == [p.to_dict() for p in now]


def test_a_line_with_only_the_required_fields_is_scored():
    """A hand-made or seed-era line: the reward needs state, action, message, persona, reaction and scores."""
    line = TrajectoryLine.from_dict({
        "state": {"query": "Sort a list.", "dialogue_turn": 0, "prev_reject": 0},
        "action": "Clarify", "assistant_msg": "Ascending or descending?", "persona": "terse_user",
        "user_reaction": {"meta": {"answered_clarification": True}}, "decision_point": 0, "state_id": "s",
        "r_task_before": 0, "r_task_after": 0,
    }, where="f:1")
    assert line.persona.name == "terse_user" and line.user_reaction.user_reply == "" and line.transcript == ()
    assert line.state.id == "f:1"  # the seed allows lines without an id: the place names it
    assert line.lookahead is None and "lookahead" not in line.to_dict()


def test_failure_lines_are_their_own_record(generated):
    failed = trajectory_from_dict({"state_id": "000001-t", "task_id": "t", "failed": "HTTP 401", "seed": 3})
    assert isinstance(failed, FailedLine) and failed.to_dict() == {"state_id": "000001-t", "task_id": "t",
                                                                   "failed": "HTTP 401", "seed": 3}
    assert all(isinstance(line, TrajectoryLine) for _, line in read_trajectories(generated))


def _first(generated: Path) -> dict:
    record = _records(generated)[0]
    record.pop("unit")
    return record


def _set(record: dict, path: str, value) -> dict:
    """`record` with the field at dotted `path` (list indices as numbers) set to `value`, or deleted."""
    *parents, last = [int(p) if p.isdigit() else p for p in path.split(".")]
    target = record
    for key in parents:
        target = target[key]
    if value is DELETE:
        del target[last]
    else:
        target[last] = value
    return record


DELETE = object()

#: (dotted path to damage, value (DELETE to remove it), the field the error names, what it says)
DAMAGE = [
    ("assistant_msg", DELETE, "assistant_msg", "missing required field (is this a file written by 'proact generate'?)"),
    ("action", "Ask", "action", "expected 'Clarify' or 'Execute', got a string 'Ask'"),
    ("decision_point", -1, "decision_point", "expected an integer >= 0, got -1"),
    ("r_task_after", "1.0", "r_task_after", "expected a finite number, got a string '1.0'"),
    ("state.query", DELETE, "state.query", "missing required field (expected str)"),
    ("state.task_uncertainty", 1.5, "state.task_uncertainty", "expected a number in [0, 1], got 1.5"),
    ("persona.p_answer", 2, "persona.p_answer", "expected a probability in [0, 1], got 2"),
    ("persona", "nobody", "persona", "unknown persona 'nobody': choose one of impatient_expert, patient_novice, "
                                     "busy_manager, cooperative_collaborator, terse_user, 'presets' or 'sampled'"),
    ("user_reaction.meta", DELETE, "user_reaction.meta", "missing required field"),
    ("user_reaction.meta", "yes", "user_reaction.meta", "expected a JSON object, got str"),
    ("user_reaction.meta.reject_signal", "no", "user_reaction.meta.reject_signal", "expected true/false, got 'no'"),
    ("user_reaction.revealed", ["a", 3], "user_reaction.revealed[1]", "expected a string, got a number 3"),
    ("transcript.0.role", "system", "transcript[0].role", "expected 'user' or 'assistant', got 'system'"),
    ("task_score", {"score": 2, "passed": 0, "total": 1}, "task_score.score", "expected a number in [0, 1], got 2"),
    ("usage", {"prompt_tokens": -3}, "usage.prompt_tokens", "expected an integer >= 0, got -3"),
    ("lookahead.1.0.n_questions", DELETE, "lookahead[1][0].n_questions", "missing required field"),
    ("lookahead.0.0.long_turn", "x", "lookahead[0][0].long_turn", "expected true or false, got a string 'x'"),
    ("lookahead.0", [], "lookahead[0]", "expected at least one step (a rollout plays the branch's own step)"),
    ("lookahead", {}, "lookahead", "expected an array, got an object {}"),
]


@pytest.mark.parametrize("path,value,field,problem", DAMAGE, ids=[d[0] + ("-" if d[1] is DELETE else "=") for d in DAMAGE])
def test_a_damaged_trajectory_field_is_named_by_its_path(generated, tmp_path, path, value, field, problem):
    bad = tmp_path / "t.jsonl"
    lines = _records(generated)[:3]
    lines[1] = _set(lines[1], path, value)
    bad.write_text("".join(json.dumps(r) + "\n" for r in lines))
    with pytest.raises(SchemaError) as caught:
        build_preferences(bad, RewardConfig())
    assert str(caught.value) == f"{bad}:2: field '{field}': {problem}"


def test_lookahead_steps_validate_alone():
    step = LookaheadStep.from_dict({"delta_r_task": 0.5, "n_questions": 2, "reject_signal": 0, "long_turn": False,
                                    "off_topic": True})
    assert step == LookaheadStep(0.5, 2, False, False, True)
    with pytest.raises(SchemaError, match="field 'delta_r_task': expected a finite number, got a number nan"):
        LookaheadStep.from_dict({**step.to_dict(), "delta_r_task": float("nan")})


def test_a_pair_file_of_your_own_needs_only_trls_columns():
    pair = PreferenceLine.from_dict({"prompt": "p", "chosen": "a", "rejected": "b", "extra": 1})
    assert pair.to_dict() == {"prompt": "p", "chosen": "a", "rejected": "b"}
    with pytest.raises(SchemaError, match="field 'chosen_action': missing required field"):
        PreferenceLine.from_dict(pair.to_dict(), require_actions=True)
    with pytest.raises(SchemaError, match=r"field 'rewards.rejected': expected a finite number, got null"):
        PreferenceLine.from_dict({**pair.to_dict(), "rewards": {"chosen": 1, "rejected": None}})
