"""Coding task sources: MBPP, HumanEval and HumanEvalComm loading, hidden facts, uncertainty, scoring."""

from __future__ import annotations

import json
import math

import pytest

from proact_env import SchemaError
from proact_env.domains.coding.facts import GuessRates, name_candidates, name_guess_rate
from proact_env.domains.coding.humaneval import load_humaneval, load_humanevalcomm
from proact_env.domains.coding.mbpp import load_mbpp
from proact_env.domains.coding.states import detect_format, load_coding_problems, read_states, write_states
from proact_env.domains.coding.tasks import CodingSpec, CodingTaskSource, extract_code, missed_facts
from proact_env.grading.sandbox import probe


@pytest.fixture(scope="module")
def mbpp(shared_data):
    return {p.id: p for p in load_mbpp(shared_data / "mbpp" / "mbpp.jsonl")}


@pytest.fixture(scope="module")
def humanevalcomm(shared_data):
    return {p.id: p for p in load_humanevalcomm(shared_data / "humanevalcomm" / "HumanEvalComm.jsonl")}


@pytest.mark.parametrize(("split", "count", "first", "last"), [
    ("all", 974, 1, 974), ("prompt", 10, 1, 10), ("test", 500, 11, 510),
    ("validation", 90, 511, 600), ("train", 374, 601, 974),
])
def test_mbpp_upstream_splits(shared_data, split, count, first, last):
    problems = load_mbpp(shared_data / "mbpp" / "mbpp.jsonl", split=split)
    ids = [int(p.id.split("/")[1]) for p in problems]
    assert (len(problems), min(ids), max(ids)) == (count, first, last)


def test_sanitized_mbpp_and_humaneval_load(shared_data):
    sanitized = load_mbpp(shared_data / "mbpp" / "sanitized-mbpp.json")
    assert len(sanitized) == 427 and sanitized[0].id == "mbpp-sanitized/2"
    assert any("import math" in p.setup_code for p in sanitized)  # test_imports become setup code
    humaneval = load_humaneval(shared_data / "humaneval" / "HumanEval.jsonl.gz")
    assert len(humaneval) == 164
    assert all(not p.hidden and p.uncertainty() == 0.0 for p in humaneval)  # the control hides nothing
    assert all("assert True" not in t for p in humaneval for t in p.tests)  # asserts that test nothing are dropped


def test_mbpp_hidden_facts_are_what_the_tests_need(mbpp):
    problem = mbpp["mbpp/1"]
    assert problem.entry_point == "min_cost" and problem.signature == "def min_cost(cost, m, n)"
    facts = {f.key: f for f in problem.hidden}
    assert set(facts) == {"signature", "example"}
    assert "min_cost" in facts["signature"].answer and "called" in facts["signature"].keywords
    assert "should return `8` (an int)" in facts["example"].answer
    assert "min_cost" not in problem.query  # the text does not give the name away


def test_task_uncertainty_is_one_minus_the_chance_of_guessing_what_is_unknown(mbpp):
    problem = mbpp["mbpp/1"]
    candidates = name_candidates(problem.query)
    assert "min_cost" in candidates
    rates = dict(problem.guess_rates)
    assert rates == {"signature": 1 / len(candidates), "example": GuessRates().io_conventions}
    assert math.isclose(problem.uncertainty(), 1 - rates["signature"] * rates["example"])
    assert math.isclose(problem.uncertainty(frozenset({"signature"})), 1 - rates["example"])
    assert problem.uncertainty(frozenset({"signature", "example"})) == 0.0


def test_name_guess_rate():
    assert name_guess_rate("Write a function min_cost that ...", "min_cost") == 1.0
    assert name_guess_rate("Write a function to find the minimum cost path.", "min_cost") == 1 / len(
        name_candidates("Write a function to find the minimum cost path."))
    assert name_guess_rate("Write a function to find the minimum cost path.", "zzz") == 0.0


def test_humanevalcomm_variants_hide_what_the_modification_removed(humanevalcomm):
    assert len(humanevalcomm) == 775  # 164 x (1a, 1c, 1p) + 162 2ac + 74 2ap + 34 2cp + 13 3acp
    ambiguous = humanevalcomm["humanevalcomm/0/1a"]
    assert ambiguous.shown_name == "candidate" and ambiguous.entry_point == "has_close_elements"
    assert [f.key for f in ambiguous.hidden] == ["description"]  # same parameters shown: only the meaning hides
    assert "closer to each other than" in ambiguous.hidden[0].answer
    incomplete = humanevalcomm["humanevalcomm/0/1p"]
    assert [f.key for f in incomplete.hidden] == ["signature", "description"]  # def candidate(...)
    rates = GuessRates()
    assert math.isclose(incomplete.uncertainty(), 1 - rates.hidden_parameters * rates.incomplete)
    assert math.isclose(humanevalcomm["humanevalcomm/0/2ap"].uncertainty(frozenset({"signature"})),
                        1 - rates.ambiguous * rates.incomplete)
    assert 'str(has_close_elements(' in ambiguous.tests[0]  # the benchmark compares printed output


def test_humanevalcomm_variant_selection(shared_data):
    only = load_humanevalcomm(shared_data / "humanevalcomm" / "HumanEvalComm_v2.jsonl", variants=("1c",))
    assert len(only) == 163 and {p.category for p in only} == {"1c"}
    with pytest.raises(ValueError, match="unknown HumanEvalComm variant"):
        load_humanevalcomm(shared_data / "humanevalcomm" / "HumanEvalComm.jsonl", variants=("9z",))


@pytest.mark.parametrize(("message", "code"), [
    ("Here:\n```python\ndef f():\n    return 1\n```\nUsage:\n```python\nprint(f())\n```", "def f():\n    return 1\n"),
    ("```py\nx = 1\n```", "x = 1\n"),
    ("```python\ndef f():\n    return 2\n", "def f():\n    return 2\n"),  # unclosed fence
    ("def f():\n    return 3\n", "def f():\n    return 3\n"),  # no fence: the whole message
    ("```bash\nrm -rf /\n```", ""),
])
def test_extract_code(message, code):
    assert extract_code(message) == code


def test_scoring_runs_the_code_and_names_the_missed_facts(mbpp):
    problem = mbpp["mbpp/2"]
    spec = CodingSpec(problem)
    right = spec.score(f"```python\n{problem.reference}\n```")
    assert (right.score, right.details["missed_facts"], right.details["isolation"]) == (1.0, [], probe().level)
    renamed = problem.reference.replace("similar_elements", "shared_elements")
    wrong_name = spec.score(f"```python\n{renamed}\n```")
    assert wrong_name.score == 0.0 and wrong_name.details["missed_facts"] == ["signature"]
    wrong_value = spec.score("```python\ndef similar_elements(a, b):\n    return ()\n```")
    assert wrong_value.score == 0.0 and wrong_value.details["missed_facts"] == ["example"]
    json.dumps(wrong_value.to_dict())
    assert missed_facts.__doc__


def test_reference_solutions_of_a_sample_pass(shared_data):
    problems = (load_mbpp(shared_data / "mbpp" / "mbpp.jsonl", split="prompt")
                + load_humaneval(shared_data / "humaneval" / "HumanEval.jsonl.gz")[30:35]
                + load_humanevalcomm(shared_data / "humanevalcomm" / "HumanEvalComm.jsonl", variants=("1p",))[30:35])
    for problem in problems:
        assert CodingSpec(problem).score(f"```python\n{problem.reference}\n```").score == 1.0, problem.id


def test_states_files_round_trip(tmp_path, mbpp, humanevalcomm):
    problems = [mbpp["mbpp/11"], mbpp["mbpp/367"], humanevalcomm["humanevalcomm/12/1p"]]
    path = tmp_path / "states.jsonl"
    assert write_states(problems, path) == 3
    assert read_states(path) == problems
    assert detect_format(path) == "states"
    first = json.loads(path.read_text().splitlines()[0])
    assert {"id", "domain", "query", "dialogue_turn", "prev_reject", "task_uncertainty", "tests", "setup_code",
            "entry_point", "signature", "reference"} <= set(first)


def test_seed_field_name_mbpp_tests_is_accepted(tmp_path):
    path = tmp_path / "seed.jsonl"
    path.write_text(json.dumps({"query": "Add two numbers.", "dialogue_turn": 0, "prev_reject": 0,
                                "entry_point": "add", "mbpp_tests": ["assert add(1, 2) == 3"]}) + "\n")
    (problem,) = load_coding_problems(path)
    assert problem.tests == ("assert add(1, 2) == 3",) and problem.hidden == ()


@pytest.mark.parametrize(("line", "match"), [
    ('{"query": "q", "dialogue_turn": 0, "prev_reject": 0}', "states.jsonl:2: field 'entry_point'"),
    ('{"query": "q", "dialogue_turn": 0, "prev_reject": 0, "entry_point": "f", "tests": []}',
     "states.jsonl:2: field 'tests': expected a non-empty list"),
    ('{"query": "q", "dialogue_turn": 0, "prev_reject": 0, "entry_point": "f", "tests": ["assert f()"],'
     ' "hidden": [{"key": "k", "answer": "a", "keywords": [], "guess_rate": 2}]}',
     "states.jsonl:2: hidden\\[0\\]: field 'guess_rate'"),
    ('{"query": "q", "dialogue_turn": -1, "prev_reject": 0}', "states.jsonl:2: field 'dialogue_turn'"),
    ('{"query": ', "states.jsonl:2: invalid JSON"),
])
def test_bad_states_lines_name_file_line_and_field(tmp_path, line, match):
    path = tmp_path / "states.jsonl"
    good = {"query": "q", "dialogue_turn": 0, "prev_reject": 0, "entry_point": "f", "tests": ["assert f() == 1"]}
    path.write_text(json.dumps(good) + "\n" + line + "\n")
    with pytest.raises(SchemaError, match=match):
        read_states(path)


def test_bad_mbpp_records_and_unknown_files_are_clear_errors(tmp_path):
    path = tmp_path / "mbpp.jsonl"
    path.write_text(json.dumps({"text": "t", "code": "def f(): pass", "task_id": 1, "test_setup_code": "",
                                "test_list": "assert f()", "challenge_test_list": []}) + "\n")
    with pytest.raises(SchemaError, match="mbpp.jsonl:1: field 'test_list': expected list"):
        load_coding_problems(path)
    odd = tmp_path / "odd.jsonl"
    odd.write_text('{"foo": 1}\n')
    with pytest.raises(SchemaError, match="odd.jsonl:1: unknown dataset record"):
        load_coding_problems(odd)
    with pytest.raises(FileNotFoundError):
        load_coding_problems(tmp_path / "missing.jsonl")
    with pytest.raises(ValueError, match="unknown MBPP split"):
        load_mbpp(path, split="dev")


def test_task_source_draws_with_the_given_rng_only(mbpp):
    source = CodingTaskSource(list(mbpp.values())[:50])
    import random

    first = [source.sample(random.Random(7)).id for _ in range(3)]
    assert len(set(first)) == 1
    assert source.describe() == {"source": "coding", "n_problems": 50}
    with pytest.raises(ValueError, match="no coding problems"):
        CodingTaskSource([])
