"""uvloop for our aiohttp servers (gateway, NLG), as Sanic already uses it for
Rasa and the action server: less CPU per request on the chat path."""

from __future__ import annotations


def install() -> bool:
    try:
        import uvloop
    except ImportError:  # plain asyncio works too, only a little slower
        return False
    uvloop.install()
    return True
