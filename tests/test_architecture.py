"""Which way the imports run (DESIGN, "Which way the imports run"), checked over the real import graph.

Every import statement of every installed module counts, lazy ones inside
functions included (they still tie two modules together); imports under
``if TYPE_CHECKING:`` do not. A failure names the modules on the offending
path, so the fix is to move the shared piece down a layer.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: repository folder -> the package it installs as (setup.cfg, package_dir)
PACKAGE_DIRS = {"proact_env": "proact_env", "agents": "proact_env.agents",
                "baselines": "proact_env.baselines", "prompts": "proact_env.prompts"}
#: what the environment core must never import
TOP_FLOOR = ("proact_env.agents", "proact_env.baselines", "proact_env.cli", "proact_env.benchmark")
CORE_PACKAGES = ("proact_env.domains", "proact_env.grading", "proact_env.reward", "proact_env.simulator")
CORE_MODULES = ("proact_env.types", "proact_env.env", "proact_env.personas", "proact_env.observation",
                "proact_env.registration", "proact_env.solver", "proact_env.wrappers")


def _module_files() -> dict[str, Path]:
    modules = {}
    for folder, package in PACKAGE_DIRS.items():
        for path in (ROOT / folder).rglob("*.py"):
            parts = path.relative_to(ROOT / folder).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            name = ".".join((package, *parts))
            if not any(name.startswith(p + ".") for p in PACKAGE_DIRS.values() if p != package and p.startswith(package)):
                modules[name] = path
    return modules


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(path: Path, known: set[str]) -> set[str]:
    """The project modules `path` imports, at any depth, outside TYPE_CHECKING blocks."""
    found = set()
    pending: list[ast.AST] = [ast.parse(path.read_text())]
    while pending:
        node = pending.pop()
        if isinstance(node, ast.If) and _is_type_checking(node):
            pending.extend(node.orelse)
            continue
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            targets = [f"{node.module}.{alias.name}" for alias in node.names] + [node.module]
        else:
            targets = []
        for target in targets:
            while target and target not in known:  # `from pkg import module` or `from module import name`
                target = target.rpartition(".")[0]
            if target:
                found.add(target)
        pending.extend(ast.iter_child_nodes(node))
    return found


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    files = _module_files()
    known = set(files)
    return {name: _imports(path, known) - {name} for name, path in files.items()}


def _unit(module: str) -> str:
    """The package a module belongs to: `proact_env.X` for a sub-package X, else the module itself.

    Each domain (`proact_env.domains.coding`, ...) is a package of its own: a
    domain's env factory builds on the env, which draws synthetic tasks by default.
    """
    parts = module.split(".")
    if parts[:2] == ["proact_env", "domains"] and len(parts) >= 3:
        return ".".join(parts[:3])  # a domain package, or a module beside them (scripted, states)
    head = ".".join(parts[:2])
    if len(parts) >= 2 and (head in PACKAGE_DIRS.values() or (ROOT / Path(*parts[:2])).is_dir()):
        return head
    return module


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one node (Tarjan)."""
    index, low, stack, on_stack, result = {}, {}, [], set(), []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                result.append(sorted(component))

    for v in list(edges):
        if v not in index:
            visit(v)
    return result


def _parent_packages(module: str) -> set[str]:
    parts = module.split(".")
    return {".".join(parts[:i]) for i in range(1, len(parts))}


def test_no_module_imports_itself_back(graph):
    # a package's __init__ importing its own modules is how packages work, not a cycle
    edges = {m: {t for t in targets if t not in _parent_packages(m)} for m, targets in graph.items()}
    assert _cycles(edges) == [], "import cycle between modules: move the shared piece into a module both can import"


def test_no_cycle_between_packages(graph):
    edges: dict[str, set[str]] = {}
    for module, targets in graph.items():
        edges.setdefault(_unit(module), set()).update(_unit(t) for t in targets if _unit(t) != _unit(module))
    assert _cycles(edges) == [], "packages import each other: one of them must stop (see DESIGN, which way imports run)"


def _violations(graph: dict[str, set[str]], sources: tuple[str, ...], forbidden: tuple[str, ...]) -> list[str]:
    def inside(module: str, roots: tuple[str, ...]) -> bool:
        return any(module == r or module.startswith(r + ".") for r in roots)

    return sorted(f"{m} -> {t}" for m, targets in graph.items() if inside(m, sources)
                  for t in targets if inside(t, forbidden))


def test_the_core_never_imports_the_top_floor(graph):
    assert _violations(graph, CORE_PACKAGES + CORE_MODULES, TOP_FLOOR) == []


def test_the_reward_never_calls_an_llm_and_the_llm_layer_never_scores(graph):
    assert _violations(graph, ("proact_env.reward",), ("proact_env.llm", "proact_env.simulator.llm_user")) == []
    assert _violations(graph, ("proact_env.llm",), ("proact_env.reward", "proact_env.grading")) == []


def test_grading_knows_nothing_of_rewards_domains_or_models(graph):
    assert _violations(graph, ("proact_env.grading",), (
        "proact_env.reward", "proact_env.domains", "proact_env.llm", "proact_env.env", "proact_env.simulator")) == []


def test_domains_do_not_import_each_other(graph):
    domains = ("proact_env.domains.synthetic", "proact_env.domains.coding", "proact_env.domains.planning")
    for domain in domains:
        others = tuple(d for d in domains if d != domain)
        assert _violations(graph, (domain,), others) == [], f"{domain} reaches into another domain"


def test_the_checker_sees_a_planted_cycle():
    planted = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(planted) == [["a", "b", "c"]]
