"""Tracker stores: in memory per replica (make run), or shared in Redis (NW_REDIS_URL).

In-memory tracker store that forgets idle conversations.

Residents may mention health, children or money. Rasa's InMemoryTrackerStore
keeps every conversation until the process stops; this one drops a
conversation once it has been idle longer than the session expiry, so nothing
is stored longer than the conversation needs.

Speed and memory: Rasa's store serialises the whole conversation to JSON after
every message and rebuilds it event by event before the next one (~5 ms for
an 8-message conversation, ~5 % of Rasa's CPU under load). Here the most
recently active conversations stay live objects (no conversion at all); when
there are more than `max_live` of them, the least recently active ones are
kept as pickles (an 8-message conversation: ~54 KB live, ~6.5 KB pickled,
~1 ms to convert back). Pickles never leave this process and are only made
from our own objects.

The store is used by one Rasa process only, and Rasa's lock store already
lets one message per conversation in at a time. Not meant for use with an
event broker: the broker diff would compare a tracker with itself.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import gc
import json
import math
import pickle
import time
from collections import OrderedDict
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator, Callable, Dict, Iterable, Optional, Text, TypeVar

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.core.tracker_store import InMemoryTrackerStore, RedisTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker, get_trackers_for_conversation_sessions

from bot.settings import Settings

_T = TypeVar("_T")


# --- giving freed memory back (make soak: Rasa's memory must stay flat) -----------------
#
# Without this a Rasa process grew ~2 MB per minute under a steady load: garbage
# in reference cycles waited for Python's rare full collection, and glibc kept
# freed pages dirty (it gives pages back only from a heap's top). So, at most
# once per TRIM_INTERVAL_S, from the tracker store's save: a full collection and
# malloc_trim(0) (docs/performance.md, soak).

TRIM_INTERVAL_S = 30.0


def _load_malloc_trim() -> Optional[Callable[[int], int]]:
    name = ctypes.util.find_library("c")
    if not name:
        return None
    trim = getattr(ctypes.CDLL(name), "malloc_trim", None)  # glibc only (not musl, not macOS)
    if trim is None:
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim  # type: ignore[no-any-return]


_malloc_trim = _load_malloc_trim()


class FreedMemoryReturner:
    """Calls malloc_trim(0) at most once per interval (from a tracker store's save)."""

    def __init__(self, interval_s: float = TRIM_INTERVAL_S) -> None:
        self.interval_s = interval_s
        self._last = time.monotonic()
        self.trims = 0

    def maybe_trim(self, now: float) -> bool:
        if _malloc_trim is None or now - self._last < self.interval_s:
            return False
        self._last = now
        # Each message leaves ~30 objects in reference cycles; Python's automatic
        # full collection waits for ~150,000 of them (a quarter of the objects
        # that survived start-up: ~60 MB, ~30 min of soak). With the start-up
        # objects frozen (bot/ops/memory.py) a full pass only walks what was made
        # since, so it is cheap; without freezing it would take ~0.6 s.
        if gc.get_freeze_count() > 0:
            gc.collect()
        _malloc_trim(0)
        self.trims += 1
        return True


class ExpiringInMemoryTrackerStore(InMemoryTrackerStore):  # type: ignore[misc]  # rasa has no py.typed
    def __init__(self, domain: Domain, event_broker: Any = None, **kwargs: Any) -> None:
        settings = Settings.from_env()  # the same idle time as the gateway's replica pinning
        ttl = kwargs.pop("ttl_seconds", None) or settings.conversation_ttl_s
        max_live = kwargs.pop("max_live", None) or settings.live_trackers
        self.ttl_seconds = float(ttl)
        self.max_live = max(1, int(max_live))
        self._touched: Dict[Text, float] = {}
        self._live: OrderedDict[Text, DialogueStateTracker] = OrderedDict()  # oldest first
        self._pickled: Dict[Text, bytes] = {}
        self.memory = FreedMemoryReturner()
        super().__init__(domain, event_broker, **kwargs)

    def _purge(self, now: float) -> None:
        # _touched is ordered by last save (see save), so only the expired head is visited.
        while self._touched:
            key, seen = next(iter(self._touched.items()))
            if now - seen <= self.ttl_seconds:
                break
            self._live.pop(key, None)
            self._pickled.pop(key, None)
            del self._touched[key]

    def _keep_live(self, sender_id: Text, tracker: DialogueStateTracker) -> None:
        self._pickled.pop(sender_id, None)
        self._live[sender_id] = tracker
        self._live.move_to_end(sender_id)
        while len(self._live) > self.max_live:
            old_id, old = self._live.popitem(last=False)
            self._pickled[old_id] = pickle.dumps(old, protocol=pickle.HIGHEST_PROTOCOL)

    async def save(self, tracker: DialogueStateTracker) -> None:
        now = time.monotonic()
        self._purge(now)
        await self.stream_events(tracker)
        self._keep_live(tracker.sender_id, tracker)
        self._touched.pop(tracker.sender_id, None)  # re-insert: keeps _touched ordered by time
        self._touched[tracker.sender_id] = now
        self.memory.maybe_trim(now)

    async def keys(self) -> Iterable[Text]:
        self._purge(time.monotonic())
        return list(self._touched.keys())

    async def _retrieve(self, sender_id: Text, fetch_all_sessions: bool) -> Optional[DialogueStateTracker]:
        self._purge(time.monotonic())
        tracker = self._live.get(sender_id)
        if tracker is None:
            stored = self._pickled.get(sender_id)
            if stored is None:
                return None
            tracker = pickle.loads(stored)
            self._keep_live(sender_id, tracker)
        if fetch_all_sessions:
            return tracker
        # Same answer as Rasa's store: only the last conversation session. Most
        # conversations have one session, so skip the rebuild when possible.
        sessions_started = sum(1 for event in tracker.events if isinstance(event, SessionStarted))
        if sessions_started <= 1:
            return tracker
        return get_trackers_for_conversation_sessions(tracker)[-1]

    def stored_counts(self) -> Dict[Text, int]:
        """How many conversations are kept live and pickled (for tests and benchmarks)."""
        return {"live": len(self._live), "pickled": len(self._pickled)}


# --- shared conversations (NW_REDIS_URL: make cluster, a region's cluster) ------------------
#
# Rasa's own RedisTrackerStore and RedisLockStore, configured from one URL (host,
# port, db, password; rediss:// for TLS) instead of separate endpoint fields, with
# short socket timeouts, so a Redis that hangs fails the message quickly (the
# gateway then gives the degraded answer).
#
# The calls made while a message is handled (the lock's tickets, the tracker's
# load and save: about ten round trips) use redis-py's asyncio client. Rasa's
# classes use the blocking client, which held the replica's event loop during
# every round trip: with Redis and ten other processes on two cores, `make bench`
# measured the cluster at 0.67x the in-memory throughput. The stores' interfaces
# (`lock`, `retrieve`, `save`) are async, so this is a subclass, not a patch.
#
# Why Redis and not SQLTrackerStore on PostgreSQL: a conversation is short-lived
# working state (household, budget, the form's place) that must expire after
# NW_TRACKER_TTL idle seconds; Redis expires a key by itself (record_exp), keeps
# it in memory (one GET and one SET per message), and is needed anyway for the
# lock store. SQLTrackerStore writes every event as a row, keeps them forever and
# would need our own clean-up job. PostgreSQL stays the editor's store.

REDIS_TIMEOUT_S = 2.0
KEY_PREFIX = "noodwijzer"  # Rasa wants letters and digits only


def _redis_from_settings(decode_responses: bool, asynchronous: bool = False) -> Any:
    import redis
    import redis.asyncio

    url = Settings.from_env().redis_url
    if not url:
        raise ValueError("NW_REDIS_URL is not set; endpoints.redis.yml needs it (see docs/operations.md)")
    import redis.asyncio.retry
    import redis.backoff
    import redis.retry

    client = redis.asyncio.Redis if asynchronous else redis.Redis
    retry = redis.asyncio.retry.Retry if asynchronous else redis.retry.Retry
    return client.from_url(
        url,
        decode_responses=decode_responses,
        socket_timeout=REDIS_TIMEOUT_S,
        socket_connect_timeout=REDIS_TIMEOUT_S,
        health_check_interval=30,
        # After Redis restarts, a pooled connection is dead: its first command fails
        # ("Connection closed by server") and Rasa's fail-safe store would start the
        # conversation anew. One retry on a fresh connection; a Redis that is really
        # down still fails within the timeouts.
        retry=retry(redis.backoff.NoBackoff(), 1),
        retry_on_error=[redis.exceptions.ConnectionError],
    )


class _AsyncClient:
    """One asyncio Redis client per event loop: a client's connections belong to the
    loop that opened them (Rasa has one loop; tests may run several)."""

    def __init__(self, decode_responses: bool) -> None:
        self.decode_responses = decode_responses
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._client: Any = None

    def get(self) -> Any:
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            self._client = _redis_from_settings(self.decode_responses, asynchronous=True)
            self._loop = loop
        return self._client


class SharedRedisTrackerStore(RedisTrackerStore):  # type: ignore[misc]  # rasa has no py.typed
    """RedisTrackerStore: every replica reads and writes the same conversations;
    a conversation expires after NW_TRACKER_TTL idle seconds (each save renews it)."""

    def __init__(self, domain: Domain, host: Optional[Text] = None, event_broker: Any = None, **kwargs: Any) -> None:
        ttl = kwargs.pop("ttl_seconds", None) or Settings.from_env().conversation_ttl_s
        super().__init__(domain, event_broker=event_broker, record_exp=math.ceil(float(ttl)), key_prefix=KEY_PREFIX)
        self.red = _redis_from_settings(decode_responses=True)
        self.ared = _AsyncClient(decode_responses=True)
        self.memory = FreedMemoryReturner()

    async def save(self, tracker: DialogueStateTracker, timeout: Optional[float] = None) -> None:
        # RedisTrackerStore.save, on the asyncio client.
        await self.stream_events(tracker)
        client = self.ared.get()
        key = self.key_prefix + tracker.sender_id
        stored = await client.get(key)
        if stored is not None:
            # The stored tracker may hold earlier sessions that retrieve() left out.
            tracker = self._merge_trackers(self.deserialise_tracker(tracker.sender_id, stored), tracker)
        await client.set(key, self.serialise_tracker(tracker), ex=timeout or self.record_exp)
        self.memory.maybe_trim(time.monotonic())

    async def _retrieve(self, sender_id: Text, fetch_all_sessions: bool) -> Optional[DialogueStateTracker]:
        stored = await self.ared.get().get(self.key_prefix + sender_id)
        if stored is None:
            return None
        tracker = self.deserialise_tracker(sender_id, stored)
        if fetch_all_sessions or sum(1 for event in tracker.events if isinstance(event, SessionStarted)) <= 1:
            return tracker
        return get_trackers_for_conversation_sessions(tracker)[-1]  # only the last session, as Rasa's store

    async def keys(self) -> Iterable[Text]:
        return list(await self.ared.get().keys(self.key_prefix + "*"))


class SharedRedisLockStore(RedisLockStore):  # type: ignore[misc]
    """RedisLockStore whose read-change-write steps are Redis transactions.

    Rasa's RedisLockStore reads a conversation's ticket lock, changes it and
    writes it back in separate steps. Within one replica that is safe (one event
    loop); two replicas taking a ticket for the same conversation at the same
    moment could both get the same number and handle two messages at once. Here
    every change is WATCH/MULTI/EXEC (optimistic: redone if another replica
    changed the lock in between), so tickets are unique and messages of one
    conversation are handled one at a time, in the order their tickets were
    taken. Lock keys also expire (after the tickets' lifetime plus a minute), so
    a replica killed while holding one leaves nothing behind.
    """

    def __init__(self, endpoint_config: Any = None, **kwargs: Any) -> None:
        super().__init__(key_prefix=KEY_PREFIX)
        self.red = _redis_from_settings(decode_responses=False)
        self.ared = _AsyncClient(decode_responses=False)

    @asynccontextmanager
    async def lock(
        self, conversation_id: Text, lock_lifetime: float = LOCK_LIFETIME, wait_time_in_seconds: float = 1
    ) -> AsyncIterator[TicketLock]:
        """LockStore.lock (take a ticket, wait for its turn, give it back), on the asyncio client."""
        try:
            ticket = await self._achange(conversation_id, lambda lock: lock.issue_ticket(lock_lifetime), create=True)
        except Exception as exc:
            raise LockError(f"Error while acquiring lock. Error:\n{exc}") from exc
        assert ticket is not None  # created when missing
        try:
            yield await self._aacquire(conversation_id, ticket, wait_time_in_seconds)
        finally:
            await self._achange(conversation_id, lambda lock: lock.remove_ticket_for(ticket), create=False)

    async def _aacquire(self, conversation_id: Text, ticket: int, wait_time_in_seconds: float) -> TicketLock:
        client = self.ared.get()
        while True:
            raw = await client.get(self.key_prefix + conversation_id)
            if not raw:  # expired meanwhile
                raise LockError(f"Could not acquire lock for conversation_id '{conversation_id}'.")
            lock = TicketLock.from_dict(json.loads(raw))
            if not lock.is_locked(ticket):
                return lock
            await asyncio.sleep(wait_time_in_seconds)
            await self._achange(conversation_id, lambda lock: lock.remove_expired_tickets(), create=False)

    async def _achange(self, conversation_id: Text, change: Callable[[TicketLock], _T], create: bool) -> Optional[_T]:
        """`_change` on the asyncio client: the same WATCH/MULTI/EXEC transaction."""
        import redis

        key = self.key_prefix + conversation_id
        async with self.ared.get().pipeline() as pipe:
            while True:
                try:
                    await pipe.watch(key)
                    raw = await pipe.get(key)
                    if raw:
                        lock = TicketLock.from_dict(json.loads(raw))
                    elif create:
                        lock = self.create_lock(conversation_id)
                    else:
                        await pipe.unwatch()
                        return None
                    result = change(lock)
                    pipe.multi()
                    if lock.is_someone_waiting():
                        pipe.set(key, lock.dumps(), ex=int(LOCK_LIFETIME) + 60)
                    else:
                        pipe.delete(key)
                    await pipe.execute()
                    return result
                except redis.WatchError:
                    continue  # another replica changed this lock in between: read it again

    def _change(self, conversation_id: Text, change: Callable[[TicketLock], _T], create: bool) -> Optional[_T]:
        """Apply `change` to the stored lock atomically; delete the lock when no tickets are left."""
        import redis

        key = self.key_prefix + conversation_id
        with self.red.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(key)
                    raw = pipe.get(key)
                    if raw:
                        lock = TicketLock.from_dict(json.loads(raw))
                    elif create:
                        lock = self.create_lock(conversation_id)
                    else:
                        pipe.unwatch()
                        return None
                    result = change(lock)
                    pipe.multi()
                    if lock.is_someone_waiting():
                        pipe.set(key, lock.dumps(), ex=int(LOCK_LIFETIME) + 60)
                    else:
                        pipe.delete(key)
                    pipe.execute()
                    return result
                except redis.WatchError:
                    continue  # another replica changed this lock in between: read it again

    def issue_ticket(self, conversation_id: Text, lock_lifetime: float = LOCK_LIFETIME) -> int:
        try:
            ticket: Optional[int] = self._change(
                conversation_id, lambda lock: lock.issue_ticket(lock_lifetime), create=True
            )
        except Exception as exc:
            raise LockError(f"Error while acquiring lock. Error:\n{exc}") from exc
        assert ticket is not None  # created when missing
        return ticket

    def update_lock(self, conversation_id: Text) -> None:
        self._change(conversation_id, lambda lock: lock.remove_expired_tickets(), create=False)

    def finish_serving(self, conversation_id: Text, ticket_number: int) -> None:
        self._change(conversation_id, lambda lock: lock.remove_ticket_for(ticket_number), create=False)

    def cleanup(self, conversation_id: Text, ticket_number: int) -> None:
        # One transaction: remove our ticket, and the lock with it when nobody waits.
        self.finish_serving(conversation_id, ticket_number)
