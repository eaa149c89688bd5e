"""The reference assistant: how a sensible planner drafts a plan from what it knows, and its exact odds.

The scripted backbone writes its plans with `ReferenceAssistant.draft`, and a
planning task's `task_uncertainty` is `1 - success_probability(known)`: the
probability that a draft written *now* misses at least one constraint. Both
live in this module so that the odds are those of the drafts, exactly.

How a draft is made. The assistant knows the catalogue of its subject and the
constraints the user stated or revealed; it honours every one of them and
guesses the rest:

- plan length: the known duration, else uniform over the kind's options;
- start date: the known date, else uniform over the candidate dates;
- spending level: the dearest level whose dearest day fits a known budget,
  else uniform over the three levels (prices x1, x2, x4);
- session length: the longest that fits a known pace, else uniform over three;
- day start: the first start time at or after a known earliest start, else uniform;
- items: every item a known `must_include` or `order` requires, the rest drawn
  uniformly without replacement from the items no known `must_avoid` or
  `required_tag` rules out; then a uniformly random order, with the two items
  of each known `order` swapped when they came out the wrong way round.

Why the odds are exact. Each guessed dimension meets its constraint or not
whatever the others do (budgets sit between spending levels, see
`TaskKind.budget_caps`), so its chance is a share of its options. Items meet
the unknown item constraints when the uniform draw of `k'` items from a pool
of `P` contains the `m` items unknown constraints require and none of the `a`
items they rule out: `C(P-m-a, k'-m) / C(P, k')`. An unknown order holds with
probability 1/2 whatever was drawn, and order pairs share no item, so they are
independent. Summing over the plan lengths gives the success probability.
A budget cap that falls inside a spending level's price range (possible in
hand-written tasks) counts that level as failing: the odds are then a lower bound.
"""

from __future__ import annotations

import random
from datetime import date
from functools import lru_cache
from math import comb
from typing import Any, Sequence

from proact_env.domains.planning.catalogues import CatalogueItem
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
from proact_env.domains.planning.kinds import TIER_MULTIPLIERS, TaskKind
from proact_env.domains.planning.matching import mentions, tokens
from proact_env.domains.planning.plan import format_time
from proact_env.rng import pick, pick_index

#: Constraint kinds a task may hold at most once (each fixes one dimension of the plan).
SINGLE_KINDS = (Duration, StartDate, Budget, Pace, EarliestStart)


def forbidden_items(catalogue: tuple[CatalogueItem, ...], constraint: Constraint) -> frozenset[int]:
    """Indices of the catalogue items a `must_avoid` or `required_tag` rules out (empty for other kinds)."""
    if isinstance(constraint, MustAvoid):
        return _items_mentioning(catalogue, constraint.phrase_words)
    if isinstance(constraint, RequiredTag):
        return _items_without(catalogue, constraint.normalised_tag)
    return frozenset()


@lru_cache(maxsize=1024)
def _items_mentioning(catalogue: tuple[CatalogueItem, ...], phrases: tuple[tuple[str, ...], ...]) -> frozenset[int]:
    """Cached per catalogue and rule: every generated task of a subject asks again."""
    return frozenset(i for i, item in enumerate(catalogue) if any(mentions(item.words, p) for p in phrases))


@lru_cache(maxsize=1024)
def _items_without(catalogue: tuple[CatalogueItem, ...], tag: str) -> frozenset[int]:
    return frozenset(i for i, item in enumerate(catalogue) if tag not in item.tags)


def named_fields(constraint: Constraint) -> tuple[str, ...]:
    """The fields of a constraint that name a catalogue item (a plan must contain each)."""
    if isinstance(constraint, MustInclude):
        return ("item",)
    if isinstance(constraint, Order):
        return ("first", "then")
    return ()


def dearest_day(catalogue: Sequence[CatalogueItem], items_per_day: int) -> tuple[float, ...]:
    """The dearest possible day at each spending level: the dearest items at that level's prices."""
    dearest = sum(sorted(item.cost for item in catalogue)[-items_per_day:])
    return tuple(dearest * m for m in TIER_MULTIPLIERS)


@lru_cache(maxsize=4096)
def matching_items(catalogue: tuple[CatalogueItem, ...], name: str) -> tuple[int, ...]:
    """Indices of the catalogue items whose name contains every word of `name` (the checker's name rule)."""
    words = tokens(name)
    return tuple(i for i, item in enumerate(catalogue) if mentions(item.name_words, words))


class ReferenceAssistant:
    """Drafts plans for one task and knows the exact chance that a draft meets every constraint.

    Built once per task (the env calls it on every Execute and every reveal),
    so everything that does not depend on what is known is computed here.
    `known` arguments are sets of constraint indices. Per constraint, `named`
    maps each item-naming field to the catalogue items it matches (exactly
    one in a valid task), `required` lists those items and `forbidden` the
    items it rules out.
    """

    def __init__(
        self, kind: TaskKind, catalogue: tuple[CatalogueItem, ...], constraints: tuple[Constraint, ...],
        date_options: tuple[date, ...],
    ) -> None:
        self.kind = kind
        self.catalogue = catalogue
        self.constraints = constraints
        self.date_options = date_options
        self.named = tuple(
            {name: matching_items(catalogue, getattr(c, name)) for name in named_fields(c)} for c in constraints
        )
        self.required = tuple(tuple(matches[0] for matches in named.values() if matches) for named in self.named)
        self.forbidden = tuple(forbidden_items(catalogue, c) for c in constraints)
        self.single = {type(c): i for i, c in enumerate(constraints) if isinstance(c, SINGLE_KINDS)}
        self.dearest_day = dearest_day(catalogue, kind.items_per_day)
        self._odds: dict[frozenset[int], float] = {}

    # -- the choices ---------------------------------------------------------------

    def _known(self, cls: type, known: frozenset[int]) -> Constraint | None:
        index = self.single.get(cls)
        return self.constraints[index] if index is not None and index in known else None

    def best_tier(self, cap: float) -> int:
        """The dearest spending level whose dearest possible day fits `cap` (0 if none does)."""
        fitting = [t for t, cost in enumerate(self.dearest_day) if cost <= cap + 1e-9]
        return fitting[-1] if fitting else 0

    def best_hours_level(self, cap: float) -> int:
        fitting = [l for l, h in enumerate(self.kind.hours_options) if self.kind.items_per_day * h <= cap + 1e-9]
        return fitting[-1] if fitting else 0

    def best_start(self, earliest: int) -> int:
        return next((s for s in self.kind.start_options if s >= earliest), self.kind.start_options[-1])

    def _item_sets(self, known: frozenset[int]) -> tuple[list[int], list[int]]:
        """(items known constraints require, in constraint order; the pool the rest is drawn from)."""
        must: list[int] = []
        ruled_out: set[int] = set()
        for i in sorted(known):
            must.extend(x for x in self.required[i] if x not in must)
            ruled_out |= self.forbidden[i]
        taken = set(must)
        pool = [x for x in range(len(self.catalogue)) if x not in ruled_out and x not in taken]
        return must, pool

    # -- drafting ------------------------------------------------------------------

    def draft(self, known: frozenset[int], rng: random.Random) -> dict[str, Any]:
        """A plan (the schema's JSON object) that honours the known constraints and guesses the rest."""
        kind = self.kind
        duration = self._known(Duration, known)
        days = duration.days if duration is not None else pick(rng, kind.duration_options)
        start_date = self._known(StartDate, known)
        first_day = start_date.date if start_date is not None else pick(rng, self.date_options)
        budget = self._known(Budget, known)
        tier = self.best_tier(budget.max_per_day) if budget is not None else pick_index(rng, len(TIER_MULTIPLIERS))
        pace = self._known(Pace, known)
        level = self.best_hours_level(pace.max_hours_per_day) if pace is not None else pick_index(rng, 3)
        earliest = self._known(EarliestStart, known)
        day_start = self.best_start(earliest.time) if earliest is not None else pick(rng, kind.start_options)

        must, pool = self._item_sets(known)
        slots = kind.items_per_day * days
        chosen = must + rng.sample(pool, slots - len(must))
        rng.shuffle(chosen)
        for i in sorted(known):
            if isinstance(self.constraints[i], Order):
                a, b = (chosen.index(x) for x in self.required[i])
                if a > b:
                    chosen[a], chosen[b] = chosen[b], chosen[a]

        hours = kind.hours_options[level]
        multiplier = TIER_MULTIPLIERS[tier]
        plan_days = []
        for d in range(days):
            items = []
            for j, index in enumerate(chosen[d * kind.items_per_day:(d + 1) * kind.items_per_day]):
                item = self.catalogue[index]
                items.append({
                    "name": item.name,
                    "start": format_time(day_start + j * kind.spacing),
                    "hours": hours,
                    "cost": round(item.cost * multiplier, 2),
                    "tags": list(item.tag_labels),
                })
            plan_days.append({"items": items})
        return {"start_date": first_day.isoformat(), "days": plan_days}

    # -- the odds ------------------------------------------------------------------

    def success_probability(self, known: frozenset[int]) -> float:
        """The exact chance that `draft(known, rng)` meets every constraint (see the module docstring)."""
        cached = self._odds.get(known)
        if cached is None:
            cached = self._odds[known] = self._dimension_odds(known) * self._item_odds(known)
        return cached

    def _dimension_odds(self, known: frozenset[int]) -> float:
        kind = self.kind
        p = 1.0
        for cls, index in self.single.items():
            if cls is Duration:
                continue  # the plan length changes how many items are drawn: see _item_odds
            c = self.constraints[index]
            if isinstance(c, StartDate):
                p *= 1.0 if index in known else self.date_options.count(c.date) / len(self.date_options)
            elif isinstance(c, Budget):
                levels = [self.best_tier(c.max_per_day)] if index in known else range(len(TIER_MULTIPLIERS))
                p *= sum(self.dearest_day[t] <= c.max_per_day + 1e-9 for t in levels) / len(levels)
            elif isinstance(c, Pace):
                levels = [self.best_hours_level(c.max_hours_per_day)] if index in known else range(3)
                p *= sum(kind.items_per_day * kind.hours_options[l] <= c.max_hours_per_day + 1e-9
                         for l in levels) / len(levels)
            elif isinstance(c, EarliestStart):
                starts = [self.best_start(c.time)] if index in known else kind.start_options
                p *= sum(s >= c.time for s in starts) / len(starts)
        unknown_orders = sum(1 for i, c in enumerate(self.constraints) if isinstance(c, Order) and i not in known)
        return p * 0.5 ** unknown_orders

    def _item_odds(self, known: frozenset[int]) -> float:
        must, pool = self._item_sets(known)
        pool_set = set(pool)
        needed: set[int] = set()
        ruled_out: set[int] = set()
        for i, c in enumerate(self.constraints):
            if i not in known:
                needed.update(x for x in self.required[i] if x not in must)
                ruled_out |= self.forbidden[i] & pool_set
        m, a, size = len(needed), len(ruled_out), len(pool)
        duration_index = self.single.get(Duration)
        if duration_index is not None and duration_index in known:
            lengths = {self.constraints[duration_index].days: 1.0}
        else:
            share = 1.0 / len(self.kind.duration_options)
            target = self.constraints[duration_index].days if duration_index is not None else None
            lengths = {n: share for n in self.kind.duration_options if target is None or n == target}
        total = 0.0
        for days, weight in lengths.items():
            draws = self.kind.items_per_day * days - len(must)
            if draws >= m:
                total += weight * comb(size - m - a, draws - m) / comb(size, draws)
        return total
