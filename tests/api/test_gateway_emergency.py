"""The gateway's own 112 answer is the emergency action's answer.

When the NLU misses acute danger, the gateway puts "Bel 112" first itself. It
must render utter_emergency with the same arguments as action_emergency (the
kind of danger and the risk), so a house fire gets "go outside first".
"""

from __future__ import annotations

import asyncio

from aiohttp import ClientSession, web
from aiohttp.test_utils import TestClient, TestServer

from bot.core.safety import emergency_arguments, find_danger
from bot.gateway import chat as chat_module
from bot.gateway.chat import as_messages
from bot.settings import Settings
from bot.texts.render import Renderer
from bot.texts.replies import Replies
from tests.unit.test_routing import fake_rasa


def gateway_answer(message: str) -> list[dict]:
    """The gateway's reply when Rasa answers without 112 (the NLU missed it)."""

    async def scenario():
        async def webhook(request):
            body = await request.json()
            return web.json_response([{"recipient_id": body["sender"], "text": "Waar kan ik je mee helpen?"}])

        async with fake_rasa(webhook) as url:
            app = web.Application()
            app["settings"] = Settings(rasa_urls=(url,), ip_rate_per_min=0, session_rate_per_min=0)
            app["replies"] = Replies(Renderer(strict=True))
            chat_module.setup(app)
            async with ClientSession() as http:
                app["http"] = http
                async with TestClient(TestServer(app)) as client:
                    resp = await client.post("/api/v1/chat", json={"session_id": "resident-01", "message": message})
                    assert resp.status == 200
                    return (await resp.json())["messages"]

    return asyncio.run(scenario())


def test_fire_through_the_safety_net_gets_the_fire_first_line():
    messages = gateway_answer("help er is brand in de keuken")
    assert messages[0]["text"].startswith("Bel 112 zodra je buiten bent. Ga nu eerst naar buiten.")
    assert messages[-1]["text"] == "Waar kan ik je mee helpen?"


def test_gateway_and_action_render_the_same_emergency_answer():
    replies = Replies(Renderer(strict=True))
    for message in ("help er is brand in de keuken", "mijn vader is bewusteloos", "ik ruik gas in huis"):
        found = find_danger(message)
        assert found is not None, message
        # What action_emergency sends to the NLG endpoint (actions/core.py).
        from_action = Renderer(strict=True).render(
            "utter_emergency", {**emergency_arguments(found.kind, found.risk), "notice": None}
        )
        expected = as_messages(replies.emergency(found.kind, found.risk, None))
        assert [m["text"] for m in as_messages(from_action)] == [m["text"] for m in expected]
        assert gateway_answer(message)[: len(expected)] == expected
