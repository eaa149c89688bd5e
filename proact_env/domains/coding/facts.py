"""What a coding task's user knows but did not say: hidden facts and how guessable they are.

The hidden information of a coding task is what its tests need that the text
does not say. For MBPP that is the function's name and parameters (the tests
call it by name) and the input/output conventions, shown by one example. For
HumanEvalComm it is whatever the modified prompt changed: the signature and the
original description with its examples.

Each fact has a *guess rate*: the chance that an assistant who was not told it
still gets it right. `task_uncertainty` = 1 - product of the guess rates of the
facts still unknown (see `CodingProblem.uncertainty`):

- signature (MBPP): 1 if the text names the function; else 1/K when the real
  name is one of the K names an assistant would derive from the text
  (`name_candidates`), else 0 (the tests cannot find the function).
- example (MBPP): `GuessRates.io_conventions` (default 0.7): the chance of
  getting types and formats right without seeing one input/output pair.
- signature (HumanEvalComm): hidden only when the modified prompt does not show
  as many parameters as the original; guess rate `GuessRates.hidden_parameters`
  (default 0.5). The function may keep the name the modified prompt shows
  (the tests accept it), so a renamed function alone hides nothing.
- description (HumanEvalComm): the product over the prompt's modifications of
  `GuessRates.ambiguous` (0.5: two or more readings), `.inconsistent` (0.5:
  text and examples disagree) and `.incomplete` (0.25: behaviour left out).

The scripted coding backbone succeeds with exactly these probabilities, so for
it `task_uncertainty` is exact; for a real model it is an estimate.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from proact_env.pyparse import parse_python
from proact_env.types import HiddenFact

#: The vocabulary of each coding fact (`HiddenFact.keywords`): what a question about it mentions.
#: Stop words ("what", "how", "should", "do") are never listed: they occur in every question.
SIGNATURE_KEYWORDS = (
    "name", "named", "names", "naming", "rename", "called", "call", "signature", "parameter", "parameters",
    "params", "param", "argument", "arguments", "args", "arity", "def", "interface", "identifier", "header",
    "prototype", "function name", "method name",
)
EXAMPLE_KEYWORDS = (
    "example", "examples", "sample", "output", "outputs", "return", "returns", "returned", "expected", "expect",
    "format", "result", "results", "test", "tests", "test case", "edge case", "edge cases", "input", "inputs",
    "convention", "conventions", "data type", "return type", "look like", "e.g",
)
DESCRIPTION_KEYWORDS = EXAMPLE_KEYWORDS + (
    "behaviour", "behavior", "behave", "condition", "conditions", "criteria", "criterion", "purpose", "goal",
    "intended", "intent", "description", "describe", "specify", "specification", "spec", "rule", "rules", "logic",
    "definition", "define", "ambiguous", "ambiguity", "unclear", "contradict", "contradiction", "inconsistent",
    "compute", "calculate", "should it do", "supposed to do", "it to do", "function do", "mean by", "meant by",
    "what it does", "what the function does",
)

_STOP_WORDS = frozenset(
    "write a an the function python program to that which of in for given from and or by with is "
    "are be as on using into its it all each any whether if".split()
)
_ABBREVIATIONS = {
    "minimum": "min", "maximum": "max", "number": "num", "numbers": "nums", "string": "str",
    "character": "char", "characters": "chars", "average": "avg", "element": "elem",
    "elements": "elems", "position": "pos", "frequency": "freq", "difference": "diff",
    "index": "idx", "length": "len", "sequence": "seq", "value": "val", "values": "vals",
    "calculate": "calc", "consecutive": "consec",
}
_WORD = re.compile(r"[a-z]+")
_VARIANT_NAMES = {"a": "ambiguous", "c": "inconsistent", "p": "incomplete"}


@dataclass(frozen=True)
class GuessRates:
    """Chance of getting a hidden fact right without being told (see the module docstring).

    Attributes:
        io_conventions: MBPP, example unknown. Default 0.7.
        hidden_parameters: HumanEvalComm, parameters not shown. Default 0.5.
        ambiguous, inconsistent, incomplete: HumanEvalComm, original description
            unknown, per kind of modification. Defaults 0.5, 0.5, 0.25.
    """

    io_conventions: float = 0.7
    hidden_parameters: float = 0.5
    ambiguous: float = 0.5
    inconsistent: float = 0.5
    incomplete: float = 0.25

    def __post_init__(self) -> None:
        for name in self.__dataclass_fields__:
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"GuessRates.{name} must be in [0, 1], got {getattr(self, name)!r}")

    def description(self, category: str) -> float:
        """HumanEvalComm: chance of the right reading for a modification category like ``"2ap"``."""
        rate = 1.0
        for letter in category.lstrip("0123456789"):
            rate *= getattr(self, _VARIANT_NAMES[letter])
        return rate


def name_candidates(text: str) -> tuple[str, ...]:
    """The function names an assistant would derive from a task's text, most natural first.

    Windows of one to four content words from the task phrase (after the first
    "to" or "that"), with and without the leading verb, spelled out and with
    common abbreviations (minimum -> min): ``find_min_cost``, ``min_cost``...
    """
    words = _WORD.findall(text.lower())
    for i, word in enumerate(words):
        if word in ("to", "that"):
            words = words[i + 1:]
            break
    content = [w for w in words if w not in _STOP_WORDS]
    names: list[str] = []
    for start in (0, 1):
        for size in (1, 2, 3, 4):
            window = content[start:start + size]
            if len(window) < size:
                continue
            for spelled in ("_".join(window), "_".join(_ABBREVIATIONS.get(w, w) for w in window)):
                if spelled not in names:
                    names.append(spelled)
    return tuple(names)


def name_guess_rate(query: str, entry_point: str) -> float:
    """Chance of calling the function by its real name when the text does not give it."""
    if re.search(rf"\b{re.escape(entry_point)}\b", query):
        return 1.0
    candidates = name_candidates(query)
    return 1.0 / len(candidates) if entry_point in candidates else 0.0


def signature_of(code: str, entry_point: str) -> str:
    """``def name(params)`` of `entry_point` as the reference code defines it (``class Name(...)`` for classes)."""
    for node in parse_python(code).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == entry_point:
            returns = f" -> {ast.unparse(node.returns)}" if node.returns is not None else ""
            return f"def {node.name}({ast.unparse(node.args)}){returns}"
        if isinstance(node, ast.ClassDef) and node.name == entry_point:
            return f"class {node.name}"
    raise ValueError(f"the reference code does not define {entry_point!r}")


def entry_point_of(code: str, tests: tuple[str, ...]) -> str:
    """The first function or class of the reference code that the tests call."""
    defined = {
        node.name
        for node in parse_python(code).body
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
    }
    for test in tests:
        for node in ast.walk(parse_python(test)):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in defined:
                return node.func.id
    raise ValueError("no test calls a function that the reference code defines")


def signature_fact(signature: str, guess_rate: float, evidence: tuple[str, ...] | None = None) -> tuple[HiddenFact, float]:
    """The function's name and parameters; a reply states it when it names the function (default evidence)."""
    name = signature.split("(")[0].split()[-1]
    answer = f"The function should be called `{name}`: `{signature}`."
    return HiddenFact("signature", answer, SIGNATURE_KEYWORDS, (name,) if evidence is None else evidence), guess_rate


def example_fact(test: str, guess_rate: float) -> tuple[HiddenFact, float]:
    """One test, told as an example: ``f(x)`` should return ``y`` (a tuple)."""
    node = parse_python(test).body[0]
    expression = node.test if isinstance(node, ast.Assert) else None
    if (
        isinstance(expression, ast.Compare)
        and len(expression.ops) == 1
        and isinstance(expression.ops[0], ast.Eq)
    ):
        call, expected = ast.unparse(expression.left), expression.comparators[0]
        kind = _literal_kind(expected)
        answer = f"For example, `{call}` should return `{ast.unparse(expected)}`{kind}."
        shown = ast.unparse(expected)  # the output is what the example tells (or the call, for an output like '')
        evidence = (shown if any(c.isalnum() for c in shown) else call,)
    else:
        answer = f"For example, this should hold: `{ast.unparse(expression) if expression else test.strip()}`."
        evidence = ()
    return HiddenFact("example", answer, EXAMPLE_KEYWORDS, evidence), guess_rate


def _literal_kind(node: ast.expr) -> str:
    try:
        value = ast.literal_eval(node)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return ""
    name = type(value).__name__
    return f" ({'an' if name[0] in 'aeiou' else 'a'} {name})"


@dataclass(frozen=True)
class PromptParts:
    """A HumanEval-style prompt taken apart: the function's name, signature line and docstring."""

    name: str
    parameters: tuple[str, ...] | None  # None when the prompt hides them (``def f(...)``)
    signature: str
    docstring: str


_DEF = re.compile(r"^def\s+(\w+)\s*\((.*?)\)\s*(?:->\s*([^:\n]+?))?\s*:", re.M | re.S)
_DOCSTRING = re.compile(r'("""|\'\'\')(.*?)(?:\1|$)', re.S)


def prompt_parts(prompt: str, entry_point: str | None = None) -> PromptParts:
    """The function a HumanEval(-Comm) prompt asks for: the `entry_point` def if present, else the last def."""
    matches = list(_DEF.finditer(prompt))
    if not matches:
        raise ValueError("the prompt defines no function")
    match = next((m for m in matches if m.group(1) == entry_point), matches[-1])
    params_text = " ".join(match.group(2).split())
    if params_text.strip() in ("...", "…"):
        parameters = None
    else:
        parameters = tuple(p.split(":")[0].split("=")[0].strip() for p in _split_params(params_text) if p.strip())
    returns = f" -> {match.group(3).strip()}" if match.group(3) else ""
    signature = f"def {match.group(1)}({params_text}){returns}"
    doc = _DOCSTRING.search(prompt, match.end())
    return PromptParts(match.group(1), parameters, signature, _clean(doc.group(2)) if doc else "")


def _split_params(text: str) -> list[str]:
    """Split a parameter list at top-level commas (``Dict[str, int]`` stays whole)."""
    parts, depth, current = [], 0, ""
    for char in text:
        depth += char in "[("
        depth -= char in "])"
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    return parts + [current]


def _clean(docstring: str) -> str:
    lines = [line.strip() for line in docstring.strip("\n").splitlines()]
    return "\n".join(lines).strip()


def humanevalcomm_facts(original: PromptParts, modified: PromptParts, category: str, rates: GuessRates) -> list[tuple[HiddenFact, float]]:
    """Facts a HumanEvalComm variant hides: what differs from the original prompt."""
    facts = []
    shown = modified.parameters
    if shown is None or len(shown) != len(original.parameters or ()):
        # The tests accept the name the modified prompt shows; only unknown parameters are missing.
        # the name is shown; what the user tells is the parameters
        facts.append(signature_fact(original.signature, rates.hidden_parameters, original.parameters or None))
    if " ".join(modified.docstring.split()) != " ".join(original.docstring.split()):
        answer = f"Here is exactly what it should do: {original.docstring}"
        facts.append((HiddenFact("description", answer, DESCRIPTION_KEYWORDS), rates.description(category)))
    return facts
