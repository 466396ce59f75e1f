"""Rasa's Redis tracker and lock stores as configured for shared conversations
(bot_rasa/tracker_store.py), against a real redis-server on a free port."""

from __future__ import annotations

import asyncio
import threading
import uuid

import pytest
import redis

from bot.ops.redis_server import RedisServer
from bot.ops.stack import free_port


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    with RedisServer(tmp_path_factory.mktemp("redis"), free_port()) as server:
        yield server.url


@pytest.fixture
def shared_env(redis_url, monkeypatch):
    monkeypatch.setenv("NW_REDIS_URL", redis_url)
    monkeypatch.setenv("NW_TRACKER_TTL", "120")
    return redis_url


def test_tickets_are_unique_when_replicas_take_them_at_the_same_moment(shared_env):
    from bot_rasa.tracker_store import SharedRedisLockStore

    conversation = "c-" + uuid.uuid4().hex
    stores = [SharedRedisLockStore() for _ in range(4)]  # one per "replica": own connections
    tickets: list[int] = []
    start = threading.Barrier(len(stores))

    def take(store) -> None:
        start.wait()
        mine = [store.issue_ticket(conversation) for _ in range(50)]
        tickets.extend(mine)

    threads = [threading.Thread(target=take, args=(store,)) for store in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(tickets) == 200
    assert len(set(tickets)) == 200, "two replicas got the same ticket"
    ttl = redis.Redis.from_url(shared_env).ttl(f"noodwijzer:lock:{conversation}")
    assert 0 < ttl <= 60 + 60, "a lock left by a killed replica expires by itself"


def test_messages_of_one_conversation_are_served_one_at_a_time_in_ticket_order(shared_env):
    from bot_rasa.tracker_store import SharedRedisLockStore

    conversation = "c-" + uuid.uuid4().hex
    log: list[tuple[str, int]] = []
    start = threading.Barrier(3)

    def message(n: int) -> None:
        store = SharedRedisLockStore()

        async def handle() -> None:
            start.wait()
            async with store.lock(conversation, wait_time_in_seconds=0.05) as lock:
                log.append(("start", n))
                await asyncio.sleep(0.2)  # the "processing" of the message
                log.append(("end", n))
                assert lock.conversation_id == conversation

        asyncio.run(handle())

    threads = [threading.Thread(target=message, args=(n,)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(log) == 6
    for i in range(0, 6, 2):  # never two at once: every start is followed by its own end
        assert log[i][0] == "start" and log[i + 1] == ("end", log[i][1]), log
    # nothing is left behind once every message is done
    client = redis.Redis.from_url(shared_env)
    assert client.get(f"noodwijzer:lock:{conversation}") is None


def test_conversations_are_shared_and_expire_when_idle(shared_env):
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import SlotSet, UserUttered

    from bot_rasa.tracker_store import SharedRedisTrackerStore

    domain = Domain.load("domain.yml")
    first, second = SharedRedisTrackerStore(domain), SharedRedisTrackerStore(domain)  # two replicas
    sender = "s-" + uuid.uuid4().hex

    async def scenario() -> None:
        tracker = await first.get_or_create_tracker(sender)
        tracker.update(UserUttered("we zijn met z'n tweeën"))
        tracker.update(SlotSet("kit_budget", 50))
        await first.save(tracker)
        again = await second.retrieve(sender)
        assert again is not None and again.get_slot("kit_budget") == 50

    asyncio.run(scenario())
    client = redis.Redis.from_url(shared_env)
    keys = client.keys(f"noodwijzer:*{sender}")
    assert len(keys) == 1
    assert 100 < client.ttl(keys[0]) <= 120, "idle conversations expire after NW_TRACKER_TTL"
    stored = client.get(keys[0]).decode()
    assert "tweeën" in stored or "twee" in stored  # really stored in Redis, not in the process


def test_stores_use_the_asyncio_client_and_work_from_a_new_event_loop(shared_env):
    # The stores talk to Redis with redis.asyncio inside Rasa's event loop (a blocking
    # client held the loop on every round trip); a client belongs to the loop that made it.
    import redis.asyncio
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import SlotSet

    from bot_rasa.tracker_store import SharedRedisLockStore, SharedRedisTrackerStore

    store, locks = SharedRedisTrackerStore(Domain.load("domain.yml")), SharedRedisLockStore()
    sender = "s-" + uuid.uuid4().hex
    clients = []

    async def one_message(budget: int) -> None:
        async with locks.lock(sender, wait_time_in_seconds=0.05):
            tracker = await store.get_or_create_tracker(sender)
            tracker.update(SlotSet("kit_budget", budget))
            await store.save(tracker)
        clients.extend([store.ared.get(), locks.ared.get()])

    asyncio.run(one_message(25))
    asyncio.run(one_message(50))  # a second loop: new connections, same data

    async def read() -> object:
        tracker = await store.retrieve(sender)
        return tracker.get_slot("kit_budget") if tracker else None

    assert asyncio.run(read()) == 50
    assert all(isinstance(c, redis.asyncio.Redis) for c in clients)
    assert clients[0] is not clients[2], "each event loop gets its own client"
    assert redis.Redis.from_url(shared_env).get(f"noodwijzer:lock:{sender}") is None


def test_a_conversation_survives_a_redis_restart(tmp_path, monkeypatch):
    # After a restart every pooled connection is dead. Without a retry the first read
    # failed, Rasa's fail-safe store answered "no conversation" and the kit form began anew.
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import SlotSet

    from bot_rasa.tracker_store import LockError, SharedRedisLockStore, SharedRedisTrackerStore

    port = free_port()
    server = RedisServer(tmp_path, port).start()
    monkeypatch.setenv("NW_REDIS_URL", server.url)
    store, locks = SharedRedisTrackerStore(Domain.load("domain.yml")), SharedRedisLockStore()
    sender = "s-" + uuid.uuid4().hex

    async def scenario() -> list[object]:
        async with locks.lock(sender):
            tracker = await store.get_or_create_tracker(sender)
            tracker.update(SlotSet("kit_budget", 50))
            await store.save(tracker)
        server.stop()
        with pytest.raises(LockError):  # really down: an error, quickly
            async with locks.lock(sender):
                pass
        server.start()
        seen = []
        for _ in range(2):
            async with locks.lock(sender):
                again = await store.retrieve(sender)
                seen.append(again.get_slot("kit_budget") if again else None)
        return seen

    try:
        assert asyncio.run(scenario()) == [50, 50]
    finally:
        server.stop()
