"""Text helpers shared by the matchers (safety, regions, risks, household)."""

from __future__ import annotations

import unicodedata


def strip_accents(text: str) -> str:
    """ "Súdwest-Fryslân" -> "Sudwest-Fryslan" (NFKD, combining marks dropped).

    Plain ASCII is returned as it is: it has nothing to strip, and most
    messages are ASCII, so the chat path skips the Unicode work.
    """
    if text.isascii():
        return text
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))
