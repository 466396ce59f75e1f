"""Live template edits: every save is a new version; the latest one is live.

Implements bot.texts.render.TemplateStore. region None is the national layer.
A version whose source is None means "no live edit on this layer": the
repository text (or, for a region, the national text) shows again.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from dataclasses import dataclass

from bot.redactie.db import Database, default_db

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Version:
    id: int
    name: str
    region: str | None
    source: str | None
    author: str
    note: str
    restored_from: int | None
    created_at: float


_COLUMNS = "id, name, region, source, author, note, restored_from, created_at"


class SqliteTemplateStore:
    def __init__(self, db: Database | None = None) -> None:
        self.db = db or default_db()
        # Per thread, because PRAGMA data_version is per connection.
        self._local = threading.local()

    # --- the TemplateStore protocol (hot path: called on every render) ---------

    def get_source(self, name: str, region: str | None) -> str | None:
        return self._live().get((name, region))

    def _live(self) -> dict[tuple[str, str | None], str]:
        """All live sources, reloaded only when another connection committed."""
        version = self.db.data_version()
        cache: dict[tuple[str, str | None], str] | None = getattr(self._local, "cache", None)
        if cache is not None and self._local.version == version:
            return cache
        rows = (
            self.db.connect()
            .execute(
                "SELECT name, region, source FROM template_versions WHERE id IN "
                "(SELECT MAX(id) FROM template_versions GROUP BY name, region)"
            )
            .fetchall()
        )
        cache = {(r["name"], r["region"]): r["source"] for r in rows if r["source"] is not None}
        self._local.cache, self._local.version = cache, version
        return cache

    def _invalidate(self) -> None:
        # Our own commits do not change data_version on our own connection.
        self._local.cache = None

    # --- versions ------------------------------------------------------------

    def latest(self, name: str, region: str | None) -> Version | None:
        row = (
            self.db.connect()
            .execute(
                f"SELECT {_COLUMNS} FROM template_versions WHERE name = ? AND region IS ? ORDER BY id DESC LIMIT 1",
                (name, region),
            )
            .fetchone()
        )
        return Version(**dict(row)) if row else None

    def history(self, name: str, region: str | None, limit: int = 100) -> list[Version]:
        rows = (
            self.db.connect()
            .execute(
                f"SELECT {_COLUMNS} FROM template_versions WHERE name = ? AND region IS ? ORDER BY id DESC LIMIT ?",
                (name, region, limit),
            )
            .fetchall()
        )
        return [Version(**dict(r)) for r in rows]

    def get_version(self, version_id: int) -> Version | None:
        row = (
            self.db.connect()
            .execute(f"SELECT {_COLUMNS} FROM template_versions WHERE id = ?", (version_id,))
            .fetchone()
        )
        return Version(**dict(row)) if row else None

    def live_versions(self) -> dict[tuple[str, str | None], Version]:
        """Latest version per (name, region), including 'back to repository' markers."""
        rows = (
            self.db.connect()
            .execute(
                f"SELECT {_COLUMNS} FROM template_versions WHERE id IN "
                "(SELECT MAX(id) FROM template_versions GROUP BY name, region)"
            )
            .fetchall()
        )
        return {(r["name"], r["region"]): Version(**dict(r)) for r in rows}

    def save(
        self,
        name: str,
        region: str | None,
        source: str | None,
        author: str,
        note: str = "",
        restored_from: int | None = None,
        conn: sqlite3.Connection | None = None,
    ) -> Version:
        """Append a version. Callers validate first (see editor.py); this only stores."""
        now = time.time()
        args = (name, region, source, author, note[:500], restored_from, now)
        sql = (
            "INSERT INTO template_versions (name, region, source, author, note, restored_from, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)"
        )
        if conn is not None:
            cur = conn.execute(sql, args)
        else:
            with self.db.write() as own:
                cur = own.execute(sql, args)
        self._invalidate()
        assert cur.lastrowid is not None  # always set after an INSERT
        return Version(cur.lastrowid, name, region, source, author, note[:500], restored_from, now)


_stores: dict[str, SqliteTemplateStore] = {}


def default_store() -> SqliteTemplateStore:
    """The store on NOODWIJZER_DB; bot.texts.context hands it to the renderer."""
    db = default_db()
    key = str(db.path)
    if key not in _stores:
        _stores[key] = SqliteTemplateStore(db)
    return _stores[key]


def open_default_store() -> SqliteTemplateStore | None:
    """The default store for a server that starts; None (repository texts only)
    when the database cannot be opened, so a broken file never stops the bot."""
    try:
        return default_store()
    except Exception:
        logger.exception("template store unavailable; using repository texts only")
        return None
