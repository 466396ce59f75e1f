"""The Redactie's SQLite database: one file shared by the gateway and the NLG server.

WAL mode lets the NLG process read while the gateway writes. The path comes
from NOODWIJZER_DB (default var/noodwijzer.sqlite3, outside templates/).
"""

from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path
from types import TracebackType

from bot.settings import Settings

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('national', 'regional')),
    region TEXT,
    active INTEGER NOT NULL DEFAULT 1,
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    token_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    csrf_token TEXT NOT NULL,
    created_at REAL NOT NULL,
    expires_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS login_failures (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL,
    ip TEXT NOT NULL,
    at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS login_failures_at ON login_failures(at);
CREATE TABLE IF NOT EXISTS template_versions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    region TEXT,            -- NULL = national
    source TEXT,            -- NULL = no live edit on this layer (back to the repository text)
    author TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    restored_from INTEGER,
    created_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS template_versions_key ON template_versions(name, region, id);
CREATE TABLE IF NOT EXISTS notices (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    region TEXT,            -- NULL = every region
    title TEXT NOT NULL,
    text TEXT NOT NULL,
    url TEXT NOT NULL,
    expires_at REAL NOT NULL,
    author TEXT NOT NULL,
    created_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS notices_region ON notices(region, expires_at);
CREATE TABLE IF NOT EXISTS audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at REAL NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL DEFAULT '',
    detail TEXT NOT NULL DEFAULT ''
);
"""


def db_path() -> Path:
    return Settings.from_env().db_path


class Database:
    """Opens connections to one SQLite file; one connection per thread."""

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path) if path else db_path()
        self._local = threading.local()
        self._init_lock = threading.Lock()
        self._ready = False

    def connect(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            self._ensure_schema()
            conn = self._open()
            self._local.conn = conn
        return conn

    def _open(self) -> sqlite3.Connection:
        # isolation_level=None: we open transactions ourselves (BEGIN IMMEDIATE for writes).
        conn = sqlite3.connect(self.path, timeout=10, isolation_level=None, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA busy_timeout = 10000")
        conn.execute("PRAGMA foreign_keys = ON")
        return conn

    def _ensure_schema(self) -> None:
        with self._init_lock:
            if self._ready:
                return
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = self._open()
            try:
                conn.execute("PRAGMA journal_mode = WAL")
                conn.executescript(SCHEMA)
            finally:
                conn.close()
            try:
                os.chmod(self.path, 0o600)  # password hashes and sessions: owner only
            except OSError:
                pass
            self._ready = True

    def write(self) -> _Write:
        """Context manager for one write transaction."""
        return _Write(self.connect())

    def data_version(self) -> int:
        """Changes when another connection committed (cheap change counter for caches)."""
        version: int = self.connect().execute("PRAGMA data_version").fetchone()[0]
        return version


class _Write:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __enter__(self) -> sqlite3.Connection:
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.conn.execute("ROLLBACK" if exc_type else "COMMIT")


_default: Database | None = None
_default_lock = threading.Lock()


def default_db() -> Database:
    """The process-wide database at NOODWIJZER_DB (re-opened if the variable changes)."""
    global _default
    with _default_lock:
        if _default is None or _default.path != db_path():
            _default = Database()
        return _default
