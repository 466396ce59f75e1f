"""Turn every failure into a JSON answer: 4xx for bad input, never a traceback page.

`read_json` is the one strict JSON reader for every endpoint that takes a body:
it bounds size and nesting depth before parsing, insists on UTF-8, and refuses
NaN/Infinity and duplicate keys, so no body can reach a handler's logic in a
shape that makes the server fail.
"""

from __future__ import annotations

import json
import logging
import re
import traceback
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler

logger = logging.getLogger(__name__)

MAX_BODY = 64 * 1024  # also the application's client_max_size (bot/gateway/app.py)
MAX_DEPTH = 16  # our bodies are at most two levels deep
_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)


class BadInput(Exception):
    """Input the client must fix; the message is safe to show (it never echoes the input)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def json_error(status: int, message: str, **extra: Any) -> web.Response:
    return web.json_response({"error": message, **extra}, status=status)


def nesting_depth(text: str) -> int:
    """How deep [ and { nest outside strings (a linear scan, no recursion)."""
    depth = deepest = 0
    for char in _STRINGS.sub('""', text):
        if char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def _reject_constant(value: str) -> Any:
    raise ValueError(f"{value} is not JSON")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise ValueError("duplicate key")
    return result


def loads_strict(raw: bytes, max_bytes: int = MAX_BODY, max_depth: int = MAX_DEPTH) -> Any:
    """Bytes -> JSON value, or BadInput with a 4xx status."""
    if len(raw) > max_bytes:
        raise BadInput(f"body is larger than {max_bytes} bytes", 413)
    if not raw.strip():
        raise BadInput("body is empty; send a JSON object")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadInput("body must be UTF-8") from None
    if nesting_depth(text) > max_depth:
        raise BadInput(f"JSON nested deeper than {max_depth} levels")
    try:
        value = json.loads(text, parse_constant=_reject_constant, object_pairs_hook=_no_duplicates)
    except (ValueError, RecursionError):
        raise BadInput("body must be valid JSON") from None
    if not _valid_text(value):
        # "\ud800" is valid JSON but no character: it would fail later, in another process.
        raise BadInput("body holds text that is not valid Unicode")
    return value


def _valid_text(value: Any) -> bool:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return False
        return True
    if isinstance(value, dict):
        return all(_valid_text(k) and _valid_text(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_valid_text(v) for v in value)
    return True


async def read_json(request: web.Request, max_bytes: int = MAX_BODY) -> Any:
    """The request body as strict JSON (see loads_strict)."""
    if request.content_length is not None and request.content_length > max_bytes:
        raise BadInput(f"body is larger than {max_bytes} bytes", 413)
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise BadInput(f"body is larger than {max_bytes} bytes", 413) from None
    return loads_strict(raw, max_bytes)


async def read_json_object(request: web.Request, max_bytes: int = MAX_BODY) -> dict[str, Any]:
    body = await read_json(request, max_bytes)
    if not isinstance(body, dict):
        raise BadInput("body must be a JSON object")
    return body


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except BadInput as exc:
        return json_error(exc.status, str(exc))
    except web.HTTPException as exc:
        if exc.status >= 400 and request.path.startswith("/api/") and exc.content_type != "application/json":
            reason = {404: "not found", 405: "method not allowed", 413: "request too large"}.get(exc.status, exc.reason)
            return json_error(exc.status, reason)
        raise
    except Exception as exc:
        # Logged without request data and without the exception's message (either
        # may hold what a resident typed): the type and where it happened.
        where = "".join(traceback.format_tb(exc.__traceback__))
        logger.error("unhandled %s on %s\n%s", type(exc).__name__, request.path, where)
        return json_error(500, "internal error")
