"""The grader's split of tests, its comparisons, the results wire format, and run_tests end to end."""

from __future__ import annotations

import ast
import json

import pytest

from proact_env.grading import GradeJob, grade_many, run_tests
from proact_env.grading.asserts import WHERE_GRADER, WHERE_RUNNER, WHERE_SELF_CHECK, shadowed_names, split_test
from proact_env.grading.expressions import CheckError, evaluate, truthy
from proact_env.grading.grader import plan_tests
from proact_env.grading.sandbox import probe
from proact_env.grading.wire import (
    ConsumedIterator,
    Decoder,
    Unserialisable,
    WireError,
    decode_value,
    parse_line,
    value_source,
)


@pytest.mark.parametrize(
    ("test", "probes", "both_sides"),
    [
        ("assert f(1, 2) == 3", ("f(1, 2)",), False),
        ("assert set(f(x)) == set((4, 5))", ("f(x)",), False),
        ("assert math.isclose(f(10), 4188.79, rel_tol=0.001)", ("f(10)",), False),
        ("assert abs(f(1.33) - 0.33) < 1e-6", ("f(1.33)",), False),
        ("assert not f([])", ("f([])",), False),
        ("assert f(root) == False", ("f(root)",), False),
        ("assert f(a) == f(b)", ("f(a)", "f(b)"), True),
        ("assert f(x).lower() == 'ab'", ("f(x).lower()",), False),
        ("assert [f(i) for i in range(3)] == [0, 1, 2]", ("[f(i) for i in range(3)]",), False),
    ],
)
def test_only_calls_into_the_program_become_probes(test, probes, both_sides):
    split = split_test(test, frozenset({"math"}))
    assert split.probes == probes  # the expected value never travels to the program
    assert split.both_sides == both_sides and not split.whole


def test_statements_that_are_not_a_single_assert_are_not_split():
    split = split_test("for i in range(3):\n    assert f(i) == i")
    assert split.whole and split.probes == ()


def test_plan_routes_each_test_where_the_program_cannot_reach_its_verdict():
    program = "import sys\ndef f(x):\n    return x\ndef g(x):\n    return helper(x) - 1\n"  # uses the setup's helper
    setup = ("candidate = f\nexpected = sum(range(4))\nimport math\ndef helper(x):\n    return x + 1\n"
             "def answer():\n    return 6\n")
    tests = ["assert f(1) == 1",  # split: probe to the program, check in the grader
             "assert f(1) == g(1)",  # every side from the program
             "assert candidate(2) == expected",  # expected value computed by the setup code
             "assert f(3) == sys.getsizeof(3)",  # expected value computed by a module, not the program
             "for i in range(3):\n    assert helper(f(i)) == i + 1",  # not a single assert
             "assert h(1) == 1"]  # a name the program never defines
    plan = plan_tests(program, tests, setup)
    assert [t.where for t in plan.tests] == [WHERE_GRADER, WHERE_SELF_CHECK] + [WHERE_RUNNER] * 3 + [WHERE_GRADER]
    assert plan.tests[-1].missing == "h"
    # values and test-only helpers stay apart; what the program calls without writing it does not
    assert "expected" not in plan.program_setup and "answer" not in plan.program_setup
    assert "def helper" in plan.program_setup and "def answer" in plan.runner_setup
    assert "expected = sum(range(4))" in plan.runner_setup and "import sys" in plan.runner_setup
    assert set(plan.remote) == {"f", "g", "candidate"}


def test_invalid_test_source_is_a_clear_error():
    with pytest.raises(ValueError, match="not valid Python"):
        split_test("assert f(")


def test_shadowed_builtins_refer_to_the_program_but_never_carry_the_verdict():
    assert shadowed_names("def sum(a, b):\n    return a + b\nimport math\n") == {"sum"}
    assert shadowed_names("import math as m\nfor len, x in y: pass\n") == {"len"}
    assert shadowed_names("x == 3\nmath.isclose = 1\n") == frozenset()
    assert split_test("assert sum(10, 15) == 6", frozenset(), frozenset({"sum"})).probes == ("sum(10, 15)",)
    # a redefined isinstance must not decide the test: the grader's own isinstance is used
    split = split_test("assert isinstance(f(x), int)", frozenset(), frozenset({"isinstance"}))
    assert split.probes == ("f(x)",)


def _check(test: str, **values):
    split = split_test(test, frozenset({"math"}))
    return truthy(evaluate(split.check, {f"__probe_{i}__": values[p] for i, p in enumerate(split.probes)}))


def test_grader_side_evaluation_follows_python():
    assert _check("assert f(1) == 8", **{"f(1)": 8.0})  # numbers compare by value, as in the benchmarks
    assert _check("assert f(1) == False", **{"f(1)": 0})  # MBPP 414 returns 0/1 for False/True
    assert not _check("assert f(1) == (1, 2)", **{"f(1)": [1, 2]})  # list is not tuple
    assert not _check("assert f(1) == '8'", **{"f(1)": 8})
    assert _check("assert sorted(f(1)) == [1, 2]", **{"f(1)": ConsumedIterator([2, 1])})
    assert not _check("assert f(1) == [1, 2]", **{"f(1)": ConsumedIterator([1, 2])})  # a generator is not a list
    assert _check("assert math.isclose(f(1), 0.3)", **{"f(1)": 0.1 + 0.2})


def test_values_that_are_not_plain_data_cannot_be_compared():
    opaque = Unserialisable("Anything", truth=True)
    with pytest.raises(CheckError, match="not plain data"):
        _check("assert f(1) == 5", **{"f(1)": opaque})
    assert _check("assert f(1)", **{"f(1)": opaque})  # the truth value came from the sandbox: like returning True
    with pytest.raises(CheckError):
        _check("assert f(1)", **{"f(1)": Unserialisable("Weird", truth=None)})


def test_grader_refuses_to_build_huge_values():
    with pytest.raises(CheckError, match="too large"):
        _check("assert [0] * f(1) == []", **{"f(1)": 10**12})
    with pytest.raises(CheckError, match="too large"):
        _check("assert 10 ** f(1) > 0", **{"f(1)": 10**9})
    with pytest.raises(CheckError, match="too large"):
        _check("assert list(f(1)) == []", **{"f(1)": range(10**12)})


def test_wire_values_are_rebuilt_as_builtins_only():
    assert decode_value(["t", [["i", "-1f"], ["f", (0.5).hex()], ["s", "héllo".encode().hex()], None, True]]) == (
        -31, 0.5, "héllo", None, True)
    assert decode_value(["d", [[["s", "61"], ["S", [["i", "1"]]]]]]) == {"a": {1}}
    assert decode_value(["c", (1.0).hex(), (-2.0).hex()]) == 1 - 2j
    assert type(decode_value(["dk", [["i", "1"]]])).__name__ == "dict_keys"
    for bad in ([], ["i"], ["i", 5], ["q", "1"], ["S", [["l", []]]], 7, {"i": "1"}):
        with pytest.raises(WireError):
            decode_value(bad)


def test_answers_are_parsed_strictly_and_within_an_item_budget():
    decoder = Decoder(max_items=5)
    assert decoder.answer(parse_line(b'["v",["l",[["i","1"],["i","2"]]]]')).value == [1, 2]
    assert decoder.answer(parse_line(b'["e","56616c75654572726f72","626164"]')).error == ("ValueError", "bad")
    with pytest.raises(WireError, match="more than"):
        decoder.answer(parse_line(b'["v",["l",[null,null,null]]]'))  # 3 + 1 items: past the budget of 5
    for garbage in (b"not json", b'{"v": 1}', b'["t",0,[["p"]]]', b'["p"]', b"[" * 5000 + b"]" * 5000):
        with pytest.raises(WireError):
            Decoder().answer(parse_line(garbage))


def test_values_travel_back_as_literals_that_rebuild_them():
    values = [None, True, -(2 ** 70), 0.1, float("inf"), -0.0, 1 - 2j, "a'\"\\\n\ud800", b"\x00", bytearray(b"x"),
              range(1, 9, 2), [1, (2,), {3}], frozenset({4}), {"k": [5]}, set(), (), {1: 2}.keys(), {1: 2}.items()]
    for value in values:
        rebuilt = eval(value_source(value))
        assert rebuilt == value or (type(value).__name__ in ("dict_keys", "dict_items") and list(rebuilt) == list(value))
        assert type(rebuilt) is type(value)
    assert list(eval(value_source(ConsumedIterator([1, 2])))) == [1, 2]
    with pytest.raises(TypeError, match="not plain data"):
        value_source(Unserialisable("Node"))
    assert value_source(Unserialisable("Node", True), opaque=True) == "_opaque('Node', True)"


def test_run_tests_reports_each_outcome():
    program = "def f(x):\n    if x < 0:\n        raise ValueError('negative')\n    return [x] * 2\n"
    tests = ["assert f(1) == [1, 1]", "assert f(2) == (2, 2)", "assert f(-1) == []",
             "for i in range(3):\n    assert f(i) == [i, i]"]
    report = run_tests(program, tests, timeout_s=5)
    assert [o.status for o in report.outcomes] == ["passed", "failed", "error", "passed"]
    assert [o.where for o in report.outcomes] == [WHERE_GRADER] * 3 + [WHERE_RUNNER]
    assert "ValueError: negative" in report.outcomes[2].detail
    assert (report.passed, report.total, report.score, report.isolation) == (2, 4, 0.5, probe().level)
    json.dumps(report.to_dict())  # reports travel in trajectory files


def test_setup_code_runs_after_the_program():
    # MBPP 367 and 927 build their fixtures from the solution's own class
    program = "class Node:\n    def __init__(self, v):\n        self.v = v\ndef value(n):\n    return n.v\n"
    report = run_tests(program, ["assert value(root) == 3"], setup_code="root = Node(3)")
    assert report.score == 1.0


def test_syntax_errors_and_setup_errors_fail_every_test():
    report = run_tests("def f(:\n    pass", ["assert f() == 1", "assert f() == 2"])
    assert report.status == "program_error" and report.score == 0.0
    assert "SyntaxError" in report.detail
    report = run_tests("def f():\n    return 1", ["assert f() == 1"], setup_code="undefined_name")
    assert report.status == "setup_error" and report.outcomes[0].status == "aborted"


def test_grade_many_keeps_job_order_and_runs_in_parallel():
    jobs = [GradeJob(f"def f():\n    return {i}\n", ("assert f() == 3",)) for i in range(6)]
    done = []
    reports = grade_many(jobs, workers=2, progress=done.append)
    assert [r.score for r in reports] == [0, 0, 0, 1, 0, 0]
    assert len(done) == 6


def test_results_are_deterministic_across_runs():
    # a set of strings iterates in the same order in every fresh interpreter (PYTHONHASHSEED=0)
    program = "def f():\n    return list({'alpha', 'beta', 'gamma', 'delta'})\n"
    details = {run_tests(program, ["assert f() == []"]).outcomes[0].detail for _ in range(3)}
    assert len(details) == 1


def test_probe_sources_are_valid_expressions():
    for test in ("assert f(x)[0] == 1", "assert f(x) in [1, 2]", "assert -f(x) == 2 if y else 3"):
        for source in split_test(test).probes:
            ast.parse(source, mode="eval")
