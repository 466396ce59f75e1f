"""The Redactie's database: SQLite (one file, the default) or PostgreSQL (NW_DATABASE_URL).

SQLAlchemy Core with text() and named parameters, written in SQL that both
engines accept. The schema comes from the alembic revisions in migrations/;
every process runs them at its first database access (docs/database.md).

Change notification, so that a publication reaches every gateway and NLG
process without a restart: `generation()` changes after another connection
committed a change to what the chat shows. On SQLite that is
`PRAGMA data_version`; on PostgreSQL a listener thread counts NOTIFYs that
writers send with `notify_change(conn)`. Reading the generation never blocks
on the database, so the chat keeps its cached texts while the database is down.
"""

from __future__ import annotations

import fcntl
import logging
import os
import select
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event, exc, text
from sqlalchemy.engine import URL, Connection, Engine, RowMapping, create_engine, make_url
from sqlalchemy.pool import QueuePool

from bot.settings import ROOT, Settings

logger = logging.getLogger(__name__)

MIGRATIONS_DIR = ROOT / "migrations"
CHANNEL = "nw_changes"  # PostgreSQL NOTIFY channel for published texts and notices
CONNECT_TIMEOUT_S = 3
STATEMENT_TIMEOUT_MS = 10_000
LISTEN_RETRY_MAX_S = 5.0
# A server that vanished from the network (no refusal, no reset) is given up on
# within seconds instead of TCP's many minutes: libpq's keepalives and user timeout.
_PG_NETWORK = {
    "connect_timeout": CONNECT_TIMEOUT_S,
    "keepalives": 1,
    "keepalives_idle": 10,
    "keepalives_interval": 3,
    "keepalives_count": 3,
    "tcp_user_timeout": 10_000,
}


_MIGRATING = threading.Lock()


class DatabaseUnavailable(RuntimeError):
    """The database cannot be reached or is busy now; the editor shows 'cannot save now' (503)."""


def db_path() -> Path:
    return Settings.from_env().db_path


def database_target() -> str:
    """NW_DATABASE_URL when set, else the SQLite file at NOODWIJZER_DB."""
    settings = Settings.from_env()
    return settings.database_url or str(settings.db_path)


def _sqlite_url(path: Path) -> URL:
    return URL.create("sqlite", database=str(path))


class Database:
    """One engine (connection pool) on SQLite or PostgreSQL.

    Database(path) or Database(url=...); without either, the settings decide.
    """

    def __init__(self, path: str | os.PathLike[str] | None = None, url: str | None = None) -> None:
        if path is None and url is None:
            target = database_target()
            url, path = (target, None) if "://" in target else (None, target)
        if url is not None and make_url(url).get_backend_name() != "sqlite":
            self.url = make_url(url)
            self.path: Path | None = None
        else:
            self.path = Path(path) if path is not None else Path(make_url(url or "").database or "")
            self.url = _sqlite_url(self.path)
        self.is_postgres = self.url.get_backend_name() == "postgresql"
        self.engine = self._create_engine()
        self._init_lock = threading.Lock()
        self._ready = False
        self._feed: _Listener | _DataVersion | None = None
        self._feed_lock = threading.Lock()

    @property
    def key(self) -> str:
        """Identifies the database (for process-wide caches); no password in it."""
        key: str = self.url.render_as_string(hide_password=True)
        return key

    # --- engine -----------------------------------------------------------------

    def _create_engine(self) -> Engine:
        if not self.is_postgres:
            engine = create_engine(
                self.url,
                future=True,
                # One pool for every thread (SQLAlchemy 1.4 would open a file per checkout).
                poolclass=QueuePool,
                pool_size=5,
                max_overflow=10,
                connect_args={"timeout": 10, "check_same_thread": False},
            )
            event.listen(engine, "connect", _sqlite_on_connect)
            event.listen(engine, "begin", _sqlite_on_begin)
            return engine
        return create_engine(
            self.url,
            future=True,
            pool_pre_ping=True,  # a restarted server leaves dead pooled connections behind
            pool_size=5,
            max_overflow=5,
            pool_timeout=CONNECT_TIMEOUT_S,
            connect_args={
                **_PG_NETWORK,
                "application_name": "noodwijzer",
                "options": f"-c statement_timeout={STATEMENT_TIMEOUT_MS}",
            },
        )

    def close(self) -> None:
        """Stop the change listener and close every pooled connection."""
        with self._feed_lock:
            if self._feed is not None:
                self._feed.close()
                self._feed = None
        self.engine.dispose()

    # --- schema -------------------------------------------------------------------

    def migrate(self) -> None:
        """Bring the schema to the newest alembic revision (idempotent; safe in parallel processes)."""
        from alembic import command
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        # alembic keeps its running context in a module global: one migration per process at a time.
        with _MIGRATING, self._migration_lock(), _translated(), self.engine.connect() as conn:
            if not self.is_postgres:
                conn = conn.execution_options(nw_write=True)
            with conn.begin():
                if self.is_postgres:
                    # Replicas start together: one migrates, the others wait here.
                    conn.execute(text("SELECT pg_advisory_xact_lock(7401500)"))
                config.attributes["connection"] = conn
                command.upgrade(config, "head")

    @contextmanager
    def _migration_lock(self) -> Iterator[None]:
        if self.path is None:
            yield
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # SQLite: a lock file serialises processes that create the same file at once.
        with open(f"{self.path}.migrate.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _ensure_schema(self) -> None:
        if self._ready:
            return
        with self._init_lock:
            if self._ready:
                return
            self.migrate()
            if self.path is not None:
                for suffix in ("", "-wal", "-shm"):
                    try:
                        os.chmod(f"{self.path}{suffix}", 0o600)  # password hashes and sessions: owner only
                    except OSError:
                        pass
            self._ready = True

    # --- connections ----------------------------------------------------------------

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A connection for reading; DatabaseUnavailable when the database cannot be reached."""
        self._ensure_schema()
        with _translated(), self.engine.connect() as conn:
            yield conn

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """One write transaction: commits at the end, rolls back on an exception."""
        self._ensure_schema()
        with _translated(), self.engine.connect() as conn:
            if not self.is_postgres:
                # BEGIN IMMEDIATE: take the write lock first, so a read-then-write
                # transaction waits for another writer instead of failing.
                conn = conn.execution_options(nw_write=True)
            with conn.begin():
                yield conn

    def rows(self, sql: str, **params: Any) -> list[RowMapping]:
        with self.read() as conn:
            return list(conn.execute(text(sql), params).mappings())

    def row(self, sql: str, **params: Any) -> RowMapping | None:
        with self.read() as conn:
            return conn.execute(text(sql), params).mappings().first()

    def scalar(self, sql: str, **params: Any) -> Any:
        with self.read() as conn:
            return conn.execute(text(sql), params).scalar()

    def checkpoint(self) -> None:
        """SQLite: move the write-ahead log into the main file (so the file can be copied)."""
        if not self.is_postgres:
            with self.read() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")

    # --- change notification ------------------------------------------------------------

    def notify_change(self, conn: Connection) -> None:
        """Call inside a write transaction that changes what the chat shows (texts, notices)."""
        if self.is_postgres:
            conn.execute(text("SELECT pg_notify(:channel, '')"), {"channel": CHANNEL})
        # SQLite: every commit changes PRAGMA data_version for the other connections.

    def generation(self) -> int:
        """A number that changes after a change was committed; cheap, never waits for the database."""
        feed = self._feed
        if feed is None:
            with self._feed_lock:
                if self._feed is None:
                    self._feed = _Listener(self) if self.is_postgres else _DataVersion(self)
                feed = self._feed
        return feed.generation()

    def listening(self) -> bool:
        """PostgreSQL: the change listener is connected (always True on SQLite)."""
        feed = self._feed
        return not isinstance(feed, _Listener) or feed.connected.is_set()


def _sqlite_on_connect(dbapi_conn: sqlite3.Connection, _record: object) -> None:
    # isolation_level=None: SQLAlchemy's begin event below opens transactions itself.
    dbapi_conn.isolation_level = None
    dbapi_conn.execute("PRAGMA busy_timeout = 10000")
    dbapi_conn.execute("PRAGMA foreign_keys = ON")
    dbapi_conn.execute("PRAGMA journal_mode = WAL")  # the NLG process reads while the gateway writes


def _sqlite_on_begin(conn: Connection) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("nw_write") else "BEGIN")


@contextmanager
def _translated() -> Iterator[None]:
    """Connection trouble (server down, file locked) becomes DatabaseUnavailable."""
    try:
        yield
    except (exc.OperationalError, exc.InterfaceError, exc.TimeoutError) as error:
        raise DatabaseUnavailable(type(error).__name__) from error
    except exc.DBAPIError as error:
        if error.connection_invalidated:
            raise DatabaseUnavailable(type(error).__name__) from error
        raise


class _DataVersion:
    """SQLite: one watcher connection; its data_version changes whenever any other connection commits."""

    def __init__(self, db: Database) -> None:
        db._ensure_schema()
        assert db.path is not None
        self._conn = sqlite3.connect(db.path, check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()

    def generation(self) -> int:
        with self._lock:
            value: int = self._conn.execute("PRAGMA data_version").fetchone()[0]
            return value

    def close(self) -> None:
        self._conn.close()


class _Listener:
    """PostgreSQL: a daemon thread that LISTENs on CHANNEL and counts notifications.

    While the server is down the count stays put (the chat keeps its caches);
    after a reconnect it moves once, because notifications may have been missed.
    """

    def __init__(self, db: Database) -> None:
        self._db = db
        self._count = 0
        self._stop = threading.Event()
        self.connected = threading.Event()
        self._raw: Any = None
        self._thread = threading.Thread(target=self._run, name="nw-db-listener", daemon=True)
        self._thread.start()

    def generation(self) -> int:
        return self._count

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=LISTEN_RETRY_MAX_S + 2)

    def _connect(self) -> Any:
        import psycopg2
        import psycopg2.extensions

        args, kwargs = self._db.engine.dialect.create_connect_args(self._db.url)
        kwargs = {**kwargs, **_PG_NETWORK, "application_name": "noodwijzer-listen"}
        raw = psycopg2.connect(*args, **kwargs)
        raw.set_isolation_level(psycopg2.extensions.ISOLATION_LEVEL_AUTOCOMMIT)
        raw.cursor().execute(f"LISTEN {CHANNEL}")
        return raw

    def _run(self) -> None:
        delay = 0.2
        down_since: float | None = None
        while not self._stop.is_set():
            try:
                raw = self._connect()
            except Exception as error:
                if down_since is None:
                    down_since = time.monotonic()
                    logger.warning(
                        "database listener cannot connect (%s); chat keeps its cached texts", type(error).__name__
                    )
                self._stop.wait(delay)
                delay = min(delay * 2, LISTEN_RETRY_MAX_S)
                continue
            if down_since is not None:
                logger.warning("database listener connected again after %.0f s", time.monotonic() - down_since)
            down_since, delay = None, 0.2
            self._count += 1  # changes made while we were not listening
            self.connected.set()
            try:
                self._listen(raw)
            except Exception as error:
                down_since = time.monotonic()
                logger.warning("database listener lost its connection (%s)", type(error).__name__)
            finally:
                self.connected.clear()
                try:
                    raw.close()
                except Exception:
                    pass

    def _listen(self, raw: Any) -> None:
        while not self._stop.is_set():
            ready, _, _ = select.select([raw], [], [], 1.0)
            if not ready:
                # Quiet for a second: ask the server, so a silently dead connection is noticed.
                raw.cursor().execute("SELECT 1")
            raw.poll()
            if raw.notifies:
                raw.notifies.clear()
                self._count += 1


# --- the process-wide database ---------------------------------------------------------


_default: tuple[str, Database] | None = None
_default_lock = threading.Lock()


def default_db() -> Database:
    """The process-wide database (NW_DATABASE_URL or NOODWIJZER_DB; re-opened if they change)."""
    global _default
    with _default_lock:
        target = database_target()
        if _default is None or _default[0] != target:
            if _default is not None:
                _default[1].close()  # still usable by old holders; only frees its connections
            _default = (target, Database())
        return _default[1]
