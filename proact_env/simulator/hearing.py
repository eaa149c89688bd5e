"""What a question is about: the hidden facts it targets, read the way a person would.

A simulated user answers a question only about what the question asks. Each
`HiddenFact` lists its vocabulary (`keywords`: its own words, synonyms, and
multi-word paraphrases such as ``"how many days"``); a question is about a fact
when it contains one of them. Words are compared after a light stemming
(``names``, ``named``, ``naming`` and ``name`` are one word), and stop words
("what", "how", "should", "you", ...) never match on their own: they occur in
every question, so they say nothing about its subject. A phrase may contain
stop words ("how long"), since the phrase as a whole does.

`hear(message, hidden, revealed)` classifies every question of a Clarify turn:

- **good**: it targets at least one fact that is still hidden;
- **repeated**: it targets facts, all of them already revealed;
- **vague**: it targets no hidden fact (small talk, "what do you mean?", a
  question about something the user already said in the query). A vague
  question is *open* when it invites the user to add anything
  ("anything else I should know?"), which some users answer in part.

Everything here runs in time linear in the message: words are found with one
non-backtracking pattern, stemmed by suffix rules, and looked up in sets
(phrases as word n-grams, at most `MAX_PHRASE_WORDS` long).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Iterable, NamedTuple, Sequence

from proact_env.text import message_stats, strip_code
from proact_env.types import HiddenFact

#: Words that occur in questions about anything: never evidence of a subject on their own.
STOP_WORDS = frozenset(
    """
    a an the this that these those it its i me my mine we our us you your yours he she him her they them their
    is are was were be been being am do does did done doing have has had having get gets got
    will would shall should can could may might must ought
    what which who whom whose why how when where whether
    and or but if then so than as of to in on at by for from with without about into onto over under up down
    out off through per via
    not no yes please thanks thank just also too very really quite any anything some something else other
    another more most much many few all each every both either neither there here now still already again
    want wants wanted like likes liked prefer need needs needed wish hope
    know tell give let make makes use used using go see think mean means say said ask asked keep
    ok okay sure well way thing things stuff question questions quick one two first
    """.split()
)

#: Phrases by which a question invites the user to add anything (an *open* question).
OPEN_PHRASES = (
    "anything else", "something else", "what else", "anything more", "anything other", "any other",
    "anything i should", "anything you", "anything to add", "else i should", "keep in mind", "should i know",
    "should know", "did i miss", "i missed", "i forgot", "i have missed", "other requirements",
    "any requirements", "any constraints", "any preferences", "any details",
)

#: Longest phrase (in words) a vocabulary may list.
MAX_PHRASE_WORDS = 4

# Words whose "-ing" or "-ed" is not a suffix, with their stem: stemming them by rule would merge
# unrelated words ("evening" -> "even", "casing" -> "case" as in "in case").
_IRREGULAR = {
    **{w: w for w in "anything something nothing everything thing string during morning evening casing ceiling "
                     "spring bring king ring wing sibling wedding building need speed seed".split()},
    **{w + "s": w for w in "thing string morning evening ceiling sibling wedding building need".split()},
}
_ASCII_WORD = re.compile(r"[a-z0-9]+")
_UNICODE_WORD = re.compile(r"[^\W_]+")


def words(text: str) -> tuple[str, ...]:
    """The lower-case words of `text`, in order ("snake_case" gives two words; "09" is "9")."""
    text = text.lower()
    found = (_ASCII_WORD if text.isascii() else _UNICODE_WORD).findall(text)
    return tuple(w.lstrip("0") or "0" if w[0] == "0" and w.isdigit() else w for w in found)


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A light stem: plural, "-ing", "-ed", "-ly" and a final "e" removed, a doubled consonant undoubled.

    Not a linguist's stemmer: it only has to give a word and its inflections one
    form (``format``, ``formats``, ``formatted``, ``formatting`` -> ``format``;
    ``name``, ``named``, ``naming`` -> ``nam``), and both sides of a comparison
    go through it.
    """
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    if not word.isalpha():
        return word
    w = word
    if len(w) > 4 and w.endswith("ies"):
        w = w[:-3] + "y"
    elif len(w) > 4 and (w.endswith(("sses", "xes", "zes", "ches", "shes"))):
        w = w[:-2]
    elif len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    if len(w) > 5 and w.endswith("ing"):
        w = w[:-3]
    elif len(w) > 4 and w.endswith("ed"):
        w = w[:-2]
    elif len(w) > 5 and w.endswith("ly"):
        w = w[:-2]
    if len(w) > 3 and w[-1] == w[-2] and w[-1] not in "aeiouylsz":
        w = w[:-1]
    if len(w) > 3 and w.endswith("e"):
        w = w[:-1]
    return w


class Vocabulary(NamedTuple):
    """A fact's vocabulary, compiled: single stems (stop words left out) and phrases (tuples of stems)."""

    stems: frozenset[str]
    phrases: frozenset[tuple[str, ...]]

    def mentioned_in(self, terms: "Terms") -> bool:
        return not self.stems.isdisjoint(terms.stems) or not self.phrases.isdisjoint(terms.ngrams)


@lru_cache(maxsize=8192)
def vocabulary(keywords: tuple[str, ...]) -> Vocabulary:
    """Compile a fact's keywords; a keyword of several words is a phrase, a stop word alone is dropped."""
    stems, phrases = set(), set()
    for keyword in keywords:
        parts = words(keyword)
        if len(parts) == 1:
            if parts[0] not in STOP_WORDS:
                stems.add(stem(parts[0]))
        elif 1 < len(parts) <= MAX_PHRASE_WORDS:
            phrases.add(tuple(stem(w) for w in parts))
        elif parts:  # a long keyword: its content words count one by one
            stems.update(stem(w) for w in parts if w not in STOP_WORDS)
    return Vocabulary(frozenset(stems), frozenset(phrases))


class Terms(NamedTuple):
    """What a question says: its content stems and every n-gram of its stems (n = 2..MAX_PHRASE_WORDS)."""

    stems: frozenset[str]
    ngrams: frozenset[tuple[str, ...]]


def terms_of(question: str) -> Terms:
    """The terms of a question; short questions (all that scripted writers and most models ask) are cached."""
    return _cached_terms(question) if len(question) <= _CACHED_LENGTH else _terms(question)


_CACHED_LENGTH = 1000


@lru_cache(maxsize=16384)
def _cached_terms(question: str) -> Terms:
    return _terms(question)


def _terms(question: str) -> Terms:
    tokens = words(question)
    stems = tuple(stem(w) for w in tokens)
    content = frozenset(s for w, s in zip(tokens, stems) if w not in STOP_WORDS)
    ngrams = frozenset(
        stems[i:i + n] for n in range(2, MAX_PHRASE_WORDS + 1) for i in range(len(stems) - n + 1)
    )
    return Terms(content, ngrams)


_OPEN = vocabulary(OPEN_PHRASES)


def is_open(question: str) -> bool:
    """Does the question invite the user to add anything ("Anything else I should know?")."""
    return _OPEN.mentioned_in(terms_of(question))


# A question is about a fact when its terms meet the fact's vocabulary: one set test on merged sets
# (stems are str, n-grams and phrases tuples, so the two kinds never match each other), with the
# question's set cached by its text and the fact's by the identity of its keywords tuple. Hearing
# runs on every Clarify step, and hashing a fact's keywords (a dozen words) for an `lru_cache`
# look-up cost more than the test itself.
_SUBJECTS: dict[int, tuple[tuple[str, ...], frozenset]] = {}
_MAX_SUBJECTS = 8192


def _subject(keywords: Sequence[str]) -> frozenset:
    """`vocabulary(keywords)`'s stems and phrases in one set, memoised per keywords tuple.

    The memo holds the tuple itself, so its id cannot be reused while the entry lives; a list
    (mutable) is compiled afresh every time.
    """
    entry = _SUBJECTS.get(id(keywords))
    if entry is not None and entry[0] is keywords:
        return entry[1]
    vocab = vocabulary(tuple(keywords))
    subject = vocab.stems | vocab.phrases
    if type(keywords) is tuple:
        if len(_SUBJECTS) >= _MAX_SUBJECTS:
            _SUBJECTS.clear()
        _SUBJECTS[id(keywords)] = (keywords, subject)
    return subject


def _said(question: str) -> frozenset:
    """A question's content stems and n-grams in one set (cached like `terms_of`)."""
    return _cached_said(question) if len(question) <= _CACHED_LENGTH else _merged(_terms(question))


def _merged(terms: Terms) -> frozenset:
    return terms.stems | terms.ngrams


@lru_cache(maxsize=16384)
def _cached_said(question: str) -> frozenset:
    return _merged(_terms(question))  # not through `_cached_terms`: only open-question tests need a question's Terms


def _about(said: frozenset, subjects: list[tuple[Any, frozenset]]) -> list[Any]:
    """The first of each (fact or key, subject) pair whose subject shares a stem or n-gram with what a question
    said: the one matching rule, for `facts_about` and for `hear` (which pairs keys, looked up once a message)."""
    return [item for item, subject in subjects if not subject.isdisjoint(said)]


def facts_about(question: str, hidden: Sequence[HiddenFact]) -> tuple[HiddenFact, ...]:
    """The hidden facts a question is about, in the task's order."""
    return tuple(_about(_said(question), [(fact, _subject(fact.keywords)) for fact in hidden]))


GOOD, REPEATED, VAGUE = "good", "repeated", "vague"


class HeardQuestion(NamedTuple):
    """One question and what the user makes of it.

    Attributes:
        text: the question as asked.
        targets: keys of the hidden facts it is about (revealed or not).
        kind: ``good`` (targets a still-hidden fact), ``repeated`` (targets only
            revealed facts) or ``vague`` (targets no hidden fact).
        open: a vague question that invites the user to add anything.
    """

    text: str
    targets: tuple[str, ...]
    kind: str
    open: bool = False


class Hearing(NamedTuple):
    """Every question of one Clarify turn, classified, with the counts by kind.

    `hear` counts while it classifies: the env, the simulator and the metrics read the
    counts on every Clarify step (a named tuple: one is built per Clarify step). The
    counts have no defaults, so a hearing cannot be built without them by mistake.

    Attributes:
        questions: the questions, in the order asked.
        good, repeated, vague: how many questions are of each kind.
        open: how many of the vague ones are open ("anything else?").
    """

    questions: tuple[HeardQuestion, ...]
    good: int
    repeated: int
    vague: int
    open: int

    def number(self, kind: str) -> int:
        """Questions of a kind (``good``, ``repeated``, ``vague``)."""
        return getattr(self, kind) if kind in (GOOD, REPEATED, VAGUE) else 0

    @property
    def any_open(self) -> bool:
        return self.open > 0

    @property
    def unclear(self) -> bool:
        """Some question is about nothing the user holds and does not invite them to add anything."""
        return self.vague > self.open

    def targeted(self, revealed: Iterable[str] = ()) -> tuple[str, ...]:
        """Keys of the facts the questions target that are not in `revealed`, first asked first, once each."""
        skip = set(revealed) if revealed != () else ()  # the simulator asks with nothing to skip, every answer
        keys: dict[str, None] = {}
        for question in self.questions:
            for key in question.targets:
                if key not in skip:
                    keys.setdefault(key)
        return tuple(keys)

    def quality(self) -> dict[str, int]:
        """The per-step metric (`info["question_quality"]`): questions, good, repeated, vague.

        From the counts `hear` kept (the env reports it on every Clarify step).
        """
        return {"questions": len(self.questions), GOOD: self.good, REPEATED: self.repeated, VAGUE: self.vague}


def questions_of(message: str) -> tuple[str, ...]:
    """The questions a user hears in a Clarify message: its question sentences, or, when it has
    none ("Tell me the output format."), its prose as one request."""
    questions = message_stats(message).questions  # `question_sentences`, one call less: heard on every Clarify
    if questions:
        return questions
    prose = " ".join(strip_code(message).split())
    return (prose,)


def hear(message: str, hidden: Sequence[HiddenFact], revealed: frozenset[str] | set[str]) -> Hearing:
    """Classify every question of a Clarify `message` against the task's hidden facts (see the module doc)."""
    heard = []
    good = repeated = vague = n_open = 0
    # each fact's subject looked up once per message, not once per question: hearing runs on every Clarify
    # step. Not cached per (question, facts): a task's facts rarely recur together, so such a cache mostly
    # missed and cost more in hashing than matching does (each side's terms are cached)
    subjects = [(fact.key, _subject(fact.keywords)) for fact in hidden]
    for question in questions_of(message):
        targets = tuple(_about(_said(question), subjects))
        opens = False
        if not targets:
            kind = VAGUE
            opens = is_open(question)
            vague += 1
            n_open += opens
        elif revealed.issuperset(targets):  # `all(key in revealed ...)` in C: hearing runs on every Clarify step
            kind = REPEATED
            repeated += 1
        else:
            kind = GOOD
            good += 1
        # `_make` from every field: a named tuple's own constructor is a Python function that costs twice as much
        heard.append(HeardQuestion._make((question, targets, kind, opens)))
    return Hearing._make((tuple(heard), good, repeated, vague, n_open))


def states_fact(fact: HiddenFact, reply: str) -> bool:
    """Does `reply` state `fact`? What an LLM user claims it revealed is checked with this.

    With `fact.evidence` (the specifics a statement of the fact cannot leave
    out: the chosen option, the function's name, a number), every evidence
    phrase must occur in the reply, word for word up to case and punctuation.
    Without, at least half of the content words of `fact.answer` (stop words
    and the fact's own vocabulary left out: those say what the fact is about,
    not what it is) must occur.
    """
    reply_words = words(reply)
    evidence = [phrase_words for phrase_words in map(words, fact.evidence) if phrase_words]
    if evidence:
        return all(_contains(reply_words, phrase_words) for phrase_words in evidence)
    vocab = vocabulary(tuple(fact.keywords))
    content = {stem(w) for w in words(fact.answer) if w not in STOP_WORDS} - vocab.stems
    if not content:
        return _contains(reply_words, words(fact.answer))
    present = {stem(w) for w in reply_words}
    return 2 * len(content & present) >= len(content)


def _contains(haystack: tuple[str, ...], needle: tuple[str, ...]) -> bool:
    """`needle` occurs as consecutive words of `haystack` (linear: each start is checked in O(len(needle)))."""
    if not needle:
        return True
    first, n = needle[0], len(needle)
    return any(haystack[i:i + n] == needle for i, word in enumerate(haystack) if word == first)
