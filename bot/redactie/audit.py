"""Audit log: who did what, when. Never stores passwords or chat text."""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass

from bot.redactie.db import Database


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: float
    actor: str
    action: str
    target: str
    detail: str


def record(conn: sqlite3.Connection, actor: str, action: str, target: str = "", detail: str = "") -> None:
    """Write inside the caller's transaction, so the change and its entry commit together."""
    conn.execute(
        "INSERT INTO audit_log (at, actor, action, target, detail) VALUES (?, ?, ?, ?, ?)",
        (time.time(), actor[:80], action, target[:200], detail[:500]),
    )


def log(db: Database, actor: str, action: str, target: str = "", detail: str = "") -> None:
    with db.write() as conn:
        record(conn, actor, action, target, detail)


def entries(db: Database, limit: int = 200, region: str | None = None, actor: str | None = None) -> list[AuditEntry]:
    """Newest first. With region/actor: only entries about that region or by that person."""
    sql = "SELECT id, at, actor, action, target, detail FROM audit_log"
    args: tuple[str, ...] = ()
    if region is not None or actor is not None:
        sql += " WHERE actor = ? OR target LIKE ?"
        args = (actor or "", f"%:{region}:%" if region else "")
    sql += " ORDER BY id DESC LIMIT ?"
    rows = db.connect().execute(sql, args + (limit,)).fetchall()
    return [AuditEntry(**dict(row)) for row in rows]
