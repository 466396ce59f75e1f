"""Learning from what was not understood (issue 19, item 3). Optional per region, off by default.

When a region turns it on, the gateway keeps the messages the bot answered with its
fallback, de-identified first (deduce plus removal of numbers, e-mail addresses and
postcodes; bot/ops/deidentify.py). Only that region's editors see them, can delete them,
and can download them as NLU training candidates in Rasa's YAML for a developer to review.
Kept at most 30 days: reads skip older rows and every write deletes them.

GET  /redactie/leren                 the setting and the kept messages of the editor's region
POST /redactie/leren/instelling      aan=1|0
POST /redactie/leren/{id}/verwijder  delete one message
POST /redactie/leren/verwijder-alles delete all of the region's messages
GET  /redactie/leren.yml             the export (Rasa NLU YAML)
"""

from __future__ import annotations

import time
from typing import Any

import sqlalchemy
from aiohttp import web

from bot.core.regions import is_region_code
from bot.redactie import audit, auth
from bot.redactie.db import Database
from bot.redactie.store import LiveCache
from bot.redactie.web import REDACTIE, _in_thread, _redactie, error_page, login_required, page

RETENTION_S = 30 * 24 * 3600
PRIVACY_LINE = (
    "Begrijpt de chat je vraag niet? Dan bewaren we die vraag zonder namen, nummers en adressen. "
    "Zo leren we de chat beter maken. We wissen de vraag na 30 dagen."
)


# --- the store ------------------------------------------------------------------------


def enabled_regions(db: Database) -> frozenset[str]:
    return frozenset(str(r["region"]) for r in db.rows("SELECT region FROM learn_optin WHERE enabled = 1"))


def optin_cache(db: Database) -> LiveCache:
    """For reads on every widget load: reloads only after a change."""
    return LiveCache(db, lambda: enabled_regions(db), "learn opt-in", empty=frozenset())


def set_enabled(db: Database, actor: str, region: str, on: bool, now: float | None = None) -> None:
    if not is_region_code(region):
        raise ValueError(region)
    with db.write() as conn:
        params = {"region": region, "enabled": 1 if on else 0, "at": time.time() if now is None else now}
        conn.execute(
            sqlalchemy.text(
                "INSERT INTO learn_optin (region, enabled, changed_at) VALUES (:region, :enabled, :at) "
                "ON CONFLICT (region) DO UPDATE SET enabled = excluded.enabled, changed_at = excluded.changed_at"
            ),
            params,
        )
        if not on:
            # Off means nothing is kept any more, also not what was kept before.
            conn.execute(sqlalchemy.text("DELETE FROM learn_messages WHERE region = :region"), {"region": region})
        audit.record(conn, actor, "leren aan" if on else "leren uit", region)
        db.notify_change(conn)


def is_enabled(db: Database, region: str | None) -> bool:
    if not region or not is_region_code(region):
        return False
    return bool(db.scalar("SELECT enabled FROM learn_optin WHERE region = :region", region=region))


def purge_old(db: Database, now: float | None = None) -> int:
    first = (time.time() if now is None else now) - RETENTION_S
    with db.write() as conn:
        result = conn.execute(sqlalchemy.text("DELETE FROM learn_messages WHERE created_at < :first"), {"first": first})
        return int(result.rowcount or 0)


def keep(db: Database, region: str, deidentified: str, now: float | None = None) -> bool:
    """Store one de-identified message, when the region's opt-in is on (checked here, at write time)."""
    if not is_enabled(db, region):
        return False
    at = time.time() if now is None else now
    with db.write() as conn:
        conn.execute(
            sqlalchemy.text("DELETE FROM learn_messages WHERE created_at < :first"), {"first": at - RETENTION_S}
        )
        conn.execute(
            sqlalchemy.text("INSERT INTO learn_messages (region, text, created_at) VALUES (:region, :text, :at)"),
            {"region": region, "text": deidentified, "at": at},
        )
    return True


def kept(db: Database, region: str, now: float | None = None) -> list[dict[str, Any]]:
    first = (time.time() if now is None else now) - RETENTION_S
    rows = db.rows(
        "SELECT id, text, created_at FROM learn_messages WHERE region = :region AND created_at >= :first "
        "ORDER BY created_at DESC, id DESC",
        region=region,
        first=first,
    )
    return [dict(r) for r in rows]


def delete(db: Database, actor: str, region: str, message_id: int | None = None) -> int:
    """Delete one message (or all) of this region only; another region's id deletes nothing."""
    sql = "DELETE FROM learn_messages WHERE region = :region"
    params: dict[str, Any] = {"region": region}
    if message_id is not None:
        sql += " AND id = :id"
        params["id"] = message_id
    with db.write() as conn:
        count = int(conn.execute(sqlalchemy.text(sql), params).rowcount or 0)
        if count:
            audit.record(conn, actor, "leren verwijderd", region, str(count))
    return count


def nlu_yaml(texts: list[str]) -> str:
    """Rasa NLU training data: every kept message as an example under intent TODO,
    for a developer to sort into the right intents before training."""
    lines = [
        "# Kandidaten voor NLU-training: berichten die de chat niet begreep, zonder namen en nummers.",
        "# Zet elk voorbeeld bij de goede intent voordat je traint.",
        'version: "3.1"',
        "nlu:",
        "- intent: TODO",
        "  examples: |",
    ]
    seen: set[str] = set()
    for text in texts:
        one_line = " ".join(text.split())
        if one_line and one_line not in seen:
            seen.add(one_line)
            lines.append(f"    - {one_line}")
    if not seen:
        lines[-3:] = ["nlu: []"]
    return "\n".join(lines) + "\n"


# --- pages ------------------------------------------------------------------------------


def own_region(session: auth.Session) -> str | None:
    """Only a regional editor has kept messages to see: the national editors do not."""
    region = session.user.region
    return region if not session.user.is_national and isinstance(region, str) and is_region_code(region) else None


@login_required
async def learn_page(request: web.Request, session: auth.Session) -> web.StreamResponse:
    region = own_region(session)
    if region is None:
        return page("leren_denied.html.j2", status=403, session=session)
    db = _redactie(request).db
    on = await _in_thread(is_enabled, db, region)
    messages = await _in_thread(kept, db, region) if on else []
    return page("leren.html.j2", session=session, region=region, on=on, messages=messages, privacy_line=PRIVACY_LINE)


@login_required
async def learn_setting(request: web.Request, session: auth.Session) -> web.StreamResponse:
    region = own_region(session)
    if region is None:
        return page("leren_denied.html.j2", status=403, session=session)
    form = await request.post()
    wanted = form.get("aan")
    if wanted not in ("0", "1"):
        return error_page(400, "bad_request", session)
    await _in_thread(set_enabled, _redactie(request).db, session.user.username, region, wanted == "1")
    raise web.HTTPSeeOther("/redactie/leren")


@login_required
async def learn_delete(request: web.Request, session: auth.Session) -> web.StreamResponse:
    region = own_region(session)
    if region is None:
        return page("leren_denied.html.j2", status=403, session=session)
    raw = request.match_info.get("id")
    message_id = int(raw) if raw is not None else None
    await _in_thread(delete, _redactie(request).db, session.user.username, region, message_id)
    raise web.HTTPSeeOther("/redactie/leren")


@login_required
async def learn_export(request: web.Request, session: auth.Session) -> web.StreamResponse:
    region = own_region(session)
    if region is None:
        return page("leren_denied.html.j2", status=403, session=session)
    rows = await _in_thread(kept, _redactie(request).db, region)
    return web.Response(
        text=nlu_yaml([r["text"] for r in reversed(rows)]),
        content_type="application/x-yaml",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="nlu-kandidaten-{region}.yml"'},
    )


LEARN_OPTIN = web.AppKey("learn_optin", LiveCache)


def setup(app: web.Application) -> None:
    app[LEARN_OPTIN] = optin_cache(app[REDACTIE].db)
    app.router.add_get("/redactie/leren", learn_page)
    app.router.add_get("/redactie/leren.yml", learn_export)
    app.router.add_post("/redactie/leren/instelling", learn_setting)
    app.router.add_post("/redactie/leren/verwijder-alles", learn_delete)
    app.router.add_post("/redactie/leren/{id:\\d+}/verwijder", learn_delete)


def privacy_with_learning(app: web.Application, region: str | None, privacy: str | None) -> str | None:
    """The widget's privacy line, with the learning sentence when the region's opt-in is on."""
    cache = app.get(LEARN_OPTIN)
    if cache is None or not region or region not in cache.get():
        return privacy
    return f"{privacy} {PRIVACY_LINE}" if privacy else PRIVACY_LINE
