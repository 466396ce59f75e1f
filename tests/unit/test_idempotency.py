"""Idempotency keys for POST /api/v1/chat (issue 21): a retried message is answered once.

The cache on its own, and the chat handler in-process with a fake Rasa (no stack).
"""

from __future__ import annotations

import asyncio
import dataclasses

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.gateway import chat as chat_module
from bot.gateway.idempotency import IdempotencyCache, KeyConflict, valid_key
from bot.settings import Settings


class Counter:
    def __init__(self, delay: float = 0.0, fail: int = 0) -> None:
        self.calls = 0
        self.delay = delay
        self.fail = fail

    async def __call__(self):
        self.calls += 1
        await asyncio.sleep(self.delay)
        if self.fail:
            self.fail -= 1
            raise RuntimeError("rasa went away")
        return [{"text": f"antwoord {self.calls}"}]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_valid_keys():
    assert valid_key("0f8c2a4e-1b2c-4d5e-8f90-123456789abc")
    assert valid_key("abcdefgh") and valid_key("A" * 64)
    for bad in (None, 12345678, "short", "A" * 65, "has space!", "ümlaut-key", "../../etc"):
        assert not valid_key(bad), bad


async def test_same_key_is_answered_once():
    cache, produce = IdempotencyCache(), Counter()
    first = await cache.run("sess-1", "key-0001", "hoi", produce)
    again = await cache.run("sess-1", "key-0001", "hoi", produce)
    assert first == ([{"text": "antwoord 1"}], False)
    assert again == ([{"text": "antwoord 1"}], True)
    assert produce.calls == 1


async def test_other_keys_and_other_sessions_are_separate():
    cache, produce = IdempotencyCache(), Counter()
    await cache.run("sess-1", "key-0001", "hoi", produce)
    await cache.run("sess-1", "key-0002", "hoi", produce)
    await cache.run("sess-2", "key-0001", "hoi", produce)
    assert produce.calls == 3


async def test_a_repeat_while_the_first_is_running_waits_for_it():
    cache, produce = IdempotencyCache(), Counter(delay=0.05)
    results = await asyncio.gather(*(cache.run("s-000001", "k-000001", "hoi", produce) for _ in range(5)))
    assert produce.calls == 1
    assert {tuple(r[0][0].items()) for r in results} == {(("text", "antwoord 1"),)}
    assert [r[1] for r in results].count(False) == 1


async def test_the_work_goes_on_when_the_first_client_leaves():
    # The widget gave up (timeout) and closed the request; its retry must get the answer.
    cache, produce = IdempotencyCache(), Counter(delay=0.05)
    first = asyncio.ensure_future(cache.run("s-000001", "k-000001", "hoi", produce))
    await asyncio.sleep(0.01)
    first.cancel()
    answer, replayed = await cache.run("s-000001", "k-000001", "hoi", produce)
    assert answer == [{"text": "antwoord 1"}] and replayed
    assert produce.calls == 1


async def test_same_key_with_another_message_is_a_conflict():
    cache, produce = IdempotencyCache(), Counter()
    await cache.run("s-000001", "k-000001", "hoi", produce)
    with pytest.raises(KeyConflict):
        await cache.run("s-000001", "k-000001", "iets anders", produce)
    assert produce.calls == 1


async def test_a_failure_is_forgotten_so_a_retry_runs_again():
    cache, produce = IdempotencyCache(), Counter(fail=1)
    with pytest.raises(RuntimeError):
        await cache.run("s-000001", "k-000001", "hoi", produce)
    assert len(cache) == 0
    answer, replayed = await cache.run("s-000001", "k-000001", "hoi", produce)
    assert answer == [{"text": "antwoord 2"}] and not replayed


async def test_a_waiting_repeat_retries_when_the_first_attempt_fails():
    cache, produce = IdempotencyCache(), Counter(delay=0.02, fail=1)
    first = asyncio.ensure_future(cache.run("s-000001", "k-000001", "hoi", produce))
    second = asyncio.ensure_future(cache.run("s-000001", "k-000001", "hoi", produce))
    with pytest.raises(RuntimeError):
        await first
    assert (await second)[0] == [{"text": "antwoord 2"}]
    assert produce.calls == 2


async def test_keys_are_forgotten_after_the_ttl():
    clock = Clock()
    cache, produce = IdempotencyCache(ttl_s=60, clock=clock), Counter()
    await cache.run("s-000001", "k-000001", "hoi", produce)
    clock.now += 59
    assert (await cache.run("s-000001", "k-000001", "hoi", produce))[1] is True
    clock.now += 2
    assert (await cache.run("s-000001", "k-000001", "hoi", produce))[1] is False
    assert produce.calls == 2


async def test_memory_is_bounded_per_session_and_in_all():
    cache, produce = IdempotencyCache(max_entries=10, per_session=3), Counter()
    for i in range(5):
        await cache.run("s-000001", f"k-00000{i}", "hoi", produce)
    assert len(cache) == 3
    assert len(cache._sessions["s-000001"]) == 3
    for i in range(20):
        await cache.run(f"s-1000{i:02d}", "k-000001", "hoi", produce)
    assert len(cache) == 10
    assert sum(len(keys) for keys in cache._sessions.values()) == 10
    # The oldest went first; the newest is still answered from memory.
    assert (await cache.run("s-100019", "k-000001", "hoi", produce))[1] is True


async def test_the_message_text_is_not_kept():
    cache = IdempotencyCache()
    await cache.run("s-000001", "k-000001", "mijn adres is Dorpsstraat 1", Counter())
    kept = repr(list(cache._entries.values())[0].digest)
    assert "Dorpsstraat" not in kept


# --- through the chat handler, with a fake Rasa ---------------------------------------


@pytest.fixture
def fake_rasa(monkeypatch):
    calls: list[str] = []

    async def ask_rasa(app, session_id, message, region):
        calls.append(message)
        await asyncio.sleep(0.05)
        return [{"text": f"Antwoord {len(calls)} op je vraag."}]

    monkeypatch.setattr(chat_module, "ask_rasa", ask_rasa)
    return calls


async def make_client(**settings) -> TestClient:
    from bot.gateway.app import create_app

    app = create_app(dataclasses.replace(Settings.from_env({}), **settings))
    client = TestClient(TestServer(app))
    await client.start_server()
    return client


async def test_chat_answers_a_repeated_message_id_once(fake_rasa):
    client = await make_client(ip_rate_per_min=0, session_rate_per_min=0)
    try:
        body = {"session_id": "sess-abcdef", "message": "Wat doe ik bij storm?", "message_id": "msg-0000001"}
        first = await client.post("/api/v1/chat", json=body)
        second = await client.post("/api/v1/chat", json=body)
        assert first.status == second.status == 200
        assert await first.json() == await second.json()
        assert fake_rasa == ["Wat doe ik bij storm?"]
        # Concurrent repeats (a retry while the first is still on its way) too.
        body["message_id"] = "msg-0000002"
        answers = await asyncio.gather(*(client.post("/api/v1/chat", json=body) for _ in range(3)))
        assert [a.status for a in answers] == [200, 200, 200]
        assert len(fake_rasa) == 2
        # Without a key every POST is a new message, as before.
        body.pop("message_id")
        await client.post("/api/v1/chat", json=body)
        await client.post("/api/v1/chat", json=body)
        assert len(fake_rasa) == 4
    finally:
        await client.close()


@pytest.mark.parametrize("bad", ["kort", "x" * 65, "met spatie 123", 12345678, ["msg-0000001"], ""])
async def test_chat_refuses_an_invalid_message_id(fake_rasa, bad):
    client = await make_client()
    try:
        resp = await client.post(
            "/api/v1/chat", json={"session_id": "sess-abcdef", "message": "hoi", "message_id": bad}
        )
        assert resp.status == 400
        assert "message_id" in (await resp.json())["error"]
        assert fake_rasa == []
    finally:
        await client.close()


async def test_chat_refuses_a_message_id_reused_for_another_message(fake_rasa):
    client = await make_client()
    try:
        body = {"session_id": "sess-abcdef", "message": "hoi", "message_id": "msg-0000001"}
        assert (await client.post("/api/v1/chat", json=body)).status == 200
        resp = await client.post("/api/v1/chat", json={**body, "message": "iets anders"})
        assert resp.status == 409 and "error" in await resp.json()
        assert fake_rasa == ["hoi"]
    finally:
        await client.close()


async def test_429_says_how_long_to_wait_and_a_replay_is_not_limited(fake_rasa):
    client = await make_client(ip_rate_per_min=0, session_rate_per_min=1)
    try:
        body = {"session_id": "sess-abcdef", "message": "hoi", "message_id": "msg-0000001"}
        assert (await client.post("/api/v1/chat", json=body)).status == 200
        # The same message again (a retry) is answered from memory, not counted.
        assert (await client.post("/api/v1/chat", json=body)).status == 200
        resp = await client.post("/api/v1/chat", json={**body, "message_id": "msg-0000002"})
        assert resp.status == 429
        data = await resp.json()
        assert 55 <= data["retry_after"] <= 60
        assert resp.headers["Retry-After"] == str(data["retry_after"])
        # A refused message is not remembered: its retry is checked again.
        assert (await client.post("/api/v1/chat", json={**body, "message_id": "msg-0000002"})).status == 429
        assert fake_rasa == ["hoi"]
    finally:
        await client.close()
