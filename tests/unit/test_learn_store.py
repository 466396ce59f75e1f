"""The kept messages (issue 19, item 3) on PostgreSQL too: opt-in upsert, 30 days, region-bound delete."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import pytest

from bot.ops.postgres_server import PostgresServer, create_database, database_url
from bot.ops.stack import free_port
from bot.redactie import learn
from bot.redactie.db import Database


@pytest.fixture(scope="module")
def pg_db() -> Iterator[Database]:
    server = PostgresServer(free_port(), durable=False).start()
    name = "t_" + uuid.uuid4().hex[:12]
    create_database(server.port, name)
    database = Database(url=database_url(server.port, name))
    yield database
    database.close()
    server.cleanup()


def test_store_on_postgresql(pg_db: Database) -> None:
    assert learn.enabled_regions(pg_db) == frozenset()
    assert not learn.keep(pg_db, "VR19", "uit: niets")
    learn.set_enabled(pg_db, "zeeland", "VR19", True)
    learn.set_enabled(pg_db, "zeeland", "VR19", True)  # again: an upsert, no duplicate
    assert learn.enabled_regions(pg_db) == frozenset({"VR19"})
    now = time.time()
    assert learn.keep(pg_db, "VR19", "oud", now=now - 31 * 24 * 3600)
    assert learn.keep(pg_db, "VR19", "nieuw [PERSOON]", now=now)
    assert [m["text"] for m in learn.kept(pg_db, "VR19")] == ["nieuw [PERSOON]"]
    message_id = learn.kept(pg_db, "VR19")[0]["id"]
    assert learn.delete(pg_db, "vr01", "VR01", message_id) == 0
    assert learn.delete(pg_db, "zeeland", "VR19", message_id) == 1
    learn.keep(pg_db, "VR19", "nog een")
    learn.set_enabled(pg_db, "zeeland", "VR19", False)
    assert pg_db.scalar("SELECT COUNT(*) FROM learn_messages") == 0
