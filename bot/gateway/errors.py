"""Turn every failure into a JSON answer: 4xx for bad input, never a traceback page."""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler

logger = logging.getLogger(__name__)


def json_error(status: int, message: str, **extra: Any) -> web.Response:
    return web.json_response({"error": message, **extra}, status=status)


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status >= 400 and request.path.startswith("/api/") and exc.content_type != "application/json":
            reason = {404: "not found", 405: "method not allowed", 413: "request too large"}.get(exc.status, exc.reason)
            return json_error(exc.status, reason)
        raise
    except Exception:
        # Logged without request data (it may hold personal details).
        logger.exception("unhandled error on %s", request.path)
        return json_error(500, "internal error")
