"""POST /api/v1/chat: validate, proxy to Rasa's REST channel, enforce safety.

Two guarantees live here because this is the path no message can skip:
- acute danger gets "Bel 112" as the first line, even if the NLU missed it;
- when Rasa is down the reply is still useful: 112 and the matching risk advice.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

from aiohttp import ClientConnectorError, ClientError, web

from bot.core.regions import valid_region
from bot.core.risks import get_risk, match_risk
from bot.core.safety import find_danger
from bot.gateway import learning
from bot.gateway.client_address import request_key
from bot.gateway.errors import BadInput, json_error, read_json_object
from bot.gateway.idempotency import IdempotencyCache, KeyConflict, valid_key
from bot.gateway.limits import MemoryLimiter, rate_limited
from bot.gateway.routing import ReplicaRouter, ReplicaSlots
from bot.gateway.safety_net import emergency_first, starts_with_112
from bot.redactie import inzicht
from bot.texts.render import Rendered, split_bubbles
from bot.texts.replies import Replies
from bot.texts.safe_render import off_loop

logger = logging.getLogger(__name__)

SESSION_RE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
MAX_MESSAGE = 1000


def risk_arguments(key: str | None, phase: str) -> dict[str, Any]:
    """Same kwargs the risk action passes, so degraded answers use the same template."""
    if not key:
        return {}
    risk = get_risk(key)
    return {"risk": risk, "risk_key": key, "phase": phase} if risk else {}


# --- validation ---------------------------------------------------------------


# One strict JSON reader for every endpoint (bot/gateway/errors.py).
BadRequest = BadInput


async def parse_request(request: web.Request) -> tuple[str, str, str | None, str | None]:
    body = await read_json_object(request)
    session_id = body.get("session_id")
    message = body.get("message")
    region = body.get("region")
    message_id = body.get("message_id")  # idempotency key, optional (bot/gateway/idempotency.py)
    if session_id is None or message is None:
        raise BadRequest("fields 'session_id' and 'message' are required")
    if not isinstance(session_id, str) or not SESSION_RE.match(session_id):
        raise BadRequest("session_id must be 8-64 characters: letters, digits, '-' or '_'")
    if not isinstance(message, str):
        raise BadRequest("message must be a string")
    if len(message) > MAX_MESSAGE:
        raise BadRequest(f"message is longer than {MAX_MESSAGE} characters", 413)
    message = message.replace("\x00", "").strip()
    if not message:
        raise BadRequest("message is empty")
    if region is not None and valid_region(region) is None:
        raise BadRequest("region must be VR01..VR25")
    if message_id is not None and not valid_key(message_id):
        raise BadRequest("message_id must be 8-64 characters: letters, digits, '-' or '_'")
    return session_id, message, region, message_id


# --- replies -------------------------------------------------------------------


def to_messages(rasa_replies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rasa REST replies -> widget messages, one per chat bubble."""
    messages: list[dict[str, Any]] = []
    for reply in rasa_replies:
        if not isinstance(reply, dict):
            continue
        bubbles = split_bubbles(reply.get("text") or "")
        buttons = [
            {"title": str(b.get("title", "")), "payload": str(b.get("payload", ""))}
            for b in reply.get("buttons") or []
            if isinstance(b, dict) and b.get("title") and b.get("payload")
        ]
        if not bubbles and buttons:
            bubbles = [""]
        for i, bubble in enumerate(bubbles):
            message: dict[str, Any] = {"text": bubble}
            if buttons and i == len(bubbles) - 1:
                message["buttons"] = buttons
            messages.append(message)
    return [m for m in messages if m["text"] or m.get("buttons")]


def as_messages(rendered: Rendered) -> list[dict[str, Any]]:
    return to_messages([rendered.as_nlg()])


async def ask_rasa(app: web.Application, session_id: str, message: str, region: str | None) -> list[dict[str, Any]]:
    payload = {"sender": session_id, "message": message, "metadata": {"region": region} if region else {}}
    router: ReplicaRouter = app["rasa_router"]
    replicas = router.replicas_for(session_id)
    for attempt, rasa_url in enumerate(replicas):
        try:
            async with app["rasa_slots"].slot(rasa_url):
                async with app["http"].post(f"{rasa_url}/webhooks/rest/webhook", json=payload) as resp:
                    if resp.status != 200:
                        raise ClientError(f"rasa answered {resp.status}")
                    data = await resp.json()
            if attempt:
                router.answered_by(session_id, rasa_url)
            break
        except ClientConnectorError:
            # This replica is not running (restart, crash): a fresh conversation
            # on another replica beats the degraded answer.
            if attempt == len(replicas) - 1:
                raise
    # Rasa's REST channel answers [] when it could not handle the message (its
    # tracker or lock store unreachable, say Redis down): for the resident that is "down".
    if not isinstance(data, list) or not data:
        raise ClientError("rasa gave no answer")
    return data


class RateLimited(Exception):
    def __init__(self, seconds: int) -> None:
        super().__init__(seconds)
        self.seconds = seconds


async def chat(request: web.Request) -> web.Response:
    app = request.app
    try:
        session_id, message, region, message_id = await parse_request(request)
    except BadRequest as exc:
        return json_error(exc.status, str(exc))

    client = request_key(request)  # behind a trusted proxy: X-Forwarded-For (bot/gateway/client_address.py)
    try:
        if message_id is None:
            messages = await answer(app, client, session_id, message, region)
        else:
            # A retry with the same key gets the first answer; Rasa hears the message once.
            produce = lambda: answer(app, client, session_id, message, region)  # noqa: E731
            messages, _replayed = await app["idempotency"].run(session_id, message_id, message, produce)
    except RateLimited as exc:
        # The wait is in the body too: a page on another site cannot read every header.
        # The resident also gets it as a bot message that still points to 112.
        messages = as_messages(await off_loop(rate_limited, app["replies"], exc.seconds, region))
        text = " ".join(m["text"] for m in messages)
        response = json_error(429, text, retry_after=exc.seconds, session_id=session_id, messages=messages)
        response.headers["Retry-After"] = str(exc.seconds)
        return response
    except KeyConflict as exc:
        return json_error(409, str(exc))
    return web.json_response({"session_id": session_id, "messages": messages})


async def answer(
    app: web.Application, client: str, session_id: str, message: str, region: str | None
) -> list[dict[str, Any]]:
    """The bot's messages for one resident message: rate limits, Rasa (or degraded), 112 first."""
    for limiter, who in ((app["ip_limiter"], client), (app["session_limiter"], session_id)):
        decision = await limiter.hit(who)
        if not decision.allowed:
            raise RateLimited(decision.retry_after)

    replies: Replies = app["replies"]
    found = find_danger(message)  # once per message: it is the costliest check here
    danger = found is not None
    try:
        rasa_replies = await ask_rasa(app, session_id, message, region)
        messages = to_messages(rasa_replies)
        if learning.not_understood(rasa_replies):
            learning.remember(app, region, message)  # only when the region opted in (issue 19)
    except (ClientError, asyncio.TimeoutError, ValueError) as exc:
        logger.warning("rasa unavailable (%s); answering in degraded mode", type(exc).__name__)
        key = (found and found.risk) or match_risk(message)
        advice = risk_arguments(key, "tijdens")
        degraded = await off_loop(
            replies.render, "utter_degraded", region=region, arguments={"danger": danger, **advice}
        )
        messages = as_messages(degraded)
        if advice:
            messages += as_messages(
                await off_loop(replies.render, "utter_risk_advice", region=region, arguments=advice)
            )

    if found is not None and not starts_with_112(messages):
        # The same 112 answer the emergency action gives, with the kind of danger (English for English).
        messages = as_messages(await off_loop(emergency_first, replies, found, message, region)) + messages
        inzicht.count(app, region, [("noodgeval", "")])  # the NLG counts the 112 answers Rasa gave
    if not messages:
        messages = [{"text": replies.safe_default}]
    return messages


def setup(app: web.Application) -> None:
    settings = app["settings"]
    app["ip_limiter"] = MemoryLimiter(settings.ip_rate_per_min)
    app["session_limiter"] = MemoryLimiter(settings.session_rate_per_min)
    app["idempotency"] = IdempotencyCache()
    app["rasa_router"] = ReplicaRouter(settings.rasa_urls, settings.conversation_ttl_s)
    app["rasa_slots"] = ReplicaSlots(settings.rasa_urls, settings.rasa_concurrency, settings.rasa_timeout)
    app.router.add_post("/api/v1/chat", chat)
