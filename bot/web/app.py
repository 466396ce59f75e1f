"""aiohttp gateway: the only public entry point (port 8080 by default).

Route modules each expose setup(app); they are listed in ROUTE_MODULES so a
feature can be added without touching the core wiring.
"""
from __future__ import annotations

import importlib
import logging
import os

from aiohttp import ClientSession, ClientTimeout, web

from bot import context as ctx
from bot import fastloop, memory
from bot.render import Renderer
from bot.web import chat, health
from bot.web.errors import error_middleware
from bot.web.settings import Settings

logger = logging.getLogger(__name__)

ROUTE_MODULES = [
    "bot.web.chat",
    "bot.web.health",
    "bot.web.risico_api",
    "bot.web.regio_api",
    "bot.web.noodpakket_api",
    "bot.web.widget",
    "bot.redactie.web",
]

# Middlewares from feature modules, applied after error handling (outermost first).
MIDDLEWARE_MODULES = [
    ("bot.web.cors", "cors_middleware"),
]


def _load_optional(name: str):
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        # Only tolerate the module itself missing, not a broken import inside it.
        if exc.name and name.startswith(exc.name):
            logger.warning("route module %s not installed", name)
            return None
        raise


def create_app(settings: Settings | None = None) -> web.Application:
    settings = settings or Settings.from_env()
    middlewares = [error_middleware]
    for module_name, attr in MIDDLEWARE_MODULES:
        module = _load_optional(module_name)
        if module is not None:
            middlewares.append(getattr(module, attr))
    app = web.Application(middlewares=middlewares, client_max_size=64 * 1024)
    app["settings"] = settings
    app["renderer"] = Renderer(store=ctx.template_store())

    async def client_session(app: web.Application):
        app["http"] = ClientSession(timeout=ClientTimeout(total=settings.rasa_timeout))
        yield
        await app["http"].close()

    app.cleanup_ctx.append(client_session)
    for name in ROUTE_MODULES:
        module = _load_optional(name)
        if module is not None:
            module.setup(app)
    return app


def main() -> None:
    logging.basicConfig(level=os.environ.get("NW_LOG_LEVEL", "WARNING"))
    settings = Settings.from_env()
    # No access log by default: query strings can hold a resident's gemeente.
    access_log = logging.getLogger("aiohttp.access") if os.environ.get("NW_ACCESS_LOG") == "1" else None
    fastloop.install()
    app = create_app(settings)
    memory.freeze_startup_objects()  # no long pauses to walk start-up objects (bot/memory.py)
    web.run_app(app, host=settings.host, port=settings.port, access_log=access_log, print=None)


__all__ = ["create_app", "main", "chat", "health"]
