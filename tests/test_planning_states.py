"""Hand-written planning states files: the example, round trips, every error naming file, line and field."""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path

import gymnasium as gym
import pytest

import proact_env  # noqa: F401  (registers the ids)
from proact_env import Action, SchemaError
from proact_env.domains.planning import (
    PlanningStatesSource,
    PlanningTaskSource,
    load_planning_states,
    task_record,
    tasks_from_states,
)

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "planning_states.jsonl"

VALID = {
    "id": "lisbon", "domain": "planning", "query": "Plan a weekend in Lisbon.", "dialogue_turn": 0, "prev_reject": 0,
    "task_uncertainty": 0.9, "kind": "trip", "catalogue": "lisbon",
    "constraints": [
        {"kind": "duration", "days": 2},
        {"kind": "budget", "max_per_day": 44, "hidden": True},
        {"kind": "must_include", "item": "Belem Tower", "hidden": True, "answer": "We must see the Belem Tower."},
        {"kind": "must_avoid", "what": "museums", "words": ["museum"], "hidden": True},
    ],
}


def write(tmp_path: Path, *records, raw_lines=()) -> Path:
    path = tmp_path / "states.jsonl"
    lines = [json.dumps(r) for r in records] + list(raw_lines)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_the_example_file_loads_and_its_uncertainties_are_the_computed_ones():
    entries = load_planning_states(EXAMPLE)
    assert len(entries) >= 5
    kinds = {e.task.payload.kind.name for e in entries}
    assert kinds == {"trip", "meal", "study", "event"}
    assert any(e.task.payload.catalogue_name is None for e in entries), "one example lists its own items"
    for entry in entries:
        assert entry.state.domain == "planning" and entry.task.id == entry.state.id
        assert entry.state.task_uncertainty == pytest.approx(entry.task.uncertainty(), abs=1e-4)


def test_a_valid_record_becomes_a_task_with_its_hidden_facts(tmp_path):
    (entry,) = load_planning_states(write(tmp_path, VALID))
    task = entry.task
    assert [f.key for f in task.hidden] == ["budget", "must_include:belem-tower", "must_avoid:museums"]
    assert task.hidden[1].answer == "We must see the Belem Tower."
    assert entry.state.query == task.query == "Plan a weekend in Lisbon."
    assert 0.9 < task.uncertainty() < 1.0  # recomputed from the constraints, not read from the file


def test_generated_tasks_round_trip_through_a_states_file(tmp_path):
    rng = random.Random(4)
    tasks = [PlanningTaskSource().sample(rng) for _ in range(40)]
    path = write(tmp_path, *[task_record(t) for t in tasks])
    loaded = tasks_from_states(path)
    for original, back in zip(tasks, loaded):
        assert (back.id, back.query, back.hidden) == (original.id, original.query, original.hidden)
        assert back.payload.constraints == original.payload.constraints
        assert back.payload.catalogue == original.payload.catalogue
        assert back.payload.date_options == original.payload.date_options
        assert back.uncertainty() == original.uncertainty()
        plan = original.payload.assistant.draft(frozenset(), random.Random(0))
        message = "```json\n" + json.dumps(plan) + "\n```"
        assert back.score(message) == original.score(message)


def test_an_inline_catalogue_round_trips_too(tmp_path):
    entries = load_planning_states(EXAMPLE)
    inline = next(e.task for e in entries if e.task.payload.catalogue_name is None)
    (back,) = tasks_from_states(write(tmp_path, task_record(inline)))
    assert back.payload.catalogue == inline.payload.catalogue
    assert back.uncertainty() == inline.uncertainty()


def _set(path, value):
    def mutate(record):
        target = record
        for key in path[:-1]:
            target = target[key]
        if value is _DELETE:
            del target[path[-1]]
        elif isinstance(target, list) and path[-1] == len(target):
            target.append(value)
        else:
            target[path[-1]] = value
        return record
    return mutate


_DELETE = object()

ERRORS = [
    (_set(["kind"], _DELETE), "kind", "missing required field"),
    (_set(["kind"], "cruise"), "kind", "expected one of trip, meal, study, event"),
    (_set(["domain"], "coding"), "domain", "expected 'planning'"),
    (_set(["dialogue_turn"], _DELETE), "dialogue_turn", "missing required field"),
    (_set(["task_uncertainty"], 1.5), "task_uncertainty", "[0, 1]"),
    (_set(["constraint"], []), "constraint", "unknown field"),
    (_set(["catalogue"], "paris"), "catalogue", "built-in ones are lisbon, kyoto, rome, edinburgh"),
    (_set(["catalogue"], []), "catalogue", "non-empty list of items"),
    (_set(["constraints"], []), "constraints", "non-empty list"),
    (_set(["constraints", 1, "kind"], "budjet"), "constraints[1].kind", "expected one of duration"),
    (_set(["constraints", 1, "max_per_day"], "cheap"), "constraints[1].max_per_day", "expected a number > 0"),
    (_set(["constraints", 1, "max_per_day"], _DELETE), "constraints[1].max_per_day", "missing required field"),
    (_set(["constraints", 1, "max_per_day"], 30), "constraints[1].max_per_day", "below the dearest day"),
    (_set(["constraints", 1, "hidden"], "yes"), "constraints[1].hidden", "expected true or false"),
    (_set(["constraints", 1, "cap"], 3), "constraints[1].cap", "unknown field for a budget constraint"),
    (_set(["constraints", 0, "days"], 0), "constraints[0].days", "integer >= 1"),
    (_set(["constraints", 2, "item"], "Eiffel Tower"), "constraints[2].item", "matches none"),
    (_set(["constraints", 2, "item"], "Museum"), "constraints[2].item", "matches Gulbenkian Museum, Tile Museum"),
    (_set(["constraints", 2, "item"], "Tile Museum"), "constraints[2].item", "ruled out"),
    (_set(["constraints", 3, "words"], "museum"), "constraints[3].words", "non-empty list of words"),
    (_set(["constraints", 0], {"kind": "budget", "max_per_day": 50}), "constraints[1].kind", "at most one budget"),
    (_set(["constraints", 4], {"kind": "start_date", "date": "2026-13-01"}), "constraints[4].date", "YYYY-MM-DD"),
    (_set(["constraints", 4], {"kind": "earliest_start", "time": "9am"}), "constraints[4].time", "24-hour"),
    (_set(["constraints", 4], {"kind": "earliest_start", "time": "11:00"}), "constraints[4].time", "later than"),
    (_set(["constraints", 4], {"kind": "pace", "max_hours_per_day": 2}), "constraints[4].max_hours_per_day",
     "below the shortest"),
    (_set(["constraints", 4], {"kind": "must_include", "item": "Belem Tower"}), "constraints[4]", "repeats"),
    (_set(["constraints", 4], {"kind": "required_tag", "tag": "step-free"}), "constraints[2].item", "ruled out"),
    (_set(["constraints"], [{"kind": "duration", "days": 2, "hidden": True},
                             {"kind": "required_tag", "tag": "kid-friendly"}]), "constraints",
     "only 5 catalogue items satisfy every must_avoid and required_tag constraint; a 4-day trip plan needs 8"),
    (_set(["constraints"], [{"kind": "duration", "days": 1},
                             {"kind": "must_include", "item": "Belem Tower"},
                             {"kind": "must_include", "item": "Tile Museum"},
                             {"kind": "must_include", "item": "Oceanarium"}]), "constraints",
     "3 items are required but a 1-day trip plan has room for 2"),
    (_set(["constraints"], [{"kind": "order", "first": "Belem Tower", "then": "Tile Museum"},
                             {"kind": "order", "first": "Oceanarium", "then": "Tile Museum"}]),
     "constraints[1].then", "must not share items"),
    (_set(["date_options"], ["2026-06-13", "soon"]), "date_options.1", "YYYY-MM-DD"),
    (_set(["catalogue"], [{"name": "Castle", "cost": 12}, {"name": "Castle Hill", "cost": 12}]),
     "catalogue[0].name", "also names 'Castle Hill'"),
    (_set(["catalogue"], [{"name": "Castle", "cost": -1}]), "catalogue[0].cost", "expected a number >= 0"),
    (_set(["catalogue"], [{"name": "Castle", "price": 1}]), "catalogue[0].price", "unknown field"),
]


@pytest.mark.parametrize("mutate,field,problem", ERRORS, ids=[f"{e[1]}:{e[2][:20]}" for e in ERRORS])
def test_bad_records_fail_naming_file_line_and_field(tmp_path, mutate, field, problem):
    bad = mutate(copy.deepcopy(VALID))
    bad["id"] = "second"
    path = write(tmp_path, VALID, bad)
    with pytest.raises(SchemaError) as caught:
        load_planning_states(path)
    assert caught.value.where == f"{path}:2"
    assert caught.value.field == field
    assert problem in caught.value.problem
    assert str(caught.value).startswith(f"{path}:2: field '{field}'")


def test_a_line_that_is_not_json_or_not_an_object_is_named(tmp_path):
    path = write(tmp_path, VALID, raw_lines=["{not json"])
    with pytest.raises(SchemaError, match=r"states.jsonl:2: invalid JSON"):
        load_planning_states(path)
    path = write(tmp_path, VALID, raw_lines=["[1, 2]"])
    with pytest.raises(SchemaError, match=r"states.jsonl:2: expected a JSON object"):
        load_planning_states(path)


def test_duplicate_ids_empty_and_missing_files_fail_clearly(tmp_path):
    with pytest.raises(SchemaError, match=r":2: field 'id': duplicate id 'lisbon' \(first at .*states.jsonl:1\)"):
        load_planning_states(write(tmp_path, VALID, VALID))
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n\n")
    with pytest.raises(SchemaError, match="holds no records"):
        load_planning_states(empty)
    with pytest.raises(FileNotFoundError, match="nope.jsonl"):
        load_planning_states(tmp_path / "nope.jsonl")


def test_planning_env_reads_a_states_file_and_plays_its_tasks():
    env = gym.make("proact_env/Planning-v0", states_path=str(EXAMPLE))
    ids = {e.state.id for e in load_planning_states(EXAMPLE)}
    seen = set()
    for seed in range(30):
        _, info = env.reset(seed=seed)
        seen.add(info["task_id"])
        _, _, _, _, info = env.step(Action.EXECUTE)
        assert info["task_score"]["details"]["parsed"]
    assert seen == ids
    assert env.unwrapped.task_source.describe() == {"source": "planning-states", "path": str(EXAMPLE),
                                                     "tasks": len(ids)}
    assert isinstance(env.unwrapped.task_source, PlanningStatesSource)


def test_planning_env_options_are_checked():
    env = gym.make("proact_env/Planning-v0", task_config={"kinds": ["meal"], "max_extra": 4})
    _, info = env.reset(seed=0)
    assert info["task_id"].startswith("planning-meal-")
    with pytest.raises(ValueError, match="unknown task_config option"):
        gym.make("proact_env/Planning-v0", task_config={"kind": ["meal"]})
    with pytest.raises(ValueError, match="kinds must be"):
        gym.make("proact_env/Planning-v0", task_config={"kinds": ["cruise"]})
    with pytest.raises(ValueError, match="not both"):
        gym.make("proact_env/Planning-v0", task_config={}, states_path=str(EXAMPLE))
    with pytest.raises(ValueError, match="builds its own task source"):
        gym.make("proact_env/Planning-v0", task_source=PlanningTaskSource())
