"""The gateway's 112-first guarantee, in the resident's language (issue 14).

chat.py calls this after Rasa (or the degraded answer) replied: when the
safety net (bot.core.safety) saw acute danger and the first line does not
already start with "Bel 112" / "Call 112", the 112 answer goes in front. An
English message gets the English 112 answer (templates/utter_english_emergency.j2).
"""

from __future__ import annotations

from typing import Any

from bot.core.language import ENGLISH, detect_language
from bot.core.safety import Danger
from bot.texts.render import Rendered
from bot.texts.replies import Replies

EMERGENCY_PREFIXES = ("bel 112", "call 112")
ENGLISH_EMERGENCY = "utter_english_emergency"


def starts_with_112(messages: list[dict[str, Any]]) -> bool:
    return bool(messages) and str(messages[0].get("text") or "").strip().lower().startswith(EMERGENCY_PREFIXES)


def emergency_first(replies: Replies, found: Danger, message: str, region: str | None) -> Rendered:
    """The 112 answer: the same as the emergency action's, or the English one for English."""
    if detect_language(message) == ENGLISH:
        return replies.render(ENGLISH_EMERGENCY, region=region, arguments={"danger": found.kind})
    return replies.emergency(found.kind, found.risk, region)
