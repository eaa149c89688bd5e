"""Splitting a test into what runs in the sandbox and what the grader evaluates itself.

`assert sorted(f(x)) == [1, 2]` becomes one *probe*, ``f(x)``, evaluated in the
sandbox, and a *check*, ``sorted(__probe_0__) == [1, 2]``, evaluated in the
grader with the probe's value (see `evaluate`). A probe is a maximal part of the
test that needs the program (a call into it, a name it or the setup code
defines); everything around probes that the grader can evaluate itself
(comparisons, arithmetic, `sorted`/`set`/`len`/`math.isclose`..., literals)
stays in the grader. So the expected value never enters the sandbox, and no
method of the program's objects (`__eq__`, `__len__`, `__abs__`...) takes part
in deciding whether the test passed.

A test that is not a single `assert` (a loop of asserts, a block of statements),
or whose grader side would need something the grader does not evaluate, is
not split (`SplitTest.whole`): the grader runs it whole in an interpreter of its
own, apart from the program (`grader.run_tests`, ``where == "test runner"``).
"""

from __future__ import annotations

import ast
import functools
from dataclasses import dataclass

from proact_env.grading.bindings import bound_anywhere
from proact_env.grading.expressions import MODULE_ATTRIBUTES, MODULE_NAMES, PURE_BUILTINS, SUPPORTED_NODES
from proact_env.pyparse import parse_python

PROBE_PREFIX = "__probe_"

#: Where a test's verdict was decided.
WHERE_GRADER = "grader"  # probes asked of the program, expected value and comparison in the grader
WHERE_RUNNER = "test runner"  # the whole test ran apart from the program; only its calls were sent to it
WHERE_SELF_CHECK = "program on both sides"  # every side came from the program: left out of the score by default


@dataclass(frozen=True)
class SplitTest:
    """A test, split: `probes` are asked of the program, `check` (None: not split) runs in the grader.

    `both_sides` marks a check whose every compared side holds a probe
    (``f(a) == f(b)``): nothing in it is a value the program did not produce.
    """

    source: str
    probes: tuple[str, ...]
    check: ast.Expression | None
    both_sides: bool = False

    @property
    def whole(self) -> bool:
        """Whether the test could not be split and must run whole."""
        return self.check is None


def safe_modules(setup_code: str) -> frozenset[str]:
    """Modules the test setup imports that the grader evaluates too (``import math`` -> math)."""
    try:
        tree = parse_python(setup_code)
    except SyntaxError:
        return frozenset()
    names = set()
    for node in tree.body:
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names if a.asname is None and a.name in MODULE_NAMES)
    return frozenset(names)


def shadowed_names(program: str, setup_code: str = "") -> frozenset[str]:
    """Builtin and module names that the program or setup code may rebind (``def sum(...)``).

    Any binding in any scope counts, erring towards finding too many: a test's
    use of such a name refers to the program's definition, as in Python, so it
    is evaluated in the sandbox (MBPP task 126 defines its own ``sum``). A plain
    ``import math`` binds the real module and does not count.
    """
    modules = frozenset(MODULE_NAMES)
    found = bound_anywhere(program, modules) | bound_anywhere(setup_code, modules)
    return found & (frozenset(PURE_BUILTINS) | frozenset(MODULE_NAMES))


@functools.lru_cache(maxsize=65536)
def split_test(source: str, modules: frozenset[str] = frozenset(), shadowed: frozenset[str] = frozenset()) -> SplitTest:
    """Split one test (an ``assert`` statement, usually).

    `modules` are the imports of the setup code that the grader evaluates too;
    `shadowed` the names the program rebinds (`shadowed_names`), which then
    refer to the program's definitions. Shadowing never moves a test's verdict
    into the sandbox: if it would (``def isinstance(*a): return True`` against
    ``assert isinstance(f(x), int)``), the grader's own names are used.
    """
    try:
        tree = parse_python(source)
    except SyntaxError as exc:
        raise ValueError(f"test is not valid Python: {source!r} ({exc.msg})") from None
    if len(tree.body) != 1 or not isinstance(tree.body[0], ast.Assert):
        return SplitTest(source, (), None)
    splitter = _Splitter(modules, shadowed)
    check = splitter.rewrite(tree.body[0].test)
    if shadowed and _verdict_is_probe(check):
        return split_test(source, modules)
    expression = ast.fix_missing_locations(ast.Expression(check))
    if not all(isinstance(node, SUPPORTED_NODES) for node in ast.walk(expression)):
        return SplitTest(source, (), None)
    return SplitTest(source, tuple(splitter.probes), expression, _no_constant_side(check))


def _verdict_is_probe(check: ast.expr) -> bool:
    while isinstance(check, ast.UnaryOp) and isinstance(check.op, ast.Not):
        check = check.operand
    return isinstance(check, ast.Name) and check.id.startswith(PROBE_PREFIX)


def _no_constant_side(check: ast.expr) -> bool:
    """True when the test compares values that all came from the sandbox (e.g. ``f(a) == f(b)``)."""
    if isinstance(check, ast.Compare):
        operands = [check.left, *check.comparators]
        return all(_has_probe(o) for o in operands)
    if isinstance(check, ast.Call) and _callable_name(check.func) in ("math.isclose", "cmath.isclose"):
        return all(_has_probe(a) for a in check.args[:2])
    return False


def _has_probe(node: ast.AST) -> bool:
    return any(isinstance(n, ast.Name) and n.id.startswith(PROBE_PREFIX) for n in ast.walk(node))


def _callable_name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        return f"{func.value.id}.{func.attr}"
    return ""


class _Splitter:
    """Replaces every maximal program-dependent part of an expression by a probe placeholder."""

    # Nodes the grader evaluates itself when their parts are program-dependent.
    _STRUCTURAL = (ast.Compare, ast.BoolOp, ast.UnaryOp, ast.BinOp, ast.IfExp, ast.Tuple, ast.List,
                   ast.Set, ast.Dict, ast.Subscript, ast.Slice)

    def __init__(self, modules: frozenset[str], shadowed: frozenset[str] = frozenset()) -> None:
        self.modules = modules - shadowed
        self.builtins = set(PURE_BUILTINS) - shadowed
        self.probes: list[str] = []

    def grader_name(self, name: str) -> bool:
        return name in self.builtins or name in self.modules

    def grader_callable(self, func: ast.expr) -> bool:
        if isinstance(func, ast.Name):
            return func.id in self.builtins
        return (
            isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and func.value.id in self.modules
            and func.attr in MODULE_ATTRIBUTES[func.value.id]
        )

    def depends_on_program(self, node: ast.AST) -> bool:
        """Whether evaluating `node` needs anything only the sandbox has."""
        for sub in ast.walk(node):
            if isinstance(sub, ast.Name) and not self.grader_name(sub.id):
                return True
            if isinstance(sub, ast.Attribute) and not (
                isinstance(sub.value, ast.Name) and sub.value.id in self.modules
                and sub.attr in MODULE_ATTRIBUTES[sub.value.id]
            ):
                return True
            if isinstance(sub, (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp,
                                ast.NamedExpr, ast.Await, ast.Yield, ast.YieldFrom, ast.JoinedStr)):
                return True
        return False

    def rewrite(self, node: ast.expr) -> ast.expr:
        if not self.depends_on_program(node):
            return node
        structural = isinstance(node, self._STRUCTURAL) or (
            isinstance(node, ast.Call)
            and self.grader_callable(node.func)
            and not any(isinstance(a, ast.Starred) for a in node.args)
            and all(k.arg is not None for k in node.keywords)
        )
        if not structural:
            return self._probe(node)
        rebuilt = type(node)(**{name: self._rewrite_field(getattr(node, name)) for name in node._fields})
        return ast.copy_location(rebuilt, node)

    def _rewrite_field(self, value):
        if isinstance(value, ast.expr):
            return self.rewrite(value)
        if isinstance(value, ast.keyword):
            return ast.keyword(arg=value.arg, value=self.rewrite(value.value))
        if isinstance(value, list):
            return [self._rewrite_field(v) for v in value]
        return value

    def _probe(self, node: ast.expr) -> ast.Name:
        source = ast.unparse(node)
        if source not in self.probes:
            self.probes.append(source)
        return ast.Name(id=f"{PROBE_PREFIX}{self.probes.index(source)}__", ctx=ast.Load())
