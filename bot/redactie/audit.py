"""Audit log: who did what, when. Never stores passwords or chat text."""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.engine import Connection

from bot.redactie.db import Database


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: float
    actor: str
    action: str
    target: str
    detail: str


def record(conn: Connection, actor: str, action: str, target: str = "", detail: str = "") -> None:
    """Write inside the caller's transaction, so the change and its entry commit together."""
    conn.execute(
        text(
            "INSERT INTO audit_log (at, actor, action, target, detail) VALUES (:at, :actor, :action, :target, :detail)"
        ),
        {"at": time.time(), "actor": actor[:80], "action": action, "target": target[:200], "detail": detail[:500]},
    )


def log(db: Database, actor: str, action: str, target: str = "", detail: str = "") -> None:
    with db.write() as conn:
        record(conn, actor, action, target, detail)


def entries(db: Database, limit: int = 200, region: str | None = None, actor: str | None = None) -> list[AuditEntry]:
    """Newest first. With region/actor: only entries about that region or by that person."""
    sql = "SELECT id, at, actor, action, target, detail FROM audit_log"
    params: dict[str, object] = {"limit": limit}
    if region is not None or actor is not None:
        sql += " WHERE actor = :actor OR target LIKE :target"
        params.update(actor=actor or "", target=f"%:{region}:%" if region else "")
    rows = db.rows(sql + " ORDER BY id DESC LIMIT :limit", **params)
    return [AuditEntry(**dict(row)) for row in rows]
