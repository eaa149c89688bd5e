"""Seeded synthetic tasks whose dynamics are explicit probabilities.

A synthetic task is a request with `n_slots` requirements ("slots": output
format, ordering, budget, pace...). Some are stated in the query, the others
(`n_hidden`) the user keeps to themselves. Every slot of a task offers `k`
single-word options (so the chance of guessing a hidden slot right is `1/k`),
option words are unique within a task, and a solution meets a slot when it
mentions the right option and no other. R_task is the share of slots met.

`task_uncertainty` is the probability that executing right now fails:
``1 - (1/k) ** n_unknown``. Because everything is a closed-form probability, the
solver in `proact_env.solver` computes the exact value of any policy.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import cached_property
from itertools import combinations, permutations
from typing import Any, NamedTuple

from proact_env.rng import pick, pick_count, pick_index, truncated_cdfs
from proact_env.text import spaced_words
from proact_env.types import HiddenFact, Task, TaskScore


class Slot(NamedTuple):
    """One requirement of a task. `label` and every option are single words."""

    name: str
    label: str
    options: tuple[str, ...]
    truth: str
    hidden: bool


# name -> (label, candidate options). Option words are unique across all slots of
# a flavour, so a message that mentions an option names exactly one slot.
CODING_SLOTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "output_format": ("format", ("csv", "json", "xml", "yaml")),
    "sort_order": ("ordering", ("ascending", "descending", "unsorted", "insertion")),
    "empty_input": ("fallback", ("null", "exception", "zero", "skip")),
    "case_handling": ("casing", ("lowercase", "uppercase", "preserved", "titlecase")),
    "number_type": ("precision", ("integer", "float", "decimal", "fraction")),
    "duplicates": ("duplicates", ("keep", "drop", "merge", "tally")),
    "timezone": ("timezone", ("utc", "localtime", "naive", "offset")),
    "encoding": ("encoding", ("utf8", "ascii", "latin1", "utf16")),
}

PLANNING_SLOTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "budget": ("budget", ("shoestring", "moderate", "comfortable", "luxury")),
    "pace": ("pace", ("relaxed", "balanced", "packed", "flexible")),
    "lodging": ("lodging", ("hostel", "hotel", "apartment", "camping")),
    "transport": ("transport", ("train", "car", "bus", "flight")),
    "diet": ("diet", ("vegetarian", "vegan", "halal", "omnivore")),
    "timing": ("timing", ("weekend", "weekday", "mornings", "evenings")),
    "group": ("group", ("solo", "couple", "family", "friends")),
    "access": ("access", ("stepfree", "ramps", "elevators", "unrestricted")),
}

#: name -> how else people ask about a slot: synonyms and multi-word paraphrases of its label
#: (`HiddenFact.keywords`, read by `proact_env.simulator.hearing`). Within a flavour no two slots
#: share a word, after stemming, with each other's labels, options or synonyms
#: (tests/test_hearing.py checks it), so a question about one slot never reveals another.
SLOT_SYNONYMS: dict[str, tuple[str, ...]] = {
    "output_format": ("output format", "file format", "file type", "serialise", "serialize", "serialisation",
                      "serialization"),
    "sort_order": ("order", "sort", "sorted", "sorting", "arrange", "arranged", "sequence"),
    "empty_input": ("empty", "missing", "blank", "no input", "no data", "no records"),
    "case_handling": ("letter case", "upper case", "lower case", "case sensitive", "case insensitive",
                      "capitalisation", "capitalization", "capitalise", "capitalize", "capital letters"),
    "number_type": ("numeric", "number type", "numeric type", "decimal places", "rounding", "rounded", "digits"),
    "duplicates": ("duplicate", "duplicated", "dedupe", "deduplicate", "deduplication", "unique", "uniqueness",
                   "repeated entries"),
    "timezone": ("time zone", "zone", "tz", "clock time"),
    "encoding": ("encode", "encoded", "charset", "character set", "unicode", "text encoding"),
    "budget": ("spend", "spending", "cost", "costs", "price", "prices", "money", "afford", "expensive", "cheap",
               "pricey"),
    "pace": ("busy", "intense", "tempo", "rhythm", "tiring", "hectic", "leisurely"),
    "lodging": ("accommodation", "accommodations", "lodge", "sleep", "place to stay", "where to stay",
                "stay overnight"),
    "transport": ("transportation", "travel by", "get around", "getting around", "get there", "getting there",
                  "commute", "vehicle"),
    "diet": ("dietary", "food", "eat", "eating", "meal", "meals", "cuisine"),
    "timing": ("what time", "time of", "day of the week", "days of the week", "schedule", "scheduling"),
    "group": ("people", "travelling with", "traveling with", "coming with", "companions", "party size", "alone",
              "together", "guests"),
    "access": ("accessibility", "accessible", "wheelchair", "mobility", "stairs", "disability", "disabilities"),
}


def slot_fact(slot: Slot) -> HiddenFact:
    """What the user knows about a hidden slot: the answer names the right option, which is its evidence."""
    words = (slot.label, slot.name.replace("_", " "), *slot.options, *SLOT_SYNONYMS.get(slot.name, ()))
    return HiddenFact(slot.name, f"The {slot.label} should be {slot.truth}.", words, (slot.truth,))


CODING_REQUESTS = (
    "Write a function that parses server log lines and reports error counts per service.",
    "Write a function that merges two customer lists into one report.",
    "Write a script that converts exported bank transactions into a summary.",
    "Write a function that normalises user-entered product names.",
    "Write a function that aggregates sensor readings by hour.",
    "Write a helper that deduplicates a mailing list.",
    "Write a function that computes word frequencies for a document.",
    "Write a function that reads a config file and validates the settings.",
    "Write a function that summarises test results from a CI run.",
    "Write a function that builds a leaderboard from game scores.",
    "Write a function that splits an invoice total across line items.",
    "Write a function that extracts dates from support tickets.",
)

PLANNING_REQUESTS = (
    "Plan a three-day trip to Lisbon.",
    "Plan a team offsite for twelve people.",
    "Make a study plan for my statistics exam.",
    "Plan a week of meals for our household.",
    "Plan a birthday celebration for my partner.",
    "Organise a two-day conference visit in Berlin.",
    "Plan a hiking trip in the Alps.",
    "Plan a visit to Rome.",
    "Plan a city break in Kyoto.",
    "Plan a wedding anniversary dinner and evening.",
)

FLAVOURS = ("coding", "planning")

_VOCABULARIES = {
    "coding": [(name, label, pool) for name, (label, pool) in CODING_SLOTS.items()],
    "planning": [(name, label, pool) for name, (label, pool) in PLANNING_SLOTS.items()],
}
_REQUESTS = {"coding": CODING_REQUESTS, "planning": PLANNING_REQUESTS}
_MAX_SLOTS = len(CODING_SLOTS)
assert len(PLANNING_SLOTS) == _MAX_SLOTS
_ORDERED_SLOT_PICKS = list(permutations(range(_MAX_SLOTS), 5))
_PERMUTATIONS = {n: list(permutations(range(n))) for n in range(1, 6)}
_OPTION_SUBSETS = {k: list(combinations(range(4), k)) for k in (2, 3, 4)}

#: (flavour, slot index, k, option subset, truth, hidden) -> the slot, its hidden fact, its sentence in
#: the query. A few hundred distinct slots exist; building each once keeps `sample` (run on every
#: reset) to table look-ups.
_SLOTS: dict[tuple[str, int, int, int, int, bool], tuple[Slot, HiddenFact | None, str]] = {}


def _slot_parts(flavour: str, index: int, k: int, subset: int, truth: int, hidden: bool
                ) -> tuple[Slot, HiddenFact | None, str]:
    key = (flavour, index, k, subset, truth, hidden)
    parts = _SLOTS.get(key)
    if parts is None:
        name, label, pool = _VOCABULARIES[flavour][index]
        options = tuple(pool[j] for j in _OPTION_SUBSETS[k][subset])
        slot = Slot(name, label, options, options[truth], hidden)
        if hidden:
            parts = (slot, slot_fact(slot), "")
        else:
            parts = (slot, None, f" Use {slot.truth} for the {label}.")
        _SLOTS[key] = parts
    return parts


@dataclass(frozen=True, slots=True)
class SyntheticSpec:
    """The checkable part of a synthetic task (the task's `payload`)."""

    slots: tuple[Slot, ...]
    n_options: int

    @property
    def guess_rate(self) -> float:
        """Chance that a guess for one unknown slot is right."""
        return 1.0 / self.n_options

    @property
    def hidden_slots(self) -> tuple[Slot, ...]:
        return tuple(s for s in self.slots if s.hidden)

    def score(self, message: str) -> TaskScore:
        if not self.slots:  # nothing was left unsaid: any solution does
            return TaskScore(score=1.0, passed=0, total=0, details={"slots_met": {}, "missed_facts": []})
        spaced = spaced_words(message)
        met: dict[str, bool] = {}
        missed = []
        for slot in self.slots:  # one pass: scoring runs on every Execute step
            # met: the message names the right option and no other; options are single words, so
            # each is one substring test on the spaced words (`words_of` would build a set of them all)
            hit = f" {slot.truth} " in spaced
            if hit:
                for option in slot.options:
                    if option != slot.truth and f" {option} " in spaced:
                        hit = False
                        break
            met[slot.name] = hit
            if slot.hidden and not hit:
                missed.append(slot.name)
        passed = sum(met.values())
        total = len(self.slots)
        return TaskScore(passed / total, passed, total, {"slots_met": met, "missed_facts": missed})

    def uncertainty(self, revealed: frozenset[str]) -> float:
        unknown = 0
        for s in self.slots:  # a loop, not a list: the env asks after every reveal
            unknown += s.hidden and s.name not in revealed
        return 1.0 - (1.0 / self.n_options) ** unknown  # `guess_rate`, inline


@dataclass(frozen=True)
class SyntheticTaskSource:
    """Generates synthetic tasks from a seeded RNG.

    Arguments:
        domain: ``"coding"``, ``"planning"`` or ``"mixed"`` (each task picks one
            flavour with equal chance).
        min_slots, max_slots: range of requirements per task.
        options: choices for `k`, the options per slot (guess rate `1/k`).
        hidden_weights: relative frequency of 0, 1, 2... hidden slots (clipped
            to the task's slot count).
    """

    domain: str = "mixed"
    min_slots: int = 2
    max_slots: int = 4
    options: tuple[int, ...] = (2, 3, 4)
    hidden_weights: tuple[float, ...] = (0.1, 0.25, 0.3, 0.2, 0.15)

    def __post_init__(self) -> None:
        if self.domain not in FLAVOURS + ("mixed",):
            raise ValueError(f"domain must be one of {FLAVOURS + ('mixed',)}, got {self.domain!r}")
        if not 1 <= self.min_slots <= self.max_slots <= 5:
            raise ValueError(f"need 1 <= min_slots <= max_slots <= 5, got {self.min_slots}, {self.max_slots}")
        if not self.options or any(k < 2 or k > 4 for k in self.options):
            raise ValueError(f"options per slot must be between 2 and 4, got {self.options}")
        if not self.hidden_weights or any(w < 0 for w in self.hidden_weights) or sum(self.hidden_weights) <= 0:
            raise ValueError(f"hidden_weights must be non-negative with a positive sum, got {self.hidden_weights}")
        self._hidden_cdf  # every slot count must give some hidden count a chance (raises otherwise)

    def sample(self, rng: random.Random) -> Task:
        flavour = self.domain if self.domain != "mixed" else pick(rng, FLAVOURS)
        n_slots = self.min_slots + pick_index(rng, self.max_slots - self.min_slots + 1)
        n_hidden = pick_count(rng, self._hidden_cdf[n_slots])
        k = pick(rng, self.options)
        # Uniform draws of ordered subsets through precomputed tables: task
        # sampling runs on every reset and `random.sample` is slow.
        chosen = pick(rng, _ORDERED_SLOT_PICKS)[:n_slots]
        order = _PERMUTATIONS[n_slots]
        hidden_idx = pick(rng, order)[:n_hidden]
        n_subsets = len(_OPTION_SUBSETS[k])
        # Per slot: which option subset, then which option is the truth (the same two draws, in
        # the same order, as `pick` from the subsets and then from the subset's options), looked
        # up in `_SLOTS`: task sampling runs on every reset.
        draw = rng.random
        slots, facts, stated = zip(*[
            _slot_parts(flavour, index, k, int(draw() * n_subsets), int(draw() * k), i in hidden_idx)
            for i, index in enumerate(chosen)
        ])
        query = pick(rng, _REQUESTS[flavour]) + "".join(stated)
        return Task(
            id=f"synthetic-{flavour}-{rng.getrandbits(32):08x}",
            domain=flavour,
            query=query,
            hidden=tuple(filter(None, facts)),
            payload=SyntheticSpec(slots=slots, n_options=k),
            source="synthetic",
        )

    @cached_property
    def _hidden_cdf(self) -> dict[int, list[float]]:
        """Per slot count, the distribution of the number of hidden slots."""
        return truncated_cdfs(self.hidden_weights, range(self.min_slots, self.max_slots + 1))

    def describe(self) -> dict[str, Any]:
        return {
            "source": "synthetic",
            "domain": self.domain,
            "min_slots": self.min_slots,
            "max_slots": self.max_slots,
            "options": list(self.options),
            "hidden_weights": list(self.hidden_weights),
        }

