"""The advice residents get: national defaults (data/knowledge/risks.yml) with the Redactie's edits on top.

Plain data in, plain data out, so the NLG endpoint, the gateway and the
Redactie's preview merge the same way. An edit document (one per risk and
layer) looks like this; every key is optional:

    {"title": "Storm",
     "sources": [{"url": "https://...", "checked": "2026-11-29", "about": "..."}],
     "phases": {"tijdens": {"intro": "...", "tips": ["...", "", "Kop:", "..."],
                            "extra": ["..."]}}}

Each layer replaces what it names ("tips" is the whole list). "extra" adds
tips after the list; on a regional layer under a heading "In <regio>:".
In a tip list an empty string is a bubble break and a line ending in ":" a
heading (the same rule as risks.yml). Staff may write named placeholders
like [regio]; `fill_placeholders` puts the values in at render time.
"""

from __future__ import annotations

import re
from typing import Any, Protocol

from bot.core.risks import PHASES

PHASE_FIELDS = ("intro", "tips", "extra")
# Placeholder name -> what it stands for (the Redactie shows this list to staff).
PLACEHOLDERS: dict[str, str] = {
    "regio": "de naam van de veiligheidsregio",
    "gemeente": "de gemeente van de bewoner (als die bekend is)",
    "omroep": "de regionale omroep",
    "frequentie": "de FM-frequentie van de regionale omroep",
    "website": "de website van de veiligheidsregio",
    "waarschuwingssite": "de site met waarschuwingen voor de regio",
}
# Said when a value is not known, so a sentence still reads well.
FALLBACKS: dict[str, str] = {
    "regio": "je regio",
    "gemeente": "je gemeente",
    "omroep": "je regionale omroep",
    "frequentie": "de frequentie van je regionale omroep",
    "website": "de website van je veiligheidsregio",
    "waarschuwingssite": "crisis.nl",
}
PLACEHOLDER_RE = re.compile(r"\[([a-z]+)\]")


class AdviceSource(Protocol):
    """Where edits come from (bot/redactie/advice.py reads them from the editor's store)."""

    def risk_edits(self, key: str, region: str | None) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        """(national edit, regional edit) for one risk; None where a layer has none."""
        ...

    def channel_edits(self, region: str) -> dict[str, Any] | None: ...


def _phase_edit(doc: dict[str, Any] | None, phase: str) -> dict[str, Any]:
    phases = (doc or {}).get("phases")
    edit = phases.get(phase) if isinstance(phases, dict) else None
    return edit if isinstance(edit, dict) else {}


def _lines(value: Any) -> list[str] | None:
    if not isinstance(value, list):
        return None
    return [str(v) for v in value]


def _apply(result: dict[str, Any], doc: dict[str, Any] | None, heading: str | None) -> None:
    """One layer on top of result (in place). heading: the regional addition's heading."""
    if not doc:
        return
    title = doc.get("title")
    if isinstance(title, str) and title.strip():
        result["title"] = title.strip()
    sources = doc.get("sources")
    if isinstance(sources, list) and sources:
        result["sources"] = [dict(s) for s in sources if isinstance(s, dict)]
    for phase in PHASES:
        edit = _phase_edit(doc, phase)
        intro = edit.get("intro")
        if isinstance(intro, str) and intro.strip():
            result["intro"][phase] = intro.strip()
        tips = _lines(edit.get("tips"))
        if tips is not None:
            result[phase] = tips
        extra = [t for t in _lines(edit.get("extra")) or [] if t.strip()]
        if extra:
            result[phase] = [*result[phase], *([f"In {heading}:"] if heading else [""]), *extra]


def merge_risk(
    base: dict[str, Any],
    national: dict[str, Any] | None = None,
    regional: dict[str, Any] | None = None,
    region_name: str | None = None,
) -> dict[str, Any]:
    """The risk as templates see it: base (bot.core.risks.get_risk or the action's
    payload), then the national edit, then the regional edit. Never changes base."""
    result: dict[str, Any] = {**base, "intro": dict(base.get("intro") or {})}
    for phase in PHASES:
        result[phase] = list(base.get(phase) or [])
    if "sources" in base:
        result["sources"] = [dict(s) for s in base["sources"]]
    _apply(result, national, None)
    _apply(result, regional, region_name or "je regio")
    return result


def merge_channels(region: dict[str, Any] | None, edit: dict[str, Any] | None) -> dict[str, Any] | None:
    """Region facts (bot.core.regions.get_region) with the national editors' channel edit:
    radio_name, fm, alert_site. Empty values keep the default."""
    if region is None or not edit:
        return region
    result = {**region, "radio": dict(region.get("radio") or {})}
    name = edit.get("radio_name")
    if isinstance(name, str) and name.strip():
        result["radio"]["name"] = name.strip()
    fm = edit.get("fm")
    if isinstance(fm, str) and fm.strip():
        result["radio"]["fm"] = fm.strip()
    site = edit.get("alert_site")
    if isinstance(site, str) and site.startswith("https://"):
        result["alert_site"] = site
    return result


def _site(url: Any) -> str | None:
    if not isinstance(url, str) or not url:
        return None
    return url.removeprefix("https://").removeprefix("http://").rstrip("/")


def placeholder_values(region: dict[str, Any] | None, slots: dict[str, Any] | None) -> dict[str, str]:
    """The value of each placeholder for one conversation; missing ones get a fallback."""
    values = dict(FALLBACKS)
    if region:
        radio = region.get("radio") or {}
        found = {
            "regio": region.get("name"),
            "omroep": radio.get("name"),
            "frequentie": f"{radio['fm']} FM" if radio.get("fm") else None,
            "website": _site(region.get("website")),
            "waarschuwingssite": _site(region.get("alert_site")),
        }
        values.update({k: str(v) for k, v in found.items() if v})
    gemeente = (slots or {}).get("gemeente")
    if isinstance(gemeente, str) and gemeente.strip():
        values["gemeente"] = gemeente.strip()
    return values


def fill_placeholders(text: str, values: dict[str, str]) -> str:
    """[regio] -> "Zeeland". Unknown names stay as written (the Redactie refuses them on save)."""
    return PLACEHOLDER_RE.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def fill_risk(risk: dict[str, Any], values: dict[str, str]) -> dict[str, Any]:
    """Placeholders filled in in the title, the intros and every tip."""
    result = dict(risk)
    result["title"] = fill_placeholders(str(risk.get("title", "")), values)
    result["intro"] = {p: fill_placeholders(t, values) for p, t in (risk.get("intro") or {}).items()}
    for phase in PHASES:
        result[phase] = [fill_placeholders(t, values) for t in risk.get(phase) or []]
    return result
