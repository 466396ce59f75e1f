"""GET /healthz: 200 only when the gateway, every Rasa replica, the actions and the NLG answer."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from aiohttp import ClientTimeout, web

CACHE_SECONDS = 2.0


async def _probe(app: web.Application, url: str) -> str:
    try:
        async with app["http"].get(url, timeout=ClientTimeout(total=3)) as resp:
            return "ok" if resp.status == 200 else f"http {resp.status}"
    except Exception as exc:  # any failure is "down"
        return f"down ({type(exc).__name__})"


async def check(app: web.Application) -> dict[str, Any]:
    cached = app.get("health_cache")
    if cached and time.monotonic() - cached[0] < CACHE_SECONDS:
        cached_result: dict[str, Any] = cached[1]
        return cached_result
    settings = app["settings"]
    actions, nlg, *replicas = await asyncio.gather(
        _probe(app, f"{settings.actions_url}/health"),
        _probe(app, f"{settings.nlg_url}/health"),
        *(_probe(app, f"{url}/status") for url in settings.rasa_urls),
    )
    # "rasa" is ok only when every replica answers; otherwise name the first failure.
    failing = [f"replica {n}: {state}" for n, state in enumerate(replicas, start=1) if state != "ok"]
    rasa = "ok" if not failing else (replicas[0] if len(replicas) == 1 else failing[0])
    components = {"gateway": "ok", "rasa": rasa, "actions": actions, "nlg": nlg}
    healthy = all(v == "ok" for v in components.values())
    result: dict[str, Any] = {"status": "ok" if healthy else "degraded", "components": components}
    app["health_cache"] = (time.monotonic(), result)
    return result


async def healthz(request: web.Request) -> web.Response:
    result = await check(request.app)
    return web.json_response(result, status=200 if result["status"] == "ok" else 503)


def setup(app: web.Application) -> None:
    app.router.add_get("/healthz", healthz)
