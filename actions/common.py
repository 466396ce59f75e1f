"""Helpers shared by the action modules."""

from __future__ import annotations

from typing import Optional

from rasa_sdk import Tracker

from bot.core.regions import choose_region


def current_region(tracker: Tracker) -> Optional[str]:
    """The conversation's region, by the one rule in bot.core.regions."""
    return choose_region(
        slot=tracker.get_slot("region"),
        message_metadata=(tracker.latest_message or {}).get("metadata"),
        session_metadata=tracker.get_slot("session_started_metadata"),
    )


def latest_text(tracker: Tracker) -> str:
    return (tracker.latest_message or {}).get("text") or ""
