"""The LLM user simulator: validated JSON answers, the Reaction contract and the rule-based fallback."""

from __future__ import annotations

import json
import random

import pytest

from proact_env import ProactEnv, RuleBasedSimulator, get_preset
from proact_env.llm.factory import build_engine
from proact_env.llm.stub_server import StubOpenAIServer
from proact_env.simulator import DialogueContext, make_simulator
from proact_env.simulator.llm_user import LLMUserSimulator, MalformedAnswer, parse_user_answer
from proact_env.types import Action
from tests.llm_helpers import openai_config, scripted_model

KEYS = frozenset({"output_format", "sort_order"})
VALID = {
    "reply": "Use CSV.",
    "answered_clarification": True,
    "reject_signal": False,
    "silence": False,
    "off_topic": False,
    "satisfaction": 0.7,
    "revealed": ["output_format"],
}


def test_a_valid_answer_parses_even_inside_a_fence_with_chatter():
    text = "Sure!\n```json\n" + json.dumps(VALID) + "\n```"
    answer = parse_user_answer(text, KEYS)
    assert (answer.reply, answer.revealed, answer.satisfaction) == ("Use CSV.", ("output_format",), 0.7)


@pytest.mark.parametrize(
    "change, problem",
    [
        ({"reply": 3}, "'reply' must be a string"),
        ({"reject_signal": "no"}, "'reject_signal' must be true or false"),
        ({"satisfaction": 1.5}, "'satisfaction' must be a number in [0, 1]"),
        ({"satisfaction": True}, "'satisfaction' must be a number in [0, 1]"),
        ({"revealed": ["budget"]}, "unknown fact(s) ['budget']"),
        ({"revealed": "output_format"}, "'revealed' must be a list"),
        ({"reply": "  "}, "empty 'reply' without 'silence'"),
        ({"silence": None}, "'silence' must be true or false"),
    ],
)
def test_invalid_fields_are_rejected(change, problem):
    with pytest.raises(MalformedAnswer) as err:
        parse_user_answer(json.dumps({**VALID, **change}), KEYS)
    assert problem in str(err.value)


@pytest.mark.parametrize("text", ["I think CSV is fine.", '{"reply": "CSV", ', "[1, 2]", ""])
def test_text_that_is_no_json_object_is_malformed(text):
    with pytest.raises(MalformedAnswer):
        parse_user_answer(text, KEYS)


def test_silence_empties_the_reply():
    assert parse_user_answer(json.dumps({**VALID, "silence": True, "reply": "..."}), KEYS).reply == ""


def _context(env: ProactEnv, action: Action = Action.CLARIFY, patience: int | None = None) -> DialogueContext:
    ep = env.episode
    return DialogueContext(task=ep.task, action=action, questions_before=0, prev_reject=False,
                           patience_left=ep.patience_left if patience is None else patience,
                           revealed=ep.revealed, transcript=ep.transcript)


def _env_with_hidden_facts() -> ProactEnv:
    env = ProactEnv(domain="coding", persona="patient_novice")
    for seed in range(50):
        env.reset(seed=seed)
        if env.episode.task.hidden:
            return env
    raise AssertionError("no task with hidden facts")


@pytest.fixture
def server():
    with StubOpenAIServer(responder=scripted_model) as stub:
        yield stub


def test_a_model_answer_becomes_the_reaction(server, tmp_path):
    env = _env_with_hidden_facts()
    simulator = LLMUserSimulator(build_engine(openai_config(server.base_url, tmp_path)))
    fact = env.episode.task.hidden[0]
    reaction = simulator.react(env.episode.task.query, f"Which {fact.keywords[0]}?", env.episode.persona,
                               context=_context(env), rng=random.Random(0))
    assert reaction.user_reply == fact.answer
    assert reaction.revealed == (fact.key,)
    assert reaction.meta.answered_clarification and reaction.meta.satisfaction == 0.8
    assert (reaction.patience_left, reaction.gave_up) == (env.episode.patience_left, False)
    assert simulator.stats.llm == 1


def test_a_rejection_spends_patience_and_at_zero_the_user_gives_up(tmp_path):
    reject = json.dumps({**VALID, "reject_signal": True, "answered_clarification": False, "revealed": []})
    with StubOpenAIServer(responder=lambda _: reject) as server:
        env = _env_with_hidden_facts()
        simulator = LLMUserSimulator(build_engine(openai_config(server.base_url, tmp_path)))
        reaction = simulator.react("q", "Which format?", env.episode.persona, context=_context(env, patience=1), rng=random.Random(0))
    assert reaction.meta.reject_signal and reaction.gave_up and reaction.patience_left == 0
    assert reaction.meta.satisfaction == 0.0


@pytest.mark.parametrize("responder, fault, kind", [
    (lambda _: "Sure, CSV is fine!", None, "malformed"),
    (scripted_model, "500", "failed"),
])
def test_an_unusable_answer_falls_back_to_the_rule_based_reaction_and_is_counted(tmp_path, responder, fault, kind):
    with StubOpenAIServer(responder=responder) as server:
        server.add_faults([fault] * 4 if fault else [])
        env = _env_with_hidden_facts()
        simulator = LLMUserSimulator(build_engine(openai_config(server.base_url, tmp_path, max_retries=3)))
        context = _context(env)
        got = simulator.react("q", "Which format?", env.episode.persona, context=context, rng=random.Random(5))
    expected = RuleBasedSimulator().react("q", "Which format?", env.episode.persona, context=context, rng=random.Random(5))
    assert got == expected
    assert getattr(simulator.stats, kind) == 1 and simulator.stats.llm == 0
    assert f"1 {kind}" in simulator.summary()


def test_the_prompt_carries_persona_hidden_facts_transcript_and_outcome(server, tmp_path):
    prompts_seen = []

    def record(messages):
        prompts_seen.append(messages[-1]["content"])
        return scripted_model(messages)

    server.responder = record
    env = ProactEnv(domain="coding", persona="busy_manager",
                    simulator=LLMUserSimulator(build_engine(openai_config(server.base_url, tmp_path))))
    env.reset(seed=3)
    env.step(Action.CLARIFY)
    env.step(Action.EXECUTE)
    task, persona = env.episode.task, get_preset("busy_manager")
    first, second = prompts_seen
    assert persona.description in first and all(f.answer in first for f in task.hidden)
    assert "it chose to Clarify" in first and "You checked this solution" not in first
    assert "(you already told the assistant)" in second or not env.episode.revealed
    assert env.episode.transcript[1].text in second  # the earlier exchange is remembered
    assert "it chose to Execute" in second and "You checked this solution" in second


def test_make_simulator_accepts_names_mappings_and_instances(monkeypatch, server, tmp_path):
    assert isinstance(make_simulator(None), RuleBasedSimulator)
    assert isinstance(make_simulator("rules"), RuleBasedSimulator)
    custom = RuleBasedSimulator()
    assert make_simulator(custom) is custom
    llm = make_simulator({"kind": "llm", "model": "stub-model", "base_url": server.base_url, "cache_dir": str(tmp_path)})
    assert isinstance(llm, LLMUserSimulator) and llm.engine.client.model == "stub-model"
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    monkeypatch.setenv("PROACT_CACHE_DIR", str(tmp_path))
    env = ProactEnv(simulator="llm")
    assert isinstance(env.simulator, LLMUserSimulator) and env.simulator.engine.client.model == "gpt-4o-mini"
    with pytest.raises(ValueError, match="unknown simulator 'gpt'"):
        make_simulator("gpt")
    with pytest.raises(ValueError, match=r"unknown LLM simulator option\(s\) \['modle'\]"):
        make_simulator({"kind": "llm", "modle": "x"})


def test_simulator_llm_without_a_key_says_what_to_set(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    with pytest.raises(Exception, match="OPENAI_API_KEY is not set"):
        ProactEnv(simulator="llm")


# -- the LLM user hears the question like the rule-based one, and its claims are checked --------------

OFF_TOPIC = "By the way, is it sunny where you are today?"


def _liar(facts):
    """A model that states every fact in its reply and claims it revealed them all, whatever was asked."""
    text = json.dumps({**VALID, "reply": " ".join(f.answer for f in facts), "revealed": [f.key for f in facts]})
    return lambda _messages: text


def _domain_tasks(shared_data):
    from proact_env.domains.coding.mbpp import load_mbpp
    from proact_env.domains.planning import PlanningTaskSource
    from proact_env.domains.synthetic.tasks import SyntheticTaskSource

    rng = random.Random(0)
    synthetic = next(t for t in iter(lambda: SyntheticTaskSource().sample(rng), None) if len(t.hidden) >= 3)
    planning = next(t for t in iter(lambda: PlanningTaskSource().sample(rng), None) if len(t.hidden) >= 2)
    coding = load_mbpp(shared_data / "mbpp" / "mbpp.jsonl", split="test")[0].task(None)
    return {"synthetic": synthetic, "planning": planning, "coding": coding}


def _task_context(task, revealed=frozenset()):
    return DialogueContext(task=task, action=Action.CLARIFY, questions_before=0, prev_reject=False,
                           patience_left=5, revealed=frozenset(revealed))


def test_an_off_topic_question_reveals_nothing_in_every_domain_whatever_the_model_claims(shared_data, tmp_path):
    for domain, task in _domain_tasks(shared_data).items():
        prompts = []
        liar = _liar(task.hidden)

        def respond(messages, liar=liar, prompts=prompts):
            prompts.append(messages[-1]["content"])
            return liar(messages)

        with StubOpenAIServer(responder=respond) as server:
            simulator = LLMUserSimulator(build_engine(openai_config(server.base_url, tmp_path / domain)))
            reaction = simulator.react(task.query, OFF_TOPIC, get_preset("cooperative_collaborator"),
                                       context=_task_context(task), rng=random.Random(0))
        assert reaction.revealed == (), domain
        assert simulator.stats.dropped_claims == len(task.hidden)
        assert not any(f.answer in prompts[0] for f in task.hidden), domain  # nothing to leak
        assert "misses the point" in prompts[0] and f"hold back {len(task.hidden)} more" in prompts[0]
        # control: before, the model's claims were taken as they came
        claimed = parse_user_answer(liar([]), frozenset(f.key for f in task.hidden)).revealed
        assert claimed == tuple(f.key for f in task.hidden)


def test_a_claimed_fact_counts_only_when_it_was_asked_about_and_the_reply_states_it(shared_data, tmp_path):
    task = _domain_tasks(shared_data)["synthetic"]
    asked, other = task.payload.hidden_slots[0], task.payload.hidden_slots[1]
    question = f"Which {asked.label} do you want?"
    cases = [
        ("Hmm, let me think about that.", [asked.name], ()),  # claims it, says nothing
        (f"The {asked.label} should be {asked.truth}.", [asked.name], (asked.name,)),  # states it
        (f"The {asked.label} should be {asked.truth}. And {other.truth} too.", [asked.name, other.name],
         (asked.name,)),  # the other was not asked about
    ]
    for reply, claims, counted in cases:
        text = json.dumps({**VALID, "reply": reply, "revealed": claims})
        with StubOpenAIServer(responder=lambda _, text=text: text) as server:
            simulator = LLMUserSimulator(build_engine(openai_config(server.base_url, tmp_path / str(len(reply)))))
            reaction = simulator.react(task.query, question, get_preset("cooperative_collaborator"),
                                       context=_task_context(task), rng=random.Random(0))
        assert reaction.revealed == counted, reply
        assert simulator.stats.dropped_claims == len(claims) - len(counted)
        # control: before, every claimed fact counted
        assert parse_user_answer(text, frozenset(f.key for f in task.hidden)).revealed == tuple(claims)


def test_the_prompt_shows_only_what_the_question_is_about(shared_data, server, tmp_path):
    task = _domain_tasks(shared_data)["synthetic"]
    asked, told, untold = task.payload.hidden_slots[0], task.payload.hidden_slots[1], task.payload.hidden_slots[2:]
    prompts = []

    def record(messages):
        prompts.append(messages[-1]["content"])
        return scripted_model(messages)

    server.responder = record
    simulator = LLMUserSimulator(build_engine(openai_config(server.base_url, tmp_path)))
    by_key = {f.key: f for f in task.hidden}
    reaction = simulator.react(task.query, f"Which {asked.label} and which {told.label} do you want?",
                               get_preset("cooperative_collaborator"),
                               context=_task_context(task, {told.name}), rng=random.Random(0))
    prompt = prompts[0]
    assert f"{by_key[asked.name].answer} (they asked about this: you may tell it now)" in prompt
    assert "they ask about it again, which is tiresome" in prompt
    assert not any(by_key[s.name].answer in prompt for s in untold)
    assert reaction.revealed == (asked.name,)


def test_an_open_question_lets_the_model_volunteer_one_fact_at_most(shared_data, server, tmp_path):
    task = _domain_tasks(shared_data)["planning"]
    prompts = []

    def record(messages):
        prompts.append(messages[-1]["content"])
        return _liar(task.hidden)(messages)

    server.responder = record
    simulator = LLMUserSimulator(build_engine(openai_config(server.base_url, tmp_path)))
    reaction = simulator.react(task.query, "Is there anything else I should keep in mind?",
                               get_preset("cooperative_collaborator"), context=_task_context(task),
                               rng=random.Random(0))
    assert reaction.revealed == (task.hidden[0].key,)
    assert "you may volunteer this one" in prompts[0]
    assert not any(f.answer in prompts[0] for f in task.hidden[1:])
