"""The gateway's degraded answer (112 plus the advice, status 200) for every way
Rasa can be unavailable: no replica listening, a replica that hangs past
NW_RASA_TIMEOUT, a replica that answers nothing (its Redis is down), a 500."""

from __future__ import annotations

import asyncio

import pytest
from aiohttp import ClientSession, ClientTimeout, web
from aiohttp.test_utils import TestClient, TestServer

from bot.gateway import chat as chat_module
from bot.ops.stack import free_port
from bot.settings import Settings
from bot.texts.render import Renderer
from bot.texts.replies import Replies
from tests.unit.test_routing import fake_rasa


async def ask_gateway(rasa_urls: tuple[str, ...], message: str = "de stroom is uitgevallen") -> tuple[int, list[str]]:
    settings = Settings(rasa_urls=rasa_urls, rasa_timeout=1.0, ip_rate_per_min=0, session_rate_per_min=0)
    app = web.Application()
    app["settings"] = settings
    app["replies"] = Replies(Renderer())
    chat_module.setup(app)
    async with ClientSession(timeout=ClientTimeout(total=settings.rasa_timeout)) as http:
        app["http"] = http
        async with TestClient(TestServer(app)) as client:
            resp = await client.post("/api/v1/chat", json={"session_id": "resident-01", "message": message})
            body = await resp.json()
            return resp.status, [m["text"] for m in body["messages"]]


def assert_degraded(status: int, texts: list[str]) -> None:
    assert status == 200, texts
    assert texts[0].lower().startswith("bel 112"), texts
    assert "0800-9009" in " ".join(texts), "the power-cut advice follows"


def test_no_replica_listening():
    nowhere = tuple(f"http://127.0.0.1:{free_port()}" for _ in range(3))
    assert_degraded(*asyncio.run(ask_gateway(nowhere)))


async def _hangs(request: web.Request) -> web.Response:
    await asyncio.sleep(5)
    return web.json_response([{"text": "te laat"}])


async def _nothing(request: web.Request) -> web.Response:
    return web.json_response([])  # what Rasa's REST channel says when its tracker store fails


async def _error(request: web.Request) -> web.Response:
    return web.json_response({"error": "boom"}, status=500)


@pytest.mark.parametrize("webhook", [_hangs, _nothing, _error], ids=["hangs", "answers-nothing", "http-500"])
def test_a_replica_that_does_not_answer(webhook):
    async def scenario() -> tuple[int, list[str]]:
        async with fake_rasa(webhook) as url:
            return await ask_gateway((url,))

    assert_degraded(*asyncio.run(scenario()))


def test_a_working_replica_is_still_used():
    async def fine(request: web.Request) -> web.Response:
        return web.json_response([{"text": "Hoi, ik ben Noodwijzer."}])

    async def scenario() -> tuple[int, list[str]]:
        async with fake_rasa(fine) as url:
            return await ask_gateway((f"http://127.0.0.1:{free_port()}", url), "hallo")

    assert asyncio.run(scenario()) == (200, ["Hoi, ik ben Noodwijzer."])
