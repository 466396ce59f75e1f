"""Conversations stay on one Rasa replica; new ones are spread evenly."""

from __future__ import annotations

import asyncio
import contextlib
import uuid

import pytest

from bot.gateway.routing import PURGE_EVERY_SECONDS, FifoLimit, ReplicaRouter, ReplicaSlots

URLS = ("http://127.0.0.1:5005", "http://127.0.0.1:5006")


@contextlib.asynccontextmanager
async def fake_rasa(webhook):
    """A stand-in for Rasa's REST channel on a free port; yields its base URL."""
    from aiohttp import web

    from bot.ops.stack import free_port

    fake = web.Application()
    fake.router.add_post("/webhooks/rest/webhook", webhook)
    runner = web.AppRunner(fake)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


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

    from bot.gateway.chat import ask_rasa
    from bot.ops.stack import free_port
    from bot.settings import Settings

    async def scenario():
        seen = []

        async def webhook(request):
            body = await request.json()
            seen.append(body["sender"])
            return web.json_response([{"recipient_id": body["sender"], "text": "hoi van de reserve"}])

        async with fake_rasa(webhook) as up, ClientSession() as http:
            down = f"http://127.0.0.1:{free_port()}"  # nothing listens here
            settings = Settings(rasa_urls=(down, up))
            app = {
                "settings": settings,
                "rasa_router": ReplicaRouter(settings.rasa_urls),
                "rasa_slots": ReplicaSlots(settings.rasa_urls, 2, 5.0),
                "http": http,
            }
            # find a session id whose home replica is the one that is down
            sid = next(
                s for s in (f"sess-{n:04d}" for n in range(100)) if ReplicaRouter((down, up)).replicas_for(s)[0] == down
            )
            reply = await ask_rasa(app, sid, "hallo", None)
            return sid, reply, seen, app["rasa_router"].replicas_for(sid)[0], up

    sid, reply, seen, home_now, up = asyncio.run(scenario())
    assert reply[0]["text"] == "hoi van de reserve"
    assert seen == [sid]
    assert home_now == up, "the conversation continues on the replica that answered"


# --- a short line per replica -----------------------------------------------------


def test_fifo_limit_lets_in_at_most_limit_and_serves_in_arrival_order():
    async def scenario():
        limit = FifoLimit(2)
        inside, most, order = 0, 0, []

        async def worker(n: int):
            nonlocal inside, most
            await limit.acquire()
            inside += 1
            most = max(most, inside)
            order.append(n)
            await asyncio.sleep(0.01)
            inside -= 1
            limit.release()

        tasks = []
        for n in range(8):
            tasks.append(asyncio.ensure_future(worker(n)))
            await asyncio.sleep(0)  # arrive one after the other
        await asyncio.gather(*tasks)
        return most, order, limit.active, limit.waiting

    most, order, active, waiting = asyncio.run(scenario())
    assert most == 2
    assert order == list(range(8)), "first come, first served"
    assert (active, waiting) == (0, 0)


def test_a_newcomer_does_not_jump_the_line():
    async def scenario():
        limit = FifoLimit(1)
        await limit.acquire()
        order = []

        async def wait_then_note(name):
            await limit.acquire()
            order.append(name)
            limit.release()

        first = asyncio.ensure_future(wait_then_note("waiting"))
        await asyncio.sleep(0)
        limit.release()  # the place goes to the waiter ...
        newcomer = asyncio.ensure_future(wait_then_note("newcomer"))  # ... not to this one
        await asyncio.gather(first, newcomer)
        return order

    assert asyncio.run(scenario()) == ["waiting", "newcomer"]


def test_a_waiter_that_gives_up_leaves_no_hole():
    async def scenario():
        limit = FifoLimit(1)
        await limit.acquire()
        impatient = asyncio.ensure_future(limit.acquire())
        patient = asyncio.ensure_future(limit.acquire())
        await asyncio.sleep(0)
        impatient.cancel()
        await asyncio.sleep(0)
        limit.release()
        await asyncio.wait_for(patient, 1)
        limit.release()
        return limit.active, limit.waiting

    assert asyncio.run(scenario()) == (0, 0)


def test_replica_slots_time_out_and_are_per_replica():
    async def scenario():
        slots = ReplicaSlots(URLS, per_replica=1, wait_seconds=0.05)
        async with slots.slot(URLS[0]):
            async with slots.slot(URLS[1]):  # the other replica has its own line
                pass
            with pytest.raises(asyncio.TimeoutError):
                async with slots.slot(URLS[0]):
                    pass
        async with slots.slot(URLS[0]):  # free again after the timeout
            return slots.limit_for(URLS[0]).active

    assert asyncio.run(scenario()) == 1


def test_no_limit_when_switched_off():
    async def scenario():
        slots = ReplicaSlots(URLS, per_replica=0, wait_seconds=0.01)
        async with slots.slot(URLS[0]), slots.slot(URLS[0]):
            return slots.limit_for(URLS[0])

    assert asyncio.run(scenario()) is None
    with pytest.raises(ValueError):
        FifoLimit(0)


def test_gateway_sends_a_replica_at_most_its_share_at_once():
    """Ten residents at once against a slow fake Rasa: it never sees more than 2 at a time."""
    from aiohttp import ClientSession, web

    from bot.gateway.chat import ask_rasa

    async def scenario():
        inside, most = 0, 0

        async def webhook(request):
            nonlocal inside, most
            body = await request.json()
            inside += 1
            most = max(most, inside)
            await asyncio.sleep(0.5)  # long enough that requests overlap even on a busy machine
            inside -= 1
            return web.json_response([{"recipient_id": body["sender"], "text": "hoi " + body["sender"]}])

        async with fake_rasa(webhook) as url, ClientSession() as http:
            urls = (url,)
            app = {"rasa_router": ReplicaRouter(urls), "rasa_slots": ReplicaSlots(urls, 2, 5.0), "http": http}
            ids = [f"resident-{n:02d}" for n in range(10)]
            replies = await asyncio.gather(*(ask_rasa(app, sid, "hallo", None) for sid in ids))
            return most, [r[0]["text"] for r in replies], ids

    most, texts, ids = asyncio.run(scenario())
    assert most == 2
    assert texts == ["hoi " + sid for sid in ids], "every resident gets their own answer"


def test_a_message_that_waits_too_long_in_line_gets_the_degraded_answer():
    """Line of 1, Rasa takes 1.2 s, wait limit 1.7 s: the second resident waits
    ~1.2 s and is answered; the third would wait ~2.4 s, so gets the degraded
    answer (112 first) instead of a 5xx. About half a second of slack on both
    sides, so a busy test machine does not change the outcome."""
    from aiohttp import ClientSession, ClientTimeout, web
    from aiohttp.test_utils import TestClient, TestServer

    from bot.gateway import chat as chat_module
    from bot.settings import Settings
    from bot.texts.render import Renderer
    from bot.texts.replies import Replies

    async def scenario():
        async def webhook(request):
            body = await request.json()
            await asyncio.sleep(1.2)
            return web.json_response([{"recipient_id": body["sender"], "text": "antwoord van rasa"}])

        async with fake_rasa(webhook) as url:
            settings = Settings(
                rasa_urls=(url,), rasa_timeout=1.7, rasa_concurrency=1, ip_rate_per_min=0, session_rate_per_min=0
            )
            app = web.Application()
            app["settings"] = settings
            app["replies"] = Replies(Renderer())
            chat_module.setup(app)
            async with ClientSession(timeout=ClientTimeout(total=settings.rasa_timeout)) as http:
                app["http"] = http
                async with TestClient(TestServer(app)) as client:
                    line = app["rasa_slots"].limit_for(settings.rasa_urls[0])

                    async def say(n):
                        resp = await client.post(
                            "/api/v1/chat", json={"session_id": f"resident-{n:02d}", "message": "hallo"}
                        )
                        return resp.status, (await resp.json())["messages"][0]["text"]

                    async def queued(count):  # wait until the gateway holds `count` residents
                        for _ in range(500):
                            if line.active + line.waiting >= count:
                                return
                            await asyncio.sleep(0.01)
                        raise AssertionError("resident never reached the gateway")

                    tasks = []
                    for n in range(3):  # arrive strictly one after the other
                        tasks.append(asyncio.ensure_future(say(n)))
                        await queued(n + 1)
                    return await asyncio.gather(*tasks)

    (s1, first), (s2, second), (s3, third) = asyncio.run(scenario())
    assert (s1, s2, s3) == (200, 200, 200)
    assert first == second == "antwoord van rasa"
    assert third.lower().startswith("bel 112"), third
