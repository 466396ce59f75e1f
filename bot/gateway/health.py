"""GET /healthz: 200 only when the gateway, every Rasa replica, every action and NLG
server (and Redis, when conversations live there) answer; else 503 naming what is down.

`components` keeps one entry per kind (the contract: gateway, rasa, actions,
nlg; redis when NW_REDIS_URL is set); `down` names every part that does not
answer, as the supervisor calls them ("rasa-2", "actions", ...).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from aiohttp import ClientTimeout, web

CACHE_SECONDS = 2.0
REDIS_KEY = "redis"  # set by bot/gateway/limits_redis.py when NW_REDIS_URL is set


async def _probe(app: web.Application, url: str, headers: dict[str, str] | None = None) -> str:
    try:
        async with app["http"].get(url, headers=headers, timeout=ClientTimeout(total=3)) as resp:
            return "ok" if resp.status == 200 else f"http {resp.status}"
    except Exception as exc:  # any failure is "down"
        return f"down ({type(exc).__name__})"


async def _probe_redis(app: web.Application) -> str:
    client = app.get(REDIS_KEY)
    if client is None:
        return "ok"
    try:
        await asyncio.wait_for(client.ping(), 2)
        return "ok"
    except Exception as exc:  # refused, timed out, auth: all "down"
        return f"down ({type(exc).__name__})"


def part_names(kind: str, count: int) -> list[str]:
    """The supervisor's names: "rasa", "rasa-2", ..."""
    return [kind if n == 1 else f"{kind}-{n}" for n in range(1, count + 1)]


def _summary(states: list[str]) -> str:
    """ "ok" when all answer; otherwise the first failure (with its number if there are several)."""
    failing = [f"replica {n}: {state}" for n, state in enumerate(states, start=1) if state != "ok"]
    if not failing:
        return "ok"
    return states[0] if len(states) == 1 else failing[0]


async def check(app: web.Application) -> dict[str, Any]:
    cache: dict[str, Any] = app["health_cache"]
    if cache and time.monotonic() - cache["at"] < CACHE_SECONDS:
        cached_result: dict[str, Any] = cache["result"]
        return cached_result
    settings = app["settings"]
    groups = {
        "rasa": [f"{url}/status" for url in settings.rasa_urls],
        "actions": [f"{url}/health" for url in settings.actions_urls],
        "nlg": [f"{url}/health" for url in settings.nlg_urls],
    }
    # Rasa's /status is behind its API token (bot_rasa/api_guard.py).
    auth = {"Authorization": f"Bearer {settings.rasa_token}"} if settings.rasa_token else None
    probes = [_probe(app, url, auth if kind == "rasa" else None) for kind, urls in groups.items() for url in urls]
    *states, redis_state = await asyncio.gather(*probes, _probe_redis(app))
    components: dict[str, str] = {"gateway": "ok"}
    down: list[str] = []
    at = 0
    for kind, urls in groups.items():
        mine = states[at : at + len(urls)]
        at += len(urls)
        components[kind] = _summary(mine)
        down += [name for name, state in zip(part_names(kind, len(urls)), mine) if state != "ok"]
    if app.get(REDIS_KEY) is not None:
        components["redis"] = redis_state
        if redis_state != "ok":
            down.append("redis")
    healthy = not down
    result: dict[str, Any] = {"status": "ok" if healthy else "degraded", "components": components, "down": down}
    # Mutated, not replaced: a started aiohttp app's state must not change.
    cache.update(at=time.monotonic(), result=result)
    return result


async def healthz(request: web.Request) -> web.Response:
    result = await check(request.app)
    return web.json_response(result, status=200 if result["status"] == "ok" else 503)


def setup(app: web.Application) -> None:
    app["health_cache"] = {}
    app.router.add_get("/healthz", healthz)
