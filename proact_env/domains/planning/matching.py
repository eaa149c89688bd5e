"""How the planning checker compares names, tags and words: one definition for every rule.

Plans come from scripted backbones, LLMs and hand-written files, so the
comparison forgives what does not change the meaning: case, accents,
punctuation and word separators ("Belém Tower", "belem-tower" and
"BELEM TOWER" are the same name; "step free", "Step-Free" and "step_free" are
the same tag). It does not guess at synonyms or plurals: a constraint that
should catch "museums" as well as "museum" lists both words.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Iterable

_WORD = re.compile(r"[^\W_]+")


@lru_cache(maxsize=8192)
def tokens(text: str) -> tuple[str, ...]:
    """The lower-case words of `text`, accents removed, in order.

    Cached: plans name the same places, dishes and tags over and over, and the
    checker reads every item of every plan.
    """
    if not text.isascii():
        text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return tuple(_WORD.findall(text.lower()))


def normalise_tag(tag: str) -> str:
    """The canonical form of a tag: its words joined by hyphens ("Step free" -> "step-free")."""
    return "-".join(tokens(tag))


def word_set(texts: Iterable[str]) -> frozenset[str]:
    """Every word of every text (an item's name and tags together)."""
    return frozenset(word for text in texts for word in tokens(text))


def mentions(words: frozenset[str], phrase_words: tuple[str, ...]) -> bool:
    """True when every word of a phrase (`tokens(phrase)`) is among `words`.

    So "Belem Tower" matches an item named "Visit the Belem Tower". Callers
    tokenise their phrases once: the checker runs this on every Execute.
    """
    return bool(phrase_words) and all(w in words for w in phrase_words)


def slug(text: str) -> str:
    """A stable identifier fragment for fact keys ("Belem Tower" -> "belem-tower")."""
    return "-".join(tokens(text)) or "x"


@lru_cache(maxsize=8192)
def item_words(name: str, tags: tuple[str, ...]) -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """(name words, name-and-tag words, normalised tags) of an item: what the item rules read."""
    return word_set([name]), word_set([name, *tags]), frozenset(normalise_tag(t) for t in tags)
