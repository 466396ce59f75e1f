"""Embed settings ("Instellingen") per region and gemeente, stored as versions (issue 20).

Each save is a new row of `embed_settings`; the newest row of a party is live and
overrides data/embed/regions.yml. A party is a region ("VR19") or a gemeente
under it ("VR19/goes"), which embeds the widget as its own party: its own site
addresses and, if it wants, its own greeting. Every write is audited and sends
a change notification, so every gateway uses it within seconds.
"""

from __future__ import annotations

import base64
import json
import re
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text

from bot.core import embed_rules
from bot.core.embed_rules import SettingError
from bot.core.regions import is_region_code
from bot.redactie import audit
from bot.redactie.accounts import User
from bot.redactie.db import Database
from bot.redactie.store import LiveCache

GEMEENTE_RE = re.compile(r"^(?!geschiedenis$|herstel$)[a-z][a-z0-9-]{1,40}$")  # not a page's name
# The fields a region sets; a gemeente sets only name, origins and (optionally) greeting and language.
REGION_FIELDS = ("name", "greeting", "colors", "language", "privacy", "origins", "logo")
GEMEENTE_FIELDS = ("name", "greeting", "origins", "language")


class ForbiddenError(PermissionError):
    """This account may not change this party's settings."""


@dataclass(frozen=True)
class SettingsVersion:
    id: int
    party: str
    data: dict[str, Any]
    author: str
    note: str
    created_at: float


def split_party(party: str) -> tuple[str, str | None]:
    """'VR19' -> ('VR19', None); 'VR19/goes' -> ('VR19', 'goes'); else ValueError."""
    region, _, gemeente = party.partition("/")
    if not is_region_code(region) or (gemeente and not GEMEENTE_RE.match(gemeente)):
        raise ValueError(f"not a party: {party!r}")
    return region, gemeente or None


def may_manage(user: User, party: str) -> bool:
    region, gemeente = split_party(party)
    if not user.can_manage_embed(region):
        return False
    # A gemeente is added (and managed) by a national beheerder (issue 20).
    return gemeente is None or user.region is None


def _version(row: Any) -> SettingsVersion:
    return SettingsVersion(
        id=row["id"],
        party=row["party"],
        data=json.loads(row["data"]),
        author=row["author"],
        note=row["note"],
        created_at=row["created_at"],
    )


def current(db: Database, party: str) -> SettingsVersion | None:
    row = db.row(
        "SELECT id, party, data, author, note, created_at FROM embed_settings WHERE party = :party "
        "ORDER BY id DESC LIMIT 1",
        party=party,
    )
    return _version(row) if row else None


def history(db: Database, party: str, limit: int = 50) -> list[SettingsVersion]:
    rows = db.rows(
        "SELECT id, party, data, author, note, created_at FROM embed_settings WHERE party = :party "
        "ORDER BY id DESC LIMIT :limit",
        party=party,
        limit=limit,
    )
    return [_version(row) for row in rows]


def gemeenten(db: Database, region: str) -> list[str]:
    rows = db.rows("SELECT DISTINCT party FROM embed_settings WHERE party LIKE :prefix", prefix=f"{region}/%")
    return sorted(row["party"] for row in rows)


def live_settings(db: Database) -> dict[str, dict[str, Any]]:
    """The newest settings of every party, logos replaced by their address."""
    rows = db.rows(
        "SELECT e.id, e.party, e.data FROM embed_settings e "
        "WHERE e.id = (SELECT MAX(m.id) FROM embed_settings m WHERE m.party = e.party)"
    )
    out: dict[str, dict[str, Any]] = {}
    for row in rows:
        data = json.loads(row["data"])
        logo = data.pop("logo", None)
        if isinstance(logo, dict):
            data["logo_url"] = f"/widget/logo/{row['id']}.{logo['kind']}"
        elif logo == "none":
            data["logo_url"] = None
        out[row["party"]] = data
    return out


def logo_of(db: Database, version_id: int) -> tuple[str, bytes] | None:
    row = db.row("SELECT data FROM embed_settings WHERE id = :id", id=version_id)
    logo = json.loads(row["data"]).get("logo") if row else None
    if not isinstance(logo, dict):
        return None
    return logo["kind"], base64.b64decode(logo["data"])


class LiveSettings:
    """live_settings() cached until the next committed change (any process)."""

    def __init__(self, db: Database) -> None:
        self._cache = LiveCache(db, lambda: live_settings(db), "embed settings", empty={})

    def get(self) -> dict[str, dict[str, Any]]:
        value: dict[str, dict[str, Any]] = self._cache.get()
        return value


def validate(
    party: str,
    fields: dict[str, str],
    logo_upload: bytes | None,
    previous: dict[str, Any] | None,
    allow_loopback_http: bool = False,
) -> dict[str, Any]:
    """The posted form -> the data to store, or SettingError with the reason in Dutch."""
    _region, gemeente = split_party(party)
    data: dict[str, Any] = {}
    data["name"] = embed_rules.check_line(fields.get("name", ""), "een naam", limit=60)
    greeting = fields.get("greeting", "").strip()
    if greeting or gemeente is None:
        data["greeting"] = embed_rules.check_greeting(greeting)
    data["origins"] = embed_rules.check_origins(fields.get("origins", "").splitlines(), allow_loopback_http)
    if gemeente is not None:
        if not data["origins"]:
            raise SettingError("Vul minstens één adres in waarop de gemeente de chat laat zien.")
        if fields.get("language"):  # empty: the region's language
            data["language"] = embed_rules.check_language(fields["language"])
        return data
    data["colors"] = embed_rules.check_colors({key: fields.get(key, "") for key in embed_rules.COLOR_KEYS})
    data["language"] = embed_rules.check_language(fields.get("language", "nl"))
    data["privacy"] = embed_rules.check_line(fields.get("privacy", ""), "de privacyregel", limit=300, required=False)
    if logo_upload:
        kind, clean = embed_rules.clean_logo(logo_upload)
        data["logo"] = {"kind": kind, "data": base64.b64encode(clean).decode("ascii")}
    elif fields.get("logo_remove"):
        data["logo"] = "none"
    elif previous and "logo" in previous:
        data["logo"] = previous["logo"]  # keep the logo that was there
    return data


def save(db: Database, user: User, party: str, data: dict[str, Any], note: str = "") -> SettingsVersion:
    if not may_manage(user, party):
        raise ForbiddenError(party)
    now = time.time()
    with db.write() as conn:
        version_id: int = conn.execute(
            text(
                "INSERT INTO embed_settings (party, data, author, note, created_at) "
                "VALUES (:party, :data, :author, :note, :created_at) RETURNING id"
            ),
            {
                "party": party,
                "data": json.dumps(data, ensure_ascii=False, sort_keys=True),
                "author": user.username,
                "note": note[:200],
                "created_at": now,
            },
        ).scalar_one()
        changed = ",".join(sorted(data))
        audit.record(conn, user.username, "settings_save", f"instellingen:{party}:", f"v{version_id} {changed} {note}")
        db.notify_change(conn)
    return SettingsVersion(version_id, party, data, user.username, note, now)


def restore(db: Database, user: User, party: str, version_id: int) -> SettingsVersion:
    """An old version becomes live again as a new version (history is never rewritten)."""
    if not may_manage(user, party):
        raise ForbiddenError(party)
    old = db.row("SELECT data FROM embed_settings WHERE id = :id AND party = :party", id=version_id, party=party)
    if old is None:
        raise KeyError(version_id)
    return save(db, user, party, json.loads(old["data"]), note=f"hersteld: v{version_id}")
