"""Constraint kinds of planning tasks: the checker's rule, the user's sentence, the question keywords.

Each kind is a frozen dataclass whose `is_met(plan)` is the documented rule:

| kind | fields | met when |
|---|---|---|
| `duration` | `days` | the plan lists exactly `days` days |
| `start_date` | `date` | the plan's `start_date` is `date` |
| `budget` | `max_per_day` | every day's item costs add up to at most `max_per_day` |
| `pace` | `max_hours_per_day` | every day's item hours add up to at most `max_hours_per_day` |
| `earliest_start` | `time` | no item starts before `time` |
| `must_include` | `item` | some item's name contains every word of `item` |
| `must_avoid` | `what`, `words` | no item's name or tags contain any of `words` (each a word or phrase) |
| `required_tag` | `tag` | every item carries `tag` |
| `order` | `first`, `then` | both are in the plan and the first `first` starts before the first `then` |

Words are compared as `matching` defines (case, accents and punctuation
ignored). The checker takes the plan at its word: a cost, a time or a tag is
what the plan says it is.

Every constraint also says how the user words it (`sentence`: in the query
when the constraint is stated, as the answer when a hidden one is revealed)
and which words in a question show the question is about it (`keywords`, read
by the rule-based simulated user).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import Any, ClassVar, Mapping, Protocol

from proact_env.domains.planning.matching import mentions, normalise_tag, slug, tokens
from proact_env.domains.planning.plan import Plan, PlanItem, format_time
from proact_env.errors import SchemaError
from proact_env.simulator.hearing import stem, words

_TOLERANCE = 1e-9


class ItemLike(Protocol):
    """A plan item or a catalogue item: what the item rules look at."""

    @property
    def words(self) -> frozenset[str]: ...

    @property
    def tags(self) -> frozenset[str]: ...


#: The vocabulary of each kind: words and phrases that show a question is about a constraint of that
#: kind (`HiddenFact.keywords`, read by `proact_env.simulator.hearing`). Stop words ("when", "where",
#: "must", "before") are never listed alone: they occur in questions about anything.
KEYWORDS: dict[str, tuple[str, ...]] = {
    "duration": ("duration", "length", "how long", "how many days", "many days", "number of days", "many nights",
                 "number of nights", "weeks", "days long"),
    "start_date": ("date", "dates", "start date", "starting date", "which day", "what day", "arrive", "arrival",
                   "calendar", "weekend"),
    "budget": ("budget", "spend", "spending", "cost", "costs", "price", "prices", "money", "afford", "expensive",
               "cheap", "pricey", "euros"),
    "pace": ("hours", "pace", "busy", "intense", "packed", "tiring", "relaxed", "hectic", "leisurely",
             "full days"),
    "earliest_start": ("early", "earliest", "morning", "mornings", "wake", "begin", "start time", "starting time",
                       "what time"),
    "must_include": ("include", "essential", "essentials", "highlights", "must see", "must have", "bucket list",
                     "favourite", "favorite"),
    "must_avoid": ("avoid", "dislike", "dislikes", "allergy", "allergies", "allergic", "exclude", "hate",
                   "rather not", "don't like"),
    "required_tag": ("accessibility", "accessible", "wheelchair", "mobility", "dietary", "diet", "restrictions",
                     "special needs", "access needs", "place", "location", "venue"),
    "order": ("order", "ordering", "sequence", "come before", "come after", "go before", "go after",
              "come first", "particular order"),
}
_RESERVED = frozenset(stem(w) for phrases in KEYWORDS.values() for phrase in phrases for w in words(phrase))
_COMMON = frozenset(
    "with from into trip tour walk class session evening afternoon night visit ride review practice basics "
    "free and the your some what time".split()
)


def distinctive_words(phrase: str) -> tuple[str, ...]:
    """Keywords that name one thing: the phrase itself and its longer words.

    Words that are another kind's keyword or too common ("day", "tour") are
    left out, so a question about the budget per day is never taken for a
    question about the Sintra Day Trip.
    """
    found = tuple(w for w in tokens(phrase) if len(w) >= 4 and stem(w) not in _RESERVED and w not in _COMMON)
    return (phrase.lower(), *found)


@dataclass(frozen=True, kw_only=True)
class Constraint:
    """What every constraint kind shares: whether the user kept it to themselves, and its wording.

    Attributes:
        hidden: the user did not say it (it becomes a `HiddenFact`). Default False.
        answer: the user's own wording, when a task file gives one; None uses
            the kind's standard sentence. Default None.
    """

    kind: ClassVar[str]
    hidden: bool = False
    answer: str | None = None

    @property
    def key(self) -> str:
        """The fact key, unique within a task (`HiddenFact.key`, `details["missed_facts"]`)."""
        return self.kind

    def is_met(self, plan: Plan) -> bool:
        raise NotImplementedError

    def standard_sentence(self, hours_noun: str) -> str:
        raise NotImplementedError

    def sentence(self, hours_noun: str) -> str:
        """How the user says it; `hours_noun` names what the hours are spent on ("sightseeing")."""
        return self.answer if self.answer is not None else self.standard_sentence(hours_noun)

    def keywords(self) -> tuple[str, ...]:
        return KEYWORDS[self.kind]

    def standard_evidence(self) -> tuple[str, ...]:
        """What a statement of this constraint cannot leave out (a number, a date, an item)."""
        raise NotImplementedError

    def evidence(self) -> tuple[str, ...]:
        """`HiddenFact.evidence`: the kind's specifics, or none when a task file words the answer itself."""
        return self.standard_evidence() if self.answer is None else ()

    @classmethod
    def read_fields(cls, reader: "RecordReader") -> dict[str, Any]:
        """The kind-specific fields of a states-file record, validated."""
        raise NotImplementedError

    def fields(self) -> dict[str, Any]:
        """The kind-specific fields as a states file writes them."""
        return {f.name: getattr(self, f.name) for f in specific_fields(type(self))}

    def to_record(self) -> dict[str, Any]:
        record = {"kind": self.kind, **self.fields(), "hidden": self.hidden}
        if self.answer is not None:
            record["answer"] = self.answer
        return record


def specific_fields(cls: type[Constraint]) -> tuple[dataclasses.Field, ...]:
    return tuple(f for f in dataclasses.fields(cls) if f.name not in ("hidden", "answer"))


def every_day_within(plan: Plan, attribute: str, cap: float) -> bool:
    """True when, on every day, the items' `attribute` (cost, hours) adds up to at most `cap`."""
    return all(sum(getattr(item, attribute) for item in day) <= cap + _TOLERANCE for day in plan.days)


def first_match(plan: Plan, name_words: tuple[str, ...]) -> PlanItem | None:
    """The chronologically first item whose name contains every word of a name (`tokens(name)`)."""
    return next((item for item in plan.items if mentions(item.name_words, name_words)), None)


@dataclass(frozen=True)
class Duration(Constraint):
    kind: ClassVar[str] = "duration"
    days: int

    def is_met(self, plan: Plan) -> bool:
        return len(plan.days) == self.days

    def standard_sentence(self, hours_noun: str) -> str:
        return f"The plan should cover {self.days} day{'s' if self.days != 1 else ''}."

    def standard_evidence(self) -> tuple[str, ...]:
        return (str(self.days),)

    @classmethod
    def read_fields(cls, reader: "RecordReader") -> dict[str, Any]:
        return {"days": reader.positive_int("days")}


@dataclass(frozen=True)
class StartDate(Constraint):
    kind: ClassVar[str] = "start_date"
    date: date

    def is_met(self, plan: Plan) -> bool:
        return plan.start_date == self.date

    def standard_sentence(self, hours_noun: str) -> str:
        return f"It should start on {self.date:%A} {self.date.day} {self.date:%B %Y}."

    def standard_evidence(self) -> tuple[str, ...]:
        return (str(self.date.day), f"{self.date:%B}")

    @classmethod
    def read_fields(cls, reader: "RecordReader") -> dict[str, Any]:
        return {"date": reader.iso_date("date")}

    def fields(self) -> dict[str, Any]:
        return {"date": self.date.isoformat()}


@dataclass(frozen=True)
class Budget(Constraint):
    kind: ClassVar[str] = "budget"
    max_per_day: float

    def is_met(self, plan: Plan) -> bool:
        return every_day_within(plan, "cost", self.max_per_day)

    def standard_sentence(self, hours_noun: str) -> str:
        return f"Keep it under €{self.max_per_day:g} a day per person."

    def standard_evidence(self) -> tuple[str, ...]:
        return (f"{self.max_per_day:g}",)

    @classmethod
    def read_fields(cls, reader: "RecordReader") -> dict[str, Any]:
        return {"max_per_day": reader.positive_number("max_per_day")}


@dataclass(frozen=True)
class Pace(Constraint):
    kind: ClassVar[str] = "pace"
    max_hours_per_day: float

    def is_met(self, plan: Plan) -> bool:
        return every_day_within(plan, "hours", self.max_hours_per_day)

    def standard_sentence(self, hours_noun: str) -> str:
        return f"No more than {self.max_hours_per_day:g} hours of {hours_noun} a day."

    def standard_evidence(self) -> tuple[str, ...]:
        return (f"{self.max_hours_per_day:g}",)

    @classmethod
    def read_fields(cls, reader: "RecordReader") -> dict[str, Any]:
        return {"max_hours_per_day": reader.positive_number("max_hours_per_day")}


@dataclass(frozen=True)
class EarliestStart(Constraint):
    kind: ClassVar[str] = "earliest_start"
    time: int  # minutes after midnight

    def is_met(self, plan: Plan) -> bool:
        return all(item.start >= self.time for item in plan.items)

    def standard_sentence(self, hours_noun: str) -> str:
        return f"Nothing should start before {format_time(self.time)}."

    def standard_evidence(self) -> tuple[str, ...]:
        return (format_time(self.time),)

    @classmethod
    def read_fields(cls, reader: "RecordReader") -> dict[str, Any]:
        return {"time": reader.clock_time("time")}

    def fields(self) -> dict[str, Any]:
        return {"time": format_time(self.time)}


@dataclass(frozen=True)
class MustInclude(Constraint):
    kind: ClassVar[str] = "must_include"
    item: str

    @property
    def key(self) -> str:
        return f"must_include:{slug(self.item)}"

    @cached_property
    def item_words(self) -> tuple[str, ...]:
        return tokens(self.item)

    def is_met(self, plan: Plan) -> bool:
        return first_match(plan, self.item_words) is not None

    def standard_sentence(self, hours_noun: str) -> str:
        return f"The plan must include {self.item}."

    def standard_evidence(self) -> tuple[str, ...]:
        return (self.item,)

    def keywords(self) -> tuple[str, ...]:
        return KEYWORDS[self.kind] + distinctive_words(self.item)

    @classmethod
    def read_fields(cls, reader: "RecordReader") -> dict[str, Any]:
        return {"item": reader.text("item")}


@dataclass(frozen=True)
class MustAvoid(Constraint):
    kind: ClassVar[str] = "must_avoid"
    what: str
    words: tuple[str, ...]

    @property
    def key(self) -> str:
        return f"must_avoid:{slug(self.what)}"

    def is_met(self, plan: Plan) -> bool:
        return not any(self.violated_by(item) for item in plan.items)

    @cached_property
    def phrase_words(self) -> tuple[tuple[str, ...], ...]:
        return tuple(tokens(phrase) for phrase in self.words)

    def violated_by(self, item: ItemLike) -> bool:
        return any(mentions(item.words, phrase) for phrase in self.phrase_words)

    def standard_sentence(self, hours_noun: str) -> str:
        return f"Please avoid {self.what}."

    def standard_evidence(self) -> tuple[str, ...]:
        return (self.what,)

    def keywords(self) -> tuple[str, ...]:
        return KEYWORDS[self.kind] + tuple(w.lower() for w in self.words)

    @classmethod
    def read_fields(cls, reader: "RecordReader") -> dict[str, Any]:
        what = reader.text("what")
        return {"what": what, "words": reader.phrases("words", default=(what,))}

    def fields(self) -> dict[str, Any]:
        return {"what": self.what, "words": list(self.words)}


@dataclass(frozen=True)
class RequiredTag(Constraint):
    kind: ClassVar[str] = "required_tag"
    tag: str

    @property
    def key(self) -> str:
        return f"required_tag:{slug(self.tag)}"

    def is_met(self, plan: Plan) -> bool:
        return not any(self.violated_by(item) for item in plan.items)

    @cached_property
    def normalised_tag(self) -> str:
        return normalise_tag(self.tag)

    def violated_by(self, item: ItemLike) -> bool:
        return self.normalised_tag not in item.tags

    def standard_sentence(self, hours_noun: str) -> str:
        return f"Everything must be {self.tag}."

    def standard_evidence(self) -> tuple[str, ...]:
        return (self.tag,)

    def keywords(self) -> tuple[str, ...]:
        return KEYWORDS[self.kind] + distinctive_words(self.tag)[1:]

    @classmethod
    def read_fields(cls, reader: "RecordReader") -> dict[str, Any]:
        return {"tag": reader.text("tag")}


@dataclass(frozen=True)
class Order(Constraint):
    kind: ClassVar[str] = "order"
    first: str
    then: str

    @property
    def key(self) -> str:
        return f"order:{slug(self.first)}:{slug(self.then)}"

    @cached_property
    def first_words(self) -> tuple[str, ...]:
        return tokens(self.first)

    @cached_property
    def then_words(self) -> tuple[str, ...]:
        return tokens(self.then)

    def is_met(self, plan: Plan) -> bool:
        a, b = first_match(plan, self.first_words), first_match(plan, self.then_words)
        return a is not None and b is not None and (a.day, a.start) < (b.day, b.start)

    def standard_sentence(self, hours_noun: str) -> str:
        return f"{self.first} has to come before {self.then}."

    def standard_evidence(self) -> tuple[str, ...]:
        return (self.first, self.then)

    def keywords(self) -> tuple[str, ...]:
        return KEYWORDS[self.kind] + distinctive_words(self.first) + distinctive_words(self.then)

    @classmethod
    def read_fields(cls, reader: "RecordReader") -> dict[str, Any]:
        return {"first": reader.text("first"), "then": reader.text("then")}


CONSTRAINT_KINDS: dict[str, type[Constraint]] = {
    cls.kind: cls
    for cls in (Duration, StartDate, Budget, Pace, EarliestStart, MustInclude, MustAvoid, RequiredTag, Order)
}


def constraint_from_record(record: Any, where: str, prefix: str) -> Constraint:
    """Validate one constraint object of a states file; errors name `prefix.field` at `where`."""
    if not isinstance(record, Mapping):
        raise SchemaError(where, prefix, f"expected a constraint object, got {type(record).__name__}")
    kind = record.get("kind")
    cls = CONSTRAINT_KINDS.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise SchemaError(where, f"{prefix}.kind", f"expected one of {', '.join(CONSTRAINT_KINDS)}, got {kind!r}")
    allowed = {"kind", "hidden", "answer", *(f.name for f in specific_fields(cls))}
    unknown = sorted(set(record) - allowed)
    if unknown:
        raise SchemaError(where, f"{prefix}.{unknown[0]}",
                          f"unknown field for a {kind} constraint (its fields: {', '.join(sorted(allowed))})")
    reader = RecordReader(record, where, prefix)
    answer = reader.text("answer") if record.get("answer") is not None else None
    return cls(**cls.read_fields(reader), hidden=reader.boolean("hidden", default=False), answer=answer)


class RecordReader:
    """Typed access to a record's fields; a bad value is a `SchemaError` naming `prefix.field`."""

    def __init__(self, record: Mapping[str, Any], where: str, prefix: str) -> None:
        self.record, self.where, self.prefix = record, where, prefix

    def fail(self, name: str, problem: str) -> SchemaError:
        return SchemaError(self.where, f"{self.prefix}.{name}" if self.prefix else name, problem)

    def get(self, name: str) -> Any:
        if name not in self.record:
            raise self.fail(name, "missing required field")
        return self.record[name]

    def text(self, name: str) -> str:
        value = self.get(name)
        if not isinstance(value, str) or not tokens(value):
            raise self.fail(name, f"expected a non-empty string, got {value!r}")
        return value.strip()

    def boolean(self, name: str, default: bool) -> bool:
        value = self.record.get(name, default)
        if not isinstance(value, bool):
            raise self.fail(name, f"expected true or false, got {value!r}")
        return value

    def positive_number(self, name: str) -> float:
        value = self.get(name)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0 or value == float("inf"):
            raise self.fail(name, f"expected a number > 0, got {value!r}")
        return float(value)

    def positive_int(self, name: str) -> int:
        value = self.get(name)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise self.fail(name, f"expected an integer >= 1, got {value!r}")
        return value

    def iso_date(self, name: str) -> date:
        value = self.get(name)
        if isinstance(value, str) and len(value) == 10:
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        raise self.fail(name, f'expected a date "YYYY-MM-DD", got {value!r}')

    def clock_time(self, name: str) -> int:
        value = self.get(name)
        parts = value.split(":") if isinstance(value, str) else []
        if len(parts) == 2 and all(p.isdigit() for p in parts) and len(parts[1]) == 2:
            hours, minutes = int(parts[0]), int(parts[1])
            if hours < 24 and minutes < 60:
                return hours * 60 + minutes
        raise self.fail(name, f'expected a 24-hour time "HH:MM", got {value!r}')

    def phrases(self, name: str, default: tuple[str, ...]) -> tuple[str, ...]:
        value = self.record.get(name)
        if value is None:
            return default
        if not isinstance(value, list) or not value or not all(isinstance(w, str) and tokens(w) for w in value):
            raise self.fail(name, f"expected a non-empty list of words or phrases, got {value!r}")
        return tuple(w.strip() for w in value)
