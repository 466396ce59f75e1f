"""Which language is a resident writing in: Dutch or English (offline, lingua).

lingua-language-detector ships its language models inside the wheel, so this
needs no network. Only Dutch and English are compared: the assistant answers
in Dutch, and in short English for English speakers (issue 14). A message only
counts as English when lingua is clearly sure; short or mixed messages stay
Dutch ("code rood", "stroom weg", "tips hitte").
"""

from __future__ import annotations

import functools
import re
from typing import Any

DUTCH = "nl"
ENGLISH = "en"

# lingua's confidence for English must reach this; fewer than MIN_WORDS words need more.
ENGLISH_MIN_CONFIDENCE = 0.80
SHORT_MIN_CONFIDENCE = 0.90
MIN_WORDS = 3
# Function words: an English one and no Dutch one lowers the bar to MARKED_MIN_CONFIDENCE
# ("the dike is leaking" scores only 0.80 with lingua).
ENGLISH_WORDS = frozenset(
    [
        "the",
        "a",
        "an",
        "my",
        "our",
        "your",
        "i",
        "you",
        "we",
        "they",
        "he",
        "she",
        "it",
        "is",
        "are",
        "was",
        "there",
        "what",
        "how",
        "should",
        "do",
        "does",
        "can",
        "could",
        "please",
        "someone",
        "of",
        "to",
        "on",
        "with",
        "from",
        "this",
        "that",
        "where",
        "when",
        "why",
    ]
)
DUTCH_WORDS = frozenset(
    [
        "de",
        "het",
        "een",
        "ik",
        "je",
        "jij",
        "we",
        "wij",
        "mijn",
        "ons",
        "onze",
        "wat",
        "hoe",
        "waar",
        "wanneer",
        "moet",
        "kan",
        "niet",
        "geen",
        "er",
        "is",
        "zijn",
        "bij",
        "van",
        "voor",
        "naar",
        "met",
        "op",
        "en",
        "of",
        "als",
        "dat",
        "die",
        "dit",
    ]
)
MARKED_MIN_CONFIDENCE = 0.60
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


@functools.lru_cache(maxsize=1)
def _detector() -> Any:
    from lingua import Language, LanguageDetectorBuilder

    # Preloaded: the first detection otherwise takes ~1.5 s while a resident waits.
    return (
        LanguageDetectorBuilder.from_languages(Language.DUTCH, Language.ENGLISH)
        .with_preloaded_language_models()
        .build()
    )


def warm_up() -> None:
    """Load the models now (start-up) instead of on the first message."""
    _detector()


def english_confidence(text: str) -> float:
    """lingua's confidence (0..1) that `text` is English rather than Dutch."""
    if not isinstance(text, str) or not _WORD.search(text):
        return 0.0
    from lingua import Language

    return float(_detector().compute_language_confidence(text[:1000], Language.ENGLISH))


def detect_language(text: str) -> str:
    """ "en" when the message is clearly English, otherwise "nl"."""
    words = _WORD.findall(text or "")
    if not words:
        return DUTCH
    needed = ENGLISH_MIN_CONFIDENCE if len(words) >= MIN_WORDS else SHORT_MIN_CONFIDENCE
    lowered = {w.lower() for w in words}
    if lowered & ENGLISH_WORDS and not lowered & (DUTCH_WORDS - ENGLISH_WORDS):
        needed = MARKED_MIN_CONFIDENCE
    return ENGLISH if english_confidence(text) >= needed else DUTCH


def looks_english(text: str) -> bool:
    """An English function word that is not also Dutch ("what", "the", "my"): for mixed messages
    lingua keeps Dutch ("what do i do with this stroomstoring")."""
    return bool({w.lower() for w in _WORD.findall(text or "")} & (ENGLISH_WORDS - DUTCH_WORDS))
