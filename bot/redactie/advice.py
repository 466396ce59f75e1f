"""Advice as data: what staff edit per risk and phase, and the channels per region.

Every edit is one JSON document per risk and layer (national or VRxx), kept
with versions in the editor's store (the same versioned table as the live
templates, under the names below), so history, restore and "back to the
default" work the same way. data/knowledge stays the national default.

    advies:<risk>           the published edit (latest version is live)
    concept:advies:<risk>   the draft (not live); may wait for a second person
    kanalen                 the channels of a region (national editors only)

The merge itself is bot.core.advice (pure); this module stores, checks,
compares versions and hands the chat its edits (StoreAdvice).
"""

from __future__ import annotations

import difflib
import functools
import json
from dataclasses import dataclass, field
from typing import Any

from bot.core import risks
from bot.core.advice import PHASE_FIELDS, merge_risk
from bot.core.regions import get_region, is_region_code
from bot.core.risks import PHASES
from bot.redactie import audit, markup
from bot.redactie.accounts import User
from bot.redactie.db import Database
from bot.redactie.markup import Problem
from bot.redactie.store import SqlTemplateStore, Version

PREFIX = "advies:"
DRAFT = "concept:"
CHANNELS = "kanalen"
GENERAL = "algemeen"  # the page for title and sources
PARTS = (*PHASES, GENERAL)
MAX_DOC = 64 * 1024


# Advice documents are versions in the editor's own store (bot/redactie/store.py), named "advies:<key>".
VersionStore = SqlTemplateStore


class AdviceError(ValueError):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def doc_name(key: str) -> str:
    return PREFIX + key


def target(key: str, region: str | None) -> str:
    return f"advies:{region or 'NL'}:{key}"


@functools.lru_cache(maxsize=512)
def _parse(source: str) -> dict[str, Any]:
    value = json.loads(source)
    return value if isinstance(value, dict) else {}


def parse(source: str | None) -> dict[str, Any] | None:
    """A stored document; a copy, so callers may change it."""
    if not source:
        return None
    try:
        copy: dict[str, Any] = json.loads(json.dumps(_parse(source)))
    except ValueError:
        return None
    return copy


def dump(doc: dict[str, Any]) -> str:
    return json.dumps(doc, ensure_ascii=False, sort_keys=True)


# --- what the chat reads -------------------------------------------------------------


class StoreAdvice:
    """bot.core.advice.AdviceSource on the editor's store (cached by the store)."""

    def __init__(self, store: VersionStore) -> None:
        self.store = store

    def _doc(self, name: str, region: str | None) -> dict[str, Any] | None:
        source = self.store.get_source(name, region)
        return _parse(source) if source else None

    def risk_edits(self, key: str, region: str | None) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        national = self._doc(doc_name(key), None)
        regional = self._doc(doc_name(key), region) if region and is_region_code(region) else None
        return national, regional

    def channel_edits(self, region: str) -> dict[str, Any] | None:
        return self._doc(CHANNELS, region) if is_region_code(region) else None


def open_advice(store: VersionStore | None) -> StoreAdvice | None:
    return StoreAdvice(store) if store is not None else None


# --- access --------------------------------------------------------------------------


def check_access(user: User, key: str, region: str | None) -> None:
    if not risks.is_risk_key(key):
        raise AdviceError("unknown_risk")
    if region is not None and not is_region_code(region):
        raise AdviceError("bad_region")
    if not user.can_edit_templates(region):
        raise PermissionError(f"{user.username} may not edit {target(key, region)}")


# --- the layers as an editor sees them -------------------------------------------------


def national_default(key: str) -> dict[str, Any]:
    risk = risks.get_risk(key)
    if risk is None:
        raise AdviceError("unknown_risk")
    return risk


def published(store: VersionStore, key: str, region: str | None) -> dict[str, Any]:
    latest = store.latest(doc_name(key), region)
    return (parse(latest.source) if latest else None) or {}


@dataclass(frozen=True)
class Draft:
    doc: dict[str, Any]
    author: str
    review: bool  # vier ogen: a second national editor must publish it
    version: Version


def draft(store: VersionStore, key: str, region: str | None) -> Draft | None:
    latest = store.latest(DRAFT + doc_name(key), region)
    stored = parse(latest.source) if latest else None
    if latest is None or stored is None:
        return None
    return Draft(doc=stored.get("doc") or {}, author=latest.author, review=bool(stored.get("review")), version=latest)


def below(key: str, region: str | None, store: VersionStore) -> dict[str, Any]:
    """What a layer builds on: the default for the national layer, the national result for a region."""
    base = national_default(key)
    if region is None:
        return merge_risk(base)
    return merge_risk(base, published(store, key, None))


def effective(key: str, region: str | None, store: VersionStore, doc: dict[str, Any]) -> dict[str, Any]:
    """The advice residents of this layer get with doc as this layer's edit."""
    base = national_default(key)
    if region is None:
        return merge_risk(base, doc)
    info = get_region(region)
    return merge_risk(base, published(store, key, None), doc, info.get("name") if info else region)


# --- from a form to a document ---------------------------------------------------------


def _phase(doc: dict[str, Any], phase: str) -> dict[str, Any]:
    phases = doc.setdefault("phases", {})
    entry: dict[str, Any] = phases.setdefault(phase, {})
    return entry


def _tidy(doc: dict[str, Any]) -> dict[str, Any]:
    phases = {p: {k: v for k, v in e.items() if v not in (None, "", [])} for p, e in (doc.get("phases") or {}).items()}
    tidy = {k: v for k, v in doc.items() if k != "phases" and v not in (None, "", [])}
    phases = {p: e for p, e in phases.items() if e}
    if phases:
        tidy["phases"] = phases
    return tidy


def apply_form(
    doc: dict[str, Any], part: str, form: dict[str, str], under: dict[str, Any]
) -> tuple[dict[str, Any], list[Problem]]:
    """The edit of one page (a phase, or title and sources) applied to a copy of doc.

    under: the layer below (see `below`). A field equal to what the layer below
    says is not stored, so later changes to the default still come through."""
    doc = json.loads(json.dumps(doc))
    problems: list[Problem] = []
    if part == GENERAL:
        title = " ".join(form.get("titel", "").split())
        problems += markup.check_title(title)
        doc["title"] = title if title and title != under.get("title") else None
        sources, found = markup.parse_sources(form.get("bronnen", ""))
        problems += found
        same = [s["url"] for s in sources] == [s["url"] for s in under.get("sources") or []] and [
            s["checked"] for s in sources
        ] == [str(s["checked"]) for s in under.get("sources") or []]
        doc["sources"] = None if same or not sources else sources
        return _tidy(doc), problems
    if part not in PHASES:
        raise AdviceError("unknown_part")
    entry = _phase(doc, part)
    intro = markup.clean_intro(form.get("intro", ""))
    problems += markup.check_intro(intro)
    entry["intro"] = intro or None
    tips = markup.parse_tips(form.get("tips", ""))
    problems += markup.check_tips(tips, "tips")
    if not [t for t in tips if t]:
        problems.append(Problem("no_tips", "tips"))
    entry["tips"] = None if tips == list(under.get(part) or []) else tips
    extra = [t for t in markup.parse_tips(form.get("extra", "")) if t]
    problems += markup.check_tips(extra, "extra")
    entry["extra"] = extra or None
    return _tidy(doc), problems


def check_doc(doc: dict[str, Any]) -> list[Problem]:
    """A whole document again (for restore: it must still be valid)."""
    problems: list[Problem] = []
    if len(dump(doc)) > MAX_DOC:
        return [Problem("too_long", "document", str(MAX_DOC))]
    if isinstance(doc.get("title"), str):
        problems += markup.check_title(doc["title"])
    for source in doc.get("sources") or []:
        if not str(source.get("url", "")).startswith("https://"):
            problems.append(Problem("source_link", "bronnen", str(source.get("url", ""))[:80]))
    for phase, entry in (doc.get("phases") or {}).items():
        if phase not in PHASES or not isinstance(entry, dict) or set(entry) - set(PHASE_FIELDS):
            problems.append(Problem("bad_document", "document", phase))
            continue
        problems += markup.check_intro(str(entry.get("intro") or ""))
        for name in ("tips", "extra"):
            problems += markup.check_tips([str(t) for t in entry.get(name) or []], name)
    return problems


# --- saving: draft, publish, approve, restore, reset -----------------------------------


def save_draft(
    db: Database,
    store: VersionStore,
    user: User,
    key: str,
    region: str | None,
    doc: dict[str, Any],
    review: bool = False,
) -> Version:
    check_access(user, key, region)
    review = review and region is None  # vier ogen is for national texts
    with db.write() as conn:
        version = store.save(
            DRAFT + doc_name(key), region, dump({"doc": doc, "review": review}), user.username, conn=conn
        )
        audit.record(
            conn, user.username, "advice_draft", target(key, region), f"v{version.id}{' vier ogen' if review else ''}"
        )
    return version


def _publish(
    db: Database,
    store: VersionStore,
    user: User,
    key: str,
    region: str | None,
    source: str | None,
    action: str,
    note: str = "",
    restored_from: int | None = None,
) -> Version:
    with db.write() as conn:
        version = store.save(doc_name(key), region, source, user.username, note, restored_from=restored_from, conn=conn)
        if store.latest(DRAFT + doc_name(key), region) is not None:
            store.save(DRAFT + doc_name(key), region, None, user.username, "", conn=conn)  # the draft is done
        audit.record(conn, user.username, action, target(key, region), f"v{version.id} {note}".strip())
    return version


def publish(
    db: Database,
    store: VersionStore,
    user: User,
    key: str,
    region: str | None,
    doc: dict[str, Any],
    note: str = "",
) -> Version:
    """Live within seconds. A draft that waits for vier ogen can only be published by someone else."""
    check_access(user, key, region)
    pending = draft(store, key, region)
    if pending is not None and pending.review and pending.author == user.username:
        raise AdviceError("four_eyes")
    if check_doc(doc):
        raise AdviceError("invalid")
    action = "advice_approve" if pending is not None and pending.review else "advice_publish"
    return _publish(db, store, user, key, region, dump(doc) if doc else None, action, note.strip()[:200])


def restore(db: Database, store: VersionStore, user: User, version_id: int) -> Version:
    old = store.get_version(version_id)
    if old is None or not old.name.startswith(PREFIX):
        raise AdviceError("no_such_version")
    key = old.name.removeprefix(PREFIX)
    check_access(user, key, old.region)
    doc = parse(old.source)
    if doc is not None and check_doc(doc):
        raise AdviceError("invalid")
    return _publish(db, store, user, key, old.region, old.source, "advice_restore", f"v{old.id}", restored_from=old.id)


def reset(db: Database, store: VersionStore, user: User, key: str, region: str | None) -> Version:
    """Back to the national default (national layer) or to the national advice (a region)."""
    check_access(user, key, region)
    return _publish(db, store, user, key, region, None, "advice_reset")


# --- channels per region (national editors) --------------------------------------------

CHANNEL_FIELDS = ("radio_name", "fm", "alert_site")


def channels(store: VersionStore, region: str) -> dict[str, Any]:
    latest = store.latest(CHANNELS, region)
    return (parse(latest.source) if latest else None) or {}


def check_channels(form: dict[str, str]) -> tuple[dict[str, str], list[Problem]]:
    edit = {k: " ".join(form.get(k, "").split())[:120] for k in CHANNEL_FIELDS}
    problems: list[Problem] = []
    for k in ("radio_name", "fm"):
        problems += markup.check_text(edit[k], k)
    if edit["fm"] and not all(part.strip().replace(".", "", 1).isdigit() for part in edit["fm"].split("/")):
        problems.append(Problem("frequency", "fm"))
    site = edit["alert_site"]
    if site and (not site.startswith("https://") or " " in site or len(site) <= len("https://")):
        problems.append(Problem("link", "alert_site", site[:80]))
    return {k: v for k, v in edit.items() if v}, problems


def save_channels(db: Database, store: VersionStore, user: User, region: str, edit: dict[str, str]) -> Version:
    if not is_region_code(region):
        raise AdviceError("bad_region")
    if not user.is_national:
        raise PermissionError(f"{user.username} may not edit channels")
    with db.write() as conn:
        version = store.save(CHANNELS, region, dump(edit) if edit else None, user.username, conn=conn)
        audit.record(conn, user.username, "channels_save", f"kanalen:{region}", f"v{version.id}")
    return version


# --- the difference between versions, as changes that the page words -------------------


@dataclass(frozen=True)
class Change:
    kind: str  # title, intro, tip_changed, tip_added, tip_removed, order, sources, bubble
    phase: str | None = None
    list: str = "tips"  # tips or extra
    number: int | None = None
    before: str | None = None
    after: str | None = None


def _list_changes(phase: str, name: str, before: list[str], after: list[str]) -> list[Change]:
    if before == after:
        return []
    old, new = [t for t in before if t], [t for t in after if t]
    if old == new:
        return [Change("bubble", phase, name)]
    if sorted(old) == sorted(new):
        return [Change("order", phase, name)]
    changes: list[Change] = []
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op == "replace" and a2 - a1 == b2 - b1:
            changes += [
                Change("tip_changed", phase, name, b1 + i + 1, old[a1 + i], new[b1 + i]) for i in range(a2 - a1)
            ]
            continue
        if op in ("replace", "delete"):
            changes += [Change("tip_removed", phase, name, a1 + i + 1, old[a1 + i]) for i in range(a2 - a1)]
        if op in ("replace", "insert"):
            changes += [Change("tip_added", phase, name, b1 + i + 1, None, new[b1 + i]) for i in range(b2 - b1)]
    return changes


def changes(before: dict[str, Any] | None, after: dict[str, Any] | None, under: dict[str, Any]) -> list[Change]:
    """What changed from one version of a layer to the next, for people.

    Missing fields read as the layer below (`under`), so "tips back to the
    national list" shows as the tips that changed."""
    a, b = before or {}, after or {}
    found: list[Change] = []
    title_a, title_b = a.get("title") or under.get("title"), b.get("title") or under.get("title")
    if title_a != title_b:
        found.append(Change("title", before=title_a, after=title_b))
    for phase in PHASES:
        pa, pb = (a.get("phases") or {}).get(phase) or {}, (b.get("phases") or {}).get(phase) or {}
        if (pa.get("intro") or "") != (pb.get("intro") or ""):
            found.append(Change("intro", phase, before=pa.get("intro") or "", after=pb.get("intro") or ""))
        default = list(under.get(phase) or [])
        tips_a = pa.get("tips", default)
        tips_b = pb.get("tips", default)
        found += _list_changes(phase, "tips", tips_a, tips_b)
        found += _list_changes(phase, "extra", pa.get("extra") or [], pb.get("extra") or [])
    urls_a = [s.get("url") for s in a.get("sources") or under.get("sources") or []]
    urls_b = [s.get("url") for s in b.get("sources") or under.get("sources") or []]
    dates_a = [s.get("checked") for s in a.get("sources") or under.get("sources") or []]
    dates_b = [s.get("checked") for s in b.get("sources") or under.get("sources") or []]
    if urls_a != urls_b or dates_a != dates_b:
        added = [u for u in urls_b if u not in urls_a]
        removed = [u for u in urls_a if u not in urls_b]
        found.append(Change("sources", before=", ".join(map(str, removed)), after=", ".join(map(str, added))))
    return found


@dataclass(frozen=True)
class HistoryEntry:
    version: Version
    changes: list[Change] = field(default_factory=list)
    is_reset: bool = False


def history(store: VersionStore, key: str, region: str | None, limit: int = 100) -> list[HistoryEntry]:
    versions = store.history(doc_name(key), region, limit + 1)
    under = below(key, region, store)
    entries = []
    for i, version in enumerate(versions[:limit]):
        previous = versions[i + 1] if i + 1 < len(versions) else None
        before = parse(previous.source) if previous else None
        entries.append(
            HistoryEntry(version, changes(before, parse(version.source), under), is_reset=version.source is None)
        )
    return entries
