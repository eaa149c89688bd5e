"""Behaviour templates for the LLM backbones and the LLM user simulator.

The templates ship as package data and are read with `importlib.resources`, so
they are found wherever the package is installed, whatever the working
directory. Each template declares exactly which `{placeholders}` it may use
(`PLACEHOLDERS`); a template that misses one or uses an unknown one fails when
it is loaded, naming the file and the placeholder, instead of producing a
half-filled prompt in the middle of an expensive run. Literal braces are
written doubled (``{{`` and ``}}``), as in `str.format`.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

#: template name -> the placeholders it must use (and the only ones it may use)
PLACEHOLDERS: dict[str, frozenset[str]] = {
    "coding_clarify": frozenset({"state"}),
    "coding_execute": frozenset({"state"}),
    "planning_clarify": frozenset({"state"}),
    "planning_execute": frozenset({"state", "plan_schema"}),
    "user_simulator": frozenset({"persona", "hidden_facts", "state", "action", "assistant_msg", "outcome"}),
    "policy_decide": frozenset({"state"}),
    "model_decides": frozenset({"state"}),
}


class TemplateError(ValueError):
    """A template does not match its declared placeholders (or cannot be parsed)."""


@dataclass(frozen=True)
class PromptTemplate:
    """A validated template: `render` fills every placeholder, and only those."""

    name: str
    text: str
    placeholders: frozenset[str]

    def render(self, **values: str) -> str:
        given = frozenset(values)
        if given != self.placeholders:
            missing = sorted(self.placeholders - given)
            extra = sorted(given - self.placeholders)
            raise TemplateError(
                f"template {self.name}.txt: render() needs exactly {sorted(self.placeholders)}; "
                f"missing {missing}, unexpected {extra}"
            )
        return self.text.format(**values)


def parse_template(name: str, text: str, expected: frozenset[str]) -> PromptTemplate:
    """Check `text` against the `expected` placeholders; errors name the file and the placeholder."""
    filename = f"{name}.txt"
    try:
        fields = [field for _, field, _, _ in string.Formatter().parse(text) if field is not None]
    except ValueError as exc:
        raise TemplateError(f"{filename}: cannot parse template ({exc}); write literal braces as '{{{{' and '}}}}'") from None
    for field in fields:
        if field == "" or not field.isidentifier():
            raise TemplateError(
                f"{filename}: placeholder {{{field}}} is not a plain name; "
                f"allowed placeholders are {sorted(expected)} (write literal braces as '{{{{' and '}}}}')"
            )
        if field not in expected:
            raise TemplateError(f"{filename}: unknown placeholder {{{field}}}; allowed are {sorted(expected)}")
    missing = sorted(expected - set(fields))
    if missing:
        raise TemplateError(f"{filename}: missing placeholder {{{missing[0]}}}; it must use all of {sorted(expected)}")
    return PromptTemplate(name=name, text=text, placeholders=expected)


@lru_cache(maxsize=None)
def load_template(name: str) -> PromptTemplate:
    """The packaged template `name` (e.g. ``"coding_clarify"``), validated."""
    if name not in PLACEHOLDERS:
        raise TemplateError(f"unknown template {name!r}: known templates are {sorted(PLACEHOLDERS)}")
    text = resources.files(__name__).joinpath(f"{name}.txt").read_text(encoding="utf-8")
    return parse_template(name, text, PLACEHOLDERS[name])


def load_all() -> dict[str, PromptTemplate]:
    """Every packaged template, validated (a broken one fails here, naming its file)."""
    return {name: load_template(name) for name in PLACEHOLDERS}


__all__ = ["PLACEHOLDERS", "PromptTemplate", "TemplateError", "load_all", "load_template", "parse_template"]
