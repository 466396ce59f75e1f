"""Rate limits for the public surface: chat, noodpakket, checklist, regio and risico.

The interface is small and async so that a shared store can replace the
in-memory one without touching the callers:

    class Limiter(Protocol):
        per_minute: int
        async def hit(self, key: str) -> Decision

`hit(key)` counts one request for `key` and says whether it may go ahead; if
not, `Decision.retry_after` is the whole number of seconds (>= 1) until the
next request for that key would be allowed. A limiter with `per_minute <= 0`
allows everything. A limiter never raises for an unknown key and never
forgets every key at once.

For a Redis-backed implementation shared by several gateways (issue 15): keep
the same arithmetic (GCRA below: one timestamp per key, "theoretical arrival
time"), store the TAT per key with `SET key tat PX <window>` inside a Lua script
(or WATCH/MULTI) so that read-check-write is atomic across gateways, and let
Redis expire the keys: the window bounds memory there. Use the server's clock
(`redis.call('TIME')`) so gateways with skewed clocks agree. Callers only need
`hit()`.

The in-memory `MemoryLimiter` uses GCRA (the generic cell rate algorithm):
`per_minute` requests in a burst, then one every 60/per_minute seconds. Its
memory is bounded: above `max_keys` it drops the least recently used keys
(whose window has almost always passed), never all keys at once, so rotating
addresses cannot reset anyone's limit.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from aiohttp import web
from aiohttp.typedefs import Handler

from bot.core.regions import is_region_code
from bot.gateway.client_address import TRUSTED_KEY, parse_trusted, request_key
from bot.gateway.errors import json_error
from bot.texts.render import Rendered, split_bubbles
from bot.texts.replies import Replies
from bot.texts.safe_render import off_loop

WINDOW_S = 60.0
DEFAULT_MAX_KEYS = 100_000  # ~100 bytes per key: about 10 MB at most


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after: int = 0  # whole seconds until the key may try again (0 when allowed)


ALLOW = Decision(True)


class Limiter(Protocol):
    per_minute: int

    async def hit(self, key: str) -> Decision: ...


class MemoryLimiter:
    """GCRA per key, in this process's memory, with least-recently-used eviction."""

    def __init__(
        self, per_minute: int, max_keys: int = DEFAULT_MAX_KEYS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.per_minute = per_minute
        self.max_keys = max_keys
        self.clock = clock
        self.interval = WINDOW_S / per_minute if per_minute > 0 else 0.0
        # A full window of requests may come at once; after that, one per interval.
        self.burst = WINDOW_S - self.interval
        self.arrival: OrderedDict[str, float] = OrderedDict()  # key -> theoretical arrival time

    async def hit(self, key: str) -> Decision:
        return self.hit_now(key)

    def hit_now(self, key: str) -> Decision:
        """The synchronous core of `hit` (no awaits: safe in one event loop)."""
        if self.per_minute <= 0:
            return ALLOW
        now = self.clock()
        tat = max(self.arrival.get(key, now), now)
        if tat - now > self.burst:
            return Decision(False, max(1, math.ceil(tat - now - self.burst)))
        self.arrival[key] = tat + self.interval
        self.arrival.move_to_end(key)
        while len(self.arrival) > self.max_keys:
            self.arrival.popitem(last=False)
        return ALLOW

    def __len__(self) -> int:
        return len(self.arrival)


# --- the gateway's use of it ------------------------------------------------------

# The chat has its own limits (per address and per conversation, bot/gateway/chat.py);
# these read APIs and the checklist share one budget per address.
LIMITED_PREFIXES = ("/api/v1/noodpakket", "/api/v1/regio", "/api/v1/risico", "/noodpakket/checklist")
RATE_LIMITED = "utter_rate_limited"


def rate_limited(replies: Replies, seconds: int, region: str | None) -> Rendered:
    """The friendly answer over the limit: 112 first, then how long to wait."""
    return replies.render(RATE_LIMITED, region=region, arguments={"seconds": seconds})


async def rate_limited_response(replies: Replies, seconds: int, region: str | None = None) -> web.Response:
    """429 with the same Dutch words as a single string, and the wait in the body and header."""
    # Rendered in the render pool, off the event loop, like every text (bot/texts/safe_render.py).
    text = " ".join(split_bubbles((await off_loop(rate_limited, replies, seconds, region)).text))
    response = json_error(429, text, retry_after=seconds)
    response.headers["Retry-After"] = str(seconds)
    return response


def is_limited(path: str) -> bool:
    return any(path == p or path.startswith(p + "/") for p in LIMITED_PREFIXES)


@web.middleware
async def limit_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.method != "OPTIONS" and is_limited(request.path):
        decision = await request.app["api_limiter"].hit(request_key(request))
        if not decision.allowed:
            region = request.query.get("region")
            return await rate_limited_response(
                request.app["replies"], decision.retry_after, region if region and is_region_code(region) else None
            )
    return await handler(request)


def setup(app: web.Application) -> None:
    settings = app["settings"]
    app[TRUSTED_KEY] = parse_trusted(settings.trusted_proxies)
    app["api_limiter"] = MemoryLimiter(settings.api_rate_per_min)


__all__ = [
    "ALLOW",
    "Decision",
    "Limiter",
    "MemoryLimiter",
    "WINDOW_S",
    "limit_middleware",
    "rate_limited",
    "rate_limited_response",
    "setup",
]
