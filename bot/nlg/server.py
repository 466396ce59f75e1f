"""Rasa NLG endpoint: renders every utter_* from templates/ (see bot/texts/render.py).

Rasa POSTs {"response", "arguments", "tracker", "channel"} and expects one
message {"text", "buttons"?}. Blank lines in the text become separate chat
bubbles in the gateway. Each render runs in a worker process with a time
budget, off the event loop (bot/texts/safe_render.py), so one slow text
cannot hold up the other conversations.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web

from bot.ops import fastloop, memory
from bot.redactie.advice import open_advice
from bot.redactie.db import default_db
from bot.redactie.inzicht_counts import FALLBACK_RESPONSES, Tally
from bot.redactie.notices import active_notice
from bot.redactie.store import open_default_store
from bot.settings import Settings
from bot.texts import safe_render
from bot.texts.context import region_from_tracker
from bot.texts.render import Renderer
from bot.texts.replies import Replies
from bot.texts.safe_render import off_loop

logger = logging.getLogger(__name__)


def build_replies() -> Replies:
    """Repository texts with the Redactie's live edits, advice edits and incident notices."""
    store = open_default_store()
    return Replies(Renderer(store=store), notice_lookup=active_notice, advice=open_advice(store))


async def handle_nlg(request: web.Request) -> web.Response:
    replies: Replies = request.app["replies"]
    try:
        body = await request.json()
    except Exception:
        return web.json_response({"error": "invalid JSON"}, status=400)
    if not isinstance(body, dict):
        return web.json_response({"error": "expected an object"}, status=400)
    name = body.get("response") or body.get("template") or ""
    arguments = body.get("arguments") or {}
    tracker = body.get("tracker") or {}
    if not isinstance(arguments, dict) or not isinstance(tracker, dict) or not isinstance(name, str):
        return web.json_response({"error": "bad request"}, status=400)
    region = region_from_tracker(tracker)
    request.app[TALLY].count_reply(region, name, arguments)  # Inzicht: a count in memory, nothing else kept
    rendered = await off_loop(replies.render, name, slots=tracker_slots(tracker), region=region, arguments=arguments)
    reply = rendered.as_nlg()
    if name in FALLBACK_RESPONSES:
        # A marker, not text: the gateway keeps the message for regions that opted in (issue 19).
        reply["custom"] = {"niet_begrepen": True}
    return web.json_response(reply)


def tracker_slots(tracker: dict[str, Any]) -> dict[str, Any]:
    slots = tracker.get("slots") or {}
    return slots if isinstance(slots, dict) else {}


async def handle_health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


TALLY = web.AppKey("inzicht_tally", Tally)


def create_app(replies: Replies | None = None, tally: Tally | None = None) -> web.Application:
    app = web.Application(client_max_size=2 * 1024 * 1024)
    app["replies"] = replies or build_replies()
    app[TALLY] = tally or Tally(default_db())

    async def run_tally(app: web.Application) -> AsyncIterator[None]:
        app[TALLY].start()
        yield
        app[TALLY].stop()  # the last counts are written before the process ends

    app.cleanup_ctx.append(run_tally)
    app.router.add_post("/nlg", handle_nlg)
    app.router.add_get("/health", handle_health)
    return app


def main() -> None:
    settings = Settings.from_env()
    logging.basicConfig(level=settings.log_level)
    port = settings.nlg_port
    fastloop.install()
    safe_render.configure(settings.render_budget_s, settings.render_workers, settings.render_memory_mb)
    app = create_app()
    memory.freeze_startup_objects()  # no long pauses to walk start-up objects (bot/ops/memory.py)
    web.run_app(app, host=settings.nlg_host, port=port, access_log=None, print=None)


if __name__ == "__main__":
    main()
