"""What counts as a question: one definition, read in linear time (messages are written by policies)."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from proact_env.text import count_questions, question_sentences, spaced_words, words_of

# The single pattern the reader replaced: same questions, but cubic time on a long line.
_REFERENCE = re.compile(r"[^.!?\n]*[A-Za-z][^.!?\n]*\?[?!]*")


@settings(max_examples=3000, deadline=None)
@given(st.text(alphabet="ab1 ,?!.\n", max_size=24))
def test_questions_are_the_sentences_the_reference_pattern_finds(text):
    assert question_sentences(text) == tuple(_REFERENCE.findall(text))


def test_a_long_line_is_read_in_linear_time():
    # the reference pattern needs minutes for 4,000 characters here; 200,000 must be instant
    assert count_questions("a" * 200_000 + "\n?") == 0
    assert count_questions("Why? " * 40_000) == 40_000


@settings(max_examples=2000, deadline=None)
@given(st.text(alphabet="ab1_ -.\n`?Éé", max_size=30), st.sampled_from(["a", "b", "ab", "1", "ab1", "é", "éa"]))
def test_spaced_words_finds_a_word_exactly_when_words_of_has_it(text, word):
    # synthetic scoring tests options this way instead of building the set of all words
    assert (f" {word} " in spaced_words(text)) == (word in words_of(text))
    assert set(spaced_words(text).split()) == words_of(text)
