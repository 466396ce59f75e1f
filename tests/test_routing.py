"""Conversations stay on one Rasa replica; new ones are spread evenly."""
from __future__ import annotations

import asyncio
import uuid

import pytest

from bot.web.routing import PURGE_EVERY_SECONDS, ReplicaRouter

URLS = ("http://127.0.0.1:5005", "http://127.0.0.1:5006")


def test_a_conversation_stays_on_its_replica():
    router = ReplicaRouter(URLS)
    first = router.replicas_for("resident-1")
    for _ in range(5):
        assert router.replicas_for("resident-1") == first
    assert sorted(first) == sorted(URLS), "the other replica is the fallback"


def test_a_burst_of_new_residents_is_split_evenly():
    router = ReplicaRouter(URLS)
    chosen = [router.replicas_for(uuid.uuid4().hex)[0] for _ in range(20)]
    assert chosen.count(URLS[0]) == 10 and chosen.count(URLS[1]) == 10
    assert router.load() == [10, 10]


def test_after_a_fallback_the_conversation_moves():
    router = ReplicaRouter(URLS)
    home = router.replicas_for("resident-2")[0]
    other = next(u for u in URLS if u != home)
    router.answered_by("resident-2", other)
    assert router.replicas_for("resident-2")[0] == other
    assert sum(router.load()) == 1


def test_idle_conversations_are_dropped_after_the_ttl():
    now = [0.0]
    router = ReplicaRouter(URLS, ttl_seconds=600, clock=lambda: now[0])
    for n in range(4):
        router.replicas_for(f"idle-{n}")
    now[0] += 600 + PURGE_EVERY_SECONDS + 1
    router.replicas_for("fresh")
    assert router.load() in ([1, 0], [0, 1])


def test_one_replica_works_and_none_is_refused():
    assert ReplicaRouter(URLS[:1]).replicas_for("x") == [URLS[0]]
    with pytest.raises(ValueError):
        ReplicaRouter(())


def test_gateway_falls_back_when_the_pinned_replica_is_down(unused_tcp_port_factory=None):
    """A fake Rasa on one port, nothing on the other: the reply still comes from Rasa."""
    from aiohttp import ClientSession, web

    from bot.web.chat import ask_rasa
    from bot.web.settings import Settings
    from bot.stack import free_port

    async def scenario():
        seen = []

        async def webhook(request):
            body = await request.json()
            seen.append(body["sender"])
            return web.json_response([{"recipient_id": body["sender"], "text": "hoi van de reserve"}])

        fake = web.Application()
        fake.router.add_post("/webhooks/rest/webhook", webhook)
        runner = web.AppRunner(fake)
        await runner.setup()
        up_port, down_port = free_port(), free_port()
        await web.TCPSite(runner, "127.0.0.1", up_port).start()
        down, up = f"http://127.0.0.1:{down_port}", f"http://127.0.0.1:{up_port}"
        settings = Settings(rasa_urls=(down, up))
        app = {"settings": settings, "rasa_router": ReplicaRouter(settings.rasa_urls)}
        try:
            async with ClientSession() as http:
                app["http"] = http
                # find a session id whose home replica is the one that is down
                sid = next(s for s in (f"sess-{n:04d}" for n in range(100))
                           if ReplicaRouter((down, up)).replicas_for(s)[0] == down)
                reply = await ask_rasa(app, sid, "hallo", None)
                return sid, reply, seen, app["rasa_router"].replicas_for(sid)[0], up
        finally:
            await runner.cleanup()

    sid, reply, seen, home_now, up = asyncio.run(scenario())
    assert reply[0]["text"] == "hoi van de reserve"
    assert seen == [sid]
    assert home_now == up, "the conversation continues on the replica that answered"
