"""One kept-alive HTTP session per endpoint, bodies encoded with ujson.

Rasa: EndpointConfig.request opens a new aiohttp session (and so a new TCP
connection) for every call to the action server and the NLG endpoint, and
closes it afterwards (~12 % of Rasa's CPU under load). Bodies are encoded
with the json module.

Patch: one pooled session per endpoint configuration and event loop, with
the same headers, basic auth, timeout, parameters and error handling as
Rasa's request; JSON bodies are encoded with ujson (Sanic's own encoder,
~3x faster), and whatever ujson refuses (NaN, huge ints) with json.
Endpoints with a custom CA file keep Rasa's own code path.

Same decisions: the servers receive the same requests (same decoded JSON)
and Rasa gets the same replies and errors; only the connection is reused.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, Dict, List, Optional, Text

import aiohttp
import ujson
from aiohttp import ContentTypeError
from rasa.utils.endpoints import DEFAULT_REQUEST_TIMEOUT, ClientResponseError, EndpointConfig, concat_url

from bot_rasa.patches._switch import Replacement, Switch

NAME = "pooled_http"
SUMMARY = (
    "one kept-alive HTTP session per endpoint (action server, NLG) instead of a new connection per call; ujson bodies"
)

# Shorter than the servers' idle timeout (Sanic: 5 s), so a pooled connection is
# never reused at the moment the server closes it.
KEEPALIVE_SECONDS = 2.0
_sessions: Dict[Any, aiohttp.ClientSession] = {}
_rasa_request: Any = None  # Rasa's EndpointConfig.request while the patch is on


def dumps(value: Any) -> str:
    """JSON for action and NLG calls: ujson; whatever it refuses goes through json."""
    try:
        return ujson.dumps(value, ensure_ascii=False, escape_forward_slashes=False)
    except (OverflowError, TypeError, ValueError):
        return json.dumps(value)


def _pooled_session(endpoint: Any) -> aiohttp.ClientSession:
    """One keep-alive session per endpoint configuration and event loop."""
    loop = asyncio.get_running_loop()
    key = (id(loop), endpoint.url, tuple(sorted(endpoint.headers.items())), tuple(sorted(endpoint.basic_auth.items())))
    session = _sessions.get(key)
    if session is None or session.closed:
        auth = None
        if endpoint.basic_auth:  # same headers, auth and timeout as EndpointConfig.session()
            auth = aiohttp.BasicAuth(endpoint.basic_auth["username"], endpoint.basic_auth["password"])
        session = aiohttp.ClientSession(
            headers=endpoint.headers,
            auth=auth,
            json_serialize=dumps,
            timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
            connector=aiohttp.TCPConnector(keepalive_timeout=KEEPALIVE_SECONDS),
        )
        _sessions[key] = session
    return session


async def close_pooled_sessions() -> None:
    """Close the sessions of the running event loop (tests; Rasa keeps them for its lifetime)."""
    loop_id = id(asyncio.get_running_loop())
    for key in [key for key in _sessions if key[0] == loop_id]:
        await _sessions.pop(key).close()


async def pooled_request(
    self: Any,
    method: Text = "post",
    subpath: Optional[Text] = None,
    content_type: Optional[Text] = "application/json",
    compress: bool = False,
    **kwargs: Any,
) -> Optional[Any]:
    """EndpointConfig.request on a pooled session; plain-http endpoints only."""
    if self.cafile:  # custom TLS setup: keep Rasa's own code path
        return await _rasa_request(self, method, subpath, content_type, compress, **kwargs)
    headers = {}
    if content_type:
        headers["Content-Type"] = content_type
    if "headers" in kwargs:
        headers.update(kwargs.pop("headers"))
    if self.headers:
        headers.update(self.headers)
    url = concat_url(self.url, subpath)
    session = _pooled_session(self)
    async with session.request(
        method, url, headers=headers, params=self.combine_parameters(kwargs), compress=compress, **kwargs
    ) as response:
        if response.status >= 400:
            raise ClientResponseError(response.status, response.reason, await response.content.read())
        try:
            return await response.json()
        except ContentTypeError:
            return None


def _replacements() -> List[Replacement]:
    return [Replacement(EndpointConfig, "request", pooled_request, "_rasa_request")]


_switch = Switch(globals(), _replacements)
apply = _switch.apply
revert = _switch.revert


def applied() -> bool:
    return _switch.applied
