"""GET /livez: 200 while the gateway process itself serves requests.

Kubernetes' liveness probe uses this, not /healthz: /healthz answers 503 while
Rasa, the actions or the NLG are down, and restarting the gateway then would
only take away the degraded 112 answer residents still get from it.
"""

from __future__ import annotations

from aiohttp import web


async def livez(request: web.Request) -> web.Response:
    return web.json_response({"status": "alive"})


def setup(app: web.Application) -> None:
    app.router.add_get("/livez", livez)
