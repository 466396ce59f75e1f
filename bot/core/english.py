"""Short English answers (issue 14): advice per risk from data/knowledge/english.yml."""

from __future__ import annotations

import re
from typing import Any

from bot.core import risks
from bot.core.knowledge import load_yaml

ENGLISH_FILE = "english.yml"
# An English question about supplies: the kit names (also the Dutch "noodpakket"), and
# storing food or water for days ("how much water should I store", "days of food").
_KIT = re.compile(
    r"\b(emergency kit|emergency bag|go[- ]?bag|grab bag|bug[- ]?out bag|survival kit|supplies|stock up|pack"
    r"|noodpakket\w*|noodtas|what goes in (it|the|a|my)"
    r"|(store|stock|stockpile)\b[\w\s]{0,30}\b(food|water|tins|cans|batteries)"
    r"|how (much|many)\b[\w\s]{0,20}\b(water|food|litres|liters)"
    r"|days of (food|water))\b",
    re.I,
)


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
