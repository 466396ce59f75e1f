"""Rasa NLG endpoint: renders every utter_* from templates/ (see bot/render.py).

Rasa POSTs {"response", "arguments", "tracker", "channel"} and expects one
message {"text", "buttons"?}. Blank lines in the text become separate chat
bubbles in the gateway.
"""
from __future__ import annotations

import logging
import os
from typing import Any

from aiohttp import web

from bot import context as ctx
from bot import fastloop, memory
from bot.render import Renderer

logger = logging.getLogger(__name__)


def build_renderer() -> Renderer:
    return Renderer(store=ctx.template_store())


async def handle_nlg(request: web.Request) -> web.Response:
    renderer: Renderer = request.app["renderer"]
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
    region = ctx.region_from_tracker(tracker)
    context = ctx.template_context(tracker_slots(tracker), region, arguments)
    rendered = renderer.render(name, context, region)
    return web.json_response(rendered.as_nlg())


def tracker_slots(tracker: dict[str, Any]) -> dict[str, Any]:
    slots = tracker.get("slots") or {}
    return slots if isinstance(slots, dict) else {}


async def handle_health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


def create_app() -> web.Application:
    app = web.Application(client_max_size=2 * 1024 * 1024)
    app["renderer"] = build_renderer()
    app.router.add_post("/nlg", handle_nlg)
    app.router.add_get("/health", handle_health)
    return app


def main() -> None:
    logging.basicConfig(level=os.environ.get("NW_LOG_LEVEL", "WARNING"))
    port = int(os.environ.get("NW_NLG_PORT", "5056"))
    fastloop.install()
    app = create_app()
    memory.freeze_startup_objects()  # no long pauses to walk start-up objects (bot/memory.py)
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None)


if __name__ == "__main__":
    main()
