"""Which Rasa replica answers which conversation, and how many at once.

Each Rasa replica keeps its conversations in its own memory (nothing is
written to disk or to a shared store), so a conversation must stay on the
replica where it started. New conversations go to the replica with the fewest
conversations, which keeps a burst of new residents evenly spread.

A replica gets only a few messages at a time; the rest wait in line at the
gateway, first come first served (ReplicaSlots).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import zlib
from collections import deque
from typing import AsyncIterator, Callable

from bot.settings import Settings

PURGE_EVERY_SECONDS = 60.0


class ReplicaRouter:
    def __init__(
        self,
        urls: tuple[str, ...],
        ttl_seconds: float = Settings.conversation_ttl_s,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not urls:
            raise ValueError("at least one Rasa replica is needed")
        self.urls = tuple(urls)
        # Same idle time after which Rasa forgets a conversation (bot_rasa/tracker_store.py).
        self.ttl_seconds = float(ttl_seconds)
        self._clock = clock
        self._pinned: dict[str, tuple[int, float]] = {}  # session id -> (replica, last seen)
        self._counts = [0] * len(self.urls)
        self._last_purge = clock()

    def replicas_for(self, session_id: str) -> list[str]:
        """Replica URLs to try, in order: the pinned one first, the rest as fallback."""
        now = self._clock()
        self._purge(now)
        pinned = self._pinned.get(session_id)
        index = pinned[0] if pinned else self._least_loaded(session_id)
        self._pin(session_id, index, now)
        return list(self.urls[index:] + self.urls[:index])

    def answered_by(self, session_id: str, url: str) -> None:
        """After a fallback, the conversation now lives on the replica that answered."""
        self._pin(session_id, self.urls.index(url), self._clock())

    def load(self) -> list[int]:
        return list(self._counts)

    def _least_loaded(self, session_id: str) -> int:
        start = zlib.crc32(session_id.encode("utf-8")) % len(self.urls)  # stable tie-break
        order = [(start + step) % len(self.urls) for step in range(len(self.urls))]
        return min(order, key=lambda i: self._counts[i])

    def _pin(self, session_id: str, index: int, now: float) -> None:
        old = self._pinned.get(session_id)
        if old is not None:
            self._counts[old[0]] -= 1
        self._pinned[session_id] = (index, now)
        self._counts[index] += 1

    def _purge(self, now: float) -> None:
        if now - self._last_purge < PURGE_EVERY_SECONDS:
            return
        self._last_purge = now
        for session_id, (index, seen) in list(self._pinned.items()):
            if now - seen > self.ttl_seconds:
                del self._pinned[session_id]
                self._counts[index] -= 1


class FifoLimit:
    """At most `limit` holders at once; waiters get in strictly in arrival order.

    (asyncio.Semaphore lets a newcomer take a freed place before a waiter
    that was already woken, so under load some messages wait much longer.)
    """

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self.limit = limit
        self.active = 0
        self._waiters: deque[asyncio.Future[None]] = deque()

    @property
    def waiting(self) -> int:
        return sum(1 for waiter in self._waiters if not waiter.done())

    async def acquire(self) -> None:
        if self.active < self.limit and not self.waiting:
            self.active += 1
            return
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter  # release() hands its place over by resolving this
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.release()  # got a place at the moment of cancelling: pass it on
            else:
                with contextlib.suppress(ValueError):
                    self._waiters.remove(waiter)
            raise

    def release(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)  # the place goes straight to the next in line
                return
        self.active -= 1


class ReplicaSlots:
    """A line per Rasa replica with `per_replica` messages in flight.

    Rasa works on every message it receives at once, so under a burst each
    message gets a thin slice of the CPU and slow ones finish very late. A
    short line in front keeps the waiting fair and the slowest answers sooner.
    per_replica 0 means no limit.
    """

    def __init__(self, urls: tuple[str, ...], per_replica: int, wait_seconds: float) -> None:
        self.wait_seconds = wait_seconds
        self._limits = {url: FifoLimit(per_replica) for url in urls} if per_replica > 0 else {}

    def limit_for(self, url: str) -> FifoLimit | None:
        return self._limits.get(url)

    @contextlib.asynccontextmanager
    async def slot(self, url: str) -> AsyncIterator[None]:
        """Wait for a place (asyncio.TimeoutError after wait_seconds), hold it inside the block."""
        limit = self._limits.get(url)
        if limit is None:
            yield
            return
        await asyncio.wait_for(limit.acquire(), self.wait_seconds)
        try:
            yield
        finally:
            limit.release()
