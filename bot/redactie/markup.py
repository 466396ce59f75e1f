"""The small, safe markup communication staff write in (no Jinja2 for staff).

- A blank line starts a new chat bubble.
- Links must start with https://.
- Named placeholders in square brackets: [regio], [gemeente] ... (bot.core.advice.PLACEHOLDERS).
- No template code ({{ }}, {% %}) and no button lines (knop: ...).

Problems come back as codes with a detail; the pages word them in Dutch.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from typing import Any

from bot.core.advice import FALLBACKS, PLACEHOLDER_RE, PLACEHOLDERS

MAX_TIP = 300
MAX_TIPS = 40
MAX_INTRO = 600
MAX_TITLE = 80
MAX_SOURCES = 20
MAX_SOURCE_ABOUT = 200
MAX_WORDS = 2000

_CODE_RE = re.compile(r"\{\{|\{%|\{#|%\}|\}\}|#\}")
_BUTTON_RE = re.compile(r"^\s*knop\s*:", re.IGNORECASE | re.MULTILINE)
# Anything that looks like a link: a scheme, or a bare www. address.
_LINK_RE = re.compile(r"\b(?:[a-z][a-z0-9+.-]*://|www\.)\S*", re.IGNORECASE)
_BULLET_RE = re.compile(r"^\s*(?:[-*•]\s+)")
_DATE_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_DATE_NL = re.compile(r"^(\d{1,2})-(\d{1,2})-(\d{4})$")


@dataclass(frozen=True)
class Problem:
    code: str
    field: str  # which form field: "titel", "intro", "tips", "extra", "bronnen", ...
    detail: str = ""
    line: int | None = None


def check_text(text: str, field: str, line: int | None = None) -> list[Problem]:
    """Everything staff text may not contain."""
    problems: list[Problem] = []
    if _CODE_RE.search(text):
        problems.append(Problem("code", field, "", line))
    if _BUTTON_RE.search(text):
        problems.append(Problem("button", field, "", line))
    for link in _LINK_RE.findall(text):
        if not link.lower().startswith("https://") or len(link) <= len("https://"):
            problems.append(Problem("link", field, link[:80], line))
    for name in PLACEHOLDER_RE.findall(text):
        if name not in PLACEHOLDERS:
            problems.append(Problem("placeholder", field, f"[{name}]", line))
    for found in re.findall(r"\[[^\]\n]*\]", text):
        if not PLACEHOLDER_RE.fullmatch(found):
            problems.append(Problem("placeholder", field, found[:40], line))
    return problems


def parse_tips(text: str) -> list[str]:
    """One tip per line; a blank line is a bubble break (""); a bullet in front is dropped."""
    tips: list[str] = []
    for raw in (text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = _BULLET_RE.sub("", raw).strip()
        if line:
            tips.append(" ".join(line.split()))
        elif tips and tips[-1] != "":
            tips.append("")
    while tips and tips[-1] == "":
        tips.pop()
    return tips


def tips_text(tips: list[str]) -> str:
    """The other way round: what the text box shows."""
    return "\n".join(tips)


def check_tips(tips: list[str], field: str) -> list[Problem]:
    problems: list[Problem] = []
    if sum(1 for t in tips if t) > MAX_TIPS:
        problems.append(Problem("too_many_tips", field, str(MAX_TIPS)))
    for number, tip in enumerate(tips, start=1):
        if len(tip) > MAX_TIP:
            problems.append(Problem("tip_too_long", field, str(MAX_TIP), number))
        problems.extend(check_text(tip, field, number))
    return problems


def clean_intro(text: str) -> str:
    """Normalised line ends, at most one blank line in a row, no spaces at the ends."""
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n")
    text = re.sub(r"[ \t]+\n", "\n", text)
    return re.sub(r"\n\s*\n(\s*\n)*", "\n\n", text).strip()


def check_intro(text: str) -> list[Problem]:
    problems = check_text(text, "intro")
    if len(text) > MAX_INTRO:
        problems.append(Problem("too_long", "intro", str(MAX_INTRO)))
    return problems


def check_title(text: str) -> list[Problem]:
    problems = check_text(text, "titel")
    if "\n" in text or len(text) > MAX_TITLE:
        problems.append(Problem("too_long", "titel", str(MAX_TITLE)))
    return problems


def _date(value: str) -> dt.date | None:
    try:
        iso = _DATE_ISO.match(value)
        if iso:
            return dt.date(int(iso[1]), int(iso[2]), int(iso[3]))
        nl = _DATE_NL.match(value)
        if nl:
            return dt.date(int(nl[3]), int(nl[2]), int(nl[1]))
    except ValueError:
        return None
    return None


def parse_sources(text: str) -> tuple[list[dict[str, str]], list[Problem]]:
    """One source per line: "https://... 29-11-2026 what it supports" (link, date checked, about)."""
    sources: list[dict[str, str]] = []
    problems: list[Problem] = []
    for number, raw in enumerate((text or "").splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        parts = line.split(maxsplit=2)
        url = parts[0]
        checked = _date(parts[1]) if len(parts) > 1 else None
        about = parts[2].strip() if len(parts) > 2 else ""
        if not url.lower().startswith("https://") or len(url) <= len("https://") or len(url) > 500:
            problems.append(Problem("source_link", "bronnen", url[:80], number))
            continue
        if checked is None or checked > dt.date.today() + dt.timedelta(days=1):
            problems.append(Problem("source_date", "bronnen", "", number))
            continue
        problems.extend(check_text(about, "bronnen", number))
        sources.append({"url": url, "checked": checked.isoformat(), "about": about[:MAX_SOURCE_ABOUT]})
    if len(sources) > MAX_SOURCES:
        problems.append(Problem("too_many_sources", "bronnen", str(MAX_SOURCES)))
    return sources, problems


def sources_text(sources: list[dict[str, Any]]) -> str:
    lines = []
    for source in sources:
        checked = _date(str(source.get("checked", "")))
        when = checked.strftime("%d-%m-%Y") if checked else str(source.get("checked", ""))
        lines.append(" ".join(p for p in (str(source.get("url", "")), when, str(source.get("about", ""))) if p))
    return "\n".join(lines)


# --- plain texts (Begroeting, Afscheid ...): staff's words become a template ------------

WORDS_MARKER = "{#- redactie: woorden -#}\n"
# Texts that show the incident notice first (the greeting) keep doing so with staff's words.
NOTICE_FIRST = (
    "{% if notice %}\nLet op: {{ notice.title }}\n{% if notice.text %}\n{{ notice.text }}\n{% endif %}\n"
    "{% if notice.url %}\nMeer informatie: {{ notice.url }}\n{% endif %}\n\n{% endif %}\n"
)


def _expression(name: str) -> str:
    fallback = json.dumps(FALLBACKS[name], ensure_ascii=False)
    value = {
        "regio": "region.name if region else none",
        "gemeente": 'slots.get("gemeente")',
        "omroep": "region.radio.name if region else none",
        "frequentie": 'region.radio.fm ~ " FM" if region and region.radio.fm else none',
        "website": 'region.website.split("://")[-1].rstrip("/") if region and region.website else none',
        "waarschuwingssite": 'region.alert_site.split("://")[-1].rstrip("/") if region and region.alert_site else none',
    }[name]
    return "{{ (" + value + ") or " + fallback + " }}"


def check_words(text: str) -> list[Problem]:
    """A plain text: like check_text, but a button line (knop: Titel | /vraag) may stay."""
    problems = [p for p in check_text(text, "tekst") if p.code != "button"]
    if not text.strip():
        problems.append(Problem("empty", "tekst"))
    if len(text) > MAX_WORDS:
        problems.append(Problem("too_long", "tekst", str(MAX_WORDS)))
    return problems


def to_template(text: str, notice_first: bool = False) -> str:
    """Checked words -> the template the chat renders. check_words first: no template code can be in text."""
    body = clean_intro(text)
    body = PLACEHOLDER_RE.sub(lambda m: _expression(m.group(1)) if m.group(1) in PLACEHOLDERS else m.group(0), body)
    return WORDS_MARKER + (NOTICE_FIRST if notice_first else "") + body + "\n"


def from_template(source: str) -> str | None:
    """The words back from a template that to_template made; None for a developer's template."""
    if not source.startswith(WORDS_MARKER):
        return None
    body = source[len(WORDS_MARKER) :].removeprefix(NOTICE_FIRST).rstrip("\n")
    for name in PLACEHOLDERS:
        body = body.replace(_expression(name), f"[{name}]")
    return body
