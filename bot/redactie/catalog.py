"""Which texts staff may edit, and what each layer currently says."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.core import knowledge, risks
from bot.redactie.store import SqliteTemplateStore, Version
from bot.texts.render import NAME_RE


def templates_dir() -> Path:
    return Path(knowledge.TEMPLATES_DIR)


def template_names() -> list[str]:
    """Every chat text in templates/ (one file per response; _files are internal)."""
    return sorted(
        p.stem
        for p in templates_dir().glob("*.j2")
        if p.is_file() and NAME_RE.match(p.stem) and not p.stem.startswith("_")
    )


def file_source(name: str, region: str | None) -> str | None:
    base = templates_dir() / "regions" / region if region else templates_dir()
    path = base / f"{name}.j2"
    return path.read_text(encoding="utf-8") if path.is_file() else None


@dataclass(frozen=True)
class Layer:
    """One layer's current text: a live edit, the repository file, or nothing."""

    source: str | None
    live: Version | None  # latest live version (may be a 'back to repository' marker)
    file_source: str | None

    @property
    def origin(self) -> str:
        if self.live is not None and self.live.source is not None:
            return "live"
        return "file" if self.file_source is not None else "none"


def layer(store: SqliteTemplateStore, name: str, region: str | None) -> Layer:
    live = store.latest(name, region)
    from_file = file_source(name, region)
    source = live.source if live is not None and live.source is not None else from_file
    return Layer(source=source, live=live, file_source=from_file)


# --- the list staff see: Dutch names, grouped by topic ---------------------------------

NAMES_FILE = knowledge.ROOT / "data" / "redactie" / "names.yml"
WORDS = "woorden"
ADVANCED = "geavanceerd"
ADVICE = "advies"


@functools.cache
def names() -> dict[str, Any]:
    with open(NAMES_FILE, encoding="utf-8") as fh:
        data: dict[str, Any] = yaml.safe_load(fh)
    return data


@dataclass(frozen=True)
class Entry:
    title: str
    topic: str
    url: str
    kind: str  # advies, woorden or geavanceerd
    name: str  # template name or risk key

    def matches(self, query: str) -> bool:
        words = query.lower().split()
        haystack = f"{self.title} {self.topic}".lower()
        return all(word in haystack for word in words)


def text_name(name: str) -> str:
    entry = names()["teksten"].get(name)
    return str(entry["naam"]) if entry else name


def text_kind(name: str) -> str:
    entry = names()["teksten"].get(name)
    return str(entry.get("soort", ADVANCED)) if entry else ADVANCED


def notice_first(name: str) -> bool:
    """The greeting shows the incident notice before staff's words."""
    entry = names()["teksten"].get(name)
    return bool(entry and entry.get("melding_eerst"))


def advice_title(key: str, part: str) -> str:
    risk = risks.get_risk(key)
    label = (risk["title"] if risk else key).lower()
    spec = names()["advies"]
    return str(spec["algemeen"] if part == "algemeen" else spec["naam"]).format(risico=label, fase=part)


def entries(advanced: bool) -> list[Entry]:
    """Every text staff can open. Template texts with logic only when advanced."""
    spec = names()["advies"]
    found: list[Entry] = []
    for key in risks.RISK_KEYS:
        for part in (*risks.PHASES, "algemeen"):
            found.append(
                Entry(advice_title(key, part), spec["onderwerp"], f"/redactie/advies/{key}/{part}", ADVICE, key)
            )
    for name in template_names():
        info = names()["teksten"].get(name) or {"naam": name, "onderwerp": "Overig", "soort": ADVANCED}
        kind = str(info.get("soort", ADVANCED))
        if kind == ADVANCED and not advanced:
            continue
        found.append(Entry(str(info["naam"]), str(info["onderwerp"]), f"/redactie/tekst/{name}", kind, name))
    return found


def grouped(found: list[Entry]) -> list[tuple[str, list[Entry]]]:
    order = list(names()["onderwerpen"])
    topics = sorted({e.topic for e in found}, key=lambda t: (order.index(t) if t in order else len(order), t))
    return [(topic, [e for e in found if e.topic == topic]) for topic in topics]


@dataclass(frozen=True)
class Row:
    """One line in the list: a text, or one risk with its parts (voor, tijdens, na, titel en bronnen)."""

    label: str
    entries: tuple[Entry, ...]

    @property
    def search(self) -> str:
        return " ".join(f"{e.title} {e.topic}" for e in self.entries).lower()


def rows(found: list[Entry]) -> list[tuple[str, list[Row]]]:
    """grouped(), with the parts of one risk on one line."""
    result: list[tuple[str, list[Row]]] = []
    for topic, items in grouped(found):
        lines: list[Row] = []
        for entry in items:
            if (
                entry.kind == ADVICE
                and lines
                and lines[-1].entries[0].kind == ADVICE
                and lines[-1].entries[0].name == entry.name
            ):
                lines[-1] = Row(lines[-1].label, (*lines[-1].entries, entry))
            elif entry.kind == ADVICE:
                risk = risks.get_risk(entry.name)
                lines.append(Row(risk["title"] if risk else entry.name, (entry,)))
            else:
                lines.append(Row(entry.title, (entry,)))
        result.append((topic, lines))
    return result


def part_label(entry: Entry) -> str:
    """What an advice link shows next to the risk's name: "voor", "tijdens", "na", "titel en bronnen"."""
    return entry.url.rsplit("/", 1)[-1].replace("algemeen", "titel en bronnen")
