"""Inzicht (issue 19): counts batched in memory, upserted on both engines, purged after 2 years."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.ops.postgres_server import PostgresServer, create_database, database_url
from bot.ops.stack import free_port
from bot.redactie import inzicht_counts as counts
from bot.redactie.db import Database


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresServer]:
    server = PostgresServer(free_port(), durable=False).start()
    yield server
    server.cleanup()


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "sqlite":
        database = Database(tmp_path / "redactie.sqlite3")
    else:
        server = request.getfixturevalue("postgres")
        name = "t_" + uuid.uuid4().hex[:12]
        create_database(server.port, name)
        database = Database(url=database_url(server.port, name))
    yield database
    database.close()


def test_counts_wait_in_memory_then_add_up(db: Database) -> None:
    tally = counts.Tally(db, interval=3600)
    for _ in range(3):
        tally.count_reply("VR19", "utter_risk_advice", {"risk_key": "overstroming", "phase": "tijdens"})
    tally.count_reply("VR99", "utter_fallback", {})  # not a region: counted without one
    assert db.scalar("SELECT COUNT(*) FROM inzicht_counts") == 0  # nothing written per message
    tally.flush()
    tally.count_reply("VR19", "utter_risk_advice", {"risk_key": "overstroming", "phase": "tijdens"})
    tally.flush()  # the second flush adds to the row: count = count + n
    rows = {(r["region"], r["metric"], r["key"]): r["count"] for r in counts.read_counts(db, "2000-01-01")}
    assert rows == {("VR19", "vraag", "overstroming|tijdens"): 4, ("", "niet_begrepen", ""): 1}
    # The table has no column for text, session or address.
    columns = set(db.rows("SELECT * FROM inzicht_counts")[0].keys())
    assert columns == {"day", "region", "metric", "key", "count"}


def test_days_older_than_two_years_are_deleted(db: Database) -> None:
    counts.write_counts(db, {("2024-11-28", "VR19", "noodgeval", ""): 5, ("2024-12-01", "VR19", "noodgeval", ""): 7})
    assert counts.purge_old(db, today="2026-11-30") == 1
    assert [r["day"] for r in counts.read_counts(db, "2000-01-01")] == ["2024-12-01"]


def test_a_failed_write_keeps_the_counts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = Database(tmp_path / "x.sqlite3")
    tally = counts.Tally(db, interval=3600)
    tally.add("VR19", [("checklist", "")])

    def broken(*_args: object) -> None:
        raise counts.DatabaseUnavailable("down")

    with monkeypatch.context() as patch:
        patch.setattr(counts, "write_counts", broken)
        tally.flush()
    tally.add("VR19", [("checklist", "")])
    tally.flush()
    assert [r["count"] for r in counts.read_counts(db, "2000-01-01")] == [2]
