"""Seeded planning tasks: a trip, a meal plan, a study plan or an event, with stated and hidden constraints.

A task draws its kind, subject (Lisbon, a statistics exam...), month, plan
length and a handful of further constraints from the kind's repertoire, then
hides some of them: the user says the rest in the query and keeps the hidden
ones to themselves until asked (`HiddenFact`s). Draws never produce a task
that cannot be met: an avoid or need that would leave too few items, or an
item the plan has no room for, is skipped.
"""

from __future__ import annotations

import calendar
import random
from dataclasses import dataclass, replace
from functools import cached_property, lru_cache
from typing import Any, Sequence, TypeVar

from proact_env.domains.planning.catalogues import Subject
from proact_env.domains.planning.constraints import (
    Budget,
    Constraint,
    Duration,
    EarliestStart,
    MustAvoid,
    MustInclude,
    Order,
    Pace,
    RequiredTag,
    StartDate,
)
from proact_env.domains.planning.kinds import KINDS, TaskKind
from proact_env.domains.planning.reference import forbidden_items, matching_items
from proact_env.domains.planning.spec import build_spec, candidate_dates, make_task
from proact_env.rng import pick, pick_count, pick_index, truncated_cdfs
from proact_env.types import Task

T = TypeVar("T")

#: The order in which constraints are drawn and mentioned (the plan length always comes first).
DRAW_ORDER = ("start_date", "budget", "pace", "earliest_start", "must_avoid", "required_tag", "must_include", "order")


@dataclass(frozen=True)
class PlanningConfig:
    """What the planning generator draws.

    Attributes:
        kinds: task kinds to draw from, uniformly. Default all four
            (``trip``, ``meal``, ``study``, ``event``).
        min_extra, max_extra: how many constraints a task has beyond its plan
            length, drawn uniformly in this range from its kind's repertoire
            (fewer when a draw would make the task impossible). Default 3 and 6.
        hidden_weights: relative frequency of 0, 1, 2... hidden constraints
            (clipped to the task's constraint count). Default
            ``(0.15, 0.2, 0.2, 0.2, 0.15, 0.1)``: from fully stated requests to
            ones that keep most of what matters unsaid.
        year, months: when plans start; the query names the month and the
            candidate start dates are its first four Saturdays (trips, events)
            or Mondays (meals, study). Default 2026, May to September.
    """

    kinds: tuple[str, ...] = tuple(KINDS)
    min_extra: int = 3
    max_extra: int = 6
    hidden_weights: tuple[float, ...] = (0.15, 0.2, 0.2, 0.2, 0.15, 0.1)
    year: int = 2026
    months: tuple[int, ...] = (5, 6, 7, 8, 9)

    def __post_init__(self) -> None:
        object.__setattr__(self, "kinds", tuple(self.kinds))
        object.__setattr__(self, "hidden_weights", tuple(self.hidden_weights))
        object.__setattr__(self, "months", tuple(self.months))
        unknown = [k for k in self.kinds if k not in KINDS]
        if not self.kinds or unknown:
            raise ValueError(f"kinds must be a non-empty subset of {', '.join(KINDS)}, got {list(self.kinds)}")
        if not 0 <= self.min_extra <= self.max_extra <= 8:
            raise ValueError(f"need 0 <= min_extra <= max_extra <= 8, got {self.min_extra}, {self.max_extra}")
        if not self.hidden_weights or any(w < 0 for w in self.hidden_weights) or sum(self.hidden_weights) <= 0:
            raise ValueError(f"hidden_weights must be non-negative with a positive sum, got {self.hidden_weights}")
        truncated_cdfs(self.hidden_weights, range(1, self.max_extra + 2))  # every constraint count needs a chance
        if not self.months or any(not 1 <= m <= 12 for m in self.months):
            raise ValueError(f"months must be month numbers 1..12, got {list(self.months)}")


@dataclass(frozen=True)
class PlanningTaskSource:
    """Generates planning tasks from a seeded RNG (`proact_env/Planning-v0`'s default source)."""

    config: PlanningConfig = PlanningConfig()

    def sample(self, rng: random.Random) -> Task:
        config = self.config
        kind = KINDS[pick(rng, config.kinds)]
        subject = pick(rng, kind.subjects)
        month = pick(rng, config.months)
        dates = candidate_dates(config.year, month, kind.weekday)
        n_extra = config.min_extra + pick_index(rng, config.max_extra - config.min_extra + 1)
        drawn = _sample(rng, kind.constraint_kinds, n_extra)
        constraints = _draw_constraints(kind, subject, dates, drawn, rng)
        n_hidden = pick_count(rng, self._hidden_cdf[len(constraints)])
        hidden = set(_sample(rng, range(len(constraints)), n_hidden))
        constraints = [replace(c, hidden=True) if i in hidden else c for i, c in enumerate(constraints)]
        task_id = f"planning-{kind.name}-{rng.getrandbits(32):08x}"
        spec = build_spec(kind, subject.key, subject.catalogue, tuple(constraints), dates, where=task_id)
        request = subject.request.format(month=calendar.month_name[month])
        stated = spec.stated_sentences()
        return make_task(task_id, f"{request} {stated}" if stated else request, spec, source="planning")

    @cached_property
    def _hidden_cdf(self) -> dict[int, list[float]]:
        """Per constraint count, the distribution of the number hidden."""
        return truncated_cdfs(self.config.hidden_weights, range(1, self.config.max_extra + 2))

    def describe(self) -> dict[str, Any]:
        c = self.config
        return {
            "source": "planning",
            "kinds": list(c.kinds),
            "min_extra": c.min_extra,
            "max_extra": c.max_extra,
            "hidden_weights": list(c.hidden_weights),
            "year": c.year,
            "months": list(c.months),
        }


def _sample(rng: random.Random, items: Sequence[T], k: int) -> list[T]:
    """`k` distinct elements in random order (a partial Fisher-Yates shuffle; faster than `rng.sample`)."""
    pool = list(items)
    k = min(k, len(pool))
    for i in range(k):
        j = i + pick_index(rng, len(pool) - i)
        pool[i], pool[j] = pool[j], pool[i]
    return pool[:k]


@lru_cache(maxsize=64)
def _item_rules(kind: TaskKind, subject: Subject) -> dict[str, list[tuple[Constraint, frozenset[int]]]]:
    """The kind's avoid and need constraints, each with the subject's items it rules out."""
    rules: dict[str, list[Constraint]] = {
        "must_avoid": [MustAvoid(o.what, o.words) for o in kind.avoid_options],
        "required_tag": [RequiredTag(n.tag, answer=n.sentence) for n in kind.need_options],
    }
    return {name: [(c, forbidden_items(subject.catalogue, c)) for c in cs] for name, cs in rules.items()}


@lru_cache(maxsize=64)
def _sequence_indices(subject: Subject) -> tuple[tuple[int, int], ...]:
    return tuple((matching_items(subject.catalogue, a)[0], matching_items(subject.catalogue, b)[0])
                 for a, b in subject.sequences)


def _draw_constraints(
    kind: TaskKind, subject: Subject, dates: tuple, drawn: list[str], rng: random.Random
) -> list[Constraint]:
    """The task's constraints in `DRAW_ORDER`, each drawn so that all of them can be met together."""
    catalogue = subject.catalogue
    room = kind.items_per_day * min(kind.duration_options)
    needed = kind.items_per_day * max(kind.duration_options)
    constraints: list[Constraint] = [Duration(pick(rng, kind.duration_options))]
    ruled_out: set[int] = set()
    required: list[int] = []
    for name in DRAW_ORDER:
        for _ in range(drawn.count(name)):
            if name == "start_date":
                constraints.append(StartDate(pick(rng, dates)))
            elif name == "budget":
                constraints.append(Budget(pick(rng, kind.budget_caps())))
            elif name == "pace":
                constraints.append(Pace(pick(rng, kind.pace_caps())))
            elif name == "earliest_start":
                constraints.append(EarliestStart(pick(rng, kind.earliest_start_options())))
            elif name in ("must_avoid", "required_tag"):
                usable = [
                    (c, forbidden) for c, forbidden in _item_rules(kind, subject)[name]
                    if c not in constraints and forbidden and len(catalogue) - len(ruled_out | forbidden) >= needed
                ]
                if usable:
                    chosen, forbidden = pick(rng, usable)
                    constraints.append(chosen)
                    ruled_out |= forbidden
            elif name == "must_include" and len(required) < room:
                index = pick(rng, [i for i in range(len(catalogue)) if i not in ruled_out and i not in required])
                required.append(index)
                constraints.append(MustInclude(catalogue[index].name))
            elif name == "order" and len(required) + 2 <= room:
                pairs = [p for p in _sequence_indices(subject)
                         if not ruled_out.intersection(p) and not set(required).intersection(p)]
                if pairs:
                    first, then = pick(rng, pairs)
                    required.extend((first, then))
                    constraints.append(Order(catalogue[first].name, catalogue[then].name))
    return constraints
