"""What names a program binds and what names a test needs, read from their syntax trees.

The grader decides from the program's own text which names it defines, before
anything runs: a program cannot rebind a name at run time to whatever a test
calls (by reading the harness's frames, say) and so pass tests of a function it
never wrote. These are `ast` walks, linear in the size of the code, where
regular expressions over untrusted text could backtrack.
"""

from __future__ import annotations

import ast
import builtins

from proact_env.pyparse import parse_python

_BUILTIN_NAMES = frozenset(dir(builtins))
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


def _parse(code: str) -> ast.Module | None:
    try:
        return parse_python(code)
    except (SyntaxError, ValueError):  # ValueError: null bytes
        return None


def _import_bindings(node: ast.Import | ast.ImportFrom) -> set[str]:
    names = set()
    for alias in node.names:
        if isinstance(node, ast.Import):
            names.add(alias.asname or alias.name.split(".")[0])
        elif alias.name != "*":
            names.add(alias.asname or alias.name)
    return names


def _bindings(node: ast.AST) -> set[str]:
    """Names that `node` itself binds (not its children)."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {node.name}
    if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
        return {node.id}
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return _import_bindings(node)
    if isinstance(node, ast.ExceptHandler) and node.name:
        return {node.name}
    if isinstance(node, (ast.MatchAs, ast.MatchStar)) and node.name:
        return {node.name}
    if isinstance(node, ast.MatchMapping) and node.rest:
        return {node.rest}
    return set()


def bound_anywhere(code: str, real_modules: frozenset[str] = frozenset()) -> frozenset[str]:
    """Every name `code` binds in any scope (empty if it does not parse): errs towards too many.

    A plain ``import m`` of one of `real_modules` binds the real module and does not count.
    """
    tree = _parse(code)
    if tree is None:
        return frozenset()
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.asname or a.name.split(".")[0] for a in node.names
                      if a.asname is not None or a.name.split(".")[0] not in real_modules}
        else:
            found |= _bindings(node)
    return frozenset(found)


def module_bindings(code: str) -> frozenset[str] | None:
    """The names `code` binds at module level; None when it does not parse.

    Module level means statements outside functions and classes (inside
    ``if``/``try``/``for``/``with`` blocks too) and names a function declares
    ``global``. A star import binds nothing here: otherwise one line
    (``from os import *``) would switch the check off, and the function a
    test calls is the program's own.
    """
    tree = _parse(code)
    if tree is None:
        return None
    names: set[str] = set()
    pending: list[ast.AST] = list(tree.body)
    while pending:
        node = pending.pop()
        names |= _bindings(node)
        if isinstance(node, _SCOPES):
            names |= {n for sub in ast.walk(node) if isinstance(sub, ast.Global) for n in sub.names}
            # a def's decorators and defaults run at module level, its body does not
            if not isinstance(node, ast.Lambda):
                pending.extend(getattr(node, "decorator_list", []))
            continue
        pending.extend(ast.iter_child_nodes(node))
    return frozenset(names)


def needed_names(source: str) -> frozenset[str]:
    """Free names a test (a statement or an expression) reads that builtins do not provide."""
    tree = _parse(source)
    if tree is None:
        return frozenset()
    loaded = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)}
    own = {name for node in ast.walk(tree) for name in _bindings(node)}
    own |= {a.arg for node in ast.walk(tree) if isinstance(node, ast.arguments)
            for a in (*node.posonlyargs, *node.args, *node.kwonlyargs, node.vararg, node.kwarg) if a is not None}
    return frozenset(loaded - own - _BUILTIN_NAMES)
