"""Synthetic tasks: sampling, scoring and the invariants the exact solver relies on."""

from __future__ import annotations

import itertools
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from proact_env.domains.synthetic.tasks import (
    CODING_REQUESTS,
    CODING_SLOTS,
    PLANNING_REQUESTS,
    PLANNING_SLOTS,
    SyntheticTaskSource,
)
from proact_env.domains.synthetic.writer import ScriptedSyntheticBackbone
from proact_env.text import prose_words, words_of
from proact_env.types import Action


@settings(max_examples=150, deadline=None)
@given(seed=st.integers(0, 2**32), domain=st.sampled_from(["coding", "planning", "mixed"]))
def test_sampled_tasks_are_seeded_and_well_formed(seed, domain):
    source = SyntheticTaskSource(domain=domain)
    task = source.sample(random.Random(seed))
    assert task == source.sample(random.Random(seed))
    spec = task.payload
    assert domain in ("mixed", task.domain)
    assert 2 <= len(spec.slots) <= 4 and len(task.hidden) == len(spec.hidden_slots)
    options = [o for s in spec.slots for o in s.options]
    assert len(options) == len(set(options)), "option words must be unique within a task"
    assert all(len(s.options) == spec.n_options and s.truth in s.options for s in spec.slots)
    query_words = words_of(task.query)
    for slot in spec.slots:
        assert (slot.truth in query_words) == (not slot.hidden), "stated slots are in the query, hidden ones are not"
    assert task.uncertainty() == pytest.approx(1 - spec.guess_rate ** len(spec.hidden_slots))


def test_requests_never_mention_an_option_word():
    for requests, vocabulary in ((CODING_REQUESTS, CODING_SLOTS), (PLANNING_REQUESTS, PLANNING_SLOTS)):
        all_options = {o for _, pool in vocabulary.values() for o in pool}
        for request in requests:
            assert not words_of(request) & all_options, request


def _task(min_hidden=2, seed=0):
    rng = random.Random(seed)
    while True:
        task = SyntheticTaskSource().sample(rng)
        if len(task.hidden) >= min_hidden:
            return task


def test_a_slot_is_met_only_when_its_truth_is_the_only_option_mentioned():
    task = _task()
    spec = task.payload
    truthful = " ".join(f"{s.truth} {s.label}" for s in spec.slots)
    assert task.score(truthful).score == 1.0
    first = spec.slots[0]
    wrong = next(o for o in first.options if o != first.truth)
    hedged = truthful + f" or maybe {wrong}"
    report = task.score(hedged)
    assert report.score == pytest.approx((len(spec.slots) - 1) / len(spec.slots))
    assert report.details["slots_met"][first.name] is False
    assert task.score("").score == 0.0


def test_missed_facts_are_the_hidden_slots_a_solution_got_wrong():
    task = _task()
    spec = task.payload
    stated_only = " ".join(s.truth for s in spec.slots if not s.hidden)
    assert task.score(stated_only).details["missed_facts"] == [s.name for s in spec.hidden_slots]


def test_message_lengths_depend_only_on_how_many_slots_are_unknown():
    """The solver renders one revealed set per count; every other set must give the same lengths."""
    backbone = ScriptedSyntheticBackbone()
    for seed in range(30):
        task = _task(min_hidden=1, seed=seed)
        spec = task.payload
        hidden = [s.name for s in spec.hidden_slots]
        for n_known in range(len(hidden) + 1):
            for action in Action:
                expected = backbone.word_counts(spec, task.domain, action, len(hidden) - n_known)
                for known in itertools.combinations(hidden, n_known):
                    if action is Action.CLARIFY:
                        lengths = [prose_words(backbone._clarify(spec, frozenset(known), v)) for v in range(len(expected))]
                    else:
                        values = {s.name: s.options[0] for s in spec.slots}
                        lengths = [prose_words(backbone._execute(spec, task.domain, frozenset(known), values, v))
                                   for v in range(len(expected))]
                    assert lengths == expected


def test_scripted_messages_ask_about_unknown_slots_and_state_known_ones():
    from proact_env.personas import PRESETS
    from proact_env.types import MessageRequest

    task = _task(min_hidden=2)
    spec = task.payload
    first, second = spec.hidden_slots[:2]
    revealed = frozenset({first.name})
    request = MessageRequest(Action.CLARIFY, task.state(1, 0, revealed), [], revealed, PRESETS["terse_user"],
                             random.Random(0))
    question = ScriptedSyntheticBackbone().write_for(task, request)
    assert second.label in question and first.label not in question
    request.action = Action.EXECUTE
    solution = ScriptedSyntheticBackbone().write_for(task, request)
    assert first.truth in words_of(solution)
