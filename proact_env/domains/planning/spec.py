"""A planning task's payload: its constraints, the checker that scores plans, and its uncertainty.

`PlanningSpec.score` parses the plan in an Execute message once and applies
every constraint's rule (`constraints`): R_task is the share of constraints
met. A message without a usable plan scores 0 and `details` says why
(``error``: ``no_json``, ``invalid_json`` or ``schema``, and ``reason``).
`details["missed_facts"]` lists the hidden constraints the plan violates (all
of them when there is no plan), which the simulated user's complaints name.

`PlanningSpec.uncertainty(revealed)` is the probability that the reference
assistant's plan, written with what is known now, misses a constraint
(`reference`). `build_spec` checks that a task can be met at all before
building it, so both the generator and hand-written files get the same checks.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date
from typing import Callable

from proact_env.domains.planning.catalogues import CatalogueItem
from proact_env.domains.planning.constraints import Budget, Constraint, Duration, EarliestStart, Order, Pace
from proact_env.domains.planning.kinds import TaskKind
from proact_env.domains.planning.plan import PlanError, format_time, parse_plan, plan_schema_text
from proact_env.domains.planning.reference import SINGLE_KINDS, ReferenceAssistant
from proact_env.errors import SchemaError
from proact_env.types import HiddenFact, Task, TaskScore


@dataclass(frozen=True)
class PlanningSpec:
    """The checkable part of a planning task (`Task.payload`). Build it with `build_spec`.

    Attributes:
        kind: the task kind (layout of plans, wording).
        catalogue_name: the built-in catalogue the items come from, or None
            when a task file lists its own items.
        catalogue: the items a reference assistant plans with.
        constraints: every constraint, stated and hidden, in the order the
            user would mention them.
        date_options: the start dates the reference assistant guesses between.
    """

    kind: TaskKind
    catalogue_name: str | None
    catalogue: tuple[CatalogueItem, ...]
    constraints: tuple[Constraint, ...]
    date_options: tuple[date, ...]
    assistant: ReferenceAssistant = field(init=False, repr=False, compare=False)
    hidden_keys: tuple[str, ...] = field(init=False, repr=False, compare=False)

    @property
    def hints(self) -> dict[str, str]:
        """The JSON plan shape the checker reads: public (an assistant is told it), so LLM backbones get it."""
        return {"plan_schema": plan_schema_text()}

    def __post_init__(self) -> None:
        object.__setattr__(self, "assistant",
                           ReferenceAssistant(self.kind, self.catalogue, self.constraints, self.date_options))
        object.__setattr__(self, "hidden_keys", tuple(c.key for c in self.constraints if c.hidden))

    def score(self, message: str) -> TaskScore:
        total = len(self.constraints)
        try:
            plan = parse_plan(message)
        except PlanError as exc:
            return TaskScore(0.0, 0, total, {
                "parsed": False, "error": exc.kind, "reason": exc.reason, "missed_facts": list(self.hidden_keys),
            })
        met = {c.key: c.is_met(plan) for c in self.constraints}
        passed = sum(met.values())
        missed = [key for key in self.hidden_keys if not met[key]]
        return TaskScore(passed / total, passed, total, {"parsed": True, "constraints": met, "missed_facts": missed})

    def known(self, revealed: frozenset[str]) -> frozenset[int]:
        """Indices of the constraints the assistant knows: the stated ones and the revealed hidden ones."""
        return frozenset(i for i, c in enumerate(self.constraints) if not c.hidden or c.key in revealed)

    def uncertainty(self, revealed: frozenset[str]) -> float:
        return 1.0 - self.assistant.success_probability(self.known(revealed))

    def hidden_facts(self) -> tuple[HiddenFact, ...]:
        noun = self.kind.hours_noun
        return tuple(HiddenFact(c.key, c.sentence(noun), c.keywords(), c.evidence())
                     for c in self.constraints if c.hidden)

    def stated_sentences(self) -> str:
        return " ".join(c.sentence(self.kind.hours_noun) for c in self.constraints if not c.hidden)


def build_spec(
    kind: TaskKind,
    catalogue_name: str | None,
    catalogue: tuple[CatalogueItem, ...],
    constraints: tuple[Constraint, ...],
    date_options: tuple[date, ...],
    where: str,
) -> PlanningSpec:
    """A validated spec: a task whose constraints one plan of its kind can meet all at once.

    Errors are `SchemaError`s at `where`, naming the constraint field at fault.
    """
    if not constraints:
        raise SchemaError(where, "constraints", "expected at least one constraint")
    if not date_options:
        raise SchemaError(where, "date_options", "expected at least one date")
    spec = PlanningSpec(kind, catalogue_name, catalogue, constraints, date_options)
    check_feasible(spec, where)
    return spec


def make_task(task_id: str, query: str, spec: PlanningSpec, source: str) -> Task:
    return Task(id=task_id, domain="planning", query=query, hidden=spec.hidden_facts(), payload=spec, source=source)

def candidate_dates(year: int, month: int, weekday: int, count: int = 4) -> tuple[date, ...]:
    """The first `count` dates of a month that fall on `weekday` (0 Monday ... 6 Sunday)."""
    first = date(year, month, 1)
    offset = (weekday - first.weekday()) % 7
    last_day = calendar.monthrange(year, month)[1]
    return tuple(date(year, month, day) for day in range(1 + offset, last_day + 1, 7))[:count]


def check_feasible(spec: PlanningSpec, where: str) -> None:
    """Raise `SchemaError` unless one plan of the spec's kind can meet every constraint.

    The rules: duration, start date, budget, pace and earliest start occur at
    most once; keys are unique; a named item is exactly one catalogue item;
    order pairs share no item; no required item is ruled out; enough items
    survive the `must_avoid`/`required_tag` rules to fill the longest plan the
    assistant may write (the stated length, else any of the kind's lengths);
    the required items fit in the shortest; the budget, pace and earliest start
    admit at least one of the kind's spending levels, session lengths and start times.
    """
    def fail(index: int, name: str | None, problem: str) -> SchemaError:
        return SchemaError(where, f"constraints[{index}]" + (f".{name}" if name else ""), problem)

    kind, catalogue, constraints, assistant = spec.kind, spec.catalogue, spec.constraints, spec.assistant
    ruled_out = frozenset().union(*assistant.forbidden)
    seen_kinds: dict[type, int] = {}
    seen_keys: dict[str, int] = {}
    ordered: dict[int, int] = {}
    for i, c in enumerate(constraints):
        if isinstance(c, SINGLE_KINDS):
            if type(c) in seen_kinds:
                raise fail(i, "kind", f"a task has at most one {c.kind} constraint "
                                      f"(constraints[{seen_kinds[type(c)]}] is one)")
            seen_kinds[type(c)] = i
        if c.key in seen_keys:
            raise fail(i, None, f"repeats constraints[{seen_keys[c.key]}] ({c.key})")
        seen_keys[c.key] = i
        for name, matches in assistant.named[i].items():
            if len(matches) != 1:
                found = ", ".join(catalogue[m].name for m in matches) or "none"
                raise fail(i, name, f"must name exactly one catalogue item, {getattr(c, name)!r} matches {found}")
            if matches[0] in ruled_out:
                raise fail(i, name, f"{catalogue[matches[0]].name} is ruled out by a must_avoid or required_tag "
                                    "constraint")
            if isinstance(c, Order):
                if matches[0] in ordered:
                    raise fail(i, name, f"order constraints must not share items "
                                        f"(constraints[{ordered[matches[0]]}] also orders it)")
                ordered[matches[0]] = i
    duration = next((c for c in constraints if isinstance(c, Duration)), None)
    if duration is not None and not duration.hidden:
        lengths = {duration.days}  # stated: the assistant never guesses another length
    else:
        lengths = set(kind.duration_options) | ({duration.days} if duration else set())
    per_day = kind.items_per_day
    allowed = len(catalogue) - len(ruled_out)
    if allowed < per_day * max(lengths):
        raise SchemaError(where, "constraints", f"only {allowed} catalogue items satisfy every must_avoid and "
                          f"required_tag constraint; a {max(lengths)}-day {kind.name} plan needs "
                          f"{per_day * max(lengths)}")
    required = set().union(*assistant.required)
    if len(required) > per_day * min(lengths):
        raise SchemaError(where, "constraints", f"{len(required)} items are required but a {min(lengths)}-day "
                          f"{kind.name} plan has room for {per_day * min(lengths)}")
    _check_thresholds(spec, fail)


def _check_thresholds(spec: PlanningSpec, fail: Callable[[int, str, str], SchemaError]) -> None:
    """Each threshold admits at least one of the kind's spending levels, session lengths and start times."""
    kind = spec.kind
    for i, c in enumerate(spec.constraints):
        if isinstance(c, Budget):
            floor = spec.assistant.dearest_day[0]
            if c.max_per_day < floor:
                raise fail(i, "max_per_day", f"{c.max_per_day:g} is below the dearest day at the cheapest "
                                             f"spending level ({floor:g}); raise it")
        elif isinstance(c, Pace):
            shortest = kind.items_per_day * kind.hours_options[0]
            if c.max_hours_per_day < shortest:
                raise fail(i, "max_hours_per_day", f"{c.max_hours_per_day:g} is below the shortest {kind.name} "
                                                   f"day ({shortest:g} hours)")
        elif isinstance(c, EarliestStart) and c.time > kind.start_options[-1]:
            raise fail(i, "time", f"{format_time(c.time)} is later than the latest start of a {kind.name} day "
                                  f"({format_time(kind.start_options[-1])})")
