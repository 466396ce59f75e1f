"""Short English answers (issue 14): advice per risk from data/knowledge/english.yml."""

from __future__ import annotations

import re
from typing import Any

from bot.core import risks
from bot.core.knowledge import load_yaml

ENGLISH_FILE = "english.yml"
_KIT = re.compile(r"\b(emergency kit|emergency bag|go bag|grab bag|survival kit|supplies|stock up|pack)\b", re.I)


def advice(key: Any) -> dict[str, Any] | None:
    """{key, title, tips} in English for a risk key, or None."""
    if not risks.is_risk_key(key):
        return None
    entry = (load_yaml(ENGLISH_FILE).get("risks") or {}).get(key)
    if not entry:
        return None
    return {"key": key, "title": entry["title"], "tips": list(entry.get("tips") or [])}


def emergency_arguments(kind: str | None) -> dict[str, Any]:
    return {"danger": kind}


def is_kit_question(text: str) -> bool:
    return bool(_KIT.search(text or ""))
