"""Realistic faulty variants of a correct program: one small change, the kind a model gets wrong.

Used by the scripted coding backbone to play an imperfect assistant offline.
A change is picked uniformly among all the places in the target function
where one applies: a comparison off by one (``<`` vs ``<=``), a flipped
equality, a swapped arithmetic operator, an integer constant off by one,
``and``/``or`` swapped, ``min``/``max`` swapped. The variant is graded by
really running it; a change the tests cannot see simply passes.
"""

from __future__ import annotations

import ast
import random

from proact_env.pyparse import parse_python
from proact_env.rng import pick_index

_COMPARE_SWAPS = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Eq: ast.NotEq, ast.NotEq: ast.Eq}
_BINARY_SWAPS = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Add, ast.FloorDiv: ast.Div, ast.Mod: ast.FloorDiv}
_BOOL_SWAPS = {ast.And: ast.Or, ast.Or: ast.And}
_NAME_SWAPS = {"min": "max", "max": "min"}


def _sites(tree: ast.AST) -> list[tuple[ast.AST, int]]:
    """Every (node, position) where one change applies; `position` picks the operator of a Compare."""
    sites = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            sites += [(node, i) for i, op in enumerate(node.ops) if type(op) in _COMPARE_SWAPS]
        elif isinstance(node, ast.BinOp) and type(node.op) in _BINARY_SWAPS:
            sites.append((node, 0))
        elif isinstance(node, ast.BoolOp):
            sites.append((node, 0))
        elif isinstance(node, ast.Constant) and type(node.value) is int:
            sites.append((node, 0))
        elif isinstance(node, ast.Name) and node.id in _NAME_SWAPS:
            sites.append((node, 0))
    return sites


def _apply(node: ast.AST, position: int) -> None:
    if isinstance(node, ast.Compare):
        node.ops[position] = _COMPARE_SWAPS[type(node.ops[position])]()
    elif isinstance(node, ast.BinOp):
        node.op = _BINARY_SWAPS[type(node.op)]()
    elif isinstance(node, ast.BoolOp):
        node.op = _BOOL_SWAPS[type(node.op)]()
    elif isinstance(node, ast.Constant):
        node.value += 1
    elif isinstance(node, ast.Name):
        node.id = _NAME_SWAPS[node.id]


def mutate(code: str, rng: random.Random, *, focus: str | None = None) -> str:
    """`code` with one realistic bug, preferably inside the function `focus`.

    With no place to change, the function returns None instead of its result.
    """
    tree = parse_python(code)
    target = next(
        (n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == focus),
        tree,
    )
    sites = _sites(target)
    if sites:
        _apply(*sites[pick_index(rng, len(sites))])
    elif isinstance(target, (ast.FunctionDef, ast.AsyncFunctionDef)):
        target.body.insert(0, ast.Return(value=ast.Constant(None)))
    return ast.unparse(ast.fix_missing_locations(tree))


def rename_function(code: str, old: str, new: str) -> str:
    """`code` with the function `old` (its definition and every use) renamed `new`."""
    if old == new:
        return code
    tree = parse_python(code)
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name == old:
            node.name = new
        elif isinstance(node, ast.Name) and node.id == old:
            node.id = new
    return ast.unparse(tree)


def add_parameter(code: str, function: str, parameter: str = "options") -> str:
    """`code` whose `function` takes one more required parameter: a wrong guess of the signature."""
    tree = parse_python(code)
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == function:
            node.args.args.append(ast.arg(arg=parameter))
            if node.args.defaults:  # a new required parameter cannot follow defaulted ones
                node.args.args.insert(0, node.args.args.pop())
    return ast.unparse(ast.fix_missing_locations(tree))
