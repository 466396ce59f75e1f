"""Rate limits and idempotency keys shared by every gateway, through Redis (NW_REDIS_URL).

With one gateway (`make run`) both live in the process (bot/gateway/limits.py,
bot/gateway/idempotency.py). With several gateways behind a load balancer a
resident's messages can reach any of them, so the counters and the remembered
answers move to Redis:

- `RedisLimiter`: the same GCRA arithmetic as `MemoryLimiter` (one
  "theoretical arrival time" per key), read-check-write in one Lua script so
  gateways never race, on the Redis server's clock so their clocks need not
  agree. The key expires when its window has passed.
- `SharedIdempotencyCache`: the first gateway to see a key claims it
  (`SET NX`) and stores the answer for 10 minutes; another gateway that gets
  the same key waits for that answer instead of asking Rasa again. A different
  message under the same key is a conflict (409). Failed work is forgotten.
  Only a hash of the message is kept, never its text; answers are the bot's words.

When Redis cannot be reached, each gateway falls back to its own memory (the
limits then count per gateway) and logs it: a Redis outage never turns into
an error for a resident.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import redis.asyncio as aioredis
from aiohttp import web
from redis.exceptions import RedisError

from bot.gateway.idempotency import IdempotencyCache, KeyConflict, _digest
from bot.gateway.limits import ALLOW, WINDOW_S, Decision, MemoryLimiter

logger = logging.getLogger(__name__)

PREFIX = "noodwijzer:gw:"
REDIS_TIMEOUT_S = 1.0
WARN_EVERY_S = 60.0

# GCRA in one step. KEYS[1]: the key. ARGV: interval and burst in milliseconds.
# Returns {1, 0} when allowed, else {0, milliseconds until allowed}.
GCRA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
if tat - now > burst then
  return {0, tat - now - burst}
end
local new = tat + interval
redis.call('SET', KEYS[1], new, 'PX', new - now)
return {1, 0}
"""


class _Warner:
    """One log line per minute at most while Redis is away."""

    def __init__(self) -> None:
        self.last = -math.inf

    def __call__(self, what: str, exc: BaseException) -> None:
        now = time.monotonic()
        if now - self.last >= WARN_EVERY_S:
            self.last = now
            logger.warning("redis unavailable for %s (%s); using this gateway's memory", what, type(exc).__name__)


_warn = _Warner()


class RedisLimiter:
    """GCRA per key in Redis, shared by every gateway; the interface of bot.gateway.limits.Limiter."""

    def __init__(self, client: aioredis.Redis, per_minute: int, name: str) -> None:
        self.client = client
        self.per_minute = per_minute
        self.prefix = f"{PREFIX}limit:{name}:"
        self.fallback = MemoryLimiter(per_minute)
        interval = WINDOW_S / per_minute if per_minute > 0 else 0.0
        self.interval_ms = round(interval * 1000)
        self.burst_ms = round((WINDOW_S - interval) * 1000)
        self._script = client.register_script(GCRA)

    async def hit(self, key: str) -> Decision:
        if self.per_minute <= 0:
            return ALLOW
        try:
            allowed, wait_ms = await self._script(keys=[self.prefix + key], args=[self.interval_ms, self.burst_ms])
        except (RedisError, OSError, asyncio.TimeoutError) as exc:
            _warn("rate limits", exc)
            return await self.fallback.hit(key)
        if int(allowed):
            return ALLOW
        return Decision(False, max(1, math.ceil(int(wait_ms) / 1000)))


class SharedIdempotencyCache:
    """IdempotencyCache across gateways: this process's cache in front, Redis behind it."""

    def __init__(
        self,
        client: aioredis.Redis,
        local: IdempotencyCache | None = None,
        pending_s: float = 30.0,
        poll_s: float = 0.05,
    ) -> None:
        self.client = client
        self.local = local or IdempotencyCache()
        self.ttl_ms = int(self.local.ttl_s * 1000)
        self.pending_ms = int(pending_s * 1000)
        self.poll_s = poll_s

    def __len__(self) -> int:
        return len(self.local)

    async def run(
        self, session_id: str, key: str, message: str, produce: Callable[[], Awaitable[Any]]
    ) -> tuple[Any, bool]:
        """(answer, replayed), as IdempotencyCache.run; the same key on another gateway is answered once."""
        replayed_elsewhere = False

        async def shared() -> Any:
            nonlocal replayed_elsewhere
            answer, replayed_elsewhere = await self._shared(session_id, key, message, produce)
            return answer

        answer, replayed = await self.local.run(session_id, key, message, shared)
        return answer, replayed or replayed_elsewhere

    async def _shared(
        self, session_id: str, key: str, message: str, produce: Callable[[], Awaitable[Any]]
    ) -> tuple[Any, bool]:
        rkey = f"{PREFIX}idem:{session_id}:{key}"
        digest = _digest(message).hex()
        try:
            deadline = time.monotonic() + self.pending_ms / 1000 + 5
            while True:
                if await self.client.set(rkey, json.dumps({"d": digest}), nx=True, px=self.pending_ms):
                    break  # ours: produce the answer below
                raw = await self.client.get(rkey)
                if raw is None:
                    continue  # forgotten in between (the other attempt failed): claim it again
                entry = json.loads(raw)
                if entry.get("d") != digest:
                    raise KeyConflict("message_id was already used for another message")
                if "a" in entry:
                    return entry["a"], True
                if time.monotonic() > deadline:
                    break  # the other gateway went away mid-answer: answer it here
                await asyncio.sleep(self.poll_s)
        except (RedisError, OSError, asyncio.TimeoutError) as exc:
            _warn("idempotency keys", exc)
            return await produce(), False
        try:
            answer = await produce()
        except BaseException:
            try:
                await self.client.delete(rkey)  # failed work is forgotten, so a retry runs it again
            except (RedisError, OSError, asyncio.TimeoutError):
                pass
            raise
        try:
            await self.client.set(rkey, json.dumps({"d": digest, "a": answer}, ensure_ascii=False), px=self.ttl_ms)
        except (RedisError, OSError, asyncio.TimeoutError) as exc:
            _warn("idempotency keys", exc)
        return answer, False


def client_for(url: str) -> aioredis.Redis:
    return aioredis.Redis.from_url(
        url, socket_timeout=REDIS_TIMEOUT_S, socket_connect_timeout=REDIS_TIMEOUT_S, decode_responses=True
    )


def setup(app: web.Application) -> None:
    """With NW_REDIS_URL: shared limits and idempotency keys (runs after chat and limits set theirs)."""
    settings = app["settings"]
    if not settings.redis_url:
        return
    client = client_for(settings.redis_url)
    app["redis"] = client  # also probed by /healthz (bot/gateway/health.py)
    app["ip_limiter"] = RedisLimiter(client, settings.ip_rate_per_min, "ip")
    app["session_limiter"] = RedisLimiter(client, settings.session_rate_per_min, "session")
    app["api_limiter"] = RedisLimiter(client, settings.api_rate_per_min, "api")
    app["idempotency"] = SharedIdempotencyCache(client, pending_s=settings.rasa_timeout + 5)

    async def close(app: web.Application) -> AsyncIterator[None]:
        yield
        await client.close()

    app.cleanup_ctx.append(close)
