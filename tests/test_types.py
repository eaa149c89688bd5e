"""The seed's state format and the Action type."""

from __future__ import annotations

import dataclasses

import pytest

from proact_env import Action, SchemaError, State
from proact_env.types import new_state


def test_action_parses_what_users_type():
    assert Action.parse("Clarify") is Action.CLARIFY
    assert Action.parse(" execute ") is Action.EXECUTE
    assert Action.parse(1) is Action.EXECUTE
    assert Action.CLARIFY.label == "Clarify"
    with pytest.raises(ValueError, match="Clarify"):
        Action.parse("Ask")
    with pytest.raises(ValueError, match="Discrete"):
        Action.parse(2)


def test_seed_record_round_trips():
    record = {"id": "task-0", "domain": "coding", "query": "Write it.", "dialogue_turn": 0, "prev_reject": 0,
              "task_uncertainty": 0.5}
    assert State.from_dict(record).to_dict() == record


def test_optional_seed_fields_take_defaults():
    state = State.from_dict({"query": "Plan it.", "dialogue_turn": 1, "prev_reject": False}, where="s.jsonl:4")
    assert (state.id, state.domain, state.prev_reject, state.task_uncertainty) == ("s.jsonl:4", "coding", 0, 0.5)


@pytest.mark.parametrize(
    "record,field,problem",
    [
        ({"dialogue_turn": 0, "prev_reject": 0}, "query", "missing"),
        ({"query": "", "dialogue_turn": 0, "prev_reject": 0}, "query", "non-empty"),
        ({"query": "q", "dialogue_turn": "0", "prev_reject": 0}, "dialogue_turn", "expected int"),
        ({"query": "q", "dialogue_turn": -1, "prev_reject": 0}, "dialogue_turn", ">= 0"),
        ({"query": "q", "dialogue_turn": 0, "prev_reject": 2}, "prev_reject", "0 or 1"),
        ({"query": "q", "dialogue_turn": 0, "prev_reject": 0, "task_uncertainty": 1.5}, "task_uncertainty", "[0, 1]"),
        ({"query": "q", "dialogue_turn": 0, "prev_reject": 0, "domain": "cooking"}, "domain", "coding, planning"),
    ],
)
def test_bad_records_name_file_line_field_and_expectation(record, field, problem):
    with pytest.raises(SchemaError) as err:
        State.from_dict(record, where="data/seeds/x.jsonl:7")
    message = str(err.value)
    assert message.startswith(f"data/seeds/x.jsonl:7: field '{field}'")
    assert problem in message


def test_new_state_is_the_state_the_constructor_builds():
    args = ("t1", "planning", "Plan a trip.", 2, 1, 0.375)
    fast, plain = new_state(*args), State(*args)
    assert fast == plain and hash(fast) == hash(plain) and repr(fast) == repr(plain)
    assert fast.to_dict() == plain.to_dict() and type(fast) is State
    with pytest.raises(dataclasses.FrozenInstanceError):
        fast.dialogue_turn = 3  # still frozen
