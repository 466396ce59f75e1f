"""Gemeente -> veiligheidsregio lookup and region facts (no Rasa imports).

Data: data/knowledge/gemeenten.csv (342 gemeenten, aliases, well-known places),
data/knowledge/regions.yml (25 regions) and data/knowledge/channels.yml.

Public interface:
    get_region(code) -> dict | None
    lookup_gemeente(text) -> LookupResult   (status "found" | "ambiguous" | "unknown")
    extract_gemeente(text) -> LookupResult | None   (find a gemeente inside a sentence)
    national_channels() -> dict
    all_gemeenten() -> list[Gemeente]
    REGION_CODES

Safety rule: a typo never resolves silently. Fuzzy matches only become
suggestions, because many villages are one letter away from another gemeente
(Dieren/Diemen, Heerle/Heerde) and a wrong region is worse than a question.
"""

from __future__ import annotations

import copy
import csv
import datetime
import functools
import re
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz, process

from bot.core.knowledge import KNOWLEDGE_DIR, load_yaml
from bot.core.text import strip_accents

# The one definition of a region code: the 25 veiligheidsregio's, VR01..VR25.
REGION_CODES = tuple(f"VR{n:02d}" for n in range(1, 26))
_REGION_CODE_SET = frozenset(REGION_CODES)


def is_region_code(value: object) -> bool:
    """True for "VR01".."VR25" exactly (no spaces, no lower case)."""
    return isinstance(value, str) and value in _REGION_CODE_SET


def valid_region(value: object) -> str | None:
    """The code itself when it is a region code, else None."""
    return value if isinstance(value, str) and value in _REGION_CODE_SET else None


def choose_region(slot: object = None, message_metadata: object = None, session_metadata: object = None) -> str | None:
    """Which region a conversation is about; the one rule for it.

    The region the resident told us (slot) wins over the embedding site's
    region on this message, which wins over the site's region when the
    conversation started.
    """
    for candidate in (
        slot,
        message_metadata.get("region") if isinstance(message_metadata, dict) else None,
        session_metadata.get("region") if isinstance(session_metadata, dict) else None,
    ):
        region = valid_region(candidate)
        if region:
            return region
    return None


MAX_INPUT_CHARS = 100  # longer input is not a gemeente name; avoids wasted fuzzy work
MAX_SUGGESTIONS = 3
SUGGESTION_CUTOFF = 60
SUGGESTION_SPREAD = 15

# Gemeente names that are also ordinary Dutch words ("mijn buren", "het is best",
# "ik weet het echt niet"). Inside a sentence they only count after a place cue.
_COMMON_WORDS = frozenset(
    {
        "best",
        "buren",
        "putten",
        "echt",
        "weert",
        "hoorn",
        "sluis",
        "son",
        "horst",
        "epe",
        "ede",
        "goes",
        "oss",
        "beek",
        "stein",
        "mill",
        "grave",
        "olst",
        "laren",
        "tiel",
        "urk",
        "edam",
        "borne",
        "heeze",
        "leende",
        "roden",
        "nuth",
        "gulpen",
    }
)
_PLACE_CUE = re.compile(r"\b(?:in|uit|te|bij|gemeente|regio|woonplaats|woon|wonen)\s+$")
# Words after which the rest of the message is probably a place name.
_CUE_PHRASE = re.compile(
    r"\b(?:woon|wonen|woont|zit|zitten|ben|kom|kom ik)\s+(?:\w+\s+)?(?:in|uit|te)\s+(.+)$"
    r"|\bgemeente\s+(.+)$"
)


@dataclass(frozen=True)
class Gemeente:
    code: str  # CBS code, e.g. GM0687
    name: str  # official CBS name, e.g. "Middelburg (Z.)"
    region: str  # VR01..VR25
    display: str  # name to show residents, e.g. "Middelburg"
    aliases: tuple[str, ...] = ()
    places: tuple[str, ...] = ()


@dataclass
class LookupResult:
    status: str  # "found" | "ambiguous" | "unknown"
    gemeente: str | None = None  # official CBS name
    region_code: str | None = None
    candidates: list[str] = field(default_factory=list)
    gemeente_code: str | None = None
    display: str | None = None  # friendly gemeente name
    matched: str | None = None  # the name as written in our data (alias or place)
    via_place: bool = False  # True when `matched` is a woonplaats inside the gemeente

    @property
    def found(self) -> bool:
        return self.status == "found"


def normalize(text: str) -> str:
    """Lowercase, strip diacritics and punctuation: "Súdwest-Fryslân" -> "sudwest fryslan"."""
    text = strip_accents(text).lower().replace("’", "'")
    text = re.sub(r"[^a-z0-9]+", " ", text).strip()
    # "St. Michielsgestel" and "Sint-Michielsgestel" are the same name.
    text = re.sub(r"\bst\b", "sint", text)
    return text


def _split(cell: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in cell.split("|") if part.strip())


@functools.lru_cache(maxsize=1)
def all_gemeenten() -> tuple[Gemeente, ...]:
    path = KNOWLEDGE_DIR / "gemeenten.csv"
    with open(path, encoding="utf-8", newline="") as fh:
        lines = [line for line in fh if not line.startswith("#")]
    result = []
    for row in csv.DictReader(lines):
        result.append(
            Gemeente(
                code=row["code"],
                name=row["name"],
                region=row["region"],
                display=row["display"] or row["name"],
                aliases=_split(row["aliases"]),
                places=_split(row["places"]),
            )
        )
    return tuple(result)


@functools.lru_cache(maxsize=1)
def _by_code() -> dict[str, Gemeente]:
    return {g.code: g for g in all_gemeenten()}


@dataclass(frozen=True)
class _Entry:
    code: str
    surface: str  # the spelling in our data
    is_place: bool


@functools.lru_cache(maxsize=1)
def _index() -> dict[str, tuple[_Entry, ...]]:
    """Normalised name -> entries. More than one gemeente under a key = ambiguous."""
    index: dict[str, dict[str, _Entry]] = {}

    def add(key_text: str, code: str, is_place: bool) -> None:
        key = normalize(key_text)
        if not key:
            return
        bucket = index.setdefault(key, {})
        # Keep the first (most official) surface per gemeente.
        bucket.setdefault(code, _Entry(code, key_text, is_place))

    for g in all_gemeenten():
        add(g.name, g.code, False)
        add(g.display, g.code, False)
        for alias in g.aliases:
            add(alias, g.code, False)
        for place in g.places:
            add(place, g.code, True)
    return {key: tuple(bucket.values()) for key, bucket in index.items()}


@functools.lru_cache(maxsize=1)
def _compact_index() -> dict[str, tuple[_Entry, ...]]:
    """Same keys without spaces, so "denhaag" and "noord beveland" still match."""
    compact: dict[str, dict[str, _Entry]] = {}
    for key, entries in _index().items():
        # Skip keys with qualifier letters ("hengelo o", "bergen nh"): glued
        # together they look like typos ("hengeloo") and would resolve silently.
        if any(len(token) < 3 for token in key.split()):
            continue
        bucket = compact.setdefault(key.replace(" ", ""), {})
        for entry in entries:
            bucket.setdefault(entry.code, entry)
    return {key: tuple(b.values()) for key, b in compact.items()}


def _label_for(code: str, ambiguous_key: str) -> str:
    """A name for this gemeente that starts like the ambiguous input and is unique."""
    g = _by_code()[code]
    index = _index()
    for option in (g.display, *g.aliases, *g.places, g.name):
        key = normalize(option)
        if key.startswith(ambiguous_key) and len(index.get(key, ())) == 1:
            return option
    return g.display


def _unique_label(code: str) -> str:
    g = _by_code()[code]
    if len(_index().get(normalize(g.display), ())) == 1:
        return g.display
    return g.name


def _result_from_entries(key: str, entries: tuple[_Entry, ...]) -> LookupResult:
    if len(entries) == 1:
        entry = entries[0]
        g = _by_code()[entry.code]
        return LookupResult(
            status="found",
            gemeente=g.name,
            region_code=g.region,
            gemeente_code=g.code,
            display=g.display,
            matched=entry.surface,
            via_place=entry.is_place,
        )
    return LookupResult(
        status="ambiguous",
        candidates=[_label_for(e.code, key) for e in entries],
    )


def _similarity(query: str, key: str, **_: Any) -> float:
    """Edit similarity, with credit for a typed beginning ("utreg" ~ "utrecht")."""
    score = fuzz.ratio(query, key)
    if len(query) >= 4 and len(key) > len(query):
        score = max(score, 0.9 * fuzz.ratio(query, key[: len(query)]))
    return score


def suggest(text: str, limit: int = MAX_SUGGESTIONS) -> list[str]:
    """Closest gemeente names for an unknown input, best first (may be empty)."""
    key = normalize(text)[:MAX_INPUT_CHARS]
    if len(key) < 2:
        return []
    matches = process.extract(key, list(_index()), scorer=_similarity, limit=limit * 4, score_cutoff=SUGGESTION_CUTOFF)
    if not matches:
        return []
    # Drop far-behind matches so "Amsterdma" only suggests Amsterdam.
    best_score = matches[0][1]
    labels: list[str] = []
    seen_codes: set[str] = set()
    for match_key, score, _idx in matches:
        if score < best_score - SUGGESTION_SPREAD:
            break
        entries = _index()[match_key]
        for entry in entries:
            if entry.code in seen_codes:
                continue
            seen_codes.add(entry.code)
            if len(entries) > 1:
                labels.append(_label_for(entry.code, match_key))
            elif len(_index()[normalize(entry.surface)]) == 1:
                # The spelling the resident seems to mean (alias or place).
                labels.append(entry.surface)
            else:
                labels.append(_unique_label(entry.code))
    return labels[:limit]


def lookup_gemeente(text: str | None) -> LookupResult:
    """Resolve a gemeente (or alias or well-known place) name to its region.

    Exact after normalisation (case, diacritics, punctuation, spaces); otherwise
    "unknown" with suggestions. Never guesses a region from a fuzzy match.
    """
    if not text or not isinstance(text, str):
        return LookupResult(status="unknown")
    key = normalize(text)
    if not key or len(key) > MAX_INPUT_CHARS:
        return LookupResult(status="unknown")
    entries = _index().get(key)
    if entries:
        return _result_from_entries(key, entries)
    # Leading "gemeente" as in "gemeente Súdwest-Fryslân".
    stripped = re.sub(r"^(?:de )?gemeente ", "", key)
    if stripped != key and stripped in _index():
        return _result_from_entries(stripped, _index()[stripped])
    compact = key.replace(" ", "")
    entries = _compact_index().get(compact)
    if entries:
        return _result_from_entries(compact, entries)
    return LookupResult(status="unknown", candidates=suggest(text))


@functools.lru_cache(maxsize=1)
def _extract_pattern() -> re.Pattern[str]:
    # Longest names first so "bergen op zoom" wins over "bergen".
    keys = sorted(_index(), key=len, reverse=True)
    return re.compile(r"\b(" + "|".join(re.escape(k) for k in keys) + r")\b")


def extract_gemeente(text: str | None) -> LookupResult | None:
    """Find a gemeente inside a sentence, e.g. "ik woon in Middelburg".

    Returns None when nothing place-like is found. Longest match wins; names
    that are also common words ("best", "buren") need a cue such as "in".
    When only a cue phrase is found ("ik woon in Amsterdma"), the words after it
    are looked up (so the result may be "unknown" with suggestions).
    """
    if not text or not isinstance(text, str):
        return None
    norm = normalize(text[: MAX_INPUT_CHARS * 5])
    if not norm:
        return None
    whole = lookup_gemeente(norm) if len(norm) <= MAX_INPUT_CHARS else None
    if whole is not None and whole.status != "unknown":
        return whole
    best: re.Match[str] | None = None
    pattern = _extract_pattern()
    pos = 0
    while True:
        match = pattern.search(norm, pos)
        if match is None:
            break
        word = match.group(1)
        allowed = word not in _COMMON_WORDS or _PLACE_CUE.search(norm[: match.start()])
        if allowed and (best is None or len(word) > len(best.group(1))):
            best = match
        pos = match.start() + 1
    if best is not None:
        key = best.group(1)
        return _result_from_entries(key, _index()[key])
    cue = _CUE_PHRASE.search(norm)
    if cue:
        phrase = (cue.group(1) or cue.group(2) or "").strip()
        if phrase:
            return lookup_gemeente(phrase)
    return None


# ---------------------------------------------------------------- regions


def _verified_url(field_value: Any) -> str | None:
    if isinstance(field_value, dict) and field_value.get("verified") and field_value.get("url"):
        url: str = field_value["url"]
        return url
    return None


@functools.cache
def _region_cache(code: str) -> dict[str, Any] | None:
    data = load_yaml("regions.yml")["regions"].get(code)
    if data is None:
        return None
    radio = data.get("radio") or {}
    radio_verified = bool(radio.get("verified"))
    frequencies = [
        {"mhz": f["mhz"], "area": f.get("area")}
        for f in radio.get("frequencies") or []
        if radio_verified and f.get("verified", True)
    ]
    alert = data.get("alert_site") if isinstance(data.get("alert_site"), dict) else None
    # Unverified values are kept apart so nobody shows them by accident
    # (see the header of regions.yml: say less rather than something wrong).
    unverified: dict[str, str] = {}
    for name in ("website", "alert_site"):
        value = data.get(name)
        if isinstance(value, dict) and value.get("url") and not value.get("verified"):
            unverified[name] = value["url"]
    if radio.get("name") and not radio_verified:
        unverified["radio"] = radio["name"]
    unsure_fm = [f["mhz"] for f in radio.get("frequencies") or [] if not f.get("verified", True)]
    if unsure_fm:
        unverified["radio_fm"] = " / ".join(unsure_fm)
    return {
        "code": code,
        "name": data["name"],
        "website": _verified_url(data.get("website")),
        "alert_site": _verified_url(alert),
        "alert_app": alert.get("app") if alert and alert.get("verified") else None,
        "radio": {
            "name": radio.get("name") if radio_verified else None,
            "fm": " / ".join(f["mhz"] for f in frequencies) or None,
            "frequencies": frequencies,
        },
        "unverified": unverified,
        "sources": [s["url"] for s in data.get("sources") or []],
    }


def get_region(code: str | None) -> dict[str, Any] | None:
    """Region facts for VR01..VR25, or None. Returns a fresh copy (safe to mutate).

    Keys: code, name, website (verified url or None), alert_site (verified url
    or None), alert_app, radio {name, fm ("87.9", "89.1 / 99.6" or None),
    frequencies [{mhz, area}]}, unverified {field: value} (never show these to
    residents as fact), sources, channels (national channels, see channels.yml).
    """
    if not isinstance(code, str):
        return None
    code = code.strip().upper()
    if code not in REGION_CODES:
        return None
    region = _region_cache(code)
    if region is None:
        return None
    result = {**region, "radio": {**region["radio"], "frequencies": list(region["radio"]["frequencies"])}}
    result["unverified"] = dict(region["unverified"])
    result["sources"] = list(region["sources"])
    result["channels"] = national_channels()
    return result


def _plain(value: Any) -> Any:
    """YAML dates -> ISO strings, so results are JSON-safe for the API and Rasa."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return value


@functools.lru_cache(maxsize=1)
def _channels() -> dict[str, Any]:
    channels: dict[str, Any] = _plain(load_yaml("channels.yml")["channels"])
    return channels


def national_channels() -> dict[str, Any]:
    """National channels from channels.yml (112, 0800-1351, crisis.nl, NL-Alert ...).

    Returns a fresh copy with dates as ISO strings.
    """
    return copy.deepcopy(_channels())


def region_for_gemeente(text: str) -> dict[str, Any] | None:
    """Convenience: region dict for an exactly known gemeente name, else None."""
    result = lookup_gemeente(text)
    if not result.found:
        return None
    region = get_region(result.region_code)
    if region is not None:
        region["gemeente"] = result.gemeente
        region["gemeente_display"] = result.display
    return region
