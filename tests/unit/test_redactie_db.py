"""The Redactie's database on both engines: SQLite and a real PostgreSQL (issue 15).

PostgreSQL is Debian's package, started once for this module on a free port
(bot/ops/postgres_server.py); every test gets its own fresh database in it.
"""

from __future__ import annotations

import io
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest
from argon2 import PasswordHasher

from bot.ops.postgres_server import PostgresServer, create_database, database_url
from bot.ops.stack import free_port
from bot.redactie import accounts, audit, auth, editor, notices
from bot.redactie.db import Database, DatabaseUnavailable
from bot.redactie.store import SqlTemplateStore

PASSWORD = "correct horse battery"
PROPAGATION_LIMIT_S = 5.0  # the issue: a publication reaches every process within 5 s

# The tables as the SQLite-only versions created them (before alembic), to show they are adopted.
LEGACY_SCHEMA = """
CREATE TABLE users (id INTEGER PRIMARY KEY, username TEXT NOT NULL UNIQUE, password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('national', 'regional')), region TEXT, active INTEGER NOT NULL DEFAULT 1,
    created_at REAL NOT NULL);
CREATE TABLE sessions (token_hash TEXT PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id),
    csrf_token TEXT NOT NULL, created_at REAL NOT NULL, expires_at REAL NOT NULL);
CREATE TABLE login_failures (id INTEGER PRIMARY KEY, username TEXT NOT NULL, ip TEXT NOT NULL, at REAL NOT NULL);
CREATE TABLE template_versions (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, region TEXT, source TEXT,
    author TEXT NOT NULL, note TEXT NOT NULL DEFAULT '', restored_from INTEGER, created_at REAL NOT NULL);
CREATE TABLE notices (id INTEGER PRIMARY KEY AUTOINCREMENT, region TEXT, title TEXT NOT NULL, text TEXT NOT NULL,
    url TEXT NOT NULL, expires_at REAL NOT NULL, author TEXT NOT NULL, created_at REAL NOT NULL);
CREATE TABLE audit_log (id INTEGER PRIMARY KEY AUTOINCREMENT, at REAL NOT NULL, actor TEXT NOT NULL,
    action TEXT NOT NULL, target TEXT NOT NULL DEFAULT '', detail TEXT NOT NULL DEFAULT '');
INSERT INTO template_versions (name, region, source, author, created_at) VALUES ('utter_greet', 'VR19', 'Oud.', 'x', 1);
"""


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresServer]:
    server = PostgresServer(free_port(), durable=False).start()
    yield server
    server.cleanup()


@pytest.fixture(autouse=True)
def _quick_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2 at its lowest cost: these tests are about storage (test_redactie_core tests the real cost)."""
    monkeypatch.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
def pg_url(postgres: PostgresServer) -> str:
    name = "t_" + uuid.uuid4().hex[:12]
    create_database(postgres.port, name)
    return database_url(postgres.port, name)


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "sqlite":
        database = Database(tmp_path / "redactie.sqlite3")
    else:
        database = Database(url=request.getfixturevalue("pg_url"))
    yield database
    database.close()


@pytest.fixture
def templates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.core import knowledge

    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "utter_greet.j2").write_text("Hallo.\n", encoding="utf-8")
    monkeypatch.setattr(knowledge, "TEMPLATES_DIR", folder)


def _head() -> str | None:
    from alembic.script import ScriptDirectory

    from bot.redactie.db import MIGRATIONS_DIR

    return ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()


def wait_for(check, limit: float = PROPAGATION_LIMIT_S) -> float:
    """Seconds until check() is true; fails after limit."""
    start = time.monotonic()
    while not check():
        assert time.monotonic() - start < limit, f"not within {limit} s"
        time.sleep(0.02)
    return time.monotonic() - start


# --- the same behaviour on both engines -------------------------------------------------------


def test_schema_is_at_the_newest_migration(db: Database) -> None:
    assert db.scalar("SELECT version_num FROM alembic_version") == _head()
    # A second process migrating the same database changes nothing.
    other = Database(db.path) if db.path else Database(url=db.url.render_as_string(hide_password=False))
    other.migrate()
    assert db.scalar("SELECT COUNT(*) FROM alembic_version") == 1
    other.close()


def test_accounts_sessions_and_audit(db: Database) -> None:
    zeeland = accounts.add_user(db, "zeeland", PASSWORD, "regional", "VR19")
    landelijk = accounts.add_user(db, "landelijk", PASSWORD, "national")
    assert landelijk.id != zeeland.id
    with pytest.raises(accounts.AccountError, match="user_exists"):
        accounts.add_user(db, "zeeland", PASSWORD, "national")
    assert accounts.authenticate(db, "Zeeland", PASSWORD) == zeeland
    assert accounts.authenticate(db, "zeeland", "wrong password!!") is None
    token, session = auth.create_session(db, zeeland)
    assert auth.get_session(db, token) == session
    accounts.set_password(db, "zeeland", "another long password")
    assert auth.get_session(db, token) is None  # a new password ends the sessions
    accounts.set_active(db, "landelijk", False)
    assert [(u.username, active) for u, active in accounts.list_users(db)] == [
        ("landelijk", False),
        ("zeeland", True),
    ]
    actions = [e.action for e in audit.entries(db)]
    assert actions[:3] == ["user_disable", "user_password", "user_add"]
    assert [e.action for e in audit.entries(db, region="VR19", actor="zeeland")] == []


def test_template_layers_tell_national_from_regional(db: Database, templates: None) -> None:
    """region NULL (national) and 'VR19' are different layers: the portable NULL comparison."""
    store = SqlTemplateStore(db)
    landelijk = accounts.add_user(db, "landelijk", PASSWORD, "national")
    zeeland = accounts.add_user(db, "zeeland", PASSWORD, "regional", "VR19")
    _, national = editor.save(db, store, landelijk, "utter_greet", None, "Landelijk.")
    _, regional = editor.save(db, store, zeeland, "utter_greet", "VR19", "Zeeland.")
    assert national is not None and regional is not None and regional.id > national.id
    assert store.latest("utter_greet", None) == national
    assert store.latest("utter_greet", "VR19") == regional
    assert [v.id for v in store.history("utter_greet", None)] == [national.id]
    assert store.get_source("utter_greet", None) == "Landelijk."
    assert store.get_source("utter_greet", "VR19") == "Zeeland."
    reset = editor.reset(db, store, zeeland, "utter_greet", "VR19")
    assert store.get_source("utter_greet", "VR19") is None
    assert store.live_versions()[("utter_greet", "VR19")].id == reset.id
    _, restored = editor.restore(db, store, zeeland, regional.id)
    assert restored is not None and restored.restored_from == regional.id
    assert store.get_version(restored.id) == restored


def test_notices_regional_wins_and_expiry(db: Database) -> None:
    landelijk = accounts.add_user(db, "landelijk", PASSWORD, "national")
    now = time.time()
    national = notices.publish(db, landelijk, None, "Landelijk", "Tekst.", "https://example.nl/a", now + 3600)
    regional = notices.publish(db, landelijk, "VR19", "Zeeland", "Tekst.", "https://example.nl/b", now + 3600)
    for lookup in (notices.current, notices.cached_current):
        assert lookup(db, "VR19") == regional
        assert lookup(db, "VR17") == national
        assert lookup(db, "VR19", now=now + 7200) is None
    notices.withdraw(db, landelijk, regional.id)
    assert notices.current(db, "VR19") == national
    wait_for(lambda: notices.cached_current(db, "VR19") == national)
    assert [n.id for n in notices.listing(db, landelijk)] == [regional.id, national.id]


def test_sessions_and_failed_logins_are_deleted_when_expired(db: Database) -> None:
    """Nothing kept longer than needed: each login and failed login clears what expired."""
    zeeland = accounts.add_user(db, "zeeland", PASSWORD, "regional", "VR19")
    long_ago = time.time() - auth.SESSION_TTL - 60
    auth.create_session(db, zeeland, now=long_ago)
    auth.begin_attempt(db, "zeeland", "10.0.0.1", True, now=time.time() - auth.FAILURE_WINDOW - 60)
    assert db.scalar("SELECT COUNT(*) FROM sessions") == 1
    assert db.scalar("SELECT COUNT(*) FROM login_failures") == 1
    auth.create_session(db, zeeland)
    assert db.scalar("SELECT COUNT(*) FROM sessions") == 1  # only the new one
    assert db.scalar("SELECT COUNT(*) FROM login_failures") == 0
    for _ in range(auth.FREE_TRIES):
        assert auth.begin_attempt(db, "zeeland", "10.0.0.1", True).allowed
    assert not auth.begin_attempt(db, "zeeland", "10.0.0.1", True).allowed  # this pair waits
    assert auth.begin_attempt(db, "zeeland", "10.0.0.2", True).allowed  # the editor's own address
    auth.finish_attempt(db, "zeeland", "10.0.0.1", success=True)
    assert auth.begin_attempt(db, "zeeland", "10.0.0.1", True).allowed


def test_change_reaches_another_connection(db: Database, templates: None) -> None:
    """Another process has its own engine and change feed: a save and a notice reach it within 5 s."""
    other_db = Database(db.path) if db.path else Database(url=db.url.render_as_string(hide_password=False))
    other = SqlTemplateStore(other_db)
    landelijk = accounts.add_user(db, "landelijk", PASSWORD, "national")
    assert other.get_source("utter_greet", None) is None
    assert notices.cached_current(other_db, "VR19") is None
    if not other_db.listening():  # PostgreSQL: the listener connects in the background
        wait_for(other_db.listening)
    editor.save(db, SqlTemplateStore(db), landelijk, "utter_greet", None, "Versie een.")
    wait_for(lambda: other.get_source("utter_greet", None) == "Versie een.")
    notice = notices.publish(db, landelijk, "VR19", "Let op", "Tekst.", "https://example.nl", time.time() + 600)
    wait_for(lambda: notices.cached_current(other_db, "VR19") == notice)
    other_db.close()


# --- SQLite only --------------------------------------------------------------------------------


def test_an_older_sqlite_file_is_adopted(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    raw = sqlite3.connect(path)
    raw.executescript(LEGACY_SCHEMA)
    raw.close()
    database = Database(path)
    store = SqlTemplateStore(database)
    assert store.get_source("utter_greet", "VR19") == "Oud."  # kept
    assert database.scalar("SELECT version_num FROM alembic_version") == _head()
    database.close()


def test_parallel_start_migrates_once(tmp_path: Path, pg_url: str) -> None:
    """Replicas start together: each migrates at its first access, none fails."""
    targets = [Database(tmp_path / "same.sqlite3") for _ in range(3)] + [Database(url=pg_url) for _ in range(3)]
    errors: list[BaseException] = []

    def first_access(database: Database) -> None:
        try:
            database.scalar("SELECT COUNT(*) FROM users")
        except BaseException as error:  # collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=first_access, args=(t,)) for t in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    for database in targets:
        database.close()


# --- PostgreSQL down and back -----------------------------------------------------------------------


def test_postgres_down_keeps_cached_texts_and_refuses_writes(tmp_path: Path, templates: None) -> None:
    """A server of its own: stopped (SIGKILL), the chat's caches keep serving, writes say
    DatabaseUnavailable; after the restart everything works and changes flow again."""
    server = PostgresServer(free_port(), durable=False).start()
    try:
        writer = Database(url=server.url)
        reader_db = Database(url=server.url)
        reader = SqlTemplateStore(reader_db)
        landelijk = accounts.add_user(writer, "landelijk", PASSWORD, "national")
        editor.save(writer, SqlTemplateStore(writer), landelijk, "utter_greet", None, "Voor de storing.")
        notice = notices.publish(writer, landelijk, None, "Let op", "Tekst.", "https://example.nl", time.time() + 600)
        wait_for(lambda: reader.get_source("utter_greet", None) == "Voor de storing.")
        wait_for(lambda: notices.cached_current(reader_db, "VR19") == notice)

        server.kill()
        wait_for(lambda: not reader_db.listening())
        for _ in range(3):  # no exception, the last published text and notice
            assert reader.get_source("utter_greet", None) == "Voor de storing."
            assert notices.cached_current(reader_db, "VR19") == notice
        with pytest.raises(DatabaseUnavailable):
            editor.save(writer, SqlTemplateStore(writer), landelijk, "utter_greet", None, "Tijdens.")
        with pytest.raises(DatabaseUnavailable):
            auth.get_session(writer, "some-token")
        # A process that starts during the outage falls back to the repository texts.
        fresh = SqlTemplateStore(Database(url=server.url))
        assert fresh.get_source("utter_greet", None) is None
        assert notices.cached_current(fresh.db, "VR19") is None

        server.start()
        wait_for(reader_db.listening, limit=15)
        editor.save(writer, SqlTemplateStore(writer), landelijk, "utter_greet", None, "Na de storing.")
        wait_for(lambda: reader.get_source("utter_greet", None) == "Na de storing.")
        wait_for(lambda: fresh.get_source("utter_greet", None) == "Na de storing.")
        for database in (writer, reader_db, fresh.db):
            database.close()
    finally:
        server.cleanup()


def test_postgres_server_refuses_a_second_start_on_a_busy_port(postgres: PostgresServer) -> None:
    """A port taken by another server is reported, not silently shared."""
    clash = PostgresServer(postgres.port)
    with pytest.raises(RuntimeError):
        clash.start(timeout=20)
    clash.cleanup()
    conn = psycopg2.connect(postgres.url, connect_timeout=3)
    conn.close()


def test_migrations_print_their_sql_for_an_administrator() -> None:
    """`alembic upgrade head --sql`: a DBA can read and run the schema without our code."""
    from alembic import command
    from alembic.config import Config

    from bot.redactie.db import MIGRATIONS_DIR

    buffer = io.StringIO()
    config = Config(output_buffer=buffer)
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", "postgresql://nobody@127.0.0.1:1/none")
    command.upgrade(config, "head", sql=True)
    sql = buffer.getvalue()
    for table in ("users", "sessions", "login_failures", "template_versions", "notices", "audit_log"):
        assert f"CREATE TABLE {table} (" in sql
    assert "id SERIAL NOT NULL" in sql and "CREATE INDEX template_versions_key" in sql


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_geavanceerd_migration_keeps_existing_accounts(
    engine: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """Revision 0003 (issue 16): accounts made before it stay plain editors (words only);
    a 'geavanceerd' account can be added after it; the downgrade works too."""
    import sqlalchemy as sa
    from alembic import command
    from alembic.config import Config

    from bot.redactie.db import MIGRATIONS_DIR

    url = f"sqlite:///{tmp_path / 'old.sqlite3'}" if engine == "sqlite" else request.getfixturevalue("pg_url")
    engine_ = sa.create_engine(url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))

    def migrate(step: str, target: str) -> None:
        with engine_.begin() as conn:
            config.attributes["connection"] = conn
            getattr(command, step)(config, target)

    migrate("upgrade", "0002")
    with engine_.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO users (username, password_hash, role, region, created_at) "
                "VALUES ('landelijk', :hash, 'national', NULL, 1)"
            ),
            {"hash": PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(PASSWORD)},
        )
    migrate("upgrade", "0003")
    database = Database(tmp_path / "old.sqlite3") if engine == "sqlite" else Database(url=url)
    old = accounts.authenticate(database, "landelijk", PASSWORD)
    assert old is not None and old.is_national and not old.can_edit_logic
    new = accounts.add_user(database, "ontwikkelaar", PASSWORD, "geavanceerd")
    assert accounts.get_user(database, new.id) == new and new.can_edit_logic and new.role == "national"
    database.close()
    migrate("downgrade", "0002")
    with engine_.connect() as conn:
        assert "advanced" not in {c["name"] for c in sa.inspect(conn).get_columns("users")}
        assert conn.execute(sa.text("SELECT COUNT(*) FROM users")).scalar_one() == 2
    engine_.dispose()
