"""Keep what the bot did not understand, de-identified, for regions that opted in (issue 19).

The NLG server marks its fallback answer with custom data {"niet_begrepen": true}; Rasa's
REST channel passes it on as an extra reply the widget never shows. Only for a region
whose opt-in is on (bot/redactie/learn.py) does the message go to the de-identification
worker (bot/ops/deidentify.py), off the chat's path; only its answer is stored. When the
worker cannot answer, nothing is kept (fail closed). The raw message is never written.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from aiohttp import web

from bot.ops.deidentify import Deidentifier
from bot.redactie import learn
from bot.redactie.db import Database, DatabaseUnavailable
from bot.redactie.web import REDACTIE

logger = logging.getLogger(__name__)

PURGE_EVERY_S = 3600.0
MAX_PENDING = 100
WORKER_THREAD = web.AppKey("learn_thread", ThreadPoolExecutor)
DEIDENTIFIER = web.AppKey("deidentifier", Deidentifier)
PENDING = web.AppKey("learn_pending", set)


def not_understood(rasa_replies: list[dict[str, Any]]) -> bool:
    return any(
        isinstance(r, dict) and isinstance(r.get("custom"), dict) and r["custom"].get("niet_begrepen") is True
        for r in rasa_replies
    )


def remember(app: web.Application, region: str | None, message: str) -> None:
    """Start keeping the message when the region opted in; the answer does not wait for it."""
    cache = app.get(learn.LEARN_OPTIN)
    if not region or cache is None or DEIDENTIFIER not in app or region not in cache.get():
        return
    if len(app[PENDING]) >= MAX_PENDING:
        return  # the worker is behind (starting, or a burst): keep nothing rather than queue text in memory
    task = asyncio.get_running_loop().create_task(_keep(app, region, message))
    app[PENDING].add(task)
    task.add_done_callback(app[PENDING].discard)


async def _keep(app: web.Application, region: str, message: str) -> None:
    loop = asyncio.get_running_loop()
    # One thread of its own: a starting worker (~20 s) must not hold up the shared pool.
    text = await loop.run_in_executor(app[WORKER_THREAD], app[DEIDENTIFIER].deidentify, message)
    if text is None:
        return  # the worker could not answer: keep nothing
    try:
        await loop.run_in_executor(None, learn.keep, app[REDACTIE].db, region, text)
    except DatabaseUnavailable:
        logger.warning("could not keep a not-understood message: database unavailable")


async def pending_done(app: web.Application) -> None:
    """For tests and shutdown: wait until every started keep has finished."""
    if app[PENDING]:
        await asyncio.gather(*app[PENDING], return_exceptions=True)


async def purge_hourly(db: Database) -> None:
    """At most 30 days, also for a region that keeps nothing new (keep() purges too)."""
    while True:
        try:
            await asyncio.get_running_loop().run_in_executor(None, learn.purge_old, db)
        except DatabaseUnavailable:
            pass  # next hour
        await asyncio.sleep(PURGE_EVERY_S)


def setup(app: web.Application) -> None:
    app[DEIDENTIFIER] = Deidentifier()
    app[PENDING] = set()
    app[WORKER_THREAD] = ThreadPoolExecutor(max_workers=1, thread_name_prefix="deidentify")
    learn.setup(app)

    async def worker(app: web.Application) -> AsyncIterator[None]:
        purger = asyncio.get_running_loop().create_task(purge_hourly(app[REDACTIE].db))
        yield
        purger.cancel()
        await pending_done(app)
        await asyncio.get_running_loop().run_in_executor(app[WORKER_THREAD], app[DEIDENTIFIER].close)
        app[WORKER_THREAD].shutdown(wait=False)

    app.cleanup_ctx.append(worker)
