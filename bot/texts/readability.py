"""Readability measures for Dutch bot texts (B1 checks for templates and knowledge).

Flesch-Douma (Douma 1960, Dutch adaptation of Flesch):
    Leesgemak = 206.84 - 0.77 * (syllables per 100 words) - 0.93 * (words per sentence)
0-30 very hard ... 60-70 normal ... 90-100 very easy. Syllables come from
pyphen's nl_NL hyphenation patterns: hyphenation points approximate syllable
boundaries well enough for a text-level score.

Text conventions understood here (see docs/conventions.md): lines
"knop: Titel | /payload" are buttons, not text; every line counts as the end
of a sentence, because bubbles and list items are read as separate units.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import pyphen

MAX_WORDS_PER_SENTENCE = 15.0  # B1 guideline (average)
HARD_SENTENCE_WORDS = 20  # a single sentence this long is hard for many readers
HARD_WORD_SYLLABLES = 5  # one such word makes a short sentence hard to scan
MIN_FLESCH_DOUMA = 60.0

_BUTTON_LINE = re.compile(r"^\s*knop:.*$", re.MULTILINE)
_URL = re.compile(r"https?://\S+|\bwww\.\S+")
_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+", re.MULTILINE)
# A sentence ends at . ! ? (possibly repeated, possibly followed by a quote)
# when whitespace follows, or at a line end. "crisis.nl" and "12.00" stay intact.
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+|\n+")
_WORD = re.compile(r"[0-9A-Za-zÀ-ÖØ-öø-ÿ][0-9A-Za-zÀ-ÖØ-öø-ÿ'’\-.@/]*")
_LETTERS = re.compile(r"[A-Za-zÀ-ÖØ-öø-ÿ]+")


@functools.lru_cache(maxsize=1)
def _dictionary() -> pyphen.Pyphen:
    # left/right=1: the default (2) hides the split in words like "o-pen".
    return pyphen.Pyphen(lang="nl_NL", left=1, right=1)


def _clean(text: str) -> str:
    text = _BUTTON_LINE.sub("", text or "")
    text = _URL.sub("link", text)
    return _BULLET.sub("", text)


def sentences(text: str) -> list[str]:
    """Split a text into sentences (buttons removed, each line ends a sentence)."""
    parts = _SENTENCE_END.split(_clean(text))
    return [p.strip() for p in parts if p and words(p)]


def words(text: str) -> list[str]:
    return [w.rstrip(".-/") for w in _WORD.findall(text or "")]


@functools.lru_cache(maxsize=4096)
def syllables(word: str) -> int:
    """Syllables in one word; numbers, codes and abbreviations count as 1 per letter run."""
    runs = _LETTERS.findall(word or "")
    if not runs:
        return 1
    dic = _dictionary()
    total = 0
    for run in runs:
        total += len(dic.positions(run.lower())) + 1
    return total


@dataclass(frozen=True)
class Stats:
    sentences: int
    words: int
    syllables: int

    @property
    def words_per_sentence(self) -> float:
        return self.words / self.sentences if self.sentences else 0.0

    @property
    def syllables_per_100_words(self) -> float:
        return 100.0 * self.syllables / self.words if self.words else 0.0

    @property
    def flesch_douma(self) -> float:
        if not self.words:
            return 100.0
        return 206.84 - 0.77 * self.syllables_per_100_words - 0.93 * self.words_per_sentence


def stats(text: str) -> Stats:
    sents = sentences(text)
    all_words = [w for s in sents for w in words(s)]
    return Stats(
        sentences=len(sents),
        words=len(all_words),
        syllables=sum(syllables(w) for w in all_words),
    )


def words_per_sentence(text: str) -> float:
    """Average words per sentence (0.0 for an empty text)."""
    return stats(text).words_per_sentence


def flesch_douma(text: str) -> float:
    """Flesch-Douma Leesgemak; higher is easier. An empty text scores 100."""
    return round(stats(text).flesch_douma, 1)


def hard_sentences(text: str, max_words: int = HARD_SENTENCE_WORDS) -> list[str]:
    """Sentences a B1 reader will likely stumble on, in text order.

    Hard means: more than max_words words, or a word of HARD_WORD_SYLLABLES
    or more syllables in a sentence that also has more than 10 words
    (a long word in a short sentence is usually fine, e.g. "veiligheidsregio").
    """
    result = []
    for sentence in sentences(text):
        ws = words(sentence)
        long_word = any(syllables(w) >= HARD_WORD_SYLLABLES for w in ws)
        if len(ws) > max_words or (long_word and len(ws) > 10):
            result.append(sentence)
    return result
