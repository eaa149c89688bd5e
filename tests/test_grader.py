"""The grader's split of tests, its comparisons, the results wire format, and run_tests end to end."""

from __future__ import annotations

import ast
import json

import pytest

from proact_env.grading import GradeJob, grade_many, run_tests
from proact_env.grading.asserts import WHERE_GRADER, WHERE_GRADER_BOTH_SIDES, WHERE_SANDBOX, shadowed_names, split_test
from proact_env.grading.expressions import CheckError, evaluate, truthy
from proact_env.grading.sandbox import probe
from proact_env.grading.wire import ConsumedIterator, Unserialisable, WireError, decode_value, parse_records


@pytest.mark.parametrize(
    ("test", "probes", "where"),
    [
        ("assert f(1, 2) == 3", ("f(1, 2)",), WHERE_GRADER),
        ("assert set(f(x)) == set((4, 5))", ("f(x)",), WHERE_GRADER),
        ("assert math.isclose(f(10), 4188.79, rel_tol=0.001)", ("f(10)",), WHERE_GRADER),
        ("assert abs(f(1.33) - 0.33) < 1e-6", ("f(1.33)",), WHERE_GRADER),
        ("assert not f([])", ("f([])",), WHERE_GRADER),
        ("assert f(root) == False", ("f(root)",), WHERE_GRADER),
        ("assert f(a) == f(b)", ("f(a)", "f(b)"), WHERE_GRADER_BOTH_SIDES),
        ("assert f(x).lower() == 'ab'", ("f(x).lower()",), WHERE_GRADER),
        ("assert [f(i) for i in range(3)] == [0, 1, 2]", ("[f(i) for i in range(3)]",), WHERE_GRADER),
    ],
)
def test_only_calls_into_the_program_become_probes(test, probes, where):
    split = split_test(test, frozenset({"math"}))
    assert split.probes == probes
    assert split.where == where
    # the expected value never travels to the sandbox
    assert split.job_entry() == ("probes", probes)


def test_statements_that_are_not_a_single_assert_run_in_the_sandbox():
    loop = "for i in range(3):\n    assert f(i) == i"
    split = split_test(loop)
    assert split.in_sandbox and split.where == WHERE_SANDBOX
    assert split.job_entry() == ("statement", (loop,))


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


def test_records_with_duplicates_or_garbage_are_flagged():
    raw = b'\n'.join([
        b'["t",0,[["v",["i","1"]]]]',
        b'not json',
        b'["t",0,[["v",["i","2"]]]]',
        b'["t",7,[["v",null]]]',
        b'["t",1,[["e","56616c75654572726f72","626164"]]]',
        b'["z"]',
        b'["t",2,[["p"]]]',
    ])
    records = parse_records(raw, n_tests=3)
    assert records.tampered == {0}
    assert records.malformed == 2  # the garbage line and the out-of-range index
    assert records.results[1][0].error == ("ValueError", "bad")
    assert records.done and 2 not in records.results  # nothing after the end marker counts


def test_run_tests_reports_each_outcome():
    program = "def f(x):\n    if x < 0:\n        raise ValueError('negative')\n    return [x] * 2\n"
    tests = ["assert f(1) == [1, 1]", "assert f(2) == (2, 2)", "assert f(-1) == []",
             "for i in range(3):\n    assert f(i) == [i, i]"]
    report = run_tests(program, tests, timeout_s=5)
    assert [o.status for o in report.outcomes] == ["passed", "failed", "error", "passed"]
    assert [o.where for o in report.outcomes] == [WHERE_GRADER] * 3 + [WHERE_SANDBOX]
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
