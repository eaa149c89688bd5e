"""Reading assistant messages: questions, prose length and words.

The reward, the simulator and the task checkers all read messages the same way,
so "what counts as a question" has exactly one definition.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

# Code and URLs may contain "?" that are not questions; they are removed before counting.
_INLINE_CODE = re.compile(r"`[^`\n]*`")
_URL = re.compile(r"(?:https?://|www\.)\S+", re.I)
# A question is a sentence with at least one letter, ended by one or more "?"
# (optionally mixed with "!"), e.g. "Which format?", "Really?!", "Sure??". The
# text is cut into sentences in one left-to-right pass (each match starts where
# the last ended), so reading a message is linear in its length: a single
# pattern that also required the letter backtracked cubically on a long line
# (4,000 characters took two minutes), and messages are written by the policy.
_SENTENCE = re.compile(r"([^.!?\n]*)([.!?\n][?!]*)?")
_LETTER = re.compile(r"[A-Za-z]")


def _questions(prose: str) -> tuple[str, ...]:
    found = []
    for words, end in _SENTENCE.findall(prose):
        if end[:1] == "?" and _LETTER.search(words):
            found.append(words + end)
    return tuple(found)


def strip_code(text: str) -> str:
    """The prose of a message: fenced blocks, inline code and URLs removed.

    Text between a pair of ``` fences is code; an unclosed fence makes the rest
    of the message code, as Markdown renderers do.
    """
    if "`" in text:
        if "```" in text:
            text = " ".join(text.split("```")[::2])
        if "`" in text:
            text = _INLINE_CODE.sub(" ", text)
    if "://" in text or "www." in text:
        text = _URL.sub(" ", text)
    return text


class MessageStats(NamedTuple):
    """What the reward and the simulator read from a message's text."""

    questions: tuple[str, ...]
    prose_words: int


@lru_cache(maxsize=4096)
def message_stats(text: str) -> MessageStats:
    """Questions and prose length of a message, computed once per distinct text.

    The env, the simulator and the reward all read these on every step; scripted
    backbones repeat their messages, so the cache saves most of the regex work.
    """
    prose = strip_code(text)
    questions = _questions(prose) if "?" in prose else ()
    return MessageStats(questions, len(prose.split()))


def question_sentences(text: str) -> tuple[str, ...]:
    """The questions of a message: sentences ending in "?", outside code and URLs."""
    return message_stats(text).questions


def count_questions(text: str) -> int:
    """Questions asked in a message, counted as sentences, not question marks.

    A "?" inside code, inline code or a URL is not a question, and "??" or "?!"
    end one question, not two.
    """
    return len(message_stats(text).questions)


def prose_words(text: str) -> int:
    """Words of prose in a message (code and URLs excluded): what the user has to read."""
    return message_stats(text).prose_words


# For ASCII text, one bytes.translate lower-cases letters, keeps digits and turns
# every other character into a word break: 2x faster than str.translate, 3x
# faster than a regex, and task checkers run it on every Execute.
_ASCII_WORDS = bytes(ord(chr(c).lower()) if chr(c).isalnum() else 32 for c in range(128)) + b" " * 128
_UNICODE_WORD = re.compile(r"[^\W_]+")


def words_of(text: str) -> set[str]:
    """The lower-case alphanumeric words of a text ("snake_case" gives two words)."""
    if text.isascii():
        return set(text.encode().translate(_ASCII_WORDS).decode().split())
    return set(_UNICODE_WORD.findall(text.lower()))
