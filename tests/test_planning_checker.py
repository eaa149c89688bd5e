"""The planning checker: parsing plans out of messages, the schema, and every constraint kind's rule."""

from __future__ import annotations

import json
from datetime import date

import pytest

from proact_env.domains.planning import parse_plan, plan_schema_text
from proact_env.domains.planning.constraints import (
    Budget,
    Duration,
    EarliestStart,
    MustAvoid,
    MustInclude,
    Order,
    Pace,
    RequiredTag,
    StartDate,
)
from proact_env.domains.planning.kinds import KINDS
from proact_env.domains.planning.plan import PLAN_FIELDS, PlanError, validate_plan
from proact_env.domains.planning.spec import build_spec, candidate_dates


def item(name, start="09:00", hours=2.0, cost=20, tags=()):
    return {"name": name, "start": start, "hours": hours, "cost": cost, "tags": list(tags)}


def plan_json(*days, start_date="2026-06-13"):
    return {"start_date": start_date, "days": [{"items": list(day)} for day in days]}


def fenced(plan):
    return f"Here is the plan.\n```json\n{json.dumps(plan)}\n```\nEnjoy!"


BASE = plan_json(
    [item("Belem Tower", "09:00", 2, 20, ["monument"]), item("Tile Museum", "14:00", 2, 24, ["museum", "step-free"])],
    [item("Alfama Walking Tour", "10:00", 1.5, 12, ["outdoor", "step-free"])],
)

# (constraint, a plan that meets it, a plan that violates it)
CASES = {
    "duration": (Duration(2), BASE, plan_json([item("A")], [item("B")], [item("C")])),
    "start_date": (StartDate(date(2026, 6, 13)), BASE, {**BASE, "start_date": "2026-06-20"}),
    "budget, boundary included": (Budget(44), BASE, plan_json([item("A", cost=20), item("B", cost=24.5)])),
    "pace, boundary included": (Pace(4), BASE, plan_json([item("A", hours=2), item("B", hours=2.5)])),
    "earliest_start": (EarliestStart(9 * 60), BASE, plan_json([item("A", start="08:59")])),
    "must_include, accents and extra words": (
        MustInclude("Belem Tower"), plan_json([item("Visit the Belém TOWER")]), plan_json([item("Belem Monastery")]),
    ),
    "must_avoid, by tag": (
        MustAvoid("museums", ("museum", "museums")), plan_json([item("Castle", tags=["monument"])]),
        plan_json([item("Castle"), item("Gallery", tags=["Museum"])]),
    ),
    "must_avoid, by name": (
        MustAvoid("boat trips", ("boat",)), BASE, plan_json([item("River Boat Ride")]),
    ),
    "required_tag, separators ignored": (
        RequiredTag("step-free"), plan_json([item("A", tags=["Step free"]), item("B", tags=["step_free", "x"])]),
        plan_json([item("A", tags=["step-free"]), item("B", tags=["stairs"])]),
    ),
    "order across days": (
        Order("Tile Museum", "Alfama Walking Tour"), BASE,
        plan_json([item("Alfama Walking Tour")], [item("Tile Museum")]),
    ),
    "order within a day, by start time": (
        Order("Belem Tower", "Tile Museum"), BASE,
        plan_json([item("Tile Museum", "09:00"), item("Belem Tower", "14:00")]),
    ),
    "order needs both items": (Order("Belem Tower", "Tile Museum"), BASE, plan_json([item("Belem Tower")])),
}


@pytest.mark.parametrize("name", list(CASES))
def test_each_constraint_kind_is_met_and_violated_as_documented(name):
    constraint, met, violated = CASES[name]
    assert constraint.is_met(parse_plan(fenced(met)))
    assert not constraint.is_met(parse_plan(fenced(violated)))


def test_order_uses_the_first_occurrence_of_each_item():
    rule = Order("Belem Tower", "Tile Museum")
    plan = plan_json([item("Tile Museum", "09:00")], [item("Belem Tower"), item("Tile Museum", "15:00")])
    assert not rule.is_met(parse_plan(json.dumps(plan)))


@pytest.mark.parametrize(
    "message",
    [
        fenced(BASE),
        "```\n" + json.dumps(BASE) + "\n```",
        json.dumps(BASE, indent=2),
        "Sure! " + json.dumps(BASE) + " Let me know if you want changes.",
        'Note {"assumption": "mid-range"} and then the plan: ' + json.dumps(BASE),
        "```python\nprint('not the plan')\n```\n```json\n" + json.dumps(BASE) + "\n```",
    ],
    ids=["json-fence", "bare-fence", "whole-message", "embedded", "stray-object-first", "second-fence"],
)
def test_plans_are_found_in_fences_bare_and_embedded_in_prose(message):
    plan = parse_plan(message)
    assert [len(day) for day in plan.days] == [2, 1]
    assert plan.start_date == date(2026, 6, 13)
    assert [i.name for i in plan.items] == ["Belem Tower", "Tile Museum", "Alfama Walking Tour"]


@pytest.mark.parametrize(
    "message,kind,reason",
    [
        ("Day 1: the castle. Day 2: the museum.", "no_json", "no JSON object"),
        ('```json\n{"start_date": "2026-06-13", "days": [\n```', "invalid_json", "line"),
        ('Plan: {"start_date": "2026-06-13", "days": [', "invalid_json", "no complete JSON object"),
        (json.dumps({"steps": [{"step": "castle"}]}), "schema", "start_date: missing required field"),
        (json.dumps({**BASE, "start_date": "13/06/2026"}), "schema", "start_date: expected a date"),
        (json.dumps({**BASE, "start_date": "2026-02-30"}), "schema", "start_date: expected a date"),
        (json.dumps({**BASE, "days": []}), "schema", "days: expected a non-empty array"),
        (json.dumps({**BASE, "days": [{"activities": []}]}), "schema", "days[0].items: missing required field"),
        (json.dumps(plan_json([item("A")], [])), "schema", "days[1].items: expected at least one item"),
        (json.dumps(plan_json([item("A", start="9am")])), "schema", "days[0].items[0].start: expected a 24-hour"),
        (json.dumps(plan_json([item("A")], [item("B", start="24:00")])), "schema", "days[1].items[0].start"),
        (json.dumps(plan_json([item("A", hours=0)])), "schema", "days[0].items[0].hours"),
        (json.dumps(plan_json([item("A", cost=-5)])), "schema", "days[0].items[0].cost: expected a cost >= 0"),
        (json.dumps(plan_json([item("A", cost="20")])), "schema", "days[0].items[0].cost: expected a number"),
        (json.dumps(plan_json([item("A", hours=True)])), "schema", "days[0].items[0].hours: expected a number"),
        (json.dumps(plan_json([item("", cost=1)])), "schema", "days[0].items[0].name"),
        (json.dumps(plan_json([{**item("A"), "tags": "vegan"}])), "schema", "days[0].items[0].tags"),
        (json.dumps(plan_json([{k: v for k, v in item("A").items() if k != "cost"}])), "schema",
         "days[0].items[0].cost: missing"),
    ],
)
def test_unusable_plans_raise_with_the_kind_and_the_offending_path(message, kind, reason):
    with pytest.raises(PlanError) as caught:
        parse_plan(message)
    assert caught.value.kind == kind
    assert reason in caught.value.reason


def test_a_plan_wrapped_in_an_array_is_still_found_but_validate_plan_wants_an_object():
    assert len(parse_plan(json.dumps([BASE])).items) == 3
    with pytest.raises(PlanError, match="must be a JSON object"):
        validate_plan([BASE])


def test_tags_are_optional_and_other_fields_are_ignored():
    plan = {"start_date": "2026-06-13", "title": "Lisbon", "days": [
        {"date": "2026-06-13", "items": [{"name": "A", "start": "9:05", "hours": 1, "cost": 0, "notes": "x"}]}]}
    parsed = parse_plan(json.dumps(plan))
    assert parsed.items[0].tags == frozenset() and parsed.items[0].start == 9 * 60 + 5


def test_the_schema_text_lists_every_field_and_an_example_that_parses():
    text = plan_schema_text()
    for f in PLAN_FIELDS:
        assert f"- {f.path} (" in text
    example = text.splitlines()[0]
    assert parse_plan(example).items[0].name == "Belem Tower"


def _lisbon_spec(hidden=True):
    kind = KINDS["trip"]
    constraints = (
        Duration(2),
        StartDate(date(2026, 6, 13), hidden=hidden),
        Budget(44, hidden=hidden),
        MustInclude("Belem Tower", hidden=hidden),
        MustAvoid("museums", ("museum",), hidden=hidden),
    )
    catalogue = kind.catalogue("lisbon").catalogue
    return build_spec(kind, "lisbon", catalogue, constraints, candidate_dates(2026, 6, kind.weekday), where="test")


def test_score_is_the_share_of_constraints_met_and_names_the_hidden_ones_missed():
    spec = _lisbon_spec()
    # 2 days, right date, within budget, includes Belem Tower, but has a museum
    score = spec.score(fenced(BASE))
    assert (score.passed, score.total, score.score) == (4, 5, 0.8)
    assert score.details["missed_facts"] == ["must_avoid:museums"]
    assert score.details["constraints"]["budget"] is True
    json.dumps(score.to_dict())  # details are JSON-serialisable
    stated = _lisbon_spec(hidden=False).score(fenced(BASE))
    assert stated.score == 0.8 and stated.details["missed_facts"] == []


@pytest.mark.parametrize("message,error", [("no plan here", "no_json"), ("{oops", "invalid_json"),
                                           ('{"steps": []}', "schema")])
def test_a_message_without_a_usable_plan_scores_zero_with_the_reason(message, error):
    spec = _lisbon_spec()
    score = spec.score(message)
    assert score.score == 0.0 and score.passed == 0 and score.total == 5
    assert score.details["parsed"] is False and score.details["error"] == error and score.details["reason"]
    assert score.details["missed_facts"] == list(spec.hidden_keys)


def test_the_checker_is_deterministic():
    spec = _lisbon_spec()
    assert spec.score(fenced(BASE)) == spec.score(fenced(BASE))
