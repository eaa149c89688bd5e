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
# A question is a run of text between sentence ends (".", "!", "?", a new line) that holds a
# letter and ends in "?", with any "?" and "!" that follow: "Which format?", "Really?!", "Sure??".
# Every pattern here runs in linear time on any text: a run is only tried where one starts (the
# lookbehind), and nothing is re-scanned. The form without the lookbehind,
# [^.!?\n]*[A-Za-z][^.!?\n]*\?[?!]*, found the same questions but retried a long line without
# a "?" from every position, each a quadratic backtrack: 2,000 characters took 5.5 s, 4,000 took 43 s.
_QUESTION = re.compile(r"(?<![^.!?\n])(?=[^.!?\n]*[A-Za-z])[^.!?\n]*+\?[?!]*+")


def fenced_blocks(text: str, tag: re.Pattern[str], *, closed_only: bool = False) -> list[tuple[str, str]]:
    """The Markdown code blocks of a message, as (tag, body) pairs in order.

    A block opens with ``` anywhere; its tag is the first group of `tag`
    matched right after the fence (spaces included); the rest of that line is
    ignored and the body runs to the next ```. A block with no closing fence
    runs to the end of the text, or is dropped when `closed_only`. These are the
    matches of ```` ```<tag>[^\\n]*\\n(.*?)(?:```|\\Z) ```` (without ``\\Z`` when
    `closed_only`), found in linear time: that pattern backtracked quadratically
    on a long line with no new line after a fence (40,000 characters: 3.4 s).
    """
    blocks = []
    position = 0
    while True:
        start = text.find("```", position)
        newline = text.find("\n", start + 3) if start >= 0 else -1
        if newline < 0:  # no fence, or no line after it: no later fence has one either
            return blocks
        label = tag.match(text, start + 3, newline)
        end = text.find("```", newline + 1)
        if end < 0:
            if not closed_only:
                blocks.append((label.group(1) if label else "", text[newline + 1:]))
            return blocks
        blocks.append((label.group(1) if label else "", text[newline + 1:end]))
        position = end + 3


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


def message_stats(text: str) -> MessageStats:
    """Questions and prose length of a message.

    The env, the simulator and the reward all read these on every step. A text with
    a "?" is computed once (cached): finding its questions takes the regex, and
    scripted backbones repeat their questions. A text without one has no question and
    costs only a split; it is not cached, since solutions rarely recur (a synthetic
    Execute almost never does) and, cached, they pushed the recurring questions out.
    """
    if "?" not in text:
        return MessageStats((), len(strip_code(text).split()))
    return _stats_with_questions(text)


@lru_cache(maxsize=16384)
def _stats_with_questions(text: str) -> MessageStats:
    prose = strip_code(text)
    questions = tuple(_QUESTION.findall(prose)) if "?" in prose else ()
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


def spaced_words(text: str) -> str:
    """The words of `words_of(text)`, in order, each between spaces.

    For one word `w` (lower-case alphanumeric), ``f" {w} " in spaced_words(text)`` is
    ``w in words_of(text)`` without building the set: a checker that looks up a handful of
    words in a long message (the synthetic tasks' options) saves most of the work.
    """
    if text.isascii():
        return f" {text.encode().translate(_ASCII_WORDS).decode()} "
    return f" {' '.join(_UNICODE_WORD.findall(text.lower()))} "
