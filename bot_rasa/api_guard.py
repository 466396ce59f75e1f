"""A token for Rasa's HTTP API, except the parts the contract keeps open.

Rasa runs with `--enable-api` on loopback. Without a token, any local process
could read a resident's whole conversation (`GET /conversations/<id>/tracker`,
household and health slots included) or replace the model. Rasa's own
`--auth-token` would also close `POST /model/parse`, which the contract
(shared/DESIGN.md) promises to outside checks without a token. So this input
channel, listed in credentials.yml, adds one request middleware to the whole
Sanic app when the server starts (a documented Sanic mechanism: a blueprint
listener that calls `app.register_middleware`); Rasa itself is not patched.

Open without a token (read-only, no resident data): `GET /`, `GET /version`,
`POST /model/parse`, and the channels under `/webhooks/` (the gateway's REST
channel). Everything else (`/conversations/...`, `/status`, `/domain`,
`PUT/DELETE /model`, `/model/train`, `/model/test/...`, `/model/predict`, ...)
needs `Authorization: Bearer <NW_RASA_TOKEN>`. With no token configured those
stay closed (403): safe by default. See SECURITY.md.
"""

from __future__ import annotations

import hmac
from typing import Any, Awaitable, Callable, Coroutine, Dict, Optional, Text

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.settings import Settings

OPEN_EXACT = {("GET", "/"), ("HEAD", "/"), ("GET", "/version"), ("HEAD", "/version"), ("POST", "/model/parse")}
OPEN_PREFIX = "/webhooks/"


def is_open(method: str, path: str) -> bool:
    return (method, path) in OPEN_EXACT or (path.startswith(OPEN_PREFIX) and ".." not in path)


def bearer(request: Request) -> Optional[str]:
    header = request.headers.get("Authorization") or ""
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _refusal(status: int, message: str) -> HTTPResponse:
    # The same shape as Rasa's own error answers.
    reason = "NotAuthenticated" if status == 401 else "NotAuthorized"
    return response.json({"status": "failure", "reason": reason, "message": message, "code": status}, status=status)


def make_guard(token: str) -> Callable[[Request], Coroutine[Any, Any, Optional[HTTPResponse]]]:
    expected = token.encode()

    async def guard(request: Request) -> Optional[HTTPResponse]:
        if request.method == "OPTIONS" or is_open(request.method, request.path):
            return None
        if not expected:
            return _refusal(403, "This part of the Rasa API is closed: set NW_RASA_TOKEN.")
        given = bearer(request)
        if given is None:
            return _refusal(401, "Send 'Authorization: Bearer <NW_RASA_TOKEN>'.")
        if not hmac.compare_digest(given.encode(), expected):
            return _refusal(403, "Wrong token.")
        return None

    return guard


class ApiGuard(InputChannel):  # type: ignore[misc]  # rasa has no py.typed
    """Not a chat channel: it only guards the HTTP API (see the module docstring)."""

    def __init__(self, token: Optional[str] = None) -> None:
        self.token = Settings.from_env().rasa_token if token is None else token

    @classmethod
    def name(cls) -> Text:
        return "api_guard"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        return cls()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        bp = Blueprint("api_guard", __name__)
        guard = make_guard(self.token)

        async def install(app: Sanic, _loop: Any) -> None:
            # App-wide, not only for this blueprint's routes.
            app.register_middleware(guard, "request")

        bp.listener(install, "before_server_start")

        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        bp.add_route(health, "/", methods=["GET"])

        return bp
