"""A user who hears the question: what a question is about decides what it reveals, in every domain.

Each behaviour is checked beside a control that replays the rule-based user of
before (`_old_facts_asked_about`: a question that matches nothing gets "the
next unrevealed fact", plain words such as "what" or "when" are keywords), to
show that the assertion would have failed then.
"""

from __future__ import annotations

import random
from dataclasses import replace

import gymnasium as gym
import pytest

import proact_env  # noqa: F401  (registers the ids)
from proact_env import Action, Persona
from proact_env.domains.coding.facts import DESCRIPTION_KEYWORDS, EXAMPLE_KEYWORDS, SIGNATURE_KEYWORDS
from proact_env.domains.coding.mbpp import load_mbpp
from proact_env.domains.planning import PlanningTaskSource
from proact_env.domains.planning.constraints import KEYWORDS as PLANNING_KEYWORDS
from proact_env.domains.synthetic.tasks import CODING_SLOTS, PLANNING_SLOTS, Slot, SyntheticTaskSource, slot_fact
from proact_env.domains.synthetic.writer import ScriptedSyntheticBackbone
from proact_env.simulator import DialogueContext, RuleBasedSimulator, SimulatorConfig, clarify_reaction_probs
from proact_env.simulator.hearing import (
    STOP_WORDS,
    facts_about,
    hear,
    is_open,
    states_fact,
    stem,
    vocabulary,
)
from proact_env.text import question_sentences, words_of
from proact_env.types import HiddenFact

#: hears everything and answers everything: only the question decides what is revealed
CANDID = Persona(name="candid", patience="high", expertise="high", question_tolerance=50, long_turn_tolerance=500,
                 p_answer=1.0, p_reject=0.0, p_silence=0.0, p_off_topic=0.0, answer_precision=1.0,
                 feedback_rate=1.0)

OFF_TOPIC = (
    "By the way, is it sunny where you are today?",
    "How are you doing today?",
    "What do you think?",
    "How should I do it?",
    "What would you like me to do?",
    "Can I ask you something?",
    "Is that okay with you?",
    "Which one do you prefer?",
    "What do you mean?",
    "Could you tell me more?",
    "When do you need it?",
    "Where are you from?",
)


#: the vocabularies before this change, for the controls (synthetic slots had their label, name and options)
OLD_KEYWORDS = {
    "signature": ("name", "named", "names", "naming", "called", "call", "signature", "parameter", "parameters",
                  "params", "argument", "arguments", "args", "arity", "def", "interface"),
    "example": ("example", "examples", "sample", "instance", "output", "outputs", "return", "returns", "returned",
                "expected", "expect", "format", "type", "types", "result", "results", "test", "tests", "case",
                "cases", "input", "inputs", "edge", "convention", "conventions"),
    "duration": ("days", "long", "duration", "length", "nights", "weeks"),
    "start_date": ("date", "dates", "when", "weekend", "start date"),
    "budget": ("budget", "spend", "cost", "costs", "price", "prices", "money", "afford", "expensive", "cheap"),
    "pace": ("hours", "pace", "busy", "intense", "packed", "tiring", "relaxed"),
    "earliest_start": ("early", "earliest", "morning", "mornings", "wake"),
    "must_include": ("include", "must", "essential", "essentials", "highlights"),
    "must_avoid": ("avoid", "dislike", "dislikes", "allergy", "allergies", "exclude"),
    "required_tag": ("needs", "requirements", "accessibility", "accessible", "wheelchair", "mobility",
                     "dietary", "diet", "restrictions", "where"),
    "order": ("order", "before", "after", "sequence"),
    **{name: (label, name, *pool) for slots in (CODING_SLOTS, PLANNING_SLOTS) for name, (label, pool) in slots.items()},
}


def _old_facts_asked_about(questions, hidden, revealed, keywords=None):
    """The rule-based user's matcher before this change (the control): kept verbatim but for `keywords`."""
    targeted = []
    for question in questions:
        lowered = question.lower()
        words = words_of(lowered)
        match = None
        for fact in hidden:
            fact_keywords = (keywords or {}).get(fact.key.split(":")[0], fact.keywords)
            if fact not in targeted and any(k in words or (not k.isalnum() and k in lowered) for k in fact_keywords):
                match = fact
                break
        if match is None:  # a vague question: the user volunteers the next thing that matters
            match = next((f for f in hidden if f not in targeted and f.key not in revealed), None)
        if match is not None:
            targeted.append(match)
    return targeted


def _synthetic_tasks(n=200, seed=0):
    rng = random.Random(seed)
    return [t for t in (SyntheticTaskSource().sample(rng) for _ in range(n)) if t.hidden]


def _planning_tasks(n=150, seed=0):
    rng = random.Random(seed)
    return [t for t in (PlanningTaskSource().sample(rng) for _ in range(n)) if t.hidden]


@pytest.fixture(scope="module")
def mbpp_tasks(shared_data):
    return [p.task(None) for p in load_mbpp(shared_data / "mbpp" / "mbpp.jsonl", split="test")]


def _context(task, revealed=frozenset()):
    return DialogueContext(task=task, action=Action.CLARIFY, questions_before=0, prev_reject=False,
                           patience_left=5, revealed=frozenset(revealed))


def _reveals(task, question, seeds=range(3), persona=CANDID, revealed=frozenset()):
    sim = RuleBasedSimulator()
    return [sim.react(task.query, question, persona, context=_context(task, revealed), rng=random.Random(s)).revealed
            for s in seeds]


# -- off-topic questions reveal nothing, in every domain -------------------------------------------


def _check_off_topic(tasks):
    old_reveals = 0
    for task in tasks:
        for question in OFF_TOPIC:
            heard = hear(question, task.hidden, frozenset())
            assert heard.quality() == {"questions": 1, "good": 0, "repeated": 0, "vague": 1}, (question, task.id)
            assert _reveals(task, question, seeds=[0]) == [()]
            old_reveals += bool(_old_facts_asked_about((question,), task.hidden, frozenset()))
    assert old_reveals == len(tasks) * len(OFF_TOPIC)  # control: before, every one of them revealed a fact


def test_off_topic_questions_reveal_nothing_synthetic():
    _check_off_topic(_synthetic_tasks())


def test_off_topic_questions_reveal_nothing_planning():
    _check_off_topic(_planning_tasks())


def test_off_topic_questions_reveal_nothing_coding(mbpp_tasks):
    _check_off_topic(mbpp_tasks[:150])


def test_off_topic_reply_is_the_persona_s_what_do_you_mean():
    task = _synthetic_tasks(5)[0]
    sim = RuleBasedSimulator()
    replies = {sim.react(task.query, OFF_TOPIC[0], replace(CANDID, long_turn_tolerance=20),
                         context=_context(task), rng=random.Random(s)).user_reply for s in range(40)}
    assert replies <= {"What?", "Meaning?", "Not sure what you're asking.", "Irrelevant."}  # terse style
    assert not any(fact.answer in reply for fact in task.hidden for reply in replies)


# -- synonyms and paraphrases do reveal ----------------------------------------------------------


PARAPHRASES = [
    # (domain, fact key, question): words the fact's label does not use
    ("synthetic", "sort_order", "How should the results be sorted?"),
    ("synthetic", "output_format", "Should I serialise it in some particular way?"),
    ("synthetic", "empty_input", "What should happen when there are no records?"),
    ("synthetic", "case_handling", "Should I keep the capitalisation as it is?"),
    ("synthetic", "duplicates", "Do the entries need to be unique?"),
    ("synthetic", "timezone", "Which time zone are the timestamps in?"),
    ("synthetic", "budget", "How much money are you willing to part with?"),
    ("synthetic", "lodging", "Where would you like to stay overnight?"),
    ("synthetic", "diet", "Is there any food you cannot eat?"),
    ("synthetic", "group", "How many people are coming with you?"),
    ("coding", "signature", "What identifier should the function have?"),
    ("coding", "example", "Could you show me what a typical run looks like?"),
    ("planning", "pace", "Do you want full days or a leisurely schedule?"),
    ("planning", "budget", "Is it pricey if I pick the fancy options?"),
    ("planning", "must_avoid", "Is there anything you are allergic to?"),
    ("planning", "earliest_start", "At what start time should each day begin?"),
]


def _synthetic_task_with(key):
    flavour_slots = CODING_SLOTS if key in CODING_SLOTS else PLANNING_SLOTS
    decoy = next(name for name in flavour_slots if name != key)
    slots = tuple(Slot(name, flavour_slots[name][0], flavour_slots[name][1][:2], flavour_slots[name][1][0], True)
                  for name in (decoy, key))  # the asked-about slot is not the first hidden one
    return tuple(slot_fact(s) for s in slots)


@pytest.mark.parametrize("domain,key,question", PARAPHRASES, ids=[f"{d}-{k}" for d, k, _ in PARAPHRASES])
def test_synonyms_and_paraphrases_reveal_their_fact(domain, key, question):
    if domain == "synthetic":
        hidden = _synthetic_task_with(key)
    elif domain == "coding":
        hidden = (HiddenFact("example", "For example, `f(1)` should return `2`.", EXAMPLE_KEYWORDS, ("2",)),
                  HiddenFact("signature", "The function should be called `f`.", SIGNATURE_KEYWORDS, ("f",)))
        hidden = tuple(sorted(hidden, key=lambda f: f.key != key, reverse=True))  # the asked one last
    else:
        hidden = tuple(HiddenFact(kind, f"({kind})", words) for kind, words in PLANNING_KEYWORDS.items()
                       if kind != key) + (HiddenFact(key, f"({key})", PLANNING_KEYWORDS[key]),)
    assert [f.key for f in facts_about(question, hidden)] == [key]
    assert hear(question, hidden, frozenset()).good == 1
    # control: the old matcher knew no such synonym and gave the first unrevealed fact instead
    assert [f.key for f in _old_facts_asked_about((question,), hidden, frozenset(), OLD_KEYWORDS)] != [key]


def test_stems_join_a_word_and_its_inflections():
    for family in (("format", "formats", "formatted", "formatting"), ("name", "names", "named", "naming"),
                   ("sort", "sorted", "sorting", "sorts"), ("order", "orders", "ordered", "ordering"),
                   ("date", "dates", "dated"), ("duplicate", "duplicates", "duplicated")):
        assert len({stem(w) for w in family}) == 1, family
    assert stem("evening") != stem("even") and stem("casing") != stem("case")


# -- stop words alone never match ----------------------------------------------------------------


def _every_vocabulary():
    yield from (tuple(slot_fact(Slot(n, label, pool, pool[0], True)).keywords)
                for slots in (CODING_SLOTS, PLANNING_SLOTS) for n, (label, pool) in slots.items())
    yield SIGNATURE_KEYWORDS
    yield EXAMPLE_KEYWORDS
    yield DESCRIPTION_KEYWORDS
    yield from PLANNING_KEYWORDS.values()
    for task in _planning_tasks(60):
        yield from (tuple(f.keywords) for f in task.hidden)


def test_no_vocabulary_matches_on_a_stop_word():
    stop_stems = {stem(w) for w in STOP_WORDS}
    for keywords in _every_vocabulary():
        assert not vocabulary(keywords).stems & stop_stems, keywords


def test_a_question_of_stop_words_alone_targets_nothing():
    facts = [HiddenFact("description", "It sums the list.", DESCRIPTION_KEYWORDS),
             *(HiddenFact(kind, kind, words) for kind, words in PLANNING_KEYWORDS.items())]
    old_description = DESCRIPTION_KEYWORDS + ("mean", "means", "do", "does", "should", "which", "what", "how")
    old_planning = {"start_date": ("when",), "must_include": ("must",), "required_tag": ("needs", "where"),
                    "order": ("before", "after")}
    for question in ("How should I do it?", "What do you need?", "When and where?", "Which one must it be?",
                     "What should I do before that, and what after?"):
        assert hear(question, facts, frozenset()).vague == 1, question
        # control: the old word lists held these words, so each question matched a fact by them
        old_keywords = {"description": old_description, **old_planning}
        matched = [f for f in facts if any(k in words_of(question.lower()) for k in old_keywords.get(f.key, ()))]
        assert matched, question


# -- open questions get at most a partial, persona-dependent answer ------------------------------


@pytest.mark.parametrize("question", ["Is there anything else I should know?", "Anything else?",
                                      "Did I miss anything?", "Is there anything else I should keep in mind?"])
def test_open_questions_are_recognised(question):
    assert is_open(question_sentences(question)[0])


def test_an_open_question_gets_one_fact_at_the_persona_s_volunteer_rate():
    task = next(t for t in _synthetic_tasks() if len(t.hidden) >= 3)
    config = SimulatorConfig()
    for persona in (CANDID, replace(CANDID, name="reserved", feedback_rate=0.3)):
        reveals = _reveals(task, "Is there anything else I should know?", seeds=range(3000), persona=persona)
        assert all(len(r) <= 1 for r in reveals)
        rate = sum(map(bool, reveals)) / len(reveals)
        assert rate == pytest.approx(config.volunteer_probability(persona), abs=0.03)
        assert {r for r in reveals if r} == {(task.hidden[0].key,)}  # what matters most: the first fact
    reply = RuleBasedSimulator().react(task.query, "Anything else?", CANDID, context=_context(task),
                                       rng=random.Random(next(s for s, r in enumerate(reveals) if r))).user_reply
    assert reply.count(task.hidden[0].answer) == 1
    # control: before, an open question always got the next fact, and with three questions, three
    assert len(_old_facts_asked_about(("Anything else?",) * 3, task.hidden, frozenset())) == 3


# -- repeated questions annoy --------------------------------------------------------------------


def test_a_repeated_question_is_rejected_more_often_than_a_new_one():
    persona = replace(CANDID, p_answer=0.8, p_reject=0.2)
    task = next(t for t in _synthetic_tasks() if len(t.hidden) >= 2)
    told, new = task.payload.hidden_slots[0], task.payload.hidden_slots[1]
    revealed = frozenset({told.name})
    sim = RuleBasedSimulator()
    rates = {}
    for slot in (told, new):
        question = f"Which {slot.label} do you want?"
        assert hear(question, task.hidden, revealed).quality()["repeated" if slot is told else "good"] == 1
        reactions = [sim.react(task.query, question, persona, context=_context(task, revealed),
                               rng=random.Random(s)) for s in range(3000)]
        rates[slot.name] = sum(r.meta.reject_signal for r in reactions) / len(reactions)
        assert not any(told.name in r.revealed for r in reactions)
    config = SimulatorConfig()
    assert rates[told.name] == pytest.approx(0.2 + config.repeat_reject, abs=0.03)
    assert rates[new.name] == pytest.approx(0.2, abs=0.03)
    # control: before, the reject probability did not depend on what was asked
    assert clarify_reaction_probs(persona, 1, 0, False, config).reject == pytest.approx(0.2)


def test_a_repeated_question_is_answered_by_restating_without_revealing_anything_new():
    task = next(t for t in _synthetic_tasks() if len(t.hidden) >= 2)
    told = task.payload.hidden_slots[0]
    reactions = [RuleBasedSimulator().react(task.query, f"Which {told.label} was it again?", CANDID,
                                            context=_context(task, {told.name}), rng=random.Random(s))
                 for s in range(50)]
    answered = [r for r in reactions if not r.meta.reject_signal]
    assert answered and all(r.revealed == () and told.truth in r.user_reply for r in answered)


# -- what the env reports, and what the scripted writers ask ---------------------------------------


def test_question_quality_is_in_info_and_adds_up():
    env = gym.make("proact_env/Synthetic-v0", persona="cooperative_collaborator").unwrapped
    seen = {"good": 0, "repeated": 0, "vague": 0}
    for seed in range(60):
        env.reset(seed=seed)
        for action in (Action.CLARIFY, Action.CLARIFY, Action.CLARIFY, Action.EXECUTE):
            info = env.step(action)[4]
            quality = info["question_quality"]
            if action is Action.EXECUTE:
                assert quality == {}
            else:
                assert set(quality) == {"questions", "good", "repeated", "vague"}
                assert quality["good"] + quality["repeated"] + quality["vague"] == quality["questions"] >= 1
                assert quality["questions"] == info["reward_terms"]["n_questions"]
                seen = {k: seen[k] + quality[k] for k in seen}
            if env.episode.done:
                break
    assert all(seen.values()), seen  # the scripted writer asks good questions, then confirms (repeated or vague)


def test_the_scripted_synthetic_questions_each_target_exactly_their_slot():
    writer = ScriptedSyntheticBackbone()
    for task in _synthetic_tasks(300):
        spec = task.payload
        for u in range(len(spec.hidden_slots) + 1):
            revealed, messages = writer.clarify_variants(spec, u)
            asked = writer.questions_asked(spec, revealed)
            for message in messages:
                heard = hear(message, task.hidden, revealed)
                assert heard.targeted(revealed) == tuple(s.name for s in asked)
                assert heard.repeated == (not asked and bool(spec.hidden_slots))


def test_slot_vocabularies_of_a_flavour_are_disjoint():
    for slots in (CODING_SLOTS, PLANNING_SLOTS):
        vocabularies = {n: vocabulary(tuple(slot_fact(Slot(n, label, pool, pool[0], True)).keywords))
                        for n, (label, pool) in slots.items()}
        for a in vocabularies:
            for b in vocabularies:
                if a < b:
                    va, vb = vocabularies[a], vocabularies[b]
                    assert not va.stems & vb.stems, (a, b, va.stems & vb.stems)
                    assert not {w for p in va.phrases for w in p} & vb.stems, (a, b)
                    assert not {w for p in vb.phrases for w in p} & va.stems, (a, b)


# -- a reply states a fact only with its specifics -----------------------------------------------


def test_every_fact_s_own_answer_states_it_and_a_vague_reply_does_not(mbpp_tasks):
    tasks = _synthetic_tasks(100) + _planning_tasks(100) + mbpp_tasks[:100]
    for task in tasks:
        for fact in task.hidden:
            assert states_fact(fact, fact.answer), fact
            assert not states_fact(fact, "I'm not sure, use your judgement."), fact


def test_a_hearing_s_counts_are_those_of_its_questions():
    # `hear` counts while it classifies; the counts must agree with the questions themselves
    facts = tuple(slot_fact(Slot(n, label, pool, pool[0], True)) for n, (label, pool) in list(CODING_SLOTS.items())[:3])
    asks = ["Which format do you want?", "Anything else I should know?", "How are you today?",
            "Should it be sorted?", "What about duplicates?", "Tell me the format."]
    rng = random.Random(0)
    for _ in range(300):
        message = " ".join(rng.sample(asks, rng.randint(1, 4)))
        revealed = frozenset(f.key for f in facts if rng.random() < 0.4)
        heard = hear(message, facts, revealed)
        kinds = [q.kind for q in heard.questions]
        assert all(q.targets == tuple(f.key for f in facts_about(q.text, facts)) for q in heard.questions)
        assert (heard.good, heard.repeated, heard.vague) == (kinds.count("good"), kinds.count("repeated"),
                                                            kinds.count("vague"))
        assert heard.open == sum(q.open for q in heard.questions)
        assert heard.any_open == any(q.open for q in heard.questions)
        assert heard.unclear == any(q.kind == "vague" and not q.open for q in heard.questions)
        assert heard.quality() == {"questions": len(kinds), "good": heard.good, "repeated": heard.repeated,
                                   "vague": heard.vague}
        assert [heard.number(k) for k in ("good", "repeated", "vague", "other")] == [heard.good, heard.repeated,
                                                                                    heard.vague, 0]
        assert facts_about("Which format do you want?", facts) == (facts[0],)


def test_a_fact_s_vocabulary_is_compiled_afresh_when_its_keywords_are_a_list():
    # the memo is keyed by the keywords tuple's identity; a mutable list is never memoised
    keywords = ["format"]
    fact = HiddenFact("fmt", "The format is csv.", keywords)
    assert facts_about("Which format?", (fact,)) == (fact,)
    keywords[0] = "ordering"
    assert facts_about("Which format?", (fact,)) == ()
    assert facts_about("Which ordering?", (fact,)) == (fact,)
