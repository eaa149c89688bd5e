"""The rule-based simulated user: probabilities, reveals, patience, determinism, natural replies."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from proact_env.domains.synthetic.tasks import SyntheticTaskSource
from proact_env.personas import PRESETS, sample_persona
from proact_env.simulator import DialogueContext, RuleBasedSimulator, SimulatorConfig, clarify_reaction_probs
from proact_env.simulator.hearing import hear
from proact_env.types import Action, HiddenFact, TaskScore


def _task(seed: int = 0, hidden_at_least: int = 2):
    rng = random.Random(seed)
    while True:
        task = SyntheticTaskSource().sample(rng)
        if len(task.hidden) >= hidden_at_least:
            return task


@settings(max_examples=200, deadline=None)
@given(
    persona_seed=st.integers(0, 10**6),
    n_questions=st.integers(1, 4),
    before=st.integers(0, 12),
    prev_reject=st.booleans(),
)
def test_reaction_probabilities_are_a_distribution(persona_seed, n_questions, before, prev_reject):
    persona = sample_persona(random.Random(persona_seed))
    probs = clarify_reaction_probs(persona, n_questions, before, prev_reject, SimulatorConfig())
    values = (probs.reject, probs.answer, probs.silence, probs.off_topic)
    assert all(0.0 <= v <= 1.0 for v in values)
    assert sum(values) == pytest.approx(1.0)


@pytest.mark.parametrize("persona", list(PRESETS.values()), ids=list(PRESETS))
def test_pushback_grows_beyond_tolerance_and_after_a_rejection(persona):
    config = SimulatorConfig()
    within = clarify_reaction_probs(persona, 1, 0, False, config).reject
    beyond = clarify_reaction_probs(persona, 1, persona.question_tolerance + 1, False, config).reject
    after_reject = clarify_reaction_probs(persona, 1, 0, True, config).reject
    assert persona.question_tolerance >= 1 and within == pytest.approx(persona.p_reject)
    assert beyond > within and after_reject > within


def _context(task, action=Action.CLARIFY, **overrides):
    values = dict(task=task, action=action, questions_before=0, prev_reject=False, patience_left=3)
    values.update(overrides)
    return DialogueContext(**values)


def test_same_seed_same_reaction():
    task = _task()
    sim = RuleBasedSimulator()
    question = f"Which {task.payload.hidden_slots[0].label} do you want?"
    persona = PRESETS["terse_user"]
    a = [sim.react(task.query, question, persona, context=_context(task), rng=random.Random(s)) for s in range(50)]
    b = [sim.react(task.query, question, persona, context=_context(task), rng=random.Random(s)) for s in range(50)]
    assert [r.to_dict() for r in a] == [r.to_dict() for r in b]
    assert len({r.user_reply for r in a}) > 3  # replies vary


def test_answers_reveal_asked_facts_at_the_persona_precision():
    task = _task(hidden_at_least=1)
    slot = task.payload.hidden_slots[0]
    question = f"Which {slot.label} should I use?"
    persona = PRESETS["cooperative_collaborator"]
    sim = RuleBasedSimulator()
    answered = revealed = 0
    for seed in range(4000):
        reaction = sim.react(task.query, question, persona, context=_context(task), rng=random.Random(seed))
        if reaction.meta.answered_clarification:
            answered += 1
            revealed += reaction.revealed == (slot.name,)
            if reaction.revealed:
                assert slot.truth in reaction.user_reply
    assert answered / 4000 == pytest.approx(persona.p_answer, abs=0.03)
    assert revealed / answered == pytest.approx(persona.answer_precision, abs=0.03)


def test_questions_match_facts_by_keyword_and_a_question_about_nothing_gets_nothing():
    facts = (
        HiddenFact("signature", "It is def f(x).", ("signature", "name")),
        HiddenFact("example", "f(1) == 2.", ("example",)),
    )
    assert hear("Can you give an example?", facts, frozenset()).questions[0].targets == ("example",)
    vague = hear("Anything else?", facts, frozenset({"signature"})).questions[0]
    assert vague.targets == () and vague.kind == "vague" and vague.open
    both = hear("What is the name? And an example?", facts, frozenset())
    assert both.targeted() == ("signature", "example")


def test_rejections_and_failed_solutions_spend_patience_until_the_user_gives_up():
    task = _task()
    sim = RuleBasedSimulator()
    persona = PRESETS["impatient_expert"]
    failing = TaskScore(score=0.25, passed=1, total=4, details={"missed_facts": [task.hidden[0].key]})
    reaction = sim.react(task.query, "Here it is.", persona,
                         context=_context(task, Action.EXECUTE, patience_left=2, score=failing), rng=random.Random(0))
    assert reaction.meta.reject_signal and not reaction.gave_up and reaction.patience_left == 1
    reaction = sim.react(task.query, "Here it is.", persona,
                         context=_context(task, Action.EXECUTE, patience_left=1, score=failing), rng=random.Random(0))
    assert reaction.gave_up and reaction.meta.satisfaction == 0.0


def test_a_successful_solution_is_accepted_and_satisfaction_reflects_patience_left():
    task = _task()
    success = TaskScore(score=1.0, passed=4, total=4)
    persona = PRESETS["busy_manager"]  # patience budget 2
    satisfied = []
    for patience_left in (2, 1):
        reaction = RuleBasedSimulator().react(
            task.query, "Done.", persona,
            context=_context(task, Action.EXECUTE, score=success, patience_left=patience_left), rng=random.Random(0),
        )
        assert not reaction.meta.reject_signal and not reaction.gave_up and reaction.user_reply
        satisfied.append(reaction.meta.satisfaction)
    assert satisfied == [1.0, 0.75]


def test_feedback_names_a_missed_fact():
    task = _task()
    missed = task.hidden[-1]
    failing = TaskScore(score=0.5, passed=2, total=4, details={"missed_facts": [missed.key]})
    persona = PRESETS["cooperative_collaborator"]  # feedback_rate 0.9
    reveals = [
        RuleBasedSimulator().react(task.query, "Here.", persona,
                                   context=_context(task, Action.EXECUTE, score=failing), rng=random.Random(s)).revealed
        for s in range(200)
    ]
    assert all(r in ((), (missed.key,)) for r in reveals)
    assert sum(bool(r) for r in reveals) / 200 == pytest.approx(0.9, abs=0.06)
