"""Task kinds (trip, meal plan, study plan, event): how a plan of that kind is laid out and what users ask for.

A kind fixes the shape a reference assistant gives its plans (items per day,
the durations, start times and session lengths it considers, the price range
of its items) and the constraints users of that kind have (which constraint
kinds occur, what they avoid, what they need). The budget and pace thresholds
a generated task uses are derived from that shape (`budget_caps`,
`pace_caps`) so that each one admits an exact share of the assistant's options.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from proact_env.domains.planning.catalogues import EVENTS, MEALS, STUDIES, TRIPS, Subject

#: Price multipliers of the spending levels a reference assistant chooses between.
TIER_MULTIPLIERS = (1, 2, 4)


@dataclass(frozen=True, slots=True)
class AvoidOption:
    """Something users of a kind avoid: how they say it and the words that give it away in a plan."""

    what: str
    words: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class NeedOption:
    """A property every item must have (a tag), and how the user says so."""

    tag: str
    sentence: str


@dataclass(frozen=True, eq=False)
class TaskKind:
    """The layout of one kind of plan and the constraints its users have.

    Kinds are singletons (`KINDS`), compared and hashed by identity.

    Attributes:
        name: ``trip``, ``meal``, ``study`` or ``event``.
        item_noun: what an item is called in questions ("sight").
        hours_noun: what the hours are spent on in the pace sentence ("sightseeing").
        items_per_day: items the reference assistant puts in each day.
        duration_options: plan lengths in days it chooses between.
        hours_options: the three session lengths it chooses between (hours per item).
        start_options: the times its days may start (minutes after midnight).
        spacing: minutes from one item's start to the next.
        cost_band: (low, high) base price of every item in euros, with
            ``high < 2 * low`` so that the spending levels never overlap; None
            when items cost nothing (no budget constraints).
        weekday: the weekday plans start on (0 Monday ... 6 Sunday); the
            candidate start dates are the first four of the month.
        constraint_kinds: the kinds a generated task may draw beyond
            `duration`, a kind listed twice may occur twice.
        avoid_options, need_options: what `must_avoid` and `required_tag` draw from.
        needs_question: how an assistant asks about `required_tag` needs.
        subjects: the things to plan (requests and catalogues).
    """

    name: str
    item_noun: str
    hours_noun: str
    items_per_day: int
    duration_options: tuple[int, ...]
    hours_options: tuple[float, float, float]
    start_options: tuple[int, ...]
    spacing: int
    cost_band: tuple[float, float] | None
    weekday: int
    constraint_kinds: tuple[str, ...]
    avoid_options: tuple[AvoidOption, ...]
    need_options: tuple[NeedOption, ...]
    needs_question: str
    subjects: tuple[Subject, ...]

    @cached_property
    def questions(self) -> dict[str, str]:
        """One question per constraint kind this kind's users have, most important first."""
        texts = {
            **_QUESTIONS,
            "must_include": f"Is there {_article(self.item_noun)} {self.item_noun} you must include?",
            "required_tag": self.needs_question,
        }
        present = {"duration", *self.constraint_kinds}
        return {kind: texts[kind] for kind in QUESTION_PRIORITY if kind in present}

    def budget_caps(self) -> tuple[float, ...]:
        """Per-day caps that admit exactly the cheapest one or two spending levels.

        Cap `t` lies midway between the dearest possible day at level `t` and
        the cheapest at level `t + 1`, so it is met whatever items are chosen
        at levels up to `t` and never above.
        """
        if self.cost_band is None:
            return ()
        low, high = self.cost_band
        n = self.items_per_day
        return tuple(
            round((n * high * TIER_MULTIPLIERS[t] + n * low * TIER_MULTIPLIERS[t + 1]) / 2)
            for t in range(len(TIER_MULTIPLIERS) - 1)
        )

    def pace_caps(self) -> tuple[float, ...]:
        """Hours-per-day caps that admit exactly the shortest one or two session lengths."""
        days = [self.items_per_day * h for h in self.hours_options]
        return tuple((a + b) / 2 for a, b in zip(days, days[1:]))

    def earliest_start_options(self) -> tuple[int, ...]:
        """Earliest-start constraints that rule out the first one or two start times."""
        return self.start_options[1:]

    def catalogue(self, key: str) -> Subject:
        for subject in self.subjects:
            if subject.key == key:
                return subject
        raise KeyError(key)


def _hm(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


#: The order in which an assistant asks about constraint kinds: what shapes a plan most first.
QUESTION_PRIORITY = ("duration", "start_date", "budget", "required_tag", "must_avoid", "must_include", "pace",
                     "earliest_start", "order")
_QUESTIONS = {
    "duration": "How many days should the plan cover?",
    "start_date": "On which date should it start?",
    "budget": "What budget per day should I stay within?",
    "pace": "How many hours a day at most?",
    "earliest_start": "How early can things begin in the morning?",
    "must_avoid": "Is there anything I should avoid?",
    "order": "Should anything come in a particular order?",
}


KINDS: dict[str, TaskKind] = {
    kind.name: kind
    for kind in (
        TaskKind(
            name="trip",
            item_noun="sight",
            hours_noun="sightseeing",
            items_per_day=2,
            duration_options=(2, 3, 4),
            hours_options=(1.5, 2.5, 3.5),
            start_options=(_hm("08:00"), _hm("09:00"), _hm("10:00")),
            spacing=240,
            cost_band=(12, 20),
            weekday=5,
            constraint_kinds=("start_date", "budget", "pace", "earliest_start", "must_include", "must_include",
                              "must_avoid", "required_tag", "order"),
            avoid_options=(
                AvoidOption("museums", ("museum", "museums", "gallery")),
                AvoidOption("crowded places", ("crowded", "crowds")),
                AvoidOption("steep hills and hikes", ("hills", "hike")),
                AvoidOption("boat trips", ("boat", "cruise")),
                AvoidOption("alcohol", ("alcohol", "wine", "sake", "whisky")),
            ),
            need_options=(NeedOption("step-free", "Everything must be step-free: my father uses a wheelchair."),),
            needs_question="Does anyone have accessibility needs?",
            subjects=TRIPS,
        ),
        TaskKind(
            name="meal",
            item_noun="dish",
            hours_noun="cooking",
            items_per_day=2,
            duration_options=(3, 4, 5),
            hours_options=(0.5, 1.0, 1.5),
            start_options=(_hm("12:00"),),
            spacing=420,
            cost_band=(4, 7),
            weekday=0,
            constraint_kinds=("start_date", "budget", "pace", "must_include", "must_include", "must_avoid",
                              "required_tag"),
            avoid_options=(
                AvoidOption("nuts", ("nuts", "peanut", "peanuts")),
                AvoidOption("seafood", ("seafood", "fish", "shrimp", "salmon")),
                AvoidOption("pork", ("pork", "sausage")),
                AvoidOption("spicy food", ("spicy",)),
                AvoidOption("mushrooms", ("mushrooms", "mushroom")),
            ),
            need_options=(
                NeedOption("vegetarian", "All meals must be vegetarian."),
                NeedOption("gluten-free", "Everything must be gluten-free: my partner has coeliac disease."),
            ),
            needs_question="Any dietary requirements?",
            subjects=MEALS,
        ),
        TaskKind(
            name="study",
            item_noun="topic",
            hours_noun="study",
            items_per_day=2,
            duration_options=(3, 4, 5),
            hours_options=(1.0, 2.0, 3.0),
            start_options=(_hm("08:00"), _hm("09:00"), _hm("10:00")),
            spacing=240,
            cost_band=None,
            weekday=0,
            constraint_kinds=("start_date", "pace", "earliest_start", "must_include", "must_include", "must_avoid",
                              "required_tag", "order"),
            avoid_options=(
                AvoidOption("group sessions", ("group",)),
                AvoidOption("video lectures", ("video",)),
                AvoidOption("timed exams", ("timed",)),
            ),
            need_options=(NeedOption("home", "I can only study at home."),),
            needs_question="Is there a place you have to study at?",
            subjects=STUDIES,
        ),
        TaskKind(
            name="event",
            item_noun="activity",
            hours_noun="programme",
            items_per_day=3,
            duration_options=(1, 2, 3),
            hours_options=(1.0, 2.0, 3.0),
            start_options=(_hm("08:00"), _hm("09:00"), _hm("10:00")),
            spacing=180,
            cost_band=(15, 25),
            weekday=5,
            constraint_kinds=("start_date", "budget", "pace", "earliest_start", "must_include", "must_include",
                              "must_avoid", "required_tag", "order"),
            avoid_options=(
                AvoidOption("alcohol", ("alcohol", "wine", "brewery", "cocktail", "drinks", "pub")),
                AvoidOption("outdoor activities", ("outdoor",)),
                AvoidOption("anything too physical", ("active", "hike")),
            ),
            need_options=(NeedOption("step-free", "Everything must be step-free: one of us uses a wheelchair."),),
            needs_question="Does anyone have accessibility needs?",
            subjects=EVENTS,
        ),
    )
}


def _article(noun: str) -> str:
    return "an" if noun[0] in "aeiou" else "a"
