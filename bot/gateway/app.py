"""aiohttp gateway: the only public entry point (port 8080 by default).

This module wires the parts together; each route module exposes setup(app).
It is also where the Redactie's live texts and notices are handed to the
bot's texts, because the gateway is the program that serves both.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

from aiohttp import ClientSession, ClientTimeout, web

from bot.gateway import (
    chat,
    client_address,
    cors,
    health,
    learning,
    limits,
    limits_redis,
    live,
    noodpakket_api,
    openapi,
    regio_api,
    risico_api,
    widget,
)
from bot.gateway.errors import error_middleware
from bot.ops import fastloop, memory
from bot.redactie import instellingen_web
from bot.redactie import inzicht as redactie_inzicht
from bot.redactie import web as redactie_web
from bot.redactie.advice import open_advice
from bot.redactie.notices import active_notice
from bot.redactie.store import open_default_store
from bot.settings import Settings
from bot.texts import safe_render
from bot.texts.render import Renderer
from bot.texts.replies import Replies

logger = logging.getLogger(__name__)

ROUTES = (
    limits,
    chat,
    limits_redis,
    health,
    live,
    risico_api,
    regio_api,
    noodpakket_api,
    widget,
    openapi,
    redactie_web,
    redactie_inzicht,  # after redactie_web: it uses the Redactie's database
    instellingen_web,  # after redactie_web: embed settings use its database (issue 20)
    learning,  # after redactie_web: the kept messages live in its database (issue 19)
)


def create_app(settings: Settings | None = None, replies: Replies | None = None) -> web.Application:
    settings = settings or Settings.from_env()
    # Error handling outermost, then CORS for the embedding sites, then the rate limits
    # (so a refused foreign site costs nobody's budget).
    app = web.Application(
        middlewares=[error_middleware, cors.cors_middleware, limits.limit_middleware], client_max_size=64 * 1024
    )
    app["settings"] = settings
    if replies is None:
        # The same advice edits as the NLG server, so the degraded answer matches the chat.
        store = open_default_store()
        replies = Replies(Renderer(store=store), notice_lookup=active_notice, advice=open_advice(store))
    app["replies"] = replies
    app[redactie_web.CLIENT_ADDRESS] = client_address.request_key  # failed logins count per client address

    async def client_session(app: web.Application) -> AsyncIterator[None]:
        # Rasa's API needs the token for /status (the health check); the other inner
        # services run with the same environment, so sending it to them reveals nothing.
        auth = {"Authorization": f"Bearer {settings.rasa_token}"} if settings.rasa_token else None
        app["http"] = ClientSession(timeout=ClientTimeout(total=settings.rasa_timeout), headers=auth)
        yield
        await app["http"].close()

    app.cleanup_ctx.append(client_session)
    for module in ROUTES:
        module.setup(app)
    return app


def main() -> None:
    settings = Settings.from_env()
    logging.basicConfig(level=settings.log_level)
    access_log = logging.getLogger("aiohttp.access") if settings.access_log else None
    fastloop.install()
    safe_render.configure(settings.render_budget_s, settings.render_workers, settings.render_memory_mb)
    app = create_app(settings)
    memory.freeze_startup_objects()  # no long pauses to walk start-up objects (bot/ops/memory.py)
    web.run_app(app, host=settings.host, port=settings.port, access_log=access_log, print=None)


__all__ = ["create_app", "main"]
