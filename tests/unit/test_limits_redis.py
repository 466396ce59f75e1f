"""Rate limits and idempotency keys shared by several gateways through a real
redis-server on a free port (bot/gateway/limits_redis.py)."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from bot.gateway.idempotency import KeyConflict
from bot.gateway.limits_redis import RedisLimiter, SharedIdempotencyCache, client_for
from bot.ops.redis_server import RedisServer
from bot.ops.stack import free_port


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with RedisServer(tmp_path_factory.mktemp("redis"), free_port()) as running:
        yield running


async def test_two_gateways_share_one_limit(server):
    first, second = client_for(server.url), client_for(server.url)  # two gateways, two connections
    try:
        a, b = RedisLimiter(first, 3, "chat"), RedisLimiter(second, 3, "chat")
        who = "10.0.0." + uuid.uuid4().hex[:4]
        decisions = [await a.hit(who), await b.hit(who), await a.hit(who), await b.hit(who)]
        assert [d.allowed for d in decisions] == [True, True, True, False]
        assert 15 <= decisions[-1].retry_after <= 20  # one request per 20 s after the burst of 3
        assert (await a.hit("someone-else")).allowed, "limits are per key"
        assert 0 < await first.pttl(a.prefix + who) <= 60_000, "the key expires with its window"
    finally:
        await first.close()
        await second.close()


async def test_limits_fall_back_to_memory_when_redis_is_away():
    gone = client_for(f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
    try:
        limiter = RedisLimiter(gone, 2, "chat")
        decisions = [await limiter.hit("x") for _ in range(3)]
        assert [d.allowed for d in decisions] == [True, True, False], "still limited, per gateway"
    finally:
        await gone.close()


async def test_the_same_message_id_on_two_gateways_is_answered_once(server):
    first, second = client_for(server.url), client_for(server.url)
    try:
        a, b = SharedIdempotencyCache(first), SharedIdempotencyCache(second)
        session, key = "s-" + uuid.uuid4().hex, "m-" + uuid.uuid4().hex
        calls = 0

        async def produce():
            nonlocal calls
            calls += 1
            await asyncio.sleep(0.3)  # Rasa thinking
            return [{"text": "Hallo"}]

        (answer_a, replayed_a), (answer_b, replayed_b) = await asyncio.gather(
            a.run(session, key, "hallo", produce), b.run(session, key, "hallo", produce)
        )
        assert calls == 1
        assert answer_a == answer_b == [{"text": "Hallo"}]
        assert sorted([replayed_a, replayed_b]) == [False, True]
        with pytest.raises(KeyConflict):
            await b.run(session, key, "iets anders", produce)
        stored = await first.get(f"noodwijzer:gw:idem:{session}:{key}")
        assert "hallo" not in stored, "only a hash of the message is kept"
    finally:
        await first.close()
        await second.close()


async def test_failed_work_is_forgotten_so_a_retry_on_another_gateway_runs_it(server):
    first, second = client_for(server.url), client_for(server.url)
    try:
        a, b = SharedIdempotencyCache(first), SharedIdempotencyCache(second)
        session, key = "s-" + uuid.uuid4().hex, "m-" + uuid.uuid4().hex

        async def fail():
            raise RuntimeError("rasa went away")

        async def works():
            return ["ok"]

        with pytest.raises(RuntimeError):
            await a.run(session, key, "hallo", fail)
        assert await b.run(session, key, "hallo", works) == (["ok"], False)
    finally:
        await first.close()
        await second.close()


async def test_idempotency_works_per_gateway_when_redis_is_away():
    gone = client_for(f"redis://127.0.0.1:{free_port()}/0")
    try:
        cache = SharedIdempotencyCache(gone)
        calls = 0

        async def produce():
            nonlocal calls
            calls += 1
            return ["antwoord"]

        assert await cache.run("sessie-123", "bericht-1", "hallo", produce) == (["antwoord"], False)
        assert await cache.run("sessie-123", "bericht-1", "hallo", produce) == (["antwoord"], True)
        assert calls == 1
    finally:
        await gone.close()
