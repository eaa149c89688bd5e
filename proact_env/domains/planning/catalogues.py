"""What each planning subject offers: the sights, dishes, topics and activities a plan is made of.

A catalogue is the world knowledge a reference assistant plans from (an LLM
knows Lisbon's sights; the scripted backbone reads them here). The checker
never needs it: it scores the plan as written. `cost` is an item's price at the
cheapest spending level, in euros per person; `tags` are the properties the
constraints ask about. Within a catalogue no item's name words are a subset
of another's, so naming an item in a constraint names exactly one item.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from proact_env.domains.planning.matching import item_words


@dataclass(frozen=True, slots=True)
class CatalogueItem:
    """A thing a plan can contain. `tags` are normalised; `tag_labels` are written into plans."""

    name: str
    cost: float
    tag_labels: tuple[str, ...]
    name_words: frozenset[str] = field(init=False, repr=False, compare=False)
    words: frozenset[str] = field(init=False, repr=False, compare=False)
    tags: frozenset[str] = field(init=False, repr=False, compare=False)
    _hash: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        name_words, words, tags = item_words(self.name, self.tag_labels)
        object.__setattr__(self, "name_words", name_words)
        object.__setattr__(self, "words", words)
        object.__setattr__(self, "tags", tags)
        object.__setattr__(self, "_hash", hash((self.name, self.cost, self.tag_labels)))

    def __hash__(self) -> int:
        """Precomputed: catalogues key the item-rule caches, hashed on every task drawn."""
        return self._hash

    def to_record(self) -> dict:
        return {"name": self.name, "cost": self.cost, "tags": list(self.tag_labels)}


@dataclass(frozen=True, slots=True, eq=False)
class Subject:
    """One thing to plan: the request (with a ``{month}`` slot), its catalogue and natural orderings.

    `sequences` are pairs (first, then) a user may insist on, e.g. a
    prerequisite topic before the one that builds on it. Subjects are
    module constants, compared and hashed by identity.
    """

    key: str
    request: str
    catalogue: tuple[CatalogueItem, ...]
    sequences: tuple[tuple[str, str], ...] = ()


def _items(*rows: tuple) -> tuple[CatalogueItem, ...]:
    return tuple(CatalogueItem(name, float(cost), tuple(tags)) for name, cost, *tags in rows)


TRIPS = (
    Subject("lisbon", "Plan a trip to Lisbon in {month}.", _items(
        ("Belem Tower", 14, "monument", "crowded"),
        ("Jeronimos Monastery", 16, "church", "monument", "step-free", "crowded"),
        ("Alfama Walking Tour", 12, "outdoor", "walk", "hills"),
        ("Tram 28 Ride", 13, "crowded", "kid-friendly"),
        ("Oceanarium", 19, "museum", "indoor", "step-free", "kid-friendly"),
        ("Gulbenkian Museum", 15, "museum", "indoor", "step-free"),
        ("Sao Jorge Castle", 15, "monument", "outdoor", "hills", "kid-friendly"),
        ("LX Factory Market", 12, "food", "shopping", "step-free"),
        ("Time Out Market Lunch", 18, "food", "step-free", "crowded"),
        ("Sintra Day Trip", 20, "outdoor", "hike", "hills"),
        ("Fado Evening", 20, "music", "nightlife", "step-free"),
        ("Tile Museum", 13, "museum", "indoor", "step-free"),
        ("Cascais Beach Afternoon", 12, "outdoor", "beach", "step-free", "kid-friendly"),
        ("Tagus River Cruise", 19, "boat", "outdoor", "step-free", "kid-friendly"),
    ), (("Sao Jorge Castle", "Alfama Walking Tour"), ("Jeronimos Monastery", "Belem Tower"),
        ("Time Out Market Lunch", "Fado Evening"))),
    Subject("kyoto", "Plan a trip to Kyoto in {month}.", _items(
        ("Fushimi Inari Shrine Hike", 12, "shrine", "outdoor", "hike", "crowded"),
        ("Kinkakuji Golden Pavilion", 14, "temple", "step-free", "crowded"),
        ("Arashiyama Bamboo Grove", 12, "outdoor", "walk", "step-free", "crowded"),
        ("Nishiki Food Market", 17, "food", "step-free", "crowded"),
        ("Kiyomizu Temple", 13, "temple", "hills", "crowded"),
        ("Gion Evening Walk", 12, "walk", "nightlife", "step-free"),
        ("Kyoto National Museum", 15, "museum", "indoor", "step-free"),
        ("Tea Ceremony Class", 20, "culture", "indoor", "step-free"),
        ("Philosopher's Path Stroll", 12, "outdoor", "walk", "step-free"),
        ("Nara Deer Park Day Trip", 18, "outdoor", "kid-friendly", "step-free"),
        ("Railway Museum", 16, "museum", "indoor", "kid-friendly", "step-free"),
        ("Hozugawa River Boat Ride", 20, "boat", "outdoor"),
        ("Ryoanji Rock Garden", 13, "temple", "garden", "step-free"),
        ("Sake Brewery Tour", 18, "alcohol", "indoor", "step-free"),
    ), (("Kinkakuji Golden Pavilion", "Ryoanji Rock Garden"), ("Tea Ceremony Class", "Gion Evening Walk"),
        ("Arashiyama Bamboo Grove", "Hozugawa River Boat Ride"))),
    Subject("rome", "Plan a visit to Rome in {month}.", _items(
        ("Colosseum", 18, "monument", "crowded", "step-free"),
        ("Vatican Museums", 20, "museum", "indoor", "crowded", "step-free"),
        ("Pantheon", 12, "church", "monument", "step-free"),
        ("Roman Forum Walk", 16, "outdoor", "walk", "hills"),
        ("Trastevere Food Tour", 20, "food", "walk", "nightlife"),
        ("Borghese Gallery", 17, "museum", "indoor", "step-free"),
        ("Appian Way Bike Ride", 19, "outdoor", "active"),
        ("Trevi Fountain Stroll", 12, "outdoor", "crowded", "step-free"),
        ("Capitoline Museums", 15, "museum", "indoor", "step-free"),
        ("Pasta Cooking Class", 20, "food", "indoor", "step-free", "kid-friendly"),
        ("Castel Sant'Angelo", 15, "monument", "museum", "hills"),
        ("Villa Borghese Park Picnic", 12, "outdoor", "park", "step-free", "kid-friendly"),
        ("Ostia Antica Excursion", 14, "outdoor", "walk"),
        ("Wine Tasting Evening", 20, "alcohol", "nightlife", "step-free"),
    ), (("Colosseum", "Roman Forum Walk"), ("Vatican Museums", "Castel Sant'Angelo"),
        ("Pantheon", "Trevi Fountain Stroll"))),
    Subject("edinburgh", "Plan a city break in Edinburgh in {month}.", _items(
        ("Edinburgh Castle", 19, "monument", "hills", "crowded"),
        ("Arthur's Seat Hike", 12, "outdoor", "hike", "hills"),
        ("Royal Mile Walk", 12, "outdoor", "walk", "crowded"),
        ("National Museum of Scotland", 13, "museum", "indoor", "step-free", "kid-friendly"),
        ("Holyrood Palace", 18, "monument", "step-free"),
        ("Whisky Experience", 20, "alcohol", "indoor", "step-free"),
        ("Royal Botanic Garden", 12, "outdoor", "garden", "step-free", "kid-friendly"),
        ("Scottish National Gallery", 13, "museum", "indoor", "step-free"),
        ("Ghost Tour", 15, "walk", "nightlife"),
        ("Dean Village Stroll", 12, "outdoor", "walk", "step-free"),
        ("Camera Obscura", 17, "museum", "indoor", "step-free", "kid-friendly"),
        ("Leith Food Market", 16, "food", "step-free"),
        ("Forth Bridges Boat Trip", 20, "boat", "outdoor", "step-free"),
        ("Calton Hill Sunset", 12, "outdoor", "hills"),
    ), (("Edinburgh Castle", "Royal Mile Walk"), ("Royal Mile Walk", "Holyrood Palace"),
        ("Dean Village Stroll", "Scottish National Gallery"))),
)

_RECIPES = _items(
    ("Vegetable Lasagne", 6, "vegetarian", "dairy"),
    ("Chickpea Curry", 4, "vegetarian", "vegan", "gluten-free", "spicy"),
    ("Salmon Teriyaki", 7, "seafood", "fish"),
    ("Mushroom Risotto", 5, "vegetarian", "gluten-free", "mushrooms", "dairy"),
    ("Chicken Fajitas", 6, "chicken", "spicy"),
    ("Lentil Soup", 4, "vegetarian", "vegan", "gluten-free"),
    ("Beef Stir Fry", 7, "beef"),
    ("Pesto Pasta", 4, "vegetarian", "nuts", "dairy"),
    ("Shrimp Paella", 7, "seafood", "gluten-free"),
    ("Halloumi Salad", 5, "vegetarian", "gluten-free", "dairy"),
    ("Pork Dumplings", 5, "pork"),
    ("Black Bean Tacos", 4, "vegetarian", "vegan", "spicy"),
    ("Roast Chicken and Potatoes", 6, "chicken", "gluten-free"),
    ("Thai Peanut Noodles", 5, "vegetarian", "vegan", "nuts", "spicy"),
    ("Spinach Omelette", 4, "vegetarian", "gluten-free", "dairy"),
    ("Tomato Soup with Bread", 4, "vegetarian", "vegan"),
    ("Fish and Chips", 6, "seafood", "fish"),
    ("Stuffed Peppers", 5, "vegetarian", "gluten-free"),
    ("Sausage Casserole", 5, "pork"),
    ("Falafel Wraps", 5, "vegetarian", "vegan"),
    ("Grilled Halibut with Rice", 7, "seafood", "fish", "gluten-free"),
    ("Quinoa Bowl", 6, "vegetarian", "vegan", "gluten-free"),
    ("Baked Potatoes with Beans", 4, "vegetarian", "vegan", "gluten-free"),
)

MEALS = (
    Subject("family", "Plan lunches and dinners for my family in {month}.", _RECIPES),
    Subject("couple", "Make a meal plan for me and my partner for a few days in {month}.", _RECIPES),
    Subject("flatmates", "Plan what my flatmates and I cook for a few days in {month}.", _RECIPES),
    Subject("parents", "Plan our meals while my parents visit in {month}.", _RECIPES),
)

STUDIES = (
    Subject("statistics", "Make a study plan for my statistics exam; I can start in {month}.", _items(
        ("Descriptive Statistics Review", 0, "reading", "home"),
        ("Probability Basics", 0, "reading", "practice", "home"),
        ("Probability Distributions", 0, "practice", "home"),
        ("Hypothesis Testing", 0, "practice", "home"),
        ("Confidence Intervals", 0, "practice", "home"),
        ("Linear Regression", 0, "reading", "practice", "home"),
        ("Past Paper 2024", 0, "exam-practice", "timed", "home"),
        ("Past Paper 2025", 0, "exam-practice", "timed", "home"),
        ("Study Group Session", 0, "group", "library"),
        ("Formula Sheet Flashcards", 0, "flashcards", "home"),
        ("Video Lectures Recap", 0, "video", "online", "home"),
        ("Office Hours Visit", 0, "campus", "group"),
        ("Bayesian Inference", 0, "reading", "home"),
        ("Mock Exam", 0, "exam-practice", "timed", "campus"),
    ), (("Probability Basics", "Hypothesis Testing"), ("Descriptive Statistics Review", "Linear Regression"),
        ("Probability Distributions", "Bayesian Inference"), ("Formula Sheet Flashcards", "Mock Exam"))),
    Subject("spanish", "Make a study plan for my Spanish B1 exam; I can start in {month}.", _items(
        ("Past Tense Drills", 0, "practice", "home"),
        ("Subjunctive Mood", 0, "reading", "practice", "home"),
        ("Vocabulary Flashcards", 0, "flashcards", "home"),
        ("Listening Podcasts", 0, "audio", "online", "home"),
        ("Conversation Exchange", 0, "group", "speaking", "cafe"),
        ("Reading Comprehension", 0, "reading", "home"),
        ("Essay Writing", 0, "writing", "home"),
        ("Mock Oral Exam", 0, "speaking", "timed", "campus"),
        ("Grammar Video Course", 0, "video", "online", "home"),
        ("Spanish Film Night", 0, "video", "home"),
        ("Irregular Verbs", 0, "practice", "home"),
        ("Tutor Call", 0, "speaking", "online", "home"),
        ("Dictation Exercises", 0, "audio", "writing", "home"),
        ("Listening Past Paper", 0, "exam-practice", "timed", "home"),
    ), (("Past Tense Drills", "Essay Writing"), ("Vocabulary Flashcards", "Reading Comprehension"),
        ("Subjunctive Mood", "Mock Oral Exam"), ("Irregular Verbs", "Dictation Exercises"))),
    Subject("algorithms", "Make a study plan for my algorithms interviews; I can start in {month}.", _items(
        ("Big O Notation", 0, "reading", "home"),
        ("Arrays and Strings", 0, "practice", "online", "home"),
        ("Linked Lists", 0, "practice", "home"),
        ("Trees and Graphs", 0, "practice", "home"),
        ("Dynamic Programming", 0, "practice", "home"),
        ("Sorting Algorithms", 0, "reading", "practice", "home"),
        ("Mock Interview", 0, "speaking", "timed", "group"),
        ("System Design Primer", 0, "reading", "video", "home"),
        ("Coding Contest", 0, "timed", "online", "home"),
        ("Whiteboard Study Group", 0, "group", "campus"),
        ("Recursion Drills", 0, "practice", "home"),
        ("Hash Tables", 0, "practice", "home"),
        ("Algorithm Video Lectures", 0, "video", "online", "home"),
        ("Behavioural Questions", 0, "speaking", "home"),
    ), (("Big O Notation", "Sorting Algorithms"), ("Recursion Drills", "Dynamic Programming"),
        ("Linked Lists", "Trees and Graphs"), ("Hash Tables", "Mock Interview"))),
)

EVENTS = (
    Subject("offsite", "Plan our team offsite in {month}.", _items(
        ("Welcome Coffee", 15, "food", "indoor", "step-free"),
        ("Strategy Workshop", 20, "work", "indoor", "step-free"),
        ("Escape Room Challenge", 24, "indoor", "active"),
        ("Guided Hike", 16, "outdoor", "active", "hike"),
        ("Team Lunch", 22, "food", "step-free"),
        ("Cooking Competition", 25, "food", "indoor", "step-free"),
        ("Kayak Session", 23, "outdoor", "active", "boat"),
        ("Wine Tasting", 24, "alcohol", "step-free"),
        ("Roadmap Presentation", 15, "work", "indoor", "step-free"),
        ("Board Games Evening", 16, "indoor", "step-free"),
        ("Yoga Class", 17, "outdoor", "active"),
        ("Brewery Visit", 21, "alcohol", "indoor"),
        ("Innovation Hackathon", 18, "work", "indoor", "step-free"),
        ("Awards Dinner", 25, "food", "alcohol", "step-free"),
    ), (("Welcome Coffee", "Strategy Workshop"), ("Roadmap Presentation", "Innovation Hackathon"),
        ("Team Lunch", "Escape Room Challenge"))),
    Subject("wedding", "Plan the programme for a wedding weekend in {month}.", _items(
        ("Rehearsal Brunch", 20, "food", "step-free"),
        ("Ceremony", 15, "formal", "step-free"),
        ("Photo Session in the Gardens", 16, "outdoor", "formal"),
        ("Reception Dinner", 25, "food", "alcohol", "formal", "step-free"),
        ("Vineyard Tour", 22, "alcohol", "outdoor"),
        ("Beach Games", 15, "outdoor", "active", "kid-friendly"),
        ("Cocktail Hour", 21, "alcohol", "step-free"),
        ("Farewell Breakfast", 18, "food", "step-free", "kid-friendly"),
        ("Old Town Walking Tour", 15, "outdoor", "walk"),
        ("Spa Afternoon", 25, "indoor", "step-free"),
        ("Boat Excursion", 24, "boat", "outdoor"),
        ("Live Music Evening", 19, "music", "step-free"),
        ("Welcome Drinks", 17, "alcohol", "step-free"),
        ("Family Picnic", 16, "food", "outdoor", "step-free", "kid-friendly"),
    ), (("Welcome Drinks", "Ceremony"), ("Ceremony", "Reception Dinner"),
        ("Rehearsal Brunch", "Photo Session in the Gardens"))),
    Subject("reunion", "Plan a family reunion in {month}.", _items(
        ("Welcome Barbecue", 18, "food", "outdoor", "kid-friendly"),
        ("Family Photo", 15, "outdoor", "step-free", "kid-friendly"),
        ("History Museum Visit", 16, "museum", "indoor", "step-free", "kid-friendly"),
        ("Lake Boat Trip", 22, "boat", "outdoor", "kid-friendly"),
        ("Talent Show", 15, "indoor", "step-free", "kid-friendly"),
        ("Nature Trail", 15, "outdoor", "hike", "kid-friendly"),
        ("Pub Quiz", 17, "alcohol", "indoor", "step-free"),
        ("Grandparents' Storytelling", 15, "indoor", "step-free", "kid-friendly"),
        ("Football Match", 16, "outdoor", "active", "kid-friendly"),
        ("Farewell Lunch", 24, "food", "step-free", "kid-friendly"),
        ("Crafts Workshop", 19, "indoor", "step-free", "kid-friendly"),
        ("Cinema Night", 17, "indoor", "step-free", "kid-friendly"),
        ("Wine and Cheese Evening", 25, "alcohol", "food", "step-free"),
        ("Treasure Hunt", 16, "outdoor", "active", "kid-friendly"),
    ), (("Welcome Barbecue", "Family Photo"), ("Talent Show", "Farewell Lunch"),
        ("Treasure Hunt", "Cinema Night"))),
)
