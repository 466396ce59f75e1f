"""CORS for the public JSON API: only the sites a region allowed may call it from a browser.

The region comes from the `region` query parameter (the widget always sends
it, also on POST /api/v1/chat), because a preflight request has no body.
Without a region the national defaults' list applies. `*` is never sent.
"""

from __future__ import annotations

from aiohttp import web
from aiohttp.typedefs import Handler

from bot.core.regions import is_region_code
from bot.gateway.errors import json_error
from bot.gateway.widget import DEFAULT_PORTS, get_embed_config, split_origin

# The routes a widget on another site uses, plus the other public read APIs.
# The editor and anything else stay same-origin only.
PUBLIC_API_PREFIXES = (
    "/api/v1/chat",
    "/api/v1/widget-config",
    "/api/v1/notice",
    "/api/v1/noodpakket",
    "/api/v1/regio",
    "/api/v1/risico",
)
ALLOW_METHODS = "GET, POST, OPTIONS"
ALLOW_HEADERS = "Content-Type"
PREFLIGHT_MAX_AGE = "600"
# A 429 carries Retry-After; the widget on another site may read it.
EXPOSE_HEADERS = "Retry-After"
REFUSED = "this site may not use the Noodwijzer API; see /embed"


def is_public_api(path: str) -> bool:
    return any(path == p or path.startswith(p + "/") for p in PUBLIC_API_PREFIXES)


def is_same_origin(request: web.Request, origin: str) -> bool:
    # Browsers also send Origin on same-origin POSTs. Compare host and port only:
    # behind a TLS proxy the gateway itself sees http while the page is https.
    parts = split_origin(origin)
    if parts is None or not request.host:
        return False
    scheme, host, port = parts
    if ":" in host:  # IPv6 literal, written with brackets in the Host header
        host = f"[{host}]"
    candidates = {f"{host}:{port}"}
    if port == DEFAULT_PORTS[scheme]:
        candidates.add(host)
    return request.host.lower() in candidates


def _add_vary(response: web.StreamResponse) -> None:
    vary = response.headers.get("Vary", "")
    if "origin" not in vary.lower():
        response.headers["Vary"] = f"{vary}, Origin" if vary else "Origin"


def _allow(response: web.StreamResponse, origin: str) -> web.StreamResponse:
    response.headers["Access-Control-Allow-Origin"] = origin
    response.headers["Access-Control-Expose-Headers"] = EXPOSE_HEADERS
    _add_vary(response)
    return response


@web.middleware
async def cors_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if not is_public_api(request.path):
        return await handler(request)
    origin = request.headers.get("Origin")
    if origin is None or is_same_origin(request, origin):
        response = await handler(request)
        _add_vary(response)
        return response

    region = request.query.get("region")
    region = region if region and is_region_code(region) else None
    allowed = get_embed_config(request.app).origin_allowed(origin, region)
    preflight = request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers

    if not allowed:
        # Refused here, before any handler, so a foreign page cannot make the bot
        # work for it through a "simple" request. A GET refusal is readable: the
        # widget must tell "this site is not allowed" from "no connection"
        # (issue 21); it reveals nothing but the refusal itself.
        response = json_error(403, REFUSED, code="origin_not_allowed")
        if request.method == "GET":
            return _allow(response, origin)
        _add_vary(response)
        return response
    if preflight:
        response = web.Response(
            status=204,
            headers={
                "Access-Control-Allow-Methods": ALLOW_METHODS,
                "Access-Control-Allow-Headers": ALLOW_HEADERS,
                "Access-Control-Max-Age": PREFLIGHT_MAX_AGE,
            },
        )
        return _allow(response, origin)
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        # The error middleware outside us would build a new response and drop
        # our headers, so the widget could not read the error; answer here.
        response = json_error(exc.status, (exc.reason or "error").lower())
    return _allow(response, origin)
