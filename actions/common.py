"""Helpers shared by the action modules."""
from __future__ import annotations

from typing import Any, Optional

from rasa_sdk import Tracker

from bot.context import valid_region


def current_region(tracker: Tracker) -> Optional[str]:
    """The region the resident gave (slot) wins over the embedding site's region."""
    region = valid_region(tracker.get_slot("region"))
    if region:
        return region
    metadata: Any = (tracker.latest_message or {}).get("metadata") or {}
    region = valid_region(metadata.get("region")) if isinstance(metadata, dict) else None
    if region:
        return region
    started = tracker.get_slot("session_started_metadata")
    return valid_region(started.get("region")) if isinstance(started, dict) else None


def latest_text(tracker: Tracker) -> str:
    return (tracker.latest_message or {}).get("text") or ""
