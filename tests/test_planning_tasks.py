"""Planning tasks: catalogues, the generator, exact task uncertainty, the scripted backbone and the simulated user."""

from __future__ import annotations

import dataclasses
import random
from collections import Counter
from datetime import date
from fractions import Fraction

import gymnasium as gym
import pytest

import proact_env  # noqa: F401  (registers the ids)
from proact_env import Action, Persona
from proact_env.domains.planning import PlanningConfig, PlanningTaskSource
from proact_env.domains.planning.constraints import (
    CONSTRAINT_KINDS,
    Budget,
    Duration,
    MustAvoid,
    MustInclude,
    Order,
    StartDate,
)
from proact_env.domains.planning.kinds import KINDS, TIER_MULTIPLIERS
from proact_env.domains.planning.reference import dearest_day, matching_items
from proact_env.domains.planning.spec import build_spec, candidate_dates
from proact_env.domains.planning.writer import ScriptedPlanningBackbone
from proact_env.personas import get_preset
from proact_env.simulator.hearing import facts_about
from proact_env.types import MessageRequest, Turn

SOURCE = PlanningTaskSource()


def _tasks(n, seed=0, source=SOURCE):
    rng = random.Random(seed)
    return [source.sample(rng) for _ in range(n)]


TASKS = _tasks(300)


@pytest.mark.parametrize("kind", list(KINDS.values()), ids=list(KINDS))
def test_catalogues_name_each_item_unambiguously_and_price_it_inside_the_band(kind):
    for subject in kind.subjects:
        items = subject.catalogue
        assert len(items) >= kind.items_per_day * max(kind.duration_options)
        for item in items:
            assert matching_items(items, item.name) == (items.index(item),), (subject.key, item.name)
            if kind.cost_band is None:
                assert item.cost == 0
            else:
                low, high = kind.cost_band
                assert low <= item.cost <= high < 2 * low, (subject.key, item.name)
        for first, then in subject.sequences:
            assert len(matching_items(items, first)) == len(matching_items(items, then)) == 1


@pytest.mark.parametrize("kind", [k for k in KINDS.values() if k.cost_band], ids=lambda k: k.name)
def test_budget_caps_separate_the_spending_levels_for_every_catalogue(kind):
    """What makes the budget odds exact: a cap is met at levels up to t whatever the items, and never above."""
    n = kind.items_per_day
    for subject in kind.subjects:
        cheapest = sum(sorted(i.cost for i in subject.catalogue)[:n])
        for t, cap in enumerate(kind.budget_caps()):
            assert dearest_day(subject.catalogue, n)[t] <= cap < cheapest * TIER_MULTIPLIERS[t + 1]


def test_the_same_seed_gives_the_same_task_and_seeds_differ():
    again = _tasks(300)
    assert [(t.id, t.query, t.payload.constraints, t.hidden) for t in TASKS] == \
           [(t.id, t.query, t.payload.constraints, t.hidden) for t in again]
    assert len({t.query for t in TASKS}) > 250


def test_generated_tasks_cover_every_kind_and_constraint_kind():
    assert Counter(t.payload.kind.name for t in TASKS).keys() == set(KINDS)
    hidden_kinds = Counter(c.kind for t in TASKS for c in t.payload.constraints if c.hidden)
    stated_kinds = Counter(c.kind for t in TASKS for c in t.payload.constraints if not c.hidden)
    assert set(hidden_kinds) == set(stated_kinds) == set(CONSTRAINT_KINDS)
    assert {len(t.hidden) for t in TASKS} >= {0, 1, 2, 3, 4}


def test_stated_constraints_are_in_the_query_and_hidden_ones_are_facts_the_user_holds():
    for task in TASKS:
        spec = task.payload
        for c in spec.constraints:
            sentence = c.sentence(spec.kind.hours_noun)
            assert (sentence in task.query) == (not c.hidden), (task.id, sentence)
        assert [f.key for f in task.hidden] == list(spec.hidden_keys)
        assert len(set(spec.hidden_keys)) == len(spec.hidden_keys)
        for fact in task.hidden:
            assert fact.answer and fact.keywords


def test_uncertainty_is_zero_when_nothing_is_hidden_and_never_grows_as_facts_are_revealed():
    for task in TASKS:
        keys = task.payload.hidden_keys
        start = task.uncertainty()
        assert 0.0 <= start <= 1.0
        if not keys:
            assert start == 0.0
        assert task.uncertainty(frozenset(keys)) == 0.0
        previous = start
        for n in range(1, len(keys) + 1):
            now = task.uncertainty(frozenset(keys[:n]))
            assert now <= previous + 1e-12
            previous = now


def _lisbon(**hidden):
    kind = KINDS["trip"]
    constraints = (
        Duration(2),
        StartDate(date(2026, 6, 13), hidden=hidden.get("start_date", True)),
        Budget(44, hidden=hidden.get("budget", True)),
        MustInclude("Belem Tower", hidden=True),
        MustAvoid("museums", ("museum",), hidden=hidden.get("museums", True)),
    )
    return build_spec(kind, "lisbon", kind.catalogue("lisbon").catalogue, constraints,
                      candidate_dates(2026, 6, kind.weekday), where="test")


def test_uncertainty_matches_a_hand_computed_example():
    # 1/4 dates x 1/3 spending levels x (Belem Tower in, none of the 3 museums out of 4 draws from 14 items)
    spec = _lisbon()
    assert candidate_dates(2026, 6, 5) == tuple(date(2026, 6, d) for d in (6, 13, 20, 27))
    expected = Fraction(1, 4) * Fraction(1, 3) * Fraction(120, 1001)  # C(10,3) / C(14,4)
    assert spec.uncertainty(frozenset()) == pytest.approx(1 - float(expected))
    assert spec.uncertainty(frozenset({"budget"})) == pytest.approx(1 - float(expected * 3))
    # museums known: drawn from the 11 others, Belem Tower among them: C(10,3) / C(11,4)
    assert spec.uncertainty(frozenset({"must_avoid:museums"})) == pytest.approx(
        1 - float(Fraction(1, 12) * Fraction(120, 330)))


def test_an_unknown_order_halves_the_odds_of_drawing_both_items():
    kind = KINDS["trip"]
    order = Order("Sao Jorge Castle", "Alfama Walking Tour", hidden=True)
    spec = build_spec(kind, "lisbon", kind.catalogue("lisbon").catalogue, (Duration(2), order),
                      candidate_dates(2026, 6, kind.weekday), where="test")
    # both items among 4 draws from 14 (C(12,2) / C(14,4)), then the right way round (1/2)
    assert spec.uncertainty(frozenset()) == pytest.approx(1 - 66 / 1001 / 2)
    assert spec.uncertainty(frozenset({order.key})) == 0.0


def test_task_uncertainty_is_the_scripted_plans_real_failure_rate():
    """Across tasks and partial knowledge, drafts succeed exactly as often as the odds say (4-sigma band)."""
    rng = random.Random(5)
    expected = observed = variance = 0.0
    for task in TASKS[:40]:
        spec = task.payload
        revealed = frozenset(k for k in spec.hidden_keys if rng.random() < 0.5)
        p = 1.0 - spec.uncertainty(revealed)
        known = spec.known(revealed)
        draws = random.Random(task.id)
        for _ in range(150):
            plan = spec.assistant.draft(known, draws)
            observed += spec.score(_fence(plan)).score == 1.0
        expected += 150 * p
        variance += 150 * p * (1 - p)
    assert abs(observed - expected) < 4 * variance ** 0.5 + 1


def _fence(plan):
    import json

    return "```json\n" + json.dumps(plan) + "\n```"


def _request(task, action, revealed=frozenset(), transcript=(), seed=0):
    return MessageRequest(action=action, state=task.state(len(transcript) // 2, 0, revealed),
                          transcript=list(transcript), revealed=revealed, persona=get_preset("terse_user"),
                          rng=random.Random(seed))


def test_scripted_plans_are_schema_valid_and_honour_everything_known():
    backbone = ScriptedPlanningBackbone()
    rng = random.Random(3)
    for task in TASKS[:150]:
        spec = task.payload
        revealed = frozenset(k for k in spec.hidden_keys if rng.random() < 0.5)
        message = backbone.write_for(task, _request(task, Action.EXECUTE, revealed, seed=rng.getrandbits(32)))
        score = task.score(message)
        assert score.details["parsed"], score.details
        unknown = {k for k in spec.hidden_keys if k not in revealed}
        assert set(score.details["missed_facts"]) <= unknown
        assert all(met for key, met in score.details["constraints"].items() if key not in unknown)


def test_scripted_questions_target_each_unheard_kind_once_then_turn_open():
    backbone = ScriptedPlanningBackbone()
    task = next(t for t in TASKS if t.payload.kind.name == "trip")
    spec = task.payload
    heard = {spec.constraints[i].kind for i in spec.known(frozenset())}
    transcript = [Turn("user", task.query)]
    asked = []
    for turn in range(8):
        message = backbone.write_for(task, _request(task, Action.CLARIFY, transcript=transcript, seed=turn))
        transcript += [Turn("assistant", message, Action.CLARIFY), Turn("user", "Not sure.")]
        asked.append(message)
    questions = [q for q in spec.kind.questions.values() if any(q in m for m in asked)]
    assert len(questions) == len([k for k in spec.kind.questions if k not in heard])
    assert all(sum(q in m for m in asked) == 1 for q in questions)
    assert asked[-1] == "Is there anything else I should keep in mind?"


@pytest.mark.parametrize("kind", list(KINDS.values()), ids=list(KINDS))
def test_the_simulated_user_reads_each_scripted_question_as_about_its_kind(kind):
    seen = set()
    for task in _tasks(200, seed=11, source=PlanningTaskSource(PlanningConfig(kinds=(kind.name,)))):
        spec = task.payload
        for fact, c in zip(task.hidden, [c for c in spec.constraints if c.hidden]):
            question = kind.questions[c.kind]
            matched = facts_about(question, task.hidden)
            assert {f.key.split(":")[0] for f in matched} == {c.kind}, (question, [f.key for f in task.hidden])
            seen.add(c.kind)
    assert seen == set(kind.questions)


def test_keywords_of_named_items_skip_other_kinds_words():
    fact = MustInclude("Sintra Day Trip")
    assert "day" not in fact.keywords() and "sintra" in fact.keywords()
    assert facts_about("Would you like to see Sintra?", (_fact(fact),))[0].key == fact.key


def _fact(constraint):
    from proact_env.types import HiddenFact

    return HiddenFact(constraint.key, constraint.sentence("sightseeing"), constraint.keywords())


CANDID = Persona(name="candid", patience="high", expertise="high", question_tolerance=8, long_turn_tolerance=200,
                 p_answer=1.0, p_reject=0.0, p_silence=0.0, p_off_topic=0.0, answer_precision=1.0,
                 feedback_rate=1.0)


def test_a_candid_user_answers_two_questions_and_names_what_a_plan_missed():
    env = gym.make("proact_env/Planning-v0", persona=CANDID).unwrapped
    task = next(t for t in TASKS if len(t.hidden) >= 4)
    env.reset(seed=0, options={"task": task})
    before = env.episode.remaining_uncertainty
    _, _, _, _, info = env.step(Action.CLARIFY)
    assert len(info["revealed"]) == 2
    assert all(f.answer in info["user_reply"] for f in task.hidden if f.key in info["revealed"])
    assert env.episode.remaining_uncertainty < before
    _, _, terminated, _, info = env.step(Action.EXECUTE)
    if not info["success"]:
        missed = info["task_score"]["details"]["missed_facts"]
        assert info["revealed"] == [missed[0]]


def test_a_vaguer_user_reveals_less():
    vague = dataclasses.replace(CANDID, name="vague", answer_precision=0.3)
    revealed = {}
    for persona in (CANDID, vague):
        env = gym.make("proact_env/Planning-v0", persona=persona).unwrapped
        total = 0
        for seed in range(60):
            env.reset(seed=seed)
            total += len(env.step(Action.CLARIFY)[4]["revealed"])
        revealed[persona.name] = total
    assert revealed["vague"] < 0.6 * revealed["candid"]
