"""What names a program binds and what names a test needs, read from their syntax trees.

The grader decides from the program's own text which names it defines, before
anything runs: a program cannot rebind a name at run time to whatever a test
calls (by reading the harness's frames, say) and so pass tests of a function it
never wrote. `split_setup` decides, the same way, which names the program
decides the value of and which the setup code computes without it, so that
values such as expected results never reach the program's interpreter. These
are `ast` walks, linear in the size of the code, where regular expressions over
untrusted text could backtrack.
"""

from __future__ import annotations

import ast
import builtins
from dataclasses import dataclass
from functools import lru_cache

from proact_env.pyparse import parse_python

_BUILTIN_NAMES = frozenset(dir(builtins))
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


@lru_cache(maxsize=64)
def _parse(code: str) -> ast.Module | None:
    """The syntax tree of `code` (None if it does not parse); cached, since each program is read several
    times while it is graded. Callers only read the tree."""
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


@lru_cache(maxsize=64)
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


@lru_cache(maxsize=64)
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


def read_names(source: str) -> frozenset[str]:
    """Free names a test (a statement or an expression) reads, builtins included."""
    tree = _parse(source)
    if tree is None:
        return frozenset()
    loaded = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)}
    own = {name for node in ast.walk(tree) for name in _bindings(node)}
    own |= {a.arg for node in ast.walk(tree) if isinstance(node, ast.arguments)
            for a in (*node.posonlyargs, *node.args, *node.kwonlyargs, node.vararg, node.kwarg) if a is not None}
    return frozenset(loaded - own)


def needed_names(source: str) -> frozenset[str]:
    """Free names a test (a statement or an expression) reads that builtins do not provide."""
    return read_names(source) - _BUILTIN_NAMES


def _free_names(node: ast.AST) -> set[str]:
    """Names `node` reads that are not bound in a scope nested inside it (a def's parameters, a comprehension's targets)."""
    loaded = {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    inner: set[str] = set()
    for scope in ast.walk(node):
        if isinstance(scope, (*_SCOPES, *_COMPREHENSIONS)) and scope is not node:
            for sub in ast.walk(scope):
                inner |= _bindings(sub)
                if isinstance(sub, ast.arguments):
                    inner |= {a.arg for a in (*sub.posonlyargs, *sub.args, *sub.kwonlyargs, sub.vararg, sub.kwarg) if a}
    return loaded - inner - _BUILTIN_NAMES


def _module_scope(tree: ast.Module) -> list[ast.AST]:
    """The nodes of `tree` that bind at module level (outside functions, classes and comprehensions)."""
    nodes, pending = [], list(tree.body)
    while pending:
        node = pending.pop()
        nodes.append(node)
        if not isinstance(node, (*_SCOPES, *_COMPREHENSIONS)):
            pending.extend(ast.iter_child_nodes(node))
    return nodes


_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


@dataclass(frozen=True)
class SetupSplit:
    """The names a test may use, by where their values come from, and the setup code each interpreter runs.

    Attributes:
        from_program: names whose value the program decides: what it defines
            (besides plain imports), and setup names computed from those
            (``candidate = find_zero``, fixtures built from its classes).
        program_setup: the setup code the program's interpreter runs: imports,
            statements that need the program, the definitions the program calls
            without writing them (a prompt's helper functions), and what those
            read. Values the setup computes without the program (``odd_sum =
            ...``, random generators) and helpers only the tests use stay out, so
            the program never holds an expected value.
        runner_setup: the setup code of the tests' own interpreter: the
            program's imports (the real modules), then every setup statement that
            does not need the program.
        runner_only: names only the tests' interpreter has.
    """

    from_program: frozenset[str]
    program_setup: str
    runner_setup: str
    runner_only: frozenset[str]


def split_setup(program: str, setup_code: str) -> SetupSplit | None:
    """Where each name's value comes from once `program` and then `setup_code` ran; None if either does not parse."""
    program_tree, setup_tree = _parse(program), _parse(setup_code)
    if program_tree is None or setup_tree is None:
        return None
    scope = _module_scope(program_tree)
    imports = [node for node in scope if isinstance(node, (ast.Import, ast.ImportFrom))]
    defined = set().union(*(_bindings(node) for node in scope if node not in imports))
    defined |= (module_bindings(program) or frozenset()) - set().union(*(_bindings(node) for node in imports))
    from_program = set(defined)
    statements = setup_tree.body
    needs_program = []
    for statement in statements:
        reads, binds = _free_names(statement), _statement_bindings(statement)
        needs_program.append(bool(reads & from_program))
        if needs_program[-1]:
            from_program |= binds
        else:
            from_program -= binds
    # the program's interpreter runs imports, what needs the program, the definitions the program uses
    # without writing them (a prompt's helper functions), and the values those read
    program_reads = {n.id for n in ast.walk(program_tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    program_reads -= bound_anywhere(program)
    keep = [needs_program[i] or isinstance(s, (ast.Import, ast.ImportFrom))
            or (isinstance(s, _DEFINITIONS) and bool(_statement_bindings(s) & program_reads))
            for i, s in enumerate(statements)]
    wanted = set().union(*(_free_names(s) for s, k in zip(statements, keep) if k))
    for i in reversed(range(len(statements))):
        if not keep[i] and _statement_bindings(statements[i]) & wanted:
            keep[i] = True
            wanted |= _free_names(statements[i])
    runner_only = set().union(*(_statement_bindings(s) for s, k in zip(statements, keep) if not k)) - from_program
    runner_imports = [_guarded_import(node, defined) for node in imports]
    return SetupSplit(
        from_program=frozenset(from_program),
        program_setup="\n".join(ast.unparse(s) for s, k in zip(statements, keep) if k),
        runner_setup="\n".join([i for i in runner_imports if i] + [ast.unparse(s) for s, n in zip(statements, needs_program)
                                                                   if not n]),
        runner_only=frozenset(runner_only),
    )


def _statement_bindings(statement: ast.stmt) -> set[str]:
    """The module-level names one top-level statement binds."""
    names: set[str] = set()
    for node in _module_scope(ast.Module(body=[statement], type_ignores=[])):
        names |= _bindings(node)
    return names


def _guarded_import(node: ast.Import | ast.ImportFrom, defined: set[str]) -> str:
    """The program's import, for the tests' interpreter: the real modules, never over a name the program defines."""
    aliases = [a for a in node.names if a.name == "*" or (a.asname or a.name.split(".")[0]) not in defined]
    if not aliases:
        return ""
    rebuilt = ast.Import(names=aliases) if isinstance(node, ast.Import) else ast.ImportFrom(
        module=node.module, names=aliases, level=node.level)
    return f"try:\n    {ast.unparse(rebuilt)}\nexcept ImportError:\n    pass"
