"""Live template edits: every save is a new version; the latest one is live.

Implements bot.texts.render.TemplateStore. region None is the national layer.
A version whose source is None means "no live edit on this layer": the
repository text (or, for a region, the national text) shows again.

The chat reads through a cache of all live sources that is reloaded only when
the database's change generation moves (bot/redactie/db.py). While the
database is down the cache keeps serving the last published texts.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from bot.redactie.db import Database, default_db

logger = logging.getLogger(__name__)

RETRY_AFTER_FAILURE_S = 2.0  # how long the chat serves its cache before asking a failing database again


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
# The latest version of every (name, region) layer.
_LATEST = "SELECT MAX(id) FROM template_versions GROUP BY name, region"
# region = :region does not match NULL; the explicit branch works on both engines.
_SAME_LAYER = "name = :name AND (region = :region OR (region IS NULL AND :region IS NULL))"


def _version(row: Any) -> Version:
    return Version(**dict(row))


class LiveCache:
    """Data loaded from the database, reloaded when its change generation moves.

    Serves the last good value when the database cannot be reached, and asks
    again at most every RETRY_AFTER_FAILURE_S seconds. Before anything was
    loaded, a failure gives `empty` (or raises when that is None). Other live data the chat
    reads (notices, and new tables) can use the same class.
    """

    def __init__(self, db: Database, load: Any, what: str, empty: Any = None) -> None:
        self.db = db
        self._load = load
        self._what = what
        self._empty = empty  # served when the very first load fails (e.g. started while the database is down)
        self._lock = threading.Lock()
        self._value: Any = None
        self._generation: int | None = None
        self._failed_at = 0.0

    def invalidate(self) -> None:
        self._generation = None

    def get(self) -> Any:
        generation: int | None
        try:
            generation = self.db.generation()
        except Exception:  # the change feed itself failed: keep what we have
            generation = self._generation if self._value is not None else None
        if self._value is not None and generation is not None and generation == self._generation:
            return self._value
        if time.monotonic() - self._failed_at < RETRY_AFTER_FAILURE_S:
            if self._value is not None:
                return self._value
            if self._empty is not None:
                return self._empty
        with self._lock:
            if self._value is not None and generation == self._generation:
                return self._value
            try:
                value = self._load()
            except Exception as error:
                if self._failed_at == 0.0 or self._value is None:
                    logger.warning(
                        "%s unavailable (%s); using the last loaded version", self._what, type(error).__name__
                    )
                self._failed_at = time.monotonic()
                if self._value is not None:
                    return self._value
                if self._empty is not None:
                    return self._empty
                raise
            self._value, self._generation, self._failed_at = value, generation, 0.0
            return value


class SqlTemplateStore:
    def __init__(self, db: Database | None = None) -> None:
        self.db = db or default_db()
        self._cache = LiveCache(self.db, self._load_live, "live texts", empty={})

    # --- the TemplateStore protocol (hot path: called on every render) ---------

    def get_source(self, name: str, region: str | None) -> str | None:
        live: dict[tuple[str, str | None], str] = self._cache.get()
        return live.get((name, region))

    def _load_live(self) -> dict[tuple[str, str | None], str]:
        rows = self.db.rows(f"SELECT name, region, source FROM template_versions WHERE id IN ({_LATEST})")
        return {(r["name"], r["region"]): r["source"] for r in rows if r["source"] is not None}

    def _invalidate(self) -> None:
        # Our own commit: reload at the next render without waiting for the change feed.
        self._cache.invalidate()

    # --- versions ------------------------------------------------------------

    def latest(self, name: str, region: str | None) -> Version | None:
        row = self.db.row(
            f"SELECT {_COLUMNS} FROM template_versions WHERE {_SAME_LAYER} ORDER BY id DESC LIMIT 1",
            name=name,
            region=region,
        )
        return _version(row) if row else None

    def history(self, name: str, region: str | None, limit: int = 100) -> list[Version]:
        rows = self.db.rows(
            f"SELECT {_COLUMNS} FROM template_versions WHERE {_SAME_LAYER} ORDER BY id DESC LIMIT :limit",
            name=name,
            region=region,
            limit=limit,
        )
        return [_version(r) for r in rows]

    def get_version(self, version_id: int) -> Version | None:
        row = self.db.row(f"SELECT {_COLUMNS} FROM template_versions WHERE id = :id", id=version_id)
        return _version(row) if row else None

    def live_versions(self) -> dict[tuple[str, str | None], Version]:
        """Latest version per (name, region), including 'back to repository' markers."""
        rows = self.db.rows(f"SELECT {_COLUMNS} FROM template_versions WHERE id IN ({_LATEST})")
        return {(r["name"], r["region"]): _version(r) for r in rows}

    def save(
        self,
        name: str,
        region: str | None,
        source: str | None,
        author: str,
        note: str = "",
        restored_from: int | None = None,
        conn: Connection | None = None,
    ) -> Version:
        """Append a version. Callers validate first (see editor.py); this only stores."""
        if conn is None:
            with self.db.write() as own:
                return self.save(name, region, source, author, note, restored_from, conn=own)
        now = time.time()
        params = {
            "name": name,
            "region": region,
            "source": source,
            "author": author,
            "note": note[:500],
            "restored_from": restored_from,
            "created_at": now,
        }
        new_id: int = conn.execute(
            text(
                "INSERT INTO template_versions (name, region, source, author, note, restored_from, created_at) "
                "VALUES (:name, :region, :source, :author, :note, :restored_from, :created_at) RETURNING id"
            ),
            params,
        ).scalar_one()
        self.db.notify_change(conn)
        self._invalidate()
        return Version(new_id, name, region, source, author, note[:500], restored_from, now)


# The name the rest of the Redactie has used since the SQLite-only days.
SqliteTemplateStore = SqlTemplateStore

_stores: dict[str, SqlTemplateStore] = {}


def default_store() -> SqlTemplateStore:
    """The store on the process-wide database; bot.texts.context hands it to the renderer."""
    db = default_db()
    store = _stores.get(db.key)
    if store is None or store.db is not db:
        store = _stores[db.key] = SqlTemplateStore(db)
    return store


def open_default_store() -> SqlTemplateStore | None:
    """The default store for a server that starts; None (repository texts only)
    when the database cannot be opened, so a broken file never stops the bot."""
    try:
        return default_store()
    except Exception:
        logger.exception("template store unavailable; using repository texts only")
        return None
