"""Evaluating the grader's side of a test: expected values and comparisons, in this process, safely.

The expression comes from a task's test (trusted text), with every call into
the program replaced by a placeholder holding the value the sandbox returned
(untrusted, but rebuilt as plain builtin data by `wire`). Only a whitelisted
set of node types, builtins and `math`/`cmath` names is evaluated; sizes are
bounded so that a huge returned number cannot make the grader allocate
gigabytes; and `==` only ever compares builtin values (see `strict_equal`).
"""

from __future__ import annotations

import ast
import builtins
import cmath
import math
import operator
from typing import Any, Callable, Mapping

from proact_env.grading.wire import ConsumedIterator, Unserialisable, WireError, check_hash_spread


class CheckError(Exception):
    """The grader-side expression could not be evaluated (a result of the wrong shape, a guard tripped)."""


PURE_BUILTINS: dict[str, Any] = {
    name: getattr(builtins, name)
    for name in (
        "abs", "all", "any", "bool", "bytes", "complex", "dict", "divmod", "enumerate", "float",
        "frozenset", "int", "isinstance", "len", "list", "max", "min", "range", "repr", "reversed",
        "round", "set", "sorted", "str", "sum", "tuple", "type", "zip",
    )
}
MODULE_NAMES: dict[str, Any] = {"math": math, "cmath": cmath}
MODULE_ATTRIBUTES: dict[str, frozenset[str]] = {
    "math": frozenset(
        "isclose sqrt fabs floor ceil trunc isnan isinf isfinite pi e inf nan tau log log2 log10 exp "
        "pow hypot degrees radians sin cos tan atan atan2 comb perm factorial gcd".split()
    ),
    "cmath": frozenset("isclose sqrt phase polar rect pi e inf nan".split()),
}
MAX_ITEMS = 10_000_000  # elements a grader-side operation may build
MAX_INT_BITS = 1_000_000
# Multiplying or dividing two ints costs about the product of their sizes (division is quadratic in
# CPython): two 4-million-bit answers would take minutes. This bounds it to well under a second.
MAX_BIT_PRODUCT = 1 << 34
MAX_COMBINATORIAL_ARGUMENT = 100_000  # math.factorial(10**7) computes for minutes

_BINARY: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.Pow: operator.pow,
    ast.LShift: operator.lshift, ast.RShift: operator.rshift, ast.BitAnd: operator.and_,
    ast.BitOr: operator.or_, ast.BitXor: operator.xor,
}
_UNARY: dict[type, Callable[[Any], Any]] = {
    ast.UAdd: operator.pos, ast.USub: operator.neg, ast.Not: operator.not_, ast.Invert: operator.invert,
}
_COMPARE: dict[type, Callable[[Any, Any], bool]] = {
    ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt, ast.GtE: operator.ge,
    ast.Is: operator.is_, ast.IsNot: operator.is_not,
    ast.In: lambda a, b: _contains(b, a), ast.NotIn: lambda a, b: not _contains(b, a),
    ast.Eq: lambda a, b: strict_equal(a, b), ast.NotEq: lambda a, b: not strict_equal(a, b),
}
SUPPORTED_NODES = (
    ast.Expression, ast.Constant, ast.Name, ast.Load, ast.Attribute, ast.Tuple, ast.List, ast.Set,
    ast.Dict, ast.UnaryOp, ast.BinOp, ast.BoolOp, ast.And, ast.Or, ast.Compare, ast.IfExp,
    ast.Subscript, ast.Slice, ast.Call, ast.keyword,
    *_BINARY, *_UNARY, *_COMPARE,
)


def strict_equal(a: Any, b: Any) -> bool:
    """`a == b`, type-strictly: both sides are exact builtin types rebuilt by the grader.

    The program's objects never reach this point (`wire` rebuilds results as
    builtins), so only builtin equality runs: no `__eq__` of the program can
    answer. Numbers compare by value as in Python (`8 == 8.0`, `1 == True`):
    the benchmarks' asserts rely on it (MBPP task 414 returns 0/1 for False/True).
    Values that are not plain data cannot be compared at all.
    """
    if isinstance(a, Unserialisable) or isinstance(b, Unserialisable):
        raise CheckError(f"cannot compare {a!r} with {b!r}: not plain data")
    return a == b


def _contains(container: Any, item: Any) -> bool:
    if isinstance(container, (Unserialisable, ConsumedIterator)) or isinstance(item, Unserialisable):
        raise CheckError(f"cannot test membership of {item!r} in {container!r}: not plain data")
    return item in container


def _guard_binary(op: type, left: Any, right: Any) -> None:
    """Refuse operations whose result would be huge (a hostile result cannot exhaust the grader)."""
    if op is ast.Mult:
        for seq, count in ((left, right), (right, left)):
            if isinstance(seq, (str, bytes, list, tuple)) and isinstance(count, int) and len(seq) * count > MAX_ITEMS:
                raise CheckError("a repeated sequence would be too large to build")
    if op is ast.Pow and isinstance(left, int) and isinstance(right, int) and abs(left) > 1:
        if right * max(1, left.bit_length()) > MAX_INT_BITS:
            raise CheckError("a power would be too large to compute")
    if op is ast.LShift and isinstance(right, int) and right > MAX_INT_BITS:
        raise CheckError("a shift would be too large to compute")
    if op in (ast.Mult, ast.FloorDiv, ast.Mod, ast.Div) and isinstance(left, int) and isinstance(right, int):
        if left.bit_length() * right.bit_length() > MAX_BIT_PRODUCT:
            raise CheckError("an integer product or quotient would be too slow to compute")


def _guard_call(function: Any, args: list[Any]) -> None:
    for value in args:
        if isinstance(value, range) and len(value) > MAX_ITEMS:
            raise CheckError("a range would be too large to build")
        if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > MAX_INT_BITS:
            raise CheckError("an integer argument is too large")
    if function in (math.factorial, math.comb, math.perm) and any(
            isinstance(a, int) and a > MAX_COMBINATORIAL_ARGUMENT for a in args):
        raise CheckError(f"{function.__name__} of a number this large would take too long")
    if function is divmod and len(args) == 2:
        _guard_binary(ast.FloorDiv, *args)
    if function in (set, frozenset, dict) and args and not isinstance(args[0], (set, frozenset, dict, range)):
        try:
            items = list(args[0])
            check_hash_spread(items if function is not dict else [pair[0] for pair in items], f"a {function.__name__}")
        except WireError as exc:
            raise CheckError(str(exc)) from None
        except (TypeError, IndexError, KeyError):
            return  # not iterable, or not pairs: the call itself raises


class Evaluator:
    """Evaluates a checked expression tree (see `SUPPORTED_NODES`) with the given names bound."""

    def __init__(self, names: Mapping[str, Any]) -> None:
        self.names = names

    def eval(self, node: ast.AST) -> Any:
        try:
            method = getattr(self, "_" + type(node).__name__)
        except AttributeError:
            raise CheckError(f"unsupported expression {type(node).__name__}") from None
        return method(node)

    def _Expression(self, node: ast.Expression) -> Any:
        return self.eval(node.body)

    def _Constant(self, node: ast.Constant) -> Any:
        return node.value

    def _Name(self, node: ast.Name) -> Any:
        for table in (self.names, PURE_BUILTINS, MODULE_NAMES):
            if node.id in table:
                return table[node.id]
        raise CheckError(f"name {node.id!r} is not available to the grader")

    def _Attribute(self, node: ast.Attribute) -> Any:
        base = node.value
        if isinstance(base, ast.Name) and node.attr in MODULE_ATTRIBUTES.get(base.id, ()):
            return getattr(MODULE_NAMES[base.id], node.attr)
        raise CheckError(f"attribute {ast.unparse(node)!r} is not available to the grader")

    def _Tuple(self, node: ast.Tuple) -> tuple:
        return tuple(self.eval(e) for e in node.elts)

    def _List(self, node: ast.List) -> list:
        return [self.eval(e) for e in node.elts]

    def _Set(self, node: ast.Set) -> set:
        return {self.eval(e) for e in node.elts}

    def _Dict(self, node: ast.Dict) -> dict:
        if any(k is None for k in node.keys):
            raise CheckError("dict unpacking is not supported")
        return {self.eval(k): self.eval(v) for k, v in zip(node.keys, node.values)}

    def _UnaryOp(self, node: ast.UnaryOp) -> Any:
        operand = self.eval(node.operand)
        if isinstance(node.op, ast.Not):
            return not _truth(operand)
        return _UNARY[type(node.op)](operand)

    def _BinOp(self, node: ast.BinOp) -> Any:
        left, right = self.eval(node.left), self.eval(node.right)
        _guard_binary(type(node.op), left, right)
        return _BINARY[type(node.op)](left, right)

    def _BoolOp(self, node: ast.BoolOp) -> Any:
        want = isinstance(node.op, ast.Or)
        value = None
        for operand in node.values:
            value = self.eval(operand)
            if _truth(value) == want:
                return value
        return value

    def _Compare(self, node: ast.Compare) -> bool:
        left = self.eval(node.left)
        for op, comparator in zip(node.ops, node.comparators):
            right = self.eval(comparator)
            if not _COMPARE[type(op)](left, right):
                return False
            left = right
        return True

    def _IfExp(self, node: ast.IfExp) -> Any:
        return self.eval(node.body) if _truth(self.eval(node.test)) else self.eval(node.orelse)

    def _Subscript(self, node: ast.Subscript) -> Any:
        value = self.eval(node.value)
        if isinstance(value, (Unserialisable, ConsumedIterator)):
            raise CheckError(f"cannot index {value!r}")
        return value[self.eval(node.slice)]

    def _Slice(self, node: ast.Slice) -> slice:
        parts = (node.lower, node.upper, node.step)
        return slice(*(self.eval(p) if p is not None else None for p in parts))

    def _Call(self, node: ast.Call) -> Any:
        function = self.eval(node.func)
        if any(isinstance(a, ast.Starred) for a in node.args) or any(k.arg is None for k in node.keywords):
            raise CheckError("argument unpacking is not supported")
        args = [self.eval(a) for a in node.args]
        kwargs = {k.arg: self.eval(k.value) for k in node.keywords}
        _guard_call(function, args)
        if any(isinstance(a, Unserialisable) for a in args):
            raise CheckError(f"cannot pass {next(a for a in args if isinstance(a, Unserialisable))!r} to {ast.unparse(node.func)}")
        return function(*args, **kwargs)


def _truth(value: Any) -> bool:
    if isinstance(value, Unserialisable):
        if value.truth is None:
            raise CheckError(f"cannot take the truth value of {value!r}")
        return value.truth  # computed in the sandbox: no weaker than the program returning a bool
    return bool(value)


def evaluate(tree: ast.Expression, names: Mapping[str, Any]) -> Any:
    """Evaluate a grader-side expression; errors of the expression itself become `CheckError`."""
    try:
        return Evaluator(names).eval(tree)
    except CheckError:
        raise
    except (ArithmeticError, TypeError, ValueError, LookupError, AttributeError, RecursionError, MemoryError) as exc:
        raise CheckError(f"{type(exc).__name__}: {exc}") from None


def truthy(value: Any) -> bool:
    """The truth value of a check's result, refusing values that are not plain data."""
    return _truth(value)
