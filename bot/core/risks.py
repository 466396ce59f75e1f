"""Risk catalogue: the 16 handelingsperspectieven from data/knowledge/risks.yml.

Plain Python (no Rasa). Used by the risk actions, the public API, the
degraded-mode chat answer and the NLU synonym generator.
"""

from __future__ import annotations

import functools
import re
from typing import Any, TypeGuard

from rapidfuzz import fuzz, process

from bot.core.knowledge import load_yaml
from bot.core.text import strip_accents

KNOWLEDGE_FILE = "risks.yml"

# The contract order (shared/DESIGN.md). The YAML must hold exactly these keys.
RISK_KEYS: tuple[str, ...] = (
    "stroomstoring",
    "overstroming",
    "storm",
    "hitte",
    "winterweer",
    "natuurbrand",
    "brand",
    "gevaarlijke_stoffen",
    "drinkwater",
    "telecomstoring",
    "cyberaanval",
    "infectieziekte",
    "kernongeval",
    "terrorisme",
    "militaire_dreiging",
    "aardbeving",
)
PHASES: tuple[str, ...] = ("voor", "tijdens", "na")
DEFAULT_PHASE = "tijdens"

# Typo tolerance for match_risk: only words this long, scored this high, so
# short everyday words ("storing", "water") never turn into a risk by accident.
FUZZY_MIN_LEN = 6
FUZZY_MIN_SCORE = 87


def normalize(text: str) -> str:
    """Lower case, no diacritics, punctuation to spaces (keeps digits and hyphens inside words)."""
    text = strip_accents(text or "").lower()
    text = re.sub(r"[^a-z0-9\-]+", " ", text)
    text = re.sub(r"(?<![a-z0-9])-|-(?![a-z0-9])", " ", text)
    return " ".join(text.split())


def _catalogue() -> dict[str, Any]:
    catalogue: dict[str, Any] = load_yaml(KNOWLEDGE_FILE)
    return catalogue


def _risks() -> dict[str, dict[str, Any]]:
    risks: dict[str, dict[str, Any]] = _catalogue()["risks"]
    return risks


def phase_info() -> dict[str, dict[str, Any]]:
    """Cue words per phase (the wording of phases lives in the templates)."""
    phases: dict[str, dict[str, Any]] = _catalogue()["phases"]
    return phases


def is_risk_key(key: Any) -> TypeGuard[str]:
    return isinstance(key, str) and key in RISK_KEYS


def get_risk(key: str) -> dict[str, Any] | None:
    """The risk as a plain, JSON-safe dict, or None for an unknown key.

    A copy, so callers (and Rasa, which serialises action kwargs) cannot
    change the cached knowledge.
    """
    if not is_risk_key(key):
        return None
    raw = _risks().get(key)
    if raw is None:
        return None
    return {
        "key": key,
        "title": raw["title"],
        "synonyms": list(raw.get("synonyms") or []),
        "voor": list(raw.get("voor") or []),
        "tijdens": list(raw.get("tijdens") or []),
        "na": list(raw.get("na") or []),
        "sources": [
            {"url": s["url"], "checked": str(s["checked"]), "about": s.get("about", "")}
            for s in raw.get("sources") or []
        ],
    }


def list_risks() -> list[dict[str, str]]:
    """[{key, title}] in contract order."""
    return [{"key": key, "title": _risks()[key]["title"]} for key in RISK_KEYS]


def synonyms() -> dict[str, str]:
    """Every resident word -> risk key. The key itself (with spaces) counts too."""
    table: dict[str, str] = {}
    for key in RISK_KEYS:
        words = [key.replace("_", " "), *(_risks()[key].get("synonyms") or [])]
        for word in words:
            table.setdefault(normalize(str(word)), key)
    return table


@functools.lru_cache(maxsize=1)
def _match_tables() -> tuple[dict[str, str], list[str], re.Pattern[str]]:
    table = synonyms()
    # Longest phrase first, so "natuurbrand" beats "brand" and
    # "computervirus" beats "virus".
    phrases = sorted(table, key=len, reverse=True)
    pattern = re.compile(r"(?<![a-z0-9])(" + "|".join(re.escape(p) for p in phrases) + r")(?![a-z0-9])")
    single_words = [p for p in phrases if " " not in p and len(p) >= FUZZY_MIN_LEN]
    return table, single_words, pattern


def match_risk(text: str, fuzzy: bool = True) -> str | None:
    """Best risk key for free text, or None.

    Exact (normalised) synonym phrases first, the longest match wins; then,
    unless fuzzy=False, a fuzzy match per word to catch typos
    ("stroomstorng", "overstoming").
    """
    norm = normalize(text)
    if not norm:
        return None
    table, single_words, pattern = _match_tables()
    found = pattern.findall(norm)
    if found:
        return table[max(found, key=len)]
    if not fuzzy:
        return None
    best: tuple[float, str] | None = None
    for word in norm.split():
        if len(word) < FUZZY_MIN_LEN:
            continue
        hit = process.extractOne(word, single_words, scorer=fuzz.ratio, score_cutoff=FUZZY_MIN_SCORE)
        if hit and (best is None or hit[1] > best[0]):
            best = (hit[1], hit[0])
    return table[best[1]] if best else None


def phase_synonyms() -> dict[str, str]:
    """NLU phase entity words -> voor/tijdens/na (the phase names map to themselves)."""
    table = {phase: phase for phase in PHASES}
    for phase in PHASES:
        for word in phase_info()[phase].get("entity_synonyms") or []:
            table.setdefault(normalize(str(word)), phase)
    return table


@functools.cache
def _phrase_patterns(key: str) -> tuple[re.Pattern[str], ...]:
    """The phrases of one risk as whole-word patterns, longest phrase first."""
    phrases = sorted((w for w, k in _match_tables()[0].items() if k == key), key=len, reverse=True)
    return tuple(re.compile(r"(?<![0-9a-zà-ÿ])" + re.escape(p) + r"(?![0-9a-zà-ÿ])") for p in phrases)


def find_risk(text: str, fuzzy: bool = True) -> tuple[str, int, int] | None:
    """(key, start, end) of the risk named in text, with character offsets into text.

    For NLU post-processing, where an entity needs a span. Same rules as
    match_risk; a fuzzy (typo) hit spans the misspelled word.
    """
    key = match_risk(text, fuzzy=fuzzy)
    if key is None:
        return None
    lowered = (text or "").lower()
    best: tuple[int, int] | None = None
    for pattern in _phrase_patterns(key):
        found = pattern.search(lowered)
        if found:
            best = (found.start(), found.end())
            break
    if best is None:
        # Typo: the longest word that on its own matches the same risk.
        for word in sorted(re.finditer(r"[0-9a-zà-ÿ\-]+", lowered), key=lambda m: -len(m.group())):
            if match_risk(word.group()) == key:
                best = (word.start(), word.end())
                break
    if best is None:
        return None
    return key, best[0], best[1]


def normalize_phase(value: Any) -> str | None:
    """Map a phase entity value ("daarna", "Voor", "gebeurt") to voor/tijdens/na."""
    if not isinstance(value, str):
        return None
    norm = normalize(value)
    return phase_synonyms().get(norm) or detect_phase(norm)


@functools.lru_cache(maxsize=1)
def _phase_patterns() -> list[tuple[str, re.Pattern[str]]]:
    info = phase_info()
    # "na" first: "wat nu de storm voorbij is" names the present ("nu") but asks about after.
    # Then "voor": "hoe bereid ik me voor nu het gaat stormen" is about preparing.
    order = ("na", "voor", "tijdens")
    patterns = []
    for phase in order:
        cues = sorted((normalize(c) for c in info[phase]["cues"]), key=len, reverse=True)
        patterns.append((phase, re.compile(r"(?<![a-z0-9])(" + "|".join(map(re.escape, cues)) + r")(?![a-z0-9])")))
    return patterns


def detect_phase(text: str) -> str | None:
    """voor / tijdens / na from the wording of a question, or None when it gives no hint."""
    norm = normalize(text)
    if not norm:
        return None
    # An explicit phase word wins over indirect cues ("tijdens en na" -> the first one named).
    explicit = re.search(r"(?<![a-z0-9])(voor|tijdens|na)(?![a-z0-9])\s*$", norm)
    if explicit and len(norm.split()) <= 2:
        return explicit.group(1)
    for phase, pattern in _phase_patterns():
        if pattern.search(norm):
            return phase
    return None


def next_phase(phase: str | None) -> str:
    """The natural follow-up: voor -> tijdens -> na; after na, back to voor."""
    if phase not in PHASES:
        return DEFAULT_PHASE
    return PHASES[(PHASES.index(phase) + 1) % len(PHASES)]


def other_phases(phase: str) -> list[str]:
    return [p for p in PHASES if p != phase]
